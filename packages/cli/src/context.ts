import path from "node:path";
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { SQSClient } from "@aws-sdk/client-sqs";
import { SSMClient } from "@aws-sdk/client-ssm";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import {
  awsResourceName,
  builtFunctions,
  loadRegistry,
  PlatformFunction,
  type Registry,
  RegistryModuleError,
  RegistryModuleProblem,
  type RouteStoreKind,
  routeParameterPath,
  settingsFor,
  stageAlarmNamePrefix,
  type Target,
} from "@sqs-dispatcher/config";
import {
  createFunctionInfoCache,
  type DeadLetterQueues,
  type LeaseStore,
  type Logger,
  type RouteStore,
  type StatusDeps,
  systemClock,
} from "@sqs-dispatcher/core";
import {
  createCloudWatchAlarmReader,
  createDynamoLeaseStore,
  createDynamoRouteStore,
  createLambdaAccountSettingsReader,
  createLambdaFunctionInfoReader,
  createLambdaLoopStarter,
  createSqsDeadLetterQueues,
  createSqsQueueDirectory,
  createSsmRouteStore,
} from "@sqs-dispatcher/core/aws";
import { resolveAwsRegion } from "./awsRegion.js";
import { CommandFailedError, UsageError } from "./cliErrors.js";
import type { GlobalFlags } from "./flags.js";
import type { CliIo } from "./io.js";

/** The local cloud's edge when `--local` is given without `--endpoint`. */
export const defaultLocalEndpoint = "http://127.0.0.1:4566";
/** The stage `deployLocal` writes the local routes under. */
export const localStage = "local";

/** Where a command acts: the local cloud (test credentials) or an AWS stage (the standard chain). */
export type CliTarget =
  | { kind: "local"; endpoint: string; region: string; stage: string }
  | {
      kind: "aws";
      stage: string;
      /** `--region`; once the context is built, the region its clients use (resolved as the SDK does). */
      region?: string;
      profile?: string;
    };

/** `--local`/`--endpoint` pick the local cloud; otherwise AWS with `--stage`, DISPATCHER_STAGE or `dev`. */
export function resolveTarget(flags: GlobalFlags, env: NodeJS.ProcessEnv): CliTarget {
  if (flags.local || flags.endpoint !== undefined) {
    if (flags.profile !== undefined)
      throw new UsageError("--profile: cannot be combined with --local/--endpoint");
    return {
      kind: "local",
      endpoint: flags.endpoint ?? defaultLocalEndpoint,
      region: flags.region ?? "us-east-1",
      stage: flags.stage ?? localStage,
    };
  }
  return {
    kind: "aws",
    stage: flags.stage ?? env["DISPATCHER_STAGE"] ?? "dev",
    region: flags.region,
    profile: flags.profile,
  };
}

/**
 * Loads the registry from `--config` or `dispatcher.config.ts` in the working folder. It is a
 * TypeScript module (`export default defineDispatcher({...})`), imported as is: the CLI runs under tsx.
 * A missing file is a usage error; one that cannot be loaded or exports nothing fails the command.
 */
async function registryOfFlag(configFlag: string | undefined, cwd: string): Promise<Registry> {
  try {
    return await loadRegistry(path.resolve(cwd, configFlag ?? "dispatcher.config.ts"));
  } catch (error) {
    if (!(error instanceof RegistryModuleError)) throw error;
    if (error.problem === RegistryModuleProblem.Missing) {
      const hint = configFlag === undefined ? " (run from the project root or pass --config PATH)" : "";
      throw new UsageError(`--config: ${error.message}${hint}`);
    }
    throw new CommandFailedError(error.message, {}, { cause: error.cause ?? error });
  }
}

/** Names of a stage's deployed resources: the registry name locally, the shared naming rule on AWS. */
export interface ResourceNames {
  /** The deployed name of a registry function. */
  functionName(registryName: string): string;
  poller: string;
  tokensTable: string;
  routesTable: string;
  routesPath: string;
  /** What the stage's alarm names start with (`<app>-<stage>-`, also on the local cloud). */
  alarmPrefix: string;
}

export function resourceNames(registry: Registry, target: CliTarget): ResourceNames {
  const physical = (name: string) =>
    target.kind === "local" ? name : awsResourceName(registry.app, target.stage, name);
  return {
    functionName: physical,
    poller: physical(PlatformFunction.Poller),
    tokensTable: physical("tokens"),
    routesTable: physical("routes"),
    routesPath: routeParameterPath(registry.app, target.stage),
    alarmPrefix: stageAlarmNamePrefix(registry.app, target.stage),
  };
}

/** Everything a command may use, built lazily so `routes list` does not build a Lambda client. */
export interface CliContext {
  registry: Registry;
  target: CliTarget;
  names: ResourceNames;
  routeStoreKind: RouteStoreKind;
  sqs: SQSClient;
  routes: RouteStore;
  leases: LeaseStore;
  lambda: LambdaClient;
  cloudwatch: CloudWatchClient;
  deadLetters: DeadLetterQueues;
  status: StatusDeps;
  logger: Logger;
  /** Closes every client built. */
  close(): void;
}

/** Writes warnings and errors to stderr as `warning: ...`; the CLI's stdout stays parseable. */
export function stderrLogger(io: CliIo): Logger {
  return {
    debug() {},
    info() {},
    warn: (message) => void io.stderr.write(`warning: ${message}\n`),
    error: (message) => void io.stderr.write(`error: ${message}\n`),
  };
}

export async function createContext(flags: GlobalFlags, io: CliIo): Promise<CliContext> {
  const env = io.env ?? process.env;
  const target = resolveTarget(flags, env);
  const registry = await registryOfFlag(flags.config, io.cwd ?? process.cwd());
  const names = resourceNames(registry, target);
  /** The functions the platform built, as routes store them (every other function is external). */
  const builtNames = new Set(builtFunctions(registry.functions).map(([name]) => names.functionName(name)));
  const settingsTarget: Target =
    target.kind === "local" ? { kind: "local" } : { kind: "aws", stage: target.stage };
  const routeStoreKind = settingsFor(registry, settingsTarget).routeStore;
  const clientConfig =
    target.kind === "local"
      ? {
          endpoint: target.endpoint,
          region: target.region,
          credentials: { accessKeyId: "test", secretAccessKey: "test" },
        }
      : {
          region: await resolveAwsRegion({
            ...(target.region !== undefined ? { region: target.region } : {}),
            ...(target.profile !== undefined ? { profile: target.profile } : {}),
          }),
          ...(target.profile !== undefined ? { profile: target.profile } : {}),
        };
  if (target.kind === "aws") target.region = clientConfig.region;
  const built: { destroy(): void }[] = [];
  const lazy = <T extends { destroy(): void }>(make: () => T) => {
    let client: T | undefined;
    return () => {
      if (client === undefined) {
        client = make();
        built.push(client);
      }
      return client;
    };
  };
  // Never the host a queue URL names: stored routes are data (see createAwsClients).
  const sqs = lazy(() => new SQSClient({ ...clientConfig, useQueueUrlAsEndpoint: false }));
  const dynamodb = lazy(() => new DynamoDBClient(clientConfig));
  const doc = () =>
    DynamoDBDocumentClient.from(dynamodb(), { marshallOptions: { removeUndefinedValues: true } });
  const ssm = lazy(() => new SSMClient(clientConfig));
  const lambda = lazy(() => new LambdaClient({ ...clientConfig, maxAttempts: 1 }));
  const cloudwatch = lazy(() => new CloudWatchClient(clientConfig));
  const logger = stderrLogger(io);

  let routes: RouteStore | undefined;
  let leases: LeaseStore | undefined;
  const context: CliContext = {
    registry,
    target,
    names,
    routeStoreKind,
    logger,
    get sqs() {
      return sqs();
    },
    get lambda() {
      return lambda();
    },
    get cloudwatch() {
      return cloudwatch();
    },
    get deadLetters() {
      return createSqsDeadLetterQueues({ sqs: sqs() });
    },
    get routes() {
      routes ??=
        routeStoreKind === "dynamodb"
          ? createDynamoRouteStore({ doc: doc(), tableName: names.routesTable })
          : createSsmRouteStore({ ssm: ssm(), path: names.routesPath });
      return routes;
    },
    get leases() {
      leases ??= createDynamoLeaseStore({ doc: doc(), tableName: names.tokensTable });
      return leases;
    },
    get status(): StatusDeps {
      return {
        routes: context.routes,
        leases: context.leases,
        queues: createSqsQueueDirectory({ sqs: sqs() }),
        alarms: createCloudWatchAlarmReader({ cloudwatch: cloudwatch(), alarmNamePrefix: names.alarmPrefix }),
        account: createLambdaAccountSettingsReader(lambda()),
        functions: {
          isBuilt: (ref) => builtNames.has(ref),
          info: createFunctionInfoCache({
            reader: createLambdaFunctionInfoReader(lambda()),
            clock: systemClock,
            ttlMs: 5_000,
          }),
        },
        clock: systemClock,
        logger,
        // A stored route over them is flagged as run time clamps it.
        limits: registry.limits,
      };
    },
    close() {
      for (const client of built) client.destroy();
    },
  };
  return context;
}

/** Starts loops by invoking the stage's poller asynchronously, as restart and scale-up do. */
export function loopStarterFor(context: CliContext) {
  return createLambdaLoopStarter(context.lambda, context.names.poller);
}
