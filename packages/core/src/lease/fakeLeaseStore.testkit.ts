import { LeaseLostError } from "../errors.js";
import type { LeaseStore, SeenLease } from "./ports.js";
import type { InvocationFence, LoopEvent, LoopState, TokenKey, TokenRecord } from "./token.js";

/**
 * An in-memory LeaseStore with the real conditional semantics of the DynamoDB
 * adapter, for unit tests only (never exported from the package).
 * Each operation yields to the event loop first, so concurrent callers interleave
 * the way concurrent requests do.
 */
export class FakeLeaseStore implements LeaseStore {
  readonly rows = new Map<string, TokenRecord>();
  /** Scan page size in rows. */
  pageSize = 100;
  /** Called before each operation; throw from it to inject a failure. */
  beforeOp: (op: keyof LeaseStore) => void = () => {};

  private key(k: TokenKey): string {
    return `${k.queueUrl}\u0000${k.token}`;
  }

  private async enter(op: keyof LeaseStore): Promise<void> {
    await Promise.resolve();
    this.beforeOp(op);
  }

  put(record: TokenRecord): void {
    this.rows.set(this.key(record), { ...record });
  }

  get(k: TokenKey): TokenRecord | undefined {
    return this.rows.get(this.key(k));
  }

  async heartbeat(
    lease: LoopEvent,
    now: number,
    invocation?: InvocationFence,
    state?: LoopState,
  ): Promise<void> {
    await this.enter("heartbeat");
    const row = this.rows.get(this.key(lease));
    const superseded =
      invocation !== undefined && !invocation.first && row?.invocationId !== invocation.invocationId;
    if (!row || row.loopId !== lease.loopId || superseded)
      throw new LeaseLostError(lease.queueUrl, lease.token, lease.loopId);
    row.lastUsed = now;
    if (invocation) row.invocationId = invocation.invocationId;
    if (state?.blockedReason !== undefined) row.blockedReason = state.blockedReason;
    else if (state) delete row.blockedReason;
  }

  async create(token: TokenRecord): Promise<boolean> {
    await this.enter("create");
    if (this.rows.has(this.key(token))) return false;
    this.rows.set(this.key(token), { ...token });
    return true;
  }

  async claim(k: TokenKey, seen: SeenLease | string, newLoopId: string, now: number): Promise<boolean> {
    await this.enter("claim");
    const expected = typeof seen === "string" ? { loopId: seen } : seen;
    const row = this.rows.get(this.key(k));
    if (!row || row.loopId !== expected.loopId) return false;
    if ("lastUsed" in expected && row.lastUsed !== expected.lastUsed) return false;
    Object.assign(row, { loopId: newLoopId, startedAt: now });
    delete row.invocationId;
    return true;
  }

  async delete(k: TokenKey): Promise<boolean> {
    await this.enter("delete");
    return this.rows.delete(this.key(k));
  }

  async listByQueue(queueUrl: string): Promise<TokenRecord[]> {
    await this.enter("listByQueue");
    return [...this.rows.values()].filter((r) => r.queueUrl === queueUrl).map((r) => ({ ...r }));
  }

  async *scan(): AsyncIterable<TokenRecord[]> {
    await this.enter("scan");
    const all = [...this.rows.values()].map((r) => ({ ...r }));
    for (let i = 0; i < all.length; i += this.pageSize) yield all.slice(i, i + this.pageSize);
  }
}
