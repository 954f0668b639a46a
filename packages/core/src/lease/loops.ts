import { randomUUID } from "node:crypto";
import type { Clock } from "../clock.js";
import type { LeaseStore, LoopStarter } from "./ports.js";
import { dedicatedTokens } from "./sharedGroup.js";
import type { LoopEvent, TokenKey } from "./token.js";

/** What {@link addLoops} needs. `ids` makes token ids and loopIds (default: random UUIDs). */
export interface AddLoopsDeps {
  leases: Pick<LeaseStore, "create">;
  starter: LoopStarter;
  clock: Pick<Clock, "now">;
  ids?: () => string;
}

export interface AddLoopsOptions {
  /**
   * Token ids to try, in order, instead of fresh random ones. Reconcile passes
   * deterministic slot ids so that two concurrent restarts adding "the missing
   * loop" collide on the conditional create and only one of them starts it.
   */
  tokenIds?: readonly string[];
}

export interface AddLoopsResult {
  /** Tokens created and whose loop was started. */
  started: LoopEvent[];
  /**
   * Tokens created whose loop could not be started; restart claims them once
   * they are older than its start grace, so they are not lost.
   */
  startFailed: { event: LoopEvent; error: unknown }[];
}

/**
 * Creates `count` tokens for a queue and starts one loop for each.
 * A token id that already exists is skipped (someone else created it), so the
 * result may hold fewer than `count` loops.
 *
 * @example
 * await addLoops({ leases, starter, clock }, route.queueUrl, route.scaleStep);
 */
export async function addLoops(
  deps: AddLoopsDeps,
  queueUrl: string,
  count: number,
  options: AddLoopsOptions = {},
): Promise<AddLoopsResult> {
  const ids = deps.ids ?? randomUUID;
  const result: AddLoopsResult = { started: [], startFailed: [] };
  const tokenIds = options.tokenIds ?? Array.from({ length: count }, () => ids());
  for (const token of tokenIds.slice(0, Math.max(0, count))) {
    const now = deps.clock.now();
    const event: LoopEvent = { queueUrl, token, loopId: ids() };
    const created = await deps.leases.create({ ...event, createdAt: now, startedAt: now });
    if (!created) continue;
    try {
      await deps.starter.start(event);
      result.started.push(event);
    } catch (error) {
      result.startFailed.push({ event, error });
    }
  }
  return result;
}

/** What {@link removeLoops} needs. `random` returns a number in [0, 1) (default Math.random). */
export interface RemoveLoopsDeps {
  leases: Pick<LeaseStore, "listByQueue" | "delete">;
  random?: () => number;
}

/**
 * Deletes up to `count` randomly chosen tokens of a queue while more than `floor`
 * remain. Each deleted token's loop ends at its next heartbeat (revoked).
 * Returns the tokens this call deleted.
 *
 * @example
 * await removeLoops({ leases }, queueUrl, 1, { floor: Math.max(1, route.minLoops) });
 */
export async function removeLoops(
  deps: RemoveLoopsDeps,
  queueUrl: string,
  count: number,
  options: { floor: number },
): Promise<TokenKey[]> {
  const random = deps.random ?? Math.random;
  // The shared loop's member row is not a dedicated loop to remove.
  const remaining: TokenKey[] = dedicatedTokens(await deps.leases.listByQueue(queueUrl)).map(
    ({ queueUrl, token }) => ({
      queueUrl,
      token,
    }),
  );
  const deleted: TokenKey[] = [];
  while (deleted.length < count && remaining.length > options.floor) {
    const index = Math.min(remaining.length - 1, Math.floor(random() * remaining.length));
    const [victim] = remaining.splice(index, 1);
    if (victim === undefined) break;
    // A token already gone was removed by someone else: it no longer counts, but not as ours.
    if (await deps.leases.delete(victim)) deleted.push(victim);
  }
  return deleted;
}
