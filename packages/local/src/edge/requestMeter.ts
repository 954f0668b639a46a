/** Requests the edge served, per `service:operation`: what the cost benchmark prices. */
export interface RequestMeter {
  count(service: string, operation: string | undefined): void;
  snapshot(): Record<string, number>;
  reset(): void;
}

export function createRequestMeter(): RequestMeter {
  let counts = new Map<string, number>();
  return {
    count(service, operation) {
      const key = `${service}:${operation ?? "?"}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    },
    snapshot: () => Object.fromEntries(counts),
    reset() {
      counts = new Map();
    },
  };
}
