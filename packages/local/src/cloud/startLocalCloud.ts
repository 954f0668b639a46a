import { optionalEnv } from "@sqs-dispatcher/config";
import { type Logger, silentLogger } from "@sqs-dispatcher/core";
import { createCloudWatchService } from "../cloudwatch/cloudWatchService.js";
import { createDynamoDbService } from "../dynamodb/dynamoDbService.js";
import { createEdgeServer, EDGE_HOST } from "../edge/edgeServer.js";
import type { LocalService } from "../edge/localService.js";
import { createRequestMeter, type RequestMeter } from "../edge/requestMeter.js";
import { createFaultInjector, type FaultInjector } from "../faults/faultInjector.js";
import type { FaultRuleInput } from "../faults/faultRule.js";
import { createLocalCredentials } from "../iam/localCredentials.js";
import { createLocalIam, type LocalIam } from "../iam/localIam.js";
import { createLambdaService, type LambdaService } from "../lambda/lambdaService.js";
import { createSnsLambdaDelivery } from "../snsLambda/snsLambdaDelivery.js";
import { createSqsSnsService, FAUXQS_ACCOUNT_ID } from "../sqs/sqsSnsService.js";
import { createSsmService } from "../ssm/ssmService.js";

/** Sets the local account's Lambda concurrency for `dispatcher cloud` and `dispatcher dev` (default 1000). */
export const LAMBDA_CONCURRENCY_ENV = "DISPATCHER_LAMBDA_CONCURRENCY";

/** The local account's Lambda concurrency: the option, else {@link LAMBDA_CONCURRENCY_ENV}, else undefined (1000). */
function lambdaConcurrencyOf(option: number | undefined): number | undefined {
  if (option !== undefined) return option;
  const raw = optionalEnv(LAMBDA_CONCURRENCY_ENV);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`${LAMBDA_CONCURRENCY_ENV} must be a positive whole number, not '${raw}'`);
  }
  return value;
}

/** The edge port LocalStack and most AWS tooling expect. */
export const DEFAULT_EDGE_PORT = 4566;

export interface LocalCloudOptions {
  /** Edge port on 127.0.0.1; `0` picks a free one. Default 4566. */
  readonly port?: number;
  /**
   * Persist DynamoDB (`<dataDir>/dynamodb`), SSM (`<dataDir>/ssm.json`) and the functions created
   * through the Lambda API (`<dataDir>/lambda`); in memory when absent.
   */
  readonly dataDir?: string;
  /** Default `us-east-1`. */
  readonly region?: string;
  /** Default `000000000000`, the account fauxqs names every queue with. */
  readonly accountId?: string;
  readonly logger?: Logger;
  /**
   * The account's Lambda concurrency (executions at once across all functions), as
   * `GetAccountSettings` reports it. Default: `DISPATCHER_LAMBDA_CONCURRENCY`, else 1000, AWS's
   * default quota.
   */
  readonly lambdaConcurrency?: number;
  /** Faults to inject from the start (see {@link FaultInjector}); change them later with `cloud.faults.set`. */
  readonly faults?: readonly FaultRuleInput[];
  /**
   * Evaluate every request a function makes against its role's policies, as the stack synthesizes
   * them (installed by `deployLocal`), and answer AWS's AccessDenied when they do not allow it.
   * Requests with other credentials (the CLI's, a test's) are the operator's and always allowed.
   */
  readonly enforceIam?: boolean;
}

/** A running local cloud: every service behind one endpoint. */
export interface LocalCloud {
  /** `http://127.0.0.1:PORT`: give it to SDK clients as `endpoint` or export it as `AWS_ENDPOINT_URL`. */
  readonly endpoint: string;
  readonly port: number;
  readonly region: string;
  readonly accountId: string;
  /** SigV4 signing names the edge answers (`sqs`, `sns`, `dynamodb`, `ssm`, `lambda`, ...). */
  readonly services: readonly string[];
  /** Register functions here; invoke them through the endpoint. */
  readonly lambda: LambdaService;
  /** Fault injection at the edge: AWS's own errors for a share of chosen operations. */
  readonly faults: FaultInjector;
  /** Requests served so far, per `service:operation`, in all and per calling function. */
  readonly requests: RequestMeter;
  /** Each function's credentials and role, and (with `enforceIam`) what each role used and was refused. */
  readonly iam: LocalIam;
  /** Frees the port and releases every service. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Starts SQS, SNS, DynamoDB, SSM Parameter Store and Lambda behind one edge on 127.0.0.1.
 *
 * @example
 * const cloud = await startLocalCloud({ port: 0 });
 * const sqs = new SQSClient({ endpoint: cloud.endpoint, region: cloud.region, credentials: { accessKeyId: "test", secretAccessKey: "test" } });
 * // ...
 * await cloud.stop();
 */
export async function startLocalCloud(options: LocalCloudOptions = {}): Promise<LocalCloud> {
  const region = options.region ?? "us-east-1";
  const accountId = options.accountId ?? FAUXQS_ACCOUNT_ID;
  const logger = options.logger ?? silentLogger;
  const requestedPort = options.port ?? DEFAULT_EDGE_PORT;
  const lambdaConcurrency = lambdaConcurrencyOf(options.lambdaConcurrency);
  if (accountId !== FAUXQS_ACCOUNT_ID) {
    logger.warn("SQS and SNS ARNs and queue URLs keep fauxqs's account 000000000000", { accountId });
  }

  let boundEndpoint: string | undefined;
  // Services learn the endpoint lazily: the port is known only once the edge listens.
  const endpoint = () => {
    if (boundEndpoint === undefined) throw new Error("the local cloud's edge is not listening yet");
    return boundEndpoint;
  };

  const started: LocalService[] = [];
  const track = async <S extends LocalService>(service: Promise<S>): Promise<S> => {
    const s = await service;
    started.push(s);
    return s;
  };
  const closeAll = async () => {
    const results = await Promise.allSettled(started.map((service) => service.close()));
    const failures = results.flatMap((r) => (r.status === "rejected" ? [r.reason] : []));
    if (failures.length > 0) throw new AggregateError(failures, "some local services failed to close");
  };

  const iam = createLocalIam({
    credentials: createLocalCredentials(),
    enforce: options.enforceIam ?? false,
    region,
    accountId,
    logger,
  });
  let lambda: LambdaService;
  let services: LocalService[];
  try {
    const [sqsSns, dynamodb, ssm] = await Promise.all([
      track(createSqsSnsService({ endpoint, region, logger })),
      track(createDynamoDbService({ region, accountId, ...dir(options.dataDir) })),
      track(createSsmService({ region, accountId, logger, ...dir(options.dataDir) })),
    ]);
    const cloudwatch = await track(
      Promise.resolve(createCloudWatchService({ endpoint, region, accountId, logger })),
    );
    lambda = await track(
      Promise.resolve(
        createLambdaService({
          endpoint,
          region,
          accountId,
          logger,
          ...(lambdaConcurrency !== undefined ? { maxConcurrency: lambdaConcurrency } : {}),
          // Lambda's log pipeline turns EMF lines into metrics: function output goes to CloudWatch.
          onFunctionOutput: (line) => cloudwatch.ingestOutput(line),
          // Lambda publishes AWS/Lambda metrics (invocations, concurrency, duration) to CloudWatch.
          onMetric: (identity, sample) => cloudwatch.metricData.put(identity, sample),
          // Each function calls with its own role's credentials, as Lambda gives it its role's session.
          credentialsOf: (functionName) => iam.credentials.issue(functionName),
          ...dir(options.dataDir),
        }),
      ),
    );
    // A background service: SNS lambda subscriptions delivered through the Lambda API.
    await track(Promise.resolve(createSnsLambdaDelivery({ endpoint, region, logger })));
    // The edge routes by signing name: a new service is one more entry here.
    services = [sqsSns, dynamodb, ssm, lambda, cloudwatch];
  } catch (error) {
    await closeAll().catch(() => undefined);
    throw error;
  }

  const faults = createFaultInjector();
  faults.set(options.faults ?? []);
  const requests = createRequestMeter({ callerOf: (key) => iam.credentials.functionOf(key) });
  const edge = createEdgeServer({ services, logger, faults, meter: requests, gate: iam });
  let port: number;
  try {
    port = await edge.listen(requestedPort);
  } catch (error) {
    await closeAll().catch(() => undefined);
    throw error;
  }
  boundEndpoint = `http://${EDGE_HOST}:${port}`;
  logger.info("local cloud started", { endpoint: boundEndpoint, services: edge.signingNames });

  let stopping: Promise<void> | undefined;
  return {
    endpoint: boundEndpoint,
    port,
    region,
    accountId,
    services: edge.signingNames,
    lambda,
    faults,
    requests,
    iam,
    stop() {
      stopping ??= (async () => {
        // The port goes first so nothing new arrives while the services wind down.
        try {
          await edge.close();
        } finally {
          await closeAll();
        }
        logger.info("local cloud stopped", { port });
      })();
      return stopping;
    },
  };
}

function dir(dataDir: string | undefined): { dataDir?: string } {
  return dataDir === undefined ? {} : { dataDir };
}
