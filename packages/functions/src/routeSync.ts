import type { Logger as PowertoolsLogger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import { parseRoute, type Route } from "@sqs-dispatcher/config";
import {
  applyRouteSync,
  type Clock,
  DispatcherError,
  describeRouteSync,
  InvalidStoredRouteError,
  type Logger,
  planRouteSync,
  type RouteStore,
  type RouteSyncPlan,
  systemClock,
} from "@sqs-dispatcher/core";
import type { Context } from "aws-lambda";
import { z } from "zod";
import { EnvVar, requireEnv } from "./runtime/environment.js";
import { asCoreLogger, createPowertoolsLogger } from "./runtime/functionLogger.js";
import { routeStoreFromEnv } from "./runtime/routeStoreFromEnv.js";

/**
 * The properties of the stack's `Custom::RouteSync` resource, as the stack writes them.
 * CloudFormation hands every scalar property to a custom resource as a string, hence the
 * JSON text and the `"true"`/`"false"` flag.
 */
export interface RouteSyncProperties {
  /** JSON array of the registry's routes (stored-route fields without `source`/`updatedAt`). */
  Routes: string;
  /** `"true"`: reset run-time edits to the registry (`DISPATCHER_RESET_ROUTES=1` at deploy time). */
  ResetRoutes: "true" | "false";
  /** Where the routes live ({@link routeStoreLocation}); also the resource's physical id. */
  RouteStore: string;
  /** Differs on every synthesis, so CloudFormation sends an Update (and the rule runs) on every deploy. */
  DeployId: string;
}

// Strict: a property the stack writes and this function ignores is a bug in one of the two.
// ServiceToken (and ServiceTimeout, when set) are CloudFormation's own.
const propertiesSchema = z.strictObject({
  ServiceToken: z.string(),
  ServiceTimeout: z.string().optional(),
  Routes: z.string(),
  ResetRoutes: z.enum(["true", "false"]),
  RouteStore: z.string().min(1),
  DeployId: z.string(),
});

// The envelope is CloudFormation's (StackId, ResponseURL, ...): only the fields used here are checked,
// so that a field CloudFormation adds one day does not fail every deploy.
const eventSchema = z.discriminatedUnion("RequestType", [
  z.object({
    RequestType: z.literal("Create"),
    LogicalResourceId: z.string(),
    ResourceProperties: z.unknown(),
  }),
  z.object({
    RequestType: z.literal("Update"),
    LogicalResourceId: z.string(),
    PhysicalResourceId: z.string(),
    ResourceProperties: z.unknown(),
  }),
  z.object({
    RequestType: z.literal("Delete"),
    LogicalResourceId: z.string(),
    PhysicalResourceId: z.string(),
    ResourceProperties: z.unknown(),
  }),
]);

/** What the function returns to CDK's Provider framework, which answers CloudFormation with it. */
export interface RouteSyncResponse {
  PhysicalResourceId: string;
  /** `Fn::GetAtt`-able attributes. The whole answer to CloudFormation must stay under 4 KB. */
  Data: {
    Written: string;
    Unchanged: string;
    Deleted: string;
    /** Queue names whose run-time edit the deploy kept, comma-separated (cut short), or `none`. */
    KeptEdits: string;
  };
}

/** A deploy-time route sync failed; the Provider framework reports it to CloudFormation as FAILED with this message. */
export class RouteSyncError extends DispatcherError {
  override readonly name = "RouteSyncError";
}

/** Dependencies of {@link createRouteSync}. */
export interface RouteSyncDeps {
  routes: RouteStore;
  /** The store this function is deployed with ({@link routeStoreLocation}). */
  location: string;
  clock: Clock;
  logger: Pick<Logger, "debug" | "info" | "warn" | "error">;
}

/** The route sync of one function instance: call `onEvent` with each CloudFormation event. */
export interface RouteSync {
  onEvent(event: unknown): Promise<RouteSyncResponse>;
}

/** Where a function's route store is, as one string: `ssm:<path>` or `dynamodb:<table>`. */
export function routeStoreLocation(env: NodeJS.ProcessEnv = process.env): string {
  const kind = requireEnv(EnvVar.RouteStore, env);
  return kind === "ssm"
    ? `ssm:${requireEnv(EnvVar.RoutesPath, env)}`
    : `dynamodb:${requireEnv(EnvVar.RoutesTable, env)}`;
}

const keptEditsMaxChars = 1_000;

function summarize(plan: RouteSyncPlan, location: string): RouteSyncResponse {
  const kept = plan.skips.map((s) => s.stored.queueName);
  let keptEdits = kept.length === 0 ? "none" : kept.join(", ");
  if (keptEdits.length > keptEditsMaxChars) {
    keptEdits = `${keptEdits.slice(0, keptEditsMaxChars)}… (${kept.length} in all)`;
  }
  return {
    PhysicalResourceId: location,
    Data: {
      Written: String(plan.puts.length),
      Unchanged: String(plan.unchanged.length),
      Deleted: String(plan.deletes.length),
      KeptEdits: keptEdits,
    },
  };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function parseRegistryRoutes(json: string, now: number): Route[] {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (error) {
    throw new RouteSyncError(`the Routes property is not JSON (${messageOf(error)})`, {}, { cause: error });
  }
  if (!Array.isArray(raw)) throw new RouteSyncError("the Routes property is not a JSON array");
  return raw.map((route: unknown, i) => {
    try {
      return parseRoute({ ...(route as object), source: "deploy", updatedAt: now });
    } catch (error) {
      throw new RouteSyncError(
        `route ${i} of the Routes property is invalid: ${messageOf(error)}`,
        { index: i },
        {
          cause: error,
        },
      );
    }
  });
}

/**
 * The redeploy-versus-edit rule of the local deploy, as a CloudFormation custom resource.
 *
 * - **Create/Update**: read the stored routes, `planRouteSync(registryRoutes, stored, { force: ResetRoutes })`,
 *   apply it. Run-time edits (`source: "edit"`) survive unless forced; deploy routes the registry dropped are
 *   deleted; a route removed with `routes rm` is written again.
 * - **Delete** (stack removal, or the store moved elsewhere): the same plan with no registry routes and no
 *   force, so the routes the deploys wrote (`source: "deploy"`) are deleted and run-time edits are kept, like
 *   the retained tables and queues. A Delete for another store than this function's (after `routeStore`
 *   changed) touches nothing: that store is no longer this function's to write.
 *
 * Any failure rejects, which the Provider framework reports as a FAILED resource (the deploy rolls back).
 *
 * @example
 * const sync = createRouteSync({ routes: routeStoreFromEnv(), location: routeStoreLocation(), clock: systemClock, logger });
 * const { Data } = await sync.onEvent(cloudFormationEvent);
 */
export function createRouteSync(deps: RouteSyncDeps): RouteSync {
  const { routes, location, clock, logger } = deps;

  // Delete ignores the properties (they may come from an older version of the stack): a removal that
  // fails leaves the stack in DELETE_FAILED, so it also deletes what it can around a corrupt stored route.
  async function onDelete(physicalResourceId: string, context: Record<string, unknown>) {
    if (physicalResourceId !== location) {
      logger.warn("route sync: the deleted resource names another route store; nothing removed", {
        ...context,
        deletedStore: physicalResourceId,
        store: location,
      });
      return { ...summarize(planRouteSync([], []), location), PhysicalResourceId: physicalResourceId };
    }
    let stored: readonly Route[];
    try {
      stored = await routes.list();
    } catch (error) {
      if (!(error instanceof InvalidStoredRouteError)) throw error;
      logger.warn(`route sync: left corrupt stored routes in place: ${error.message}`, context);
      stored = error.valid;
    }
    const plan = planRouteSync([], stored, { force: false });
    await applyRouteSync(routes, plan);
    for (const line of describeRouteSync(plan)) logger.info(line, context);
    return summarize(plan, location);
  }

  return {
    async onEvent(input) {
      const parsedEvent = eventSchema.safeParse(input);
      if (!parsedEvent.success) {
        throw new RouteSyncError(
          `not a CloudFormation custom resource event: ${z.prettifyError(parsedEvent.error)}`,
        );
      }
      const event = parsedEvent.data;
      const context = { requestType: event.RequestType, logicalResourceId: event.LogicalResourceId };
      try {
        if (event.RequestType === "Delete") return await onDelete(event.PhysicalResourceId, context);
        const parsedProperties = propertiesSchema.safeParse(event.ResourceProperties);
        if (!parsedProperties.success) {
          throw new RouteSyncError(
            `invalid RouteSync properties: ${z.prettifyError(parsedProperties.error)}`,
            context,
          );
        }
        const properties = parsedProperties.data;
        if (properties.RouteStore !== location) {
          throw new RouteSyncError(
            `the resource names route store '${properties.RouteStore}' but this function writes '${location}'`,
            context,
          );
        }
        const wanted = parseRegistryRoutes(properties.Routes, clock.now());
        const force = properties.ResetRoutes === "true";
        const plan = planRouteSync(wanted, await routes.list(), { force });
        await applyRouteSync(routes, plan);
        for (const line of describeRouteSync(plan)) logger.info(line, { ...context, force });
        return summarize(plan, location);
      } catch (error) {
        if (error instanceof RouteSyncError) throw error;
        throw new RouteSyncError(
          `route sync (${event.RequestType}) failed on ${location}: ${messageOf(error)}`,
          context,
          { cause: error },
        );
      }
    },
  };
}

/** The Lambda handler around a route sync factory (built once per cold start). */
export function createRouteSyncHandler(makeSync: () => RouteSync, logger: PowertoolsLogger) {
  let sync: RouteSync | undefined;
  return middy(async (event: unknown, context: Context): Promise<RouteSyncResponse> => {
    logger.appendKeys({ requestId: context.awsRequestId });
    sync ??= makeSync();
    return sync.onEvent(event);
  }).use(injectLambdaContext(logger, { resetKeys: true }));
}

const logger = createPowertoolsLogger("route-sync");

/** The deployed route sync (`packages/functions/src/routeSync.handler`), the `onEvent` of the stack's `Custom::RouteSync`. */
export const handler = createRouteSyncHandler(
  () =>
    createRouteSync({
      routes: routeStoreFromEnv(),
      location: routeStoreLocation(),
      clock: systemClock,
      logger: asCoreLogger(logger),
    }),
  logger,
);
