/** Requests the edge served, per `service:operation`: what the cost benchmarks price. */
export interface RequestMeter {
  /** Counts one request; `accessKeyId` is the caller's, from its SigV4 scope. */
  count(service: string, operation: string | undefined, accessKeyId?: string): void;
  /** Every request so far, or (with `caller`) only those of one function, per `service:operation`. */
  snapshot(caller?: string): Record<string, number>;
  reset(): void;
}

export interface RequestMeterOptions {
  /** The function an access key belongs to (undefined for the operator's keys and the cloud's own). */
  callerOf?: (accessKeyId: string) => string | undefined;
}

/** Callers whose access key names no function: the operator, tests, and the cloud's own machinery. */
export const OPERATOR_CALLER = "operator";

/**
 * @example
 * const meter = createRequestMeter({ callerOf: (key) => credentials.functionOf(key) });
 * meter.snapshot("poller") // { "sqs:ReceiveMessage": 180, "dynamodb:UpdateItem": 60, ... }
 */
export function createRequestMeter(options: RequestMeterOptions = {}): RequestMeter {
  let counts = new Map<string, number>();
  let byCaller = new Map<string, Map<string, number>>();
  const callerOf = (accessKeyId: string | undefined) =>
    (accessKeyId === undefined ? undefined : options.callerOf?.(accessKeyId)) ?? OPERATOR_CALLER;
  return {
    count(service, operation, accessKeyId) {
      const key = `${service}:${operation ?? "?"}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
      const caller = callerOf(accessKeyId);
      let mine = byCaller.get(caller);
      if (!mine) {
        mine = new Map();
        byCaller.set(caller, mine);
      }
      mine.set(key, (mine.get(key) ?? 0) + 1);
    },
    snapshot: (caller) => Object.fromEntries(caller === undefined ? counts : (byCaller.get(caller) ?? [])),
    reset() {
      counts = new Map();
      byCaller = new Map();
    },
  };
}
