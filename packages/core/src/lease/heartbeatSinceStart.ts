import type { TokenRecord } from "./token.js";

/**
 * Whether the token's current loop has heartbeat since it was started. A claim gives the token a
 * new loopId and `startedAt` but leaves `lastUsed` as it was (docs/protocol.md, "Claim"), so a `lastUsed` older
 * than `startedAt` is the previous loop's, and the current one is still starting. Tokens without
 * `startedAt` are judged from `createdAt`.
 */
export function hasHeartbeatSinceStart(
  token: Pick<TokenRecord, "lastUsed" | "startedAt" | "createdAt">,
): boolean {
  if (token.lastUsed === undefined) return false;
  return token.lastUsed >= (token.startedAt ?? token.createdAt);
}
