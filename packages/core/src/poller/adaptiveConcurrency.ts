/**
 * How many batches a loop keeps in its handler at once: the route's `concurrency`, halved on
 * each throttle and raised by one per clean batch back up to it (additive increase,
 * multiplicative decrease), so loops sharing a throttled function back off together instead of
 * hammering it.
 */
export interface AdaptiveConcurrency {
  /** Batches allowed in flight now, for a route whose `concurrency` is `configured`. */
  limit(configured: number): number;
  throttled(): void;
  clean(): void;
}

export function createAdaptiveConcurrency(): AdaptiveConcurrency {
  // Undefined until a throttle: then the route's number is followed as it is edited.
  let current: number | undefined;
  let ceiling = 1;
  return {
    limit(configured) {
      ceiling = configured;
      if (current !== undefined && current >= configured) current = undefined;
      return current ?? configured;
    },
    throttled() {
      current = Math.max(1, Math.floor((current ?? ceiling) / 2));
    },
    clean() {
      if (current === undefined) return;
      current += 1;
      if (current >= ceiling) current = undefined;
    },
  };
}
