import { concurrencyHeadroom, concurrencyProblem, type Route } from "@sqs-dispatcher/config";
import type { Logger } from "../logger.js";
import type { AccountConcurrencyReader } from "./ports.js";
import type { CapacityStatus } from "./queueStatus.js";

/**
 * The routes' worst case (loops + loops × concurrency at maxLoops) against the account's Lambda
 * concurrency, with a warning before the sum exceeds it. When the account cannot be read (no
 * permission), the demand is still shown, without headroom.
 *
 * @example
 * const capacity = await describeCapacity({ account, logger }, routes, loopsNow);
 */
export async function describeCapacity(
  deps: { account: AccountConcurrencyReader; logger: Pick<Logger, "warn"> },
  routes: readonly Pick<Route, "queueName" | "maxLoops" | "concurrency">[],
  loopsNow: number,
): Promise<CapacityStatus> {
  let limit: number | undefined;
  try {
    limit = await deps.account.accountConcurrency();
  } catch (error) {
    deps.logger.warn("could not read the account's Lambda concurrency; showing demand without headroom", {
      error: error instanceof Error ? error.message : String(error),
    });
  }
  const headroom = concurrencyHeadroom(
    routes.map((r) => ({ queueName: r.queueName, maxLoops: r.maxLoops, concurrency: r.concurrency })),
    limit,
  );
  const { demand } = headroom;
  const percent = limit === undefined ? 0 : Math.round((demand.total / limit) * 100);
  const warning = headroom.exceeds
    ? (concurrencyProblem(headroom) ?? null)
    : headroom.warn
      ? `loops and handlers at maxLoops would take ${demand.total} of the account's ${limit} concurrent executions (${percent}%); lower maxLoops or concurrency, or raise the account's quota, before they starve each other`
      : null;
  return {
    accountConcurrency: limit ?? null,
    loopsNow,
    loopsAtMax: demand.loops,
    handlersAtMax: demand.handlers,
    totalAtMax: demand.total,
    headroom: headroom.headroom ?? null,
    warning,
  };
}
