import { PlatformFunction, tierAlarmName, tierDescription, tierMetricName } from "@sqs-dispatcher/config";
import { EnvVar } from "@sqs-dispatcher/functions/runtime/environment";
import { ArnFormat, Duration } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import { SnsAction } from "aws-cdk-lib/aws-cloudwatch-actions";
import { BillingMode } from "aws-cdk-lib/aws-dynamodb";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as sns from "aws-cdk-lib/aws-sns";
import { Table, Topic } from "sst/constructs";
import type { StackBuild } from "./context.js";
import { StackConfigurationError } from "./errors.js";
import { allow, type PlatformFunctionFactory, PlatformHandler } from "./functions.js";
import type { RoutesReadGrant } from "./grants.js";

/** SNS's limit on a topic policy, bytes. */
const topicPolicyMaxBytes = 30_720;

/**
 * A scale topic's policy: CloudWatch may publish for exactly the stage's tier alarms
 * (`aws:SourceArn` equal to one of their ARNs, no wildcard: stage `prod-eu`'s alarms share
 * `prod`'s prefix) of this account (`aws:SourceAccount`), and every other publisher is denied,
 * including principals of the account whose IAM policies allow sns:Publish (an explicit deny
 * wins over their allow). With no alarms, nobody may publish.
 */
export function restrictToStageAlarms(
  topic: sns.ITopic,
  alarmArns: readonly string[],
  account: string,
): void {
  if (alarmArns.length > 0) {
    topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: "CloudWatchAlarmsOfThisStage",
        effect: iam.Effect.ALLOW,
        principals: [new iam.ServicePrincipal("cloudwatch.amazonaws.com")],
        actions: ["sns:Publish"],
        resources: [topic.topicArn],
        conditions: {
          ArnEquals: { "aws:SourceArn": [...alarmArns] },
          StringEquals: { "aws:SourceAccount": account },
        },
      }),
    );
  }
  topic.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: "NoOtherPublishers",
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ["sns:Publish"],
      resources: [topic.topicArn],
      // A missing aws:SourceArn (any IAM user or role) matches ArnNotEquals, so only the alarms pass.
      ...(alarmArns.length > 0 ? { conditions: { ArnNotEquals: { "aws:SourceArn": [...alarmArns] } } } : {}),
    }),
  );
}

/**
 * The `scaling-events` table: the alarm transitions the scale functions acted on (a duplicate SNS
 * delivery scales once), and the per-queue lock that scale-up, scale-down and restart's reconcile
 * take to change a queue's loop count. TTL keeps it small.
 */
export function createScalingEventsTable({ stack, name }: StackBuild): Table {
  return new Table(stack, "ScalingEvents", {
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
}

/** What the scale functions' grants cover. */
export interface ScalingResources {
  readonly platformFunction: PlatformFunctionFactory;
  readonly tokensTable: Table;
  readonly scalingEventsTable: Table;
  readonly grantRoutesRead: RoutesReadGrant;
  readonly pollerArn: string;
  readonly routedQueueArns: string[];
}

/**
 * Scaling: alarm → topic → function. The scale functions remember each alarm transition
 * they acted on in `scalingEventsTable` (a duplicate SNS delivery scales once).
 */
export function createScaling(
  { stack, registry, stage, name }: StackBuild,
  {
    platformFunction,
    tokensTable,
    scalingEventsTable,
    grantRoutesRead,
    pollerArn,
    routedQueueArns,
  }: ScalingResources,
): void {
  // Topic ARNs from their names: the functions need them in their environment, and a GetAtt of a
  // topic that subscribes the function would be a dependency cycle.
  const topicArnOf = (topicName: string) => stack.formatArn({ service: "sns", resource: topicName });
  // Exactly the stage's tier alarms: the topic policy, the DescribeAlarms grant and the functions'
  // own check (`tierAlarmName`, from DISPATCHER_APP and DISPATCHER_STAGE) name the same ones.
  const tierAlarms = registry.routes.flatMap((route) =>
    route.alarms.map((tier, i) => ({
      route,
      tier,
      number: i + 1,
      name: tierAlarmName(registry.app, stage, route.queue.name, i + 1),
    })),
  );
  const alarmArnOf = (alarmName: string) =>
    stack.formatArn({
      service: "cloudwatch",
      resource: "alarm",
      resourceName: alarmName,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
  const alarmArns = tierAlarms.map((a) => alarmArnOf(a.name));
  const policyBytes = 2 * alarmArns.reduce((n, a) => n + a.length + 80, 0) + 1_000;
  if (policyBytes > topicPolicyMaxBytes) {
    throw new StackConfigurationError(
      `the scale topics' policies list each of the ${alarmArns.length} tier alarms by ARN (about ${policyBytes} bytes), above SNS's ${topicPolicyMaxBytes}-byte policy limit: use fewer alarm tiers, or depth-mode scaling for some routes`,
    );
  }
  const scaleFunction = (id: string, logical: string, handler: string, topicName: string) => {
    const fn = platformFunction(stack, id, logical, handler, {
      timeout: 60,
      environment: {
        [EnvVar.ScalingEventsTable]: scalingEventsTable.tableName,
        // A notification from another topic, or about another alarm than the stage's tier alarms, is forged.
        [EnvVar.ScaleTopicArn]: topicArnOf(topicName),
        [EnvVar.App]: registry.app,
      },
    });
    // Each notification is checked against CloudWatch, by exact name, on the stage's alarms alone.
    if (alarmArns.length > 0) allow(fn, ["cloudwatch:DescribeAlarms"], alarmArns);
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
  for (const topic of [scaleUpTopic.cdk.topic, scaleDownTopic.cdk.topic]) {
    restrictToStageAlarms(topic, alarmArns, stack.account);
  }

  // One alarm per route tier, wired to both topics: ALARM scales up, OK scales down.
  for (const { route, tier, number, name: alarmName } of tierAlarms) {
    const alarm = new cloudwatch.Alarm(stack, `Alarm-${route.queue.name.replace(/\./g, "-")}-${number}`, {
      // `tierAlarmName`: "-depth-<n>" whatever the metric; status, the local deploy and the scale functions rely on it.
      alarmName,
      alarmDescription: tierDescription(route.queue.name, number, tier),
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
  }
}
