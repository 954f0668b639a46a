import { GetAccountSettingsCommand, type LambdaClient } from "@aws-sdk/client-lambda";
import {
  CapacityError,
  checkDeployCapacity,
  type PollerConfig,
  type Registry,
  type RouteStoreKind,
  registryCapacityInputs,
  routeReadLoad,
} from "@sqs-dispatcher/config";
import type { Logger } from "@sqs-dispatcher/core";

/** Options of {@link checkLocalCapacity}. */
export interface CheckLocalCapacityOptions {
  lambda: LambdaClient;
  registry: Registry;
  poller: Pick<PollerConfig, "routeCacheTtlSec">;
  routeStore: RouteStoreKind;
  /** Deploy anyway, with a warning, when loops and handlers at maxLoops exceed the account. */
  allowOvercommit?: boolean;
  logger: Pick<Logger, "info" | "warn">;
}

/**
 * The local deploy's capacity check: the account's concurrency from the local Lambda's
 * `GetAccountSettings`, as `sst deploy` reads AWS's; a registry whose loops and handlers at
 * maxLoops exceed it is refused ({@link CapacityError}) unless `allowOvercommit`. The route-read
 * throughput is logged, not enforced: the local stores have no throughput limit.
 */
export async function checkLocalCapacity(options: CheckLocalCapacityOptions): Promise<void> {
  const { registry, logger } = options;
  const out = await options.lambda.send(new GetAccountSettingsCommand({}));
  const accountConcurrency = out.AccountLimit?.ConcurrentExecutions;
  const routes = registryCapacityInputs(registry.routes);
  const reads = routeReadLoad(routes, options.poller, options.routeStore);
  logger.info("deploy: route reads at maxLoops", {
    loops: reads.loops,
    worstCasePerSec: reads.worstCasePerSec,
    awsThroughputPerSec: reads.throughputPerSec,
  });
  try {
    checkDeployCapacity(routes, {
      poller: options.poller,
      routeStore: options.routeStore,
      accountConcurrency,
      checkRouteReads: false,
    });
  } catch (error) {
    if (!(error instanceof CapacityError) || !options.allowOvercommit) throw error;
    logger.warn("deploy: over-committed on purpose (allowOvercommit)", { problems: error.problems });
  }
}
