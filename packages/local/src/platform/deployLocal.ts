import path from "node:path";
import {
  builtFunctions,
  ConfigValidationError,
  checkRouteFits,
  EnvVar,
  externalFunctionRef,
  isExternalFunction,
  type LoopTiming,
  PlatformFunction,
  pollerReservedConcurrency,
  type Registry,
  type Route,
  type RouteStoreKind,
  registryWarnings,
  routeParameterPath,
  settingsFor,
  platformEnvironment as sharedPlatformEnvironment,
  storedRouteOf,
} from "@sqs-dispatcher/config";
import {
  applyRouteSync,
  describeRouteSync,
  type Logger,
  planRouteSync,
  type RouteStore,
  silentLogger,
} from "@sqs-dispatcher/core";
import { createDynamoRouteStore, createSsmRouteStore } from "@sqs-dispatcher/core/aws";
import { deployLocalScaling, type LocalScaling, ScalingEventsTable } from "../cloudwatch/deployScaling.js";
import type { LocalIam } from "../iam/localIam.js";
import { loadStackRolePolicies, localTableNames } from "../iam/stackRolePolicies.js";
import type { LocalFunctionDefinition } from "../lambda/functionDefinition.js";
import { projectRoot as defaultProjectRoot } from "../projectRoot.js";
import { type Scheduler, startScheduler } from "../scheduler/startScheduler.js";
import { checkLocalCapacity } from "./checkCapacity.js";
import { checkExternalFunctions } from "./checkExternalFunctions.js";
import { type DeployedQueue, ensureQueue } from "./ensureQueue.js";
import { ensureTable, PlatformTables } from "./ensureTable.js";
import { createLocalClients, type LocalClients } from "./localClients.js";

/** What the deploy needs of the local cloud (`startLocalCloud`'s result fits). */
export interface DeployTarget {
  endpoint: string;
  region: string;
  accountId: string;
  lambda: {
    register(def: LocalFunctionDefinition): Promise<void>;
    unregister(name: string): Promise<void>;
    killEnvironments(name?: string): Promise<number>;
  };
  /** The local IAM (`startLocalCloud`'s): when enforcing, the deploy installs the stack's role policies. */
  iam?: Pick<LocalIam, "enforcing" | "setRolePolicies">;
}

/** The platform's own functions (poller, restart, scale, admin); a registry may not declare functions with these names. */
export { PlatformFunction };

/** Options of {@link deployLocal}. */
export interface DeployLocalOptions {
  /** Stage name used in the SSM routes path (default `local`). */
  stage?: string;
  /** Route store to use instead of the registry's local setting. */
  routeStore?: RouteStoreKind;
  /** Start the restart schedule (default true). Tests that drive restart by hand turn it off. */
  scheduler?: boolean;
  /** Reset run-time route edits to the registry (`--reset-routes`). */
  resetRoutes?: boolean;
  /**
   * The poller's timeout, overriding the registry's local setting. The registry refuses less than
   * 10 s; tests that need loops to recurse many times quickly set it lower here.
   */
  pollerTimeoutSec?: number;
  /**
   * Deploy even when loops and handlers at maxLoops exceed the local account's Lambda concurrency
   * (logged as a warning). For tests and benches that model an account too small on purpose.
   */
  allowOvercommit?: boolean;
  /** Folder the registry's handler paths are relative to (default: this repository's root). */
  projectRoot?: string;
  logger?: Pick<Logger, "debug" | "info" | "warn" | "error">;
}

/** A deployed registry on the local cloud. */
export interface LocalDeployment {
  registry: Registry;
  routesStore: RouteStore;
  routeStoreKind: RouteStoreKind;
  queues: { name: string; url: string; dlqUrl?: string }[];
  /** Names of the tables: `tokens`, `processed` (and `routes` with the DynamoDB route store). */
  tables: { tokens: string; processed: string; routes?: string };
  /** The environment given to the platform functions (poller, restart). */
  platformEnvironment: Record<string, string>;
  /** SDK clients aimed at the cloud, shared with whoever holds the deployment. */
  clients: LocalClients;
  /** The restart schedule, when started. */
  scheduler?: Scheduler;
  /** Alarm scaling: scale topics and functions, one alarm per route tier. */
  scaling: LocalScaling;
  /** Lines describing what the deploy did (routes written, edits kept). */
  report: string[];
  /**
   * Ends every loop now: stops the schedule, removes the platform functions (queued self-invocations
   * are dropped) and terminates running environments. For shutting down (`pnpm dev`'s Ctrl-C, tests),
   * so that no function is mid-request when the cloud's services close.
   */
  stopLoops(): Promise<void>;
  /** Stops the schedule and closes the clients. Loops keep running until `stopLoops` or the cloud stops. */
  stop(): Promise<void>;
}

/** {@link checkRouteFits} for each route of the registry, as config issues on its `batchWindowSec`. */
function routesThatDoNotFit(registry: Registry, timing: LoopTiming): { path: string; message: string }[] {
  return registry.routes.flatMap((route, i) => {
    const fn = registry.functions[route.function];
    // An existing function's timeout is checked against Lambda's answer (checkExternalFunctions).
    if (fn === undefined || isExternalFunction(fn)) return [];
    const input = {
      queueName: route.queue.name,
      batchWindowSec: route.batchWindowSec,
      functionName: route.function,
      handlerTimeoutSec: fn.timeoutSec,
    };
    return checkRouteFits(input, timing).map((p) => ({
      path: `routes[${i}].batchWindowSec`,
      message: p.message,
    }));
  });
}

/** `path/to/module.exportName` relative to the project root → absolute module path + export. */
function resolveHandler(projectRoot: string, handler: string): string {
  const dot = handler.lastIndexOf(".");
  return `${path.resolve(projectRoot, handler.slice(0, dot))}${handler.slice(dot)}`;
}

/**
 * Deploys a registry to the local cloud the way the SST stack deploys it to AWS: the routed
 * queues with their DLQs and redrive policies, the `tokens` and `processed` tables (and `routes`
 * with the DynamoDB route store), the routes, the handler functions and the platform functions
 * (`poller` with `RecursiveLoop: Allow`, `restart`), then the restart schedule, whose first run
 * reconciles every route up to its `minLoops`. Idempotent: a redeploy keeps queues, messages,
 * tokens and run-time route edits (unless `resetRoutes`).
 *
 * @example
 * const cloud = await startLocalCloud({ port: 0 });
 * const deployment = await deployLocal(cloud, registry);
 * // ... send messages to deployment.queues[0].url ...
 * await deployment.stop();
 * await cloud.stop();
 */
export async function deployLocal(
  cloud: DeployTarget,
  registry: Registry,
  options: DeployLocalOptions = {},
): Promise<LocalDeployment> {
  const logger = options.logger ?? silentLogger;
  const stage = options.stage ?? "local";
  const projectRoot = options.projectRoot ?? defaultProjectRoot();
  const settings = settingsFor(registry, { kind: "local" });
  const routeStoreKind = options.routeStore ?? settings.routeStore;

  for (const name of Object.values(PlatformFunction)) {
    if (registry.functions[name]) {
      throw new ConfigValidationError("The dispatcher registry", [
        {
          path: `functions.${name}`,
          message: `'${name}' is the name of a platform function; choose another`,
        },
      ]);
    }
  }

  // Every route must fit the loop that runs it, with the poller timeout this deploy gives the loop.
  const pollerTimeoutSec = options.pollerTimeoutSec ?? settings.poller.timeoutSec;
  const misfits = routesThatDoNotFit(registry, {
    ...settings.poller,
    timeoutSec: pollerTimeoutSec,
    staleAfterSec: settings.restart.staleAfterSec,
  });
  if (misfits.length > 0) throw new ConfigValidationError("The dispatcher registry", misfits);

  // What the registry allows but will likely hurt, said where the AWS synth says it too.
  for (const warning of registryWarnings(registry)) logger.warn(warning);

  const clients = createLocalClients(cloud);
  try {
    // Refused before anything is written, as `sst deploy` refuses it.
    await checkLocalCapacity({
      lambda: clients.lambda,
      registry,
      poller: settings.poller,
      routeStore: routeStoreKind,
      allowOvercommit: options.allowOvercommit ?? false,
      logger,
    });
    const tables = {
      tokens: PlatformTables.tokens.name,
      processed: PlatformTables.processed.name,
      routes: routeStoreKind === "dynamodb" ? PlatformTables.routes.name : undefined,
    };
    await ensureTable(clients.dynamodb, PlatformTables.tokens);
    await ensureTable(clients.dynamodb, PlatformTables.processed);
    if (routeStoreKind === "dynamodb") await ensureTable(clients.dynamodb, PlatformTables.routes);

    const deployed: DeployedQueue[] = [];
    for (const route of registry.routes) deployed.push(await ensureQueue(clients.sqs, route.queue));
    await checkExternalFunctions({
      registry,
      lambda: clients.lambda,
      sqs: clients.sqs,
      queueUrls: deployed.map((q) => q.url),
    });
    // Locally a built function's name is its registry name; an external one is named as the registry writes it.
    const localFunctionName = (fnName: string) => {
      const fn = registry.functions[fnName];
      return fn !== undefined && isExternalFunction(fn) ? externalFunctionRef(fn) : fnName;
    };

    const routesPath = routeParameterPath(registry.app, stage);
    const routesStore =
      routeStoreKind === "dynamodb"
        ? createDynamoRouteStore({ doc: clients.doc, tableName: PlatformTables.routes.name })
        : createSsmRouteStore({ ssm: clients.ssm, path: routesPath });

    if (cloud.iam?.enforcing) {
      // Before any function runs: every call it makes is evaluated against these.
      await cloud.iam.setRolePolicies(
        await loadStackRolePolicies({
          registry,
          stage,
          routeStore: routeStoreKind,
          region: cloud.region,
          accountId: cloud.accountId,
          projectRoot: defaultProjectRoot(),
          tables: localTableNames(tables, ScalingEventsTable.name),
        }),
      );
    }

    const now = Date.now();
    const wanted: Route[] = registry.routes.map((r, i) => ({
      // Locally a function's name is its registry name (so `invoke:<function>` needs no mapping); on
      // AWS the stack maps both to the physical name.
      ...storedRouteOf(r, { queueUrl: deployed[i]!.url, functionName: localFunctionName(r.function) }),
      source: "deploy",
      updatedAt: now,
    }));
    const plan = planRouteSync(wanted, await routesStore.list(), { force: options.resetRoutes ?? false });
    await applyRouteSync(routesStore, plan);
    const report = describeRouteSync(plan);

    for (const [name, fn] of builtFunctions(registry.functions)) {
      await cloud.lambda.register({
        name,
        handler: resolveHandler(projectRoot, fn.handler),
        timeoutSec: fn.timeoutSec,
        memoryMb: fn.memoryMb,
        environment: { ...fn.environment, [EnvVar.ProcessedTable]: tables.processed },
        reservedConcurrency: fn.reservedConcurrency,
        // Handlers stay outside the poller's chain: AWS's recursion guard applies to them.
        recursiveLoop: "Terminate",
      });
    }

    const maxHandlerTimeoutSec = Math.max(
      1,
      ...builtFunctions(registry.functions).map(([, f]) => f.timeoutSec),
    );
    const platformEnvironment: Record<string, string> = {
      ...sharedPlatformEnvironment({
        tokensTable: tables.tokens,
        routeStore: routeStoreKind,
        ...(routeStoreKind === "dynamodb" ? { routesTable: PlatformTables.routes.name } : { routesPath }),
        pollerFunction: PlatformFunction.Poller,
        poller: settings.poller,
        restart: settings.restart,
        limits: registry.limits,
        maxHandlerTimeoutSec,
        // Locally a function's name is its registry name.
        handlerTimeoutsSec: Object.fromEntries(
          builtFunctions(registry.functions).map(([name, fn]) => [name, fn.timeoutSec]),
        ),
        // A restart run is time-boxed to its interval, so it ends before the next one starts.
        restartIntervalSec: settings.restart.intervalSec,
        stage,
      }),
      // A local execution environment's init is a worker thread starting, well under a second, and
      // local pollers run for seconds: keeping Lambda's 10 s for it would leave no batch room to start.
      [EnvVar.ColdStartAllowanceSec]: "0",
      [EnvVar.ProcessedTable]: tables.processed,
      [EnvVar.App]: registry.app,
      // The tier alarms are named `<app>-<stage>-<queue>-depth-<n>`: status reads only this deployment's.
      [EnvVar.AlarmNamePrefix]: `${registry.app}-${stage}-`,
    };
    await cloud.lambda.register({
      name: PlatformFunction.Poller,
      handler: resolveHandler(projectRoot, "packages/functions/src/poller.handler"),
      timeoutSec: pollerTimeoutSec,
      memoryMb: settings.poller.memoryMb,
      environment: { ...platformEnvironment, [EnvVar.PollerTimeoutSec]: String(pollerTimeoutSec) },
      // As on AWS: loops can never take more than the registry's limits allow, whatever routes say.
      reservedConcurrency: pollerReservedConcurrency(registry.limits),
      // A loop re-invokes itself for ever: without Allow the recursion guard would stop it after ~16 calls.
      recursiveLoop: "Allow",
    });
    // Restart's reconcile takes the per-queue loop-count lock the scale functions take, in this table.
    await ensureTable(clients.dynamodb, ScalingEventsTable);
    await cloud.lambda.register({
      name: PlatformFunction.Restart,
      handler: resolveHandler(projectRoot, "packages/functions/src/restart.handler"),
      // A scan and a reconcile of every route; one interval is plenty, as on AWS.
      timeoutSec: Math.max(10, settings.restart.intervalSec * 2),
      memoryMb: 256,
      environment: { ...platformEnvironment, [EnvVar.ScalingEventsTable]: ScalingEventsTable.name },
      recursiveLoop: "Terminate",
    });

    const scaling = await deployLocalScaling({
      registry,
      stage,
      clients,
      lambda: cloud.lambda,
      region: cloud.region,
      accountId: cloud.accountId,
      platformEnvironment,
      projectRoot,
    });

    const scheduler =
      (options.scheduler ?? true)
        ? startScheduler({
            lambda: clients.lambda,
            functionName: PlatformFunction.Restart,
            intervalSec: settings.restart.intervalSec,
            region: cloud.region,
            accountId: cloud.accountId,
            logger,
          })
        : undefined;

    for (const line of report) logger.info(line);
    return {
      registry,
      routesStore,
      routeStoreKind,
      queues: deployed.map((q) => ({ name: q.name, url: q.url, dlqUrl: q.dlqUrl })),
      tables,
      platformEnvironment,
      clients,
      scheduler,
      scaling,
      report,
      async stopLoops() {
        await scheduler?.stop();
        for (const name of Object.values(PlatformFunction)) await cloud.lambda.unregister(name);
        await cloud.lambda.killEnvironments();
        // Requests the killed environments had sent may still be inside a service: let them finish.
        await new Promise((resolve) => setTimeout(resolve, 250));
      },
      async stop() {
        await scheduler?.stop();
        clients.destroy();
      },
    };
  } catch (error) {
    clients.destroy();
    throw error;
  }
}
