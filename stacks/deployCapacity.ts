import { GetAccountSettingsCommand, LambdaClient } from "@aws-sdk/client-lambda";
import {
  checkDeployCapacity,
  DispatcherError,
  type PollerConfig,
  type Registry,
  type RouteStoreKind,
  registryCapacityInputs,
} from "@sqs-dispatcher/config";

/**
 * The environment variable that carries the account's Lambda concurrency into synthesis:
 * `sst.config.ts` fills it from `GetAccountSettings` on `sst deploy`; set it by hand to check
 * against another account's limit. Unset: the concurrency check is skipped (the limit is unknown).
 */
export const accountConcurrencyVariable = "DISPATCHER_ACCOUNT_CONCURRENCY";

/** Thrown at synthesis when `DISPATCHER_ACCOUNT_CONCURRENCY` is not a positive whole number. */
export class AccountConcurrencyVariableError extends DispatcherError {
  override readonly name = "AccountConcurrencyVariableError";
}

/** Reads `DISPATCHER_ACCOUNT_CONCURRENCY`: a positive whole number, or undefined when unset. */
export function accountConcurrencyFromEnv(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const raw = env[accountConcurrencyVariable];
  if (raw === undefined || raw === "") return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) {
    throw new AccountConcurrencyVariableError(
      `${accountConcurrencyVariable} must be a positive whole number (got '${raw}')`,
      { raw },
    );
  }
  return value;
}

/**
 * The stack's capacity check at synthesis: refuses a registry whose worst-case route reads exceed
 * its stage's route store, or (when the account's concurrency is known) whose loops and handlers
 * at maxLoops exceed the account ({@link checkDeployCapacity} words the refusal).
 */
export function checkStackCapacity(
  registry: Registry,
  settings: { poller: Pick<PollerConfig, "routeCacheTtlSec">; routeStore: RouteStoreKind },
  accountConcurrency: number | undefined,
): void {
  checkDeployCapacity(registryCapacityInputs(registry.routes), {
    poller: settings.poller,
    routeStore: settings.routeStore,
    accountConcurrency,
  });
}

/**
 * The account's Lambda concurrency (`GetAccountSettings`), for `sst deploy`; undefined when it
 * cannot be read (no credentials, no permission), and the check is then skipped with a warning.
 */
export async function readAccountConcurrency(region: string): Promise<number | undefined> {
  const lambda = new LambdaClient({ region });
  try {
    const out = await lambda.send(new GetAccountSettingsCommand({}));
    return out.AccountLimit?.ConcurrentExecutions;
  } catch (error) {
    const why = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    console.warn(`account Lambda concurrency unknown (${why}); the concurrency check is skipped`);
    return undefined;
  } finally {
    lambda.destroy();
  }
}
