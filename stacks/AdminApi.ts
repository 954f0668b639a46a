import {
  adminApiCacheKeyParameters,
  adminApiCacheTtlSec,
  adminApiMethods,
  adminApiRequestParameters,
  PlatformFunction,
} from "@sqs-dispatcher/config";
import { EnvVar } from "@sqs-dispatcher/functions/runtime/environment";
import { ArnFormat, Duration } from "aws-cdk-lib";
import * as apigateway from "aws-cdk-lib/aws-apigateway";
import { type StackContext, use } from "sst/constructs";
import { allow, Dispatcher, type DispatcherOutputs, PlatformHandler } from "./Dispatcher.js";

/** API Gateway stage of the admin API (part of its URL). */
export const adminApiStageName = "v1";

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
    // DescribeAlarms is narrowed by ALARM_NAME_PREFIX in the call; the statement names this account's alarms.
    allow(
      fn,
      ["cloudwatch:DescribeAlarms"],
      [
        stack.formatArn({
          service: "cloudwatch",
          resource: "alarm",
          resourceName: "*",
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
