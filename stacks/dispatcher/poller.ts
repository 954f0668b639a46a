import { PlatformFunction, pollerReservedConcurrency } from "@sqs-dispatcher/config";
import { EnvVar } from "@sqs-dispatcher/functions/runtime/environment";
import * as lambda from "aws-cdk-lib/aws-lambda";
import type { Function as SstFunction, Table } from "sst/constructs";
import type { StackBuild } from "./context.js";
import { handlerFunctionArns } from "./functionGrants.js";
import { allow, createDispatcherFunction, functionArn, PlatformHandler } from "./functions.js";
import type { RoutesReadGrant } from "./grants.js";

/** What the poller's grants cover. */
export interface PollerResources {
  readonly platformEnvironment: Record<string, string>;
  readonly tokensTable: Table;
  readonly routedQueueArns: string[];
  readonly forwardTargetArns: string[];
  readonly grantRoutesRead: RoutesReadGrant;
}

/** The poller: the one function allowed to invoke itself indefinitely. */
export function createPollerFunction(
  build: StackBuild,
  { platformEnvironment, tokensTable, routedQueueArns, forwardTargetArns, grantRoutesRead }: PollerResources,
): { poller: SstFunction; pollerArn: string } {
  const { stack, settings, name } = build;
  const pollerName = name(PlatformFunction.Poller);
  const poller = createDispatcherFunction(stack, "Poller", pollerName, {
    handler: PlatformHandler.poller,
    timeout: settings.poller.timeoutSec,
    memorySize: settings.poller.memoryMb,
    environment: { ...platformEnvironment, [EnvVar.PollerTimeoutSec]: String(settings.poller.timeoutSec) },
    // Loops can never take the whole account, whatever the stored routes say (docs/limits.md).
    reservedConcurrentExecutions: pollerReservedConcurrency(build.registry.limits),
    recursiveLoop: lambda.RecursiveLoop.ALLOW,
  });
  // DeleteMessageBatch and ChangeMessageVisibilityBatch are authorized as their single forms.
  allow(
    poller,
    ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"],
    routedQueueArns,
  );
  // The ARN is built from the name: a GetAtt on the poller itself would be a dependency cycle.
  const pollerArn = functionArn(stack, pollerName);
  const handlerArns = handlerFunctionArns(build);
  allow(poller, ["lambda:InvokeFunction"], [pollerArn, ...handlerArns]);
  // What a loop reads of its route's function (timeout, reserved concurrency), cached.
  if (handlerArns.length > 0) {
    allow(poller, ["lambda:GetFunctionConfiguration", "lambda:GetFunctionConcurrency"], handlerArns);
  }
  allow(poller, ["dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:Query"], [tokensTable.tableArn]);
  grantRoutesRead(poller);
  // onNoMatch "forward:<queue>": SendMessageBatch is authorized as SendMessage. Run-time routes may forward
  // to the registry's queues and routableQueues (`routes set` refuses any other), so those are granted too.
  allow(
    poller,
    ["sqs:GetQueueUrl", "sqs:SendMessage"],
    [...new Set([...forwardTargetArns, ...routedQueueArns])],
  );
  return { poller, pollerArn };
}
