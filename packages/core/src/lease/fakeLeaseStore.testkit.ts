import { LeaseLostError } from "../errors.js";
import type { GroupStore, LeaseStore, SeenLease } from "./ports.js";
import { groupLeaseKey, SHARED_MEMBER_TOKEN } from "./sharedGroup.js";
import type { InvocationFence, LoopEvent, LoopState, TokenKey, TokenRecord } from "./token.js";

/**
 * An in-memory LeaseStore with the real conditional semantics of the DynamoDB
 * adapter, for unit tests only (never exported from the package).
 * Each operation yields to the event loop first, so concurrent callers interleave
 * the way concurrent requests do.
 */
export class FakeLeaseStore implements LeaseStore, GroupStore {
  readonly rows = new Map<string, TokenRecord>();
  /** Scan page size in rows. */
  pageSize = 100;
  /** Called before each operation; throw from it to inject a failure. */
  beforeOp: (op: keyof LeaseStore | keyof GroupStore) => void = () => {};

  private key(k: TokenKey): string {
    return `${k.queueUrl}\u0000${k.token}`;
  }

  private async enter(op: keyof LeaseStore | keyof GroupStore): Promise<void> {
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

  async addMember(queueUrl: string, group: string, now: number): Promise<boolean> {
    await this.enter("addMember");
    const k = { queueUrl, token: SHARED_MEMBER_TOKEN };
    if (this.rows.has(this.key(k))) return false;
    this.rows.set(this.key(k), { ...k, loopId: "", group, createdAt: now });
    return true;
  }

  async removeMember(queueUrl: string, group: string): Promise<boolean> {
    await this.enter("removeMember");
    const k = this.key({ queueUrl, token: SHARED_MEMBER_TOKEN });
    if (this.rows.get(k)?.group !== group) return false;
    return this.rows.delete(k);
  }

  async createGroup(
    group: string,
    loopId: string,
    members: readonly string[],
    now: number,
  ): Promise<boolean> {
    await this.enter("createGroup");
    const k = groupLeaseKey(group);
    if (this.rows.has(this.key(k))) return false;
    const row: TokenRecord = { ...k, loopId, createdAt: now, startedAt: now };
    if (members.length > 0) row.members = [...new Set(members)].sort();
    this.rows.set(this.key(k), row);
    return true;
  }

  async updateMembers(group: string, add: readonly string[], remove: readonly string[]): Promise<boolean> {
    await this.enter("updateMembers");
    const row = this.rows.get(this.key(groupLeaseKey(group)));
    if (!row) return false;
    const set = new Set(row.members ?? []);
    for (const url of add) set.add(url);
    for (const url of remove) set.delete(url);
    if (set.size > 0) row.members = [...set].sort();
    else delete row.members;
    return true;
  }

  async deleteEmptyGroup(group: string): Promise<boolean> {
    await this.enter("deleteEmptyGroup");
    const k = this.key(groupLeaseKey(group));
    const row = this.rows.get(k);
    if (!row || (row.members?.length ?? 0) > 0) return false;
    return this.rows.delete(k);
  }

  async readGroup(group: string): Promise<TokenRecord | undefined> {
    await this.enter("readGroup");
    const row = this.rows.get(this.key(groupLeaseKey(group)));
    return row ? { ...row, ...(row.members ? { members: [...row.members] } : {}) } : undefined;
  }
}
