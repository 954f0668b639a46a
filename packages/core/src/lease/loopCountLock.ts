import type { Clock } from "../clock.js";
import { TransientError } from "../errors.js";
import type { Logger } from "../logger.js";

/**
 * A per-queue lock that serialises every change to one queue's count of dedicated loops: the
 * scale functions' scale-up and scale-down, and restart's reconcile. So two scale-downs at
 * `floor + 1` cannot each delete a different token and end below the floor, and no two of them
 * (two scale-ups, or a scale-up and a reconcile) can both add up to `maxLoops`. Kept in the
 * `scaling-events` table under `lock|<queueUrl>`: a conditional write that only one holder at a
 * time wins, expiring after `ttlMs` so a crashed holder does not block the queue for long.
 */
export interface QueueScalingLock {
  /** Takes the lock for `ttlMs` unless another holder's is still live; false when held. */
  acquire(queueUrl: string, owner: string, now: number, ttlMs: number): Promise<boolean>;
  /** Gives the lock up if `owner` still holds it. */
  release(queueUrl: string, owner: string): Promise<void>;
}

/** What {@link withLoopCountLock} needs. */
export interface LoopCountLockDeps {
  lock: QueueScalingLock;
  clock: Pick<Clock, "now" | "sleep">;
  logger: Pick<Logger, "warn">;
  /** Makes the holder's id (default: a random one). */
  owner?: () => string;
}

export interface LoopCountLockOptions {
  /** How long a taken lock lasts, ms: longer than the change it guards takes. */
  ttlMs: number;
  /** How long to wait for another holder to finish first, ms. */
  waitMs: number;
}

/**
 * Runs one change of a queue's loop count while holding the queue's {@link QueueScalingLock},
 * waiting (with doubling sleeps up to 1 s) for a concurrent one to finish first. The change must
 * count the queue's tokens itself, inside: it then sees what the previous holder left.
 *
 * @throws TransientError when another change holds the lock for the whole of `waitMs`.
 * @example
 * await withLoopCountLock({ lock, clock, logger }, queueUrl, { ttlMs: 60_000, waitMs: 20_000 }, () =>
 *   addLoops(deps, queueUrl, 1),
 * );
 */
export async function withLoopCountLock<T>(
  deps: LoopCountLockDeps,
  queueUrl: string,
  options: LoopCountLockOptions,
  change: () => Promise<T>,
): Promise<T> {
  const owner = (deps.owner ?? randomOwner)();
  const deadline = deps.clock.now() + options.waitMs;
  let waitMs = 50;
  while (!(await deps.lock.acquire(queueUrl, owner, deps.clock.now(), options.ttlMs))) {
    if (deps.clock.now() >= deadline) {
      throw new TransientError(`another change of ${queueUrl}'s loops holds its lock; retry later`, {
        queueUrl,
      });
    }
    await deps.clock.sleep(waitMs);
    waitMs = Math.min(waitMs * 2, 1_000);
  }
  try {
    return await change();
  } finally {
    await deps.lock.release(queueUrl, owner).catch((error: unknown) =>
      deps.logger.warn("could not release a queue's scaling lock; it expires by itself", {
        queueUrl,
        error: String(error),
      }),
    );
  }
}

function randomOwner(): string {
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}
