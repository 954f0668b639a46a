// `@sqs-dispatcher/core/aws`: the adapters of core's ports over the AWS SDK. The composition roots
// (the functions, the CLI, the local deploy and the console) build their dependencies from these.
export { type AwsClientOptions, createAwsClients, createCloudWatchClient } from "./clients.js";
export { createCloudWatchAlarmDirectory } from "./cloudWatchAlarmDirectory.js";
export { createCloudWatchAlarmReader } from "./cloudWatchAlarmReader.js";
export { createCloudWatchMetricReader } from "./cloudWatchMetricReader.js";
export { createDynamoRouteStore } from "./dynamoRouteStore.js";
export { createEmfMetricsSink } from "./emfMetricsSink.js";
export { createLambdaFunctionInvoker } from "./functionInvoker.js";
export { createLambdaAccountSettingsReader } from "./lambdaAccountSettings.js";
export { createLambdaFunctionInfoReader } from "./lambdaFunctionInfo.js";
export { createDynamoLeaseStore } from "./leaseStore.js";
export { createLambdaLoopStarter } from "./loopStarter.js";
export { isMissingQueue } from "./missingQueue.js";
export { createSqsQueueClient } from "./queueClient.js";
export { type QueueDepth, readQueueDepth } from "./queueDepth.js";
export { createSqsQueueDepthReader } from "./queueDepthReader.js";
export { createDynamoQueueScalingLock } from "./queueScalingLock.js";
export { createDynamoScalingEventLog } from "./scalingEventLog.js";
export { createSqsDeadLetterQueues } from "./sqsDeadLetterQueues.js";
export { createSqsMessageForwarder } from "./sqsMessageForwarder.js";
export { createSqsQueueDirectory } from "./sqsQueueDirectory.js";
export { createSsmRouteStore } from "./ssmRouteStore.js";
