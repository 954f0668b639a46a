import type { QueueScalingLock } from "./loopCountLock.js";

/**
 * The lock's conditional semantics in memory, for unit tests only: one live holder at a time,
 * expiring at `lockedUntil`. Each operation yields first, as a request would.
 */
export class MemoryQueueLock implements QueueScalingLock {
  readonly held = new Map<string, { owner: string; lockedUntil: number }>();
  acquired = 0;
  async acquire(queueUrl: string, owner: string, now: number, ttlMs: number): Promise<boolean> {
    await Promise.resolve();
    const current = this.held.get(queueUrl);
    if (current && current.lockedUntil >= now) return false;
    this.held.set(queueUrl, { owner, lockedUntil: now + ttlMs });
    this.acquired++;
    return true;
  }
  async release(queueUrl: string, owner: string): Promise<void> {
    await Promise.resolve();
    if (this.held.get(queueUrl)?.owner === owner) this.held.delete(queueUrl);
  }
}
