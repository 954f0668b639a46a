import path from "node:path";
import {
  type MetricAlarm as CloudWatchMetricAlarm,
  DeleteAlarmsCommand,
  DescribeAlarmsCommand,
  PutMetricAlarmCommand,
} from "@aws-sdk/client-cloudwatch";
import { CreateTopicCommand, SubscribeCommand } from "@aws-sdk/client-sns";
import {
  PlatformFunction,
  type Registry,
  tierAlarmName,
  tierDescription,
  tierMetricName,
} from "@sqs-dispatcher/config";
import type { LocalFunctionDefinition } from "../lambda/functionDefinition.js";
import { ensureTable, type TableSpec } from "../platform/ensureTable.js";
import type { LocalClients } from "../platform/localClients.js";

/**
 * The table where the scale functions remember the alarm transitions they acted on
 * (a transition delivered twice scales once). TTL attribute `expiresAt` (epoch seconds);
 * dynalite does not expire items, which only means the local table keeps them.
 */
export const ScalingEventsTable = {
  name: "scaling-events",
  partitionKey: "eventKey",
} as const satisfies TableSpec;

export interface DeployLocalScalingInput {
  registry: Registry;
  stage: string;
  clients: Pick<LocalClients, "sns" | "cloudwatch" | "dynamodb">;
  lambda: { register(def: LocalFunctionDefinition): Promise<void> };
  region: string;
  accountId: string;
  /** The environment the platform functions share (tokens table, route store, poller name, ...). */
  platformEnvironment: Record<string, string>;
  /** Folder `packages/functions/...` is relative to. */
  projectRoot: string;
}

export interface LocalScaling {
  scaleUpTopicArn: string;
  scaleDownTopicArn: string;
  /** The alarm names, one per route tier, in registry order. */
  alarmNames: string[];
  /** The environment of the scale functions. */
  environment: Record<string, string>;
}

/**
 * Deploys alarm scaling locally as the SST stack does on AWS: the `scaling-events` table, the
 * `scale-up` and `scale-down` functions, their SNS topics with `lambda` subscriptions, and one
 * CloudWatch alarm per route tier on `AWS/SQS ApproximateNumberOfMessagesVisible` (or
 * `ApproximateAgeOfOldestMessage` for an age tier; Maximum,
 * `>= threshold`, missing data not breaching) whose ALARM action is the scale-up topic and OK
 * action the scale-down topic. Idempotent; alarms of tiers no longer in the registry are deleted.
 */
export async function deployLocalScaling(input: DeployLocalScalingInput): Promise<LocalScaling> {
  const { registry, stage, clients } = input;
  await ensureTable(clients.dynamodb, ScalingEventsTable);
  const environment = { ...input.platformEnvironment, SCALING_EVENTS_TABLE: ScalingEventsTable.name };

  const topics: Record<string, string> = {};
  for (const [fn, handler] of [
    [PlatformFunction.ScaleUp, "scaleUp"],
    [PlatformFunction.ScaleDown, "scaleDown"],
  ] as const) {
    // The topic first: the function checks that every record it gets was delivered from it.
    const topicArn = (
      await clients.sns.send(new CreateTopicCommand({ Name: `${registry.app}-${stage}-${fn}` }))
    ).TopicArn!;
    await input.lambda.register({
      name: fn,
      handler: `${path.resolve(input.projectRoot, `packages/functions/src/${handler}`)}.handler`,
      timeoutSec: 30,
      memoryMb: 256,
      environment: { ...environment, SCALE_TOPIC_ARN: topicArn },
      recursiveLoop: "Terminate",
    });
    // Subscribe is idempotent for the same topic, protocol and endpoint.
    await clients.sns.send(
      new SubscribeCommand({
        TopicArn: topicArn,
        Protocol: "lambda",
        Endpoint: `arn:aws:lambda:${input.region}:${input.accountId}:function:${fn}`,
      }),
    );
    topics[fn] = topicArn;
  }
  const scaleUpTopicArn = topics[PlatformFunction.ScaleUp]!;
  const scaleDownTopicArn = topics[PlatformFunction.ScaleDown]!;

  const alarmNames: string[] = [];
  for (const route of registry.routes) {
    for (const [i, tier] of route.alarms.entries()) {
      const name = tierAlarmName(registry.app, stage, route.queue.name, i + 1);
      alarmNames.push(name);
      await clients.cloudwatch.send(
        new PutMetricAlarmCommand({
          AlarmName: name,
          AlarmDescription: tierDescription(route.queue.name, i + 1, tier),
          Namespace: "AWS/SQS",
          MetricName: tierMetricName(tier),
          Dimensions: [{ Name: "QueueName", Value: route.queue.name }],
          Statistic: "Maximum",
          Period: tier.periodSec,
          EvaluationPeriods: tier.evaluationPeriods,
          DatapointsToAlarm: tier.datapointsToAlarm ?? tier.evaluationPeriods,
          Threshold: tier.threshold,
          ComparisonOperator: "GreaterThanOrEqualToThreshold",
          TreatMissingData: "notBreaching",
          AlarmActions: [scaleUpTopicArn],
          OKActions: [scaleDownTopicArn],
        }),
      );
    }
  }

  const prefix = `${registry.app}-${stage}-`;
  const existing: CloudWatchMetricAlarm[] = [];
  let token: string | undefined;
  do {
    const page = await clients.cloudwatch.send(
      new DescribeAlarmsCommand({ AlarmNamePrefix: prefix, MaxRecords: 100, NextToken: token }),
    );
    existing.push(...(page.MetricAlarms ?? []));
    token = page.NextToken;
  } while (token);
  const stale = existing
    .map((a) => a.AlarmName ?? "")
    .filter((n) => /-depth-\d+$/.test(n) && !alarmNames.includes(n));
  for (let i = 0; i < stale.length; i += 100) {
    await clients.cloudwatch.send(new DeleteAlarmsCommand({ AlarmNames: stale.slice(i, i + 100) }));
  }

  return { scaleUpTopicArn, scaleDownTopicArn, alarmNames, environment };
}
