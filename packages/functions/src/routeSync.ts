import type { Logger as PowertoolsLogger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import { SSMClient } from "@aws-sdk/client-ssm";
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
import {
  type CloudFormationRequest,
  type CustomResourceIdentity,
  createCloudFormationStatusReader,
  parseCloudFormationRequest,
  type SendCloudFormationResponse,
  type StackResourceStatusReader,
  sendCloudFormationResponse,
  verifyInProgress,
} from "./runtime/cloudFormationRequest.js";
import { EnvVar, requireEnv, requireRegion } from "./runtime/environment.js";
import { asCoreLogger, createPowertoolsLogger } from "./runtime/functionLogger.js";
import { routeStoreFromEnv } from "./runtime/routeStoreFromEnv.js";
import {
  createSsmRouteSyncSpecSource,
  type RouteSyncSpecSource,
  routeSyncSpecNames,
} from "./runtime/routeSyncSpec.js";

/**
 * The properties of the stack's `Custom::RouteSync` resource, as the stack writes them. They
 * carry no routes: route-sync reads what to write from the deploy's parameters
 * ({@link RouteSyncSpec}), and the properties only name the deploy and the store.
 */
export interface RouteSyncProperties {
  /** Where the routes live ({@link routeStoreLocation}); also the resource's physical id. */
  RouteStore: string;
  /**
   * Differs on every synthesis, so CloudFormation sends an Update (and the rule runs) on every
   * deploy; the deploy's parameters must name the same one.
   */
  DeployId: string;
}

// Strict: a property the stack writes and this function ignores is a bug in one of the two, and an
// event that carries routes (`Routes`, `ResetRoutes`) is not the stack's.
// ServiceToken (and ServiceTimeout, when set) are CloudFormation's own.
const propertiesSchema = z.strictObject({
  ServiceToken: z.string(),
  ServiceTimeout: z.string().optional(),
  RouteStore: z.string().min(1),
  DeployId: z.string().min(1),
});

/** What route-sync answers CloudFormation with (besides the request's ids). */
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

/** A deploy-time route sync failed; route-sync answers CloudFormation FAILED with this message. */
export class RouteSyncError extends DispatcherError {
  override readonly name = "RouteSyncError";
}

/** Dependencies of {@link createRouteSync}. */
export interface RouteSyncDeps {
  routes: RouteStore;
  /** The store this function is deployed with ({@link routeStoreLocation}). */
  location: string;
  /** The deploy's wanted routes and reset flag, which only CloudFormation writes. */
  spec: RouteSyncSpecSource;
  clock: Clock;
  logger: Pick<Logger, "debug" | "info" | "warn" | "error">;
}

/** The route sync of one function instance: call `onEvent` with each verified CloudFormation request. */
export interface RouteSync {
  /** The store it writes ({@link routeStoreLocation}). */
  readonly location: string;
  onEvent(request: CloudFormationRequest): Promise<RouteSyncResponse>;
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

function parseRegistryRoutes(raw: readonly unknown[], now: number): Route[] {
  return raw.map((route: unknown, i) => {
    try {
      return parseRoute({ ...(route as object), source: "deploy", updatedAt: now });
    } catch (error) {
      throw new RouteSyncError(
        `route ${i} of the deploy's route-sync parameters is invalid: ${messageOf(error)}`,
        { index: i },
        { cause: error },
      );
    }
  });
}

/** Whether a request would change the store: a Delete of another store's resource touches nothing. */
function writesStore(request: CloudFormationRequest, location: string): boolean {
  return request.RequestType !== "Delete" || request.PhysicalResourceId === location;
}

/**
 * The redeploy-versus-edit rule of the local deploy, as a CloudFormation custom resource.
 *
 * - **Create/Update**: read the deploy's spec (the registry's routes and `resetRoutes`, from the
 *   parameters the stack owns), read the stored routes, `planRouteSync(registryRoutes, stored,
 *   { force: resetRoutes })`, apply it. Run-time edits (`source: "edit"`) survive unless forced;
 *   deploy routes the registry dropped are deleted; a route removed with `routes rm` is written again.
 * - **Delete** (stack removal, or the store moved elsewhere): the same plan with no registry routes and no
 *   force, so the routes the deploys wrote (`source: "deploy"`) are deleted and run-time edits are kept, like
 *   the retained tables and queues. A Delete for another store than this function's (after `routeStore`
 *   changed) touches nothing: that store is no longer this function's to write.
 *
 * Nothing in the request says what to write: a Create/Update only names the deploy, which must be
 * the one the parameters hold. Any failure rejects (answered FAILED: the deploy rolls back).
 *
 * @example
 * const sync = createRouteSync({ routes, location: routeStoreLocation(), spec, clock: systemClock, logger });
 * const { Data } = await sync.onEvent(request);
 */
export function createRouteSync(deps: RouteSyncDeps): RouteSync {
  const { routes, location, spec, clock, logger } = deps;

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
    location,
    async onEvent(request) {
      const context = { requestType: request.RequestType, logicalResourceId: request.LogicalResourceId };
      try {
        if (request.RequestType === "Delete") {
          return await onDelete(request.PhysicalResourceId ?? "", context);
        }
        const parsedProperties = propertiesSchema.safeParse(request.ResourceProperties);
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
        const wantedSpec = await spec.read();
        if (wantedSpec.deployId !== properties.DeployId) {
          throw new RouteSyncError(
            `the request is for deploy '${properties.DeployId}', the route-sync parameters hold deploy '${wantedSpec.deployId}'`,
            context,
          );
        }
        const wanted = parseRegistryRoutes(wantedSpec.routes, clock.now());
        const force = wantedSpec.resetRoutes;
        const plan = planRouteSync(wanted, await routes.list(), { force });
        await applyRouteSync(routes, plan);
        for (const line of describeRouteSync(plan)) logger.info(line, { ...context, force });
        return summarize(plan, location);
      } catch (error) {
        if (error instanceof RouteSyncError) throw error;
        throw new RouteSyncError(
          `route sync (${request.RequestType}) failed on ${location}: ${messageOf(error)}`,
          context,
          { cause: error },
        );
      }
    },
  };
}

/** How the handler tells CloudFormation's requests from anyone else's, and answers them. */
export interface RouteSyncGate {
  /** This function's stack, resource and region. */
  identity: CustomResourceIdentity;
  /** CloudFormation's view of the resource: a request it is not making now is refused. */
  stackResources: StackResourceStatusReader;
  /** Answers CloudFormation at the request's response URL. */
  respond: SendCloudFormationResponse;
}

/**
 * The Lambda handler around a route sync factory (built once per cold start). It is the
 * resource's `ServiceToken` itself, so it sees CloudFormation's request as sent: a request that
 * does not name this stack, this resource and CloudFormation's response bucket of this region is
 * refused unanswered; one CloudFormation is not making right now (`DescribeStackResource`) is
 * answered FAILED and changes nothing; the others are synced and answered.
 */
export function createRouteSyncHandler(
  makeSync: () => RouteSync,
  makeGate: () => RouteSyncGate,
  logger: PowertoolsLogger,
) {
  let sync: RouteSync | undefined;
  let gate: RouteSyncGate | undefined;
  return middy(async (event: unknown, context: Context): Promise<RouteSyncResponse> => {
    logger.appendKeys({ requestId: context.awsRequestId });
    gate ??= makeGate();
    sync ??= makeSync();
    let request: CloudFormationRequest;
    try {
      request = parseCloudFormationRequest(event, gate.identity);
    } catch (error) {
      logger.error("route sync: refused a request that is not CloudFormation's", { error: messageOf(error) });
      throw error;
    }
    const ids = {
      StackId: request.StackId,
      RequestId: request.RequestId,
      LogicalResourceId: request.LogicalResourceId,
    };
    try {
      if (writesStore(request, sync.location)) await verifyInProgress(request, gate.stackResources);
      const response = await sync.onEvent(request);
      await gate.respond(request.ResponseURL, { Status: "SUCCESS", ...ids, ...response });
      return response;
    } catch (error) {
      logger.error("route sync failed", { requestType: request.RequestType, error: messageOf(error) });
      await gate.respond(request.ResponseURL, {
        Status: "FAILED",
        Reason: messageOf(error),
        // A failed Create has no resource yet: CloudFormation wants some id, and deletes nothing for it.
        PhysicalResourceId: request.PhysicalResourceId ?? sync.location,
        ...ids,
      });
      throw error;
    }
  }).use(injectLambdaContext(logger, { resetKeys: true }));
}

const logger = createPowertoolsLogger("route-sync");

/** The deployed route sync (`packages/functions/src/routeSync.handler`), the `ServiceToken` of the stack's `Custom::RouteSync`. */
export const handler = createRouteSyncHandler(
  () =>
    createRouteSync({
      routes: routeStoreFromEnv(),
      location: routeStoreLocation(),
      spec: createSsmRouteSyncSpecSource({
        ssm: new SSMClient({}),
        names: routeSyncSpecNames(requireEnv(EnvVar.RouteSyncSpecParameters)),
      }),
      clock: systemClock,
      logger: asCoreLogger(logger),
    }),
  () => ({
    identity: {
      stackId: requireEnv(EnvVar.StackId),
      logicalResourceId: requireEnv(EnvVar.RouteSyncResourceId),
      region: requireRegion(),
    },
    stackResources: createCloudFormationStatusReader(new CloudFormationClient({})),
    respond: sendCloudFormationResponse,
  }),
  logger,
);
