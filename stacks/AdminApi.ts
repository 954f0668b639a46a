import {
  adminApiCacheKeyParameters,
  adminApiCacheTtlSec,
  adminApiMethods,
  adminApiRequestParameters,
  EnvVar,
  PlatformFunction,
} from "@sqs-dispatcher/config";
import { ArnFormat, Duration, RemovalPolicy } from "aws-cdk-lib";
import * as apigateway from "aws-cdk-lib/aws-apigateway";
import * as logs from "aws-cdk-lib/aws-logs";
import { type StackContext, use } from "sst/constructs";
import { allow, Dispatcher, type DispatcherOutputs, logRetention, PlatformHandler } from "./Dispatcher.js";

/** API Gateway stage of the admin API (part of its URL). */
export const adminApiStageName = "v1";

/**
 * The stage's throttle: requests per second and burst. Every uncached `GET /queues` page costs up
 * to 50 GetQueueAttributes and tokens Queries, so a caller in a loop must not multiply that.
 */
export const adminApiThrottle = { rateLimit: 5, burstLimit: 10 } as const;

/**
 * Builds the admin API stack on top of a Dispatcher stack function (the same function
 * identity the app was given, so `use` finds it).
 */
export function createAdminApiStack(dispatcher: (ctx: StackContext) => DispatcherOutputs) {
  return function AdminApi({ stack }: StackContext) {
    const d = use(dispatcher);

    const alarmNamePrefix = d.resourceName("");
    const fn = d.platformFunction(
      stack,
      "AdminApiFunction",
      PlatformFunction.AdminApi,
      PlatformHandler.adminApi,
      {
        // API Gateway gives up after 29 s.
        timeout: 29,
        environment: { [EnvVar.AlarmNamePrefix]: alarmNamePrefix },
      },
    );
    allow(fn, ["dynamodb:Query", "dynamodb:GetItem"], [d.tokensTable.tableArn]);
    d.grantRoutesRead(fn);
    // Status covers every queue the account lists, not only routed ones: read-only
    // metadata, scoped to this account and region rather than "*".
    const accountQueues = stack.formatArn({
      service: "sqs",
      resource: "*",
      arnFormat: ArnFormat.NO_RESOURCE_NAME,
    });
    allow(fn, ["sqs:ListQueues", "sqs:GetQueueUrl", "sqs:GetQueueAttributes"], [accountQueues]);
    // The account's concurrency for status's headroom; GetAccountSettings has no resource-level scope.
    allow(fn, ["lambda:GetAccountSettings"], ["*"]);
    // Only this stage's alarms (`<app>-<stage>-*`), as the handler asks with ALARM_NAME_PREFIX.
    allow(
      fn,
      ["cloudwatch:DescribeAlarms"],
      [
        stack.formatArn({
          service: "cloudwatch",
          resource: "alarm",
          resourceName: `${alarmNamePrefix}*`,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      ],
    );

    const api = new apigateway.RestApi(stack, "AdminRestApi", {
      restApiName: d.resourceName("admin-api"),
      description: "sqs-dispatcher status: GET /queues, GET /queues/{name}?view=summary|loops",
      // The account-wide API Gateway logging role is an account setting, not this app's to change.
      cloudWatchRole: false,
      defaultMethodOptions: { authorizationType: apigateway.AuthorizationType.IAM },
      deployOptions: {
        stageName: adminApiStageName,
        cacheClusterEnabled: true,
        cacheClusterSize: "0.5",
        cachingEnabled: true,
        cacheTtl: Duration.seconds(adminApiCacheTtlSec),
        cacheDataEncrypted: true,
        throttlingRateLimit: adminApiThrottle.rateLimit,
        throttlingBurstLimit: adminApiThrottle.burstLimit,
        // Who asked what, for every request (IAM caller, path, status); needs the account's API Gateway
        // CloudWatch Logs role, which docs/deploy.md says how to set once per account and region.
        accessLogDestination: new apigateway.LogGroupLogDestination(
          new logs.LogGroup(stack, "AdminApiAccessLogs", {
            logGroupName: `/aws/apigateway/${d.resourceName("admin-api")}/access`,
            retention: logRetention,
            removalPolicy: RemovalPolicy.DESTROY,
          }),
        ),
        accessLogFormat: apigateway.AccessLogFormat.jsonWithStandardFields(),
      },
    });
    for (const method of adminApiMethods) {
      const resource = api.root.resourceForPath(method.resource);
      resource.addMethod(
        method.httpMethod,
        new apigateway.LambdaIntegration(fn, {
          proxy: true,
          // Without these, every queue and every view would share one cached response.
          cacheKeyParameters: adminApiCacheKeyParameters(method),
        }),
        {
          authorizationType: apigateway.AuthorizationType.IAM,
          requestParameters: adminApiRequestParameters(method),
        },
      );
    }

    stack.addOutputs({ AdminApiUrl: api.url });
    return { api, function: fn };
  };
}

/** The admin API of this project's registry. */
export const AdminApi = createAdminApiStack(Dispatcher);
