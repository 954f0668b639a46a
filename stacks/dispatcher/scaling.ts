import { EnvVar, PlatformFunction, tierDescription, tierMetricName } from "@sqs-dispatcher/config";
import { ArnFormat, Duration } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import { SnsAction } from "aws-cdk-lib/aws-cloudwatch-actions";
import { BillingMode } from "aws-cdk-lib/aws-dynamodb";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as sns from "aws-cdk-lib/aws-sns";
import { Table, Topic } from "sst/constructs";
import type { StackBuild } from "./context.js";
import { allow, type PlatformFunctionFactory, PlatformHandler } from "./functions.js";
import type { RoutesReadGrant } from "./grants.js";

/**
 * A scale topic's policy: CloudWatch may publish for the stage's alarms (`aws:SourceArn`) of this
 * account (`aws:SourceAccount`), and every other publisher is denied, including principals of the
 * account whose IAM policies allow sns:Publish (an explicit deny wins over their allow).
 */
export function restrictToStageAlarms(topic: sns.ITopic, stageAlarmsArn: string, account: string): void {
  topic.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: "CloudWatchAlarmsOfThisStage",
      effect: iam.Effect.ALLOW,
      principals: [new iam.ServicePrincipal("cloudwatch.amazonaws.com")],
      actions: ["sns:Publish"],
      resources: [topic.topicArn],
      conditions: {
        ArnLike: { "aws:SourceArn": stageAlarmsArn },
        StringEquals: { "aws:SourceAccount": account },
      },
    }),
  );
  topic.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: "NoOtherPublishers",
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ["sns:Publish"],
      resources: [topic.topicArn],
      // A missing aws:SourceArn (any IAM user or role) matches ArnNotLike, so only the alarms pass.
      conditions: { ArnNotLike: { "aws:SourceArn": stageAlarmsArn } },
    }),
  );
}

/** What the scale functions' grants cover. */
export interface ScalingResources {
  readonly platformFunction: PlatformFunctionFactory;
  readonly tokensTable: Table;
  readonly grantRoutesRead: RoutesReadGrant;
  readonly pollerArn: string;
  readonly routedQueueArns: string[];
}

/**
 * Scaling: alarm → topic → function. The scale functions remember each alarm transition
 * they acted on (a duplicate SNS delivery scales once); TTL keeps the table small.
 */
export function createScaling(
  { stack, registry, name }: StackBuild,
  { platformFunction, tokensTable, grantRoutesRead, pollerArn, routedQueueArns }: ScalingResources,
): void {
  const scalingEventsTable = new Table(stack, "ScalingEvents", {
    fields: { eventKey: "string" },
    primaryIndex: { partitionKey: "eventKey" },
    timeToLiveAttribute: "expiresAt",
    cdk: {
      table: {
        tableName: name("scaling-events"),
        billingMode: BillingMode.PAY_PER_REQUEST,
        pointInTimeRecovery: false,
      },
    },
  });
  // Topic ARNs from their names: the functions need them in their environment, and a GetAtt of a
  // topic that subscribes the function would be a dependency cycle.
  const topicArnOf = (topicName: string) => stack.formatArn({ service: "sns", resource: topicName });
  const alarmNamePrefix = name("");
  const scaleFunction = (id: string, logical: string, handler: string, topicName: string) => {
    const fn = platformFunction(stack, id, logical, handler, {
      timeout: 60,
      environment: {
        [EnvVar.ScalingEventsTable]: scalingEventsTable.tableName,
        // A notification from another topic, or about an alarm outside this prefix, is forged.
        [EnvVar.ScaleTopicArn]: topicArnOf(topicName),
        [EnvVar.AlarmNamePrefix]: alarmNamePrefix,
      },
    });
    // Transitions (claim/release) and the per-queue scaling lock (conditional put/delete).
    allow(fn, ["dynamodb:PutItem", "dynamodb:DeleteItem"], [scalingEventsTable.tableArn]);
    allow(
      fn,
      [
        "dynamodb:Query",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
      ],
      [tokensTable.tableArn],
    );
    grantRoutesRead(fn);
    allow(fn, ["lambda:InvokeFunction"], [pollerArn]);
    allow(fn, ["sqs:GetQueueUrl", "sqs:GetQueueAttributes"], routedQueueArns);
    return fn;
  };
  const scaleUpTopicName = name("scale-up");
  const scaleDownTopicName = name("scale-down");
  const scaleUp = scaleFunction(
    "ScaleUp",
    PlatformFunction.ScaleUp,
    PlatformHandler.scaleUp,
    scaleUpTopicName,
  );
  const scaleDown = scaleFunction(
    "ScaleDown",
    PlatformFunction.ScaleDown,
    PlatformHandler.scaleDown,
    scaleDownTopicName,
  );
  const scaleUpTopic = new Topic(stack, "ScaleUpTopic", {
    cdk: { topic: { topicName: scaleUpTopicName, enforceSSL: true } },
    subscribers: { scaleUp },
  });
  const scaleDownTopic = new Topic(stack, "ScaleDownTopic", {
    cdk: { topic: { topicName: scaleDownTopicName, enforceSSL: true } },
    subscribers: { scaleDown },
  });
  // Only CloudWatch, for this stage's alarms, may publish: anyone else in the account with
  // sns:Publish could otherwise forge an ALARM and start loops.
  const stageAlarms = stack.formatArn({
    service: "cloudwatch",
    resource: "alarm",
    resourceName: `${alarmNamePrefix}*`,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
  for (const topic of [scaleUpTopic.cdk.topic, scaleDownTopic.cdk.topic]) {
    restrictToStageAlarms(topic, stageAlarms, stack.account);
  }

  // One alarm per route tier, wired to both topics: ALARM scales up, OK scales down.
  for (const route of registry.routes) {
    route.alarms.forEach((tier, i) => {
      const alarm = new cloudwatch.Alarm(stack, `Alarm-${route.queue.name.replace(/\./g, "-")}-${i + 1}`, {
        // Named "-depth-<n>" whatever the metric: the tier's number is what names it (status and the local deploy rely on it).
        alarmName: name(`${route.queue.name}-depth-${i + 1}`),
        alarmDescription: tierDescription(route.queue.name, i + 1, tier),
        metric: new cloudwatch.Metric({
          namespace: "AWS/SQS",
          metricName: tierMetricName(tier),
          dimensionsMap: { QueueName: route.queue.name },
          period: Duration.seconds(tier.periodSec),
          statistic: cloudwatch.Stats.MAXIMUM,
        }),
        threshold: tier.threshold,
        evaluationPeriods: tier.evaluationPeriods,
        datapointsToAlarm: tier.datapointsToAlarm ?? tier.evaluationPeriods,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        // SQS stops publishing for an idle queue: missing data means "nothing waiting".
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      alarm.addAlarmAction(new SnsAction(scaleUpTopic.cdk.topic));
      alarm.addOkAction(new SnsAction(scaleDownTopic.cdk.topic));
    });
  }
}
