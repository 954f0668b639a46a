import { execFile } from "node:child_process";
import { promisify } from "node:util";
import {
  CloudWatchClient,
  DeleteAlarmsCommand,
  DescribeAlarmsCommand,
  PutMetricAlarmCommand,
  type PutMetricAlarmCommandInput,
  SetAlarmStateCommand,
} from "@aws-sdk/client-cloudwatch";
import { CreateTopicCommand, SNSClient, SubscribeCommand } from "@aws-sdk/client-sns";
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { type LocalCloud, startLocalCloud } from "@sqs-dispatcher/local";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../support/waitFor.js";

const run = promisify(execFile);
const credentials = { accessKeyId: "test", secretAccessKey: "test" };
let cloud: LocalCloud;
let cloudwatch: CloudWatchClient;
let sqs: SQSClient;
let sns: SNSClient;

beforeAll(async () => {
  cloud = await startLocalCloud({ port: 0 });
  const config = { endpoint: cloud.endpoint, region: cloud.region, credentials };
  cloudwatch = new CloudWatchClient(config);
  sqs = new SQSClient(config);
  sns = new SNSClient(config);
});

afterAll(async () => {
  cloudwatch?.destroy();
  sqs?.destroy();
  sns?.destroy();
  await cloud?.stop();
});

function alarm(
  name: string,
  overrides: Partial<PutMetricAlarmCommandInput> = {},
): PutMetricAlarmCommandInput {
  return {
    AlarmName: name,
    Namespace: "AWS/SQS",
    MetricName: "ApproximateNumberOfMessagesVisible",
    Dimensions: [{ Name: "QueueName", Value: "nowhere" }],
    Statistic: "Maximum",
    Period: 60,
    EvaluationPeriods: 1,
    Threshold: 10,
    ComparisonOperator: "GreaterThanOrEqualToThreshold",
    ...overrides,
  };
}

describe("local CloudWatch alarms API (SDK v3, AWS JSON 1.0)", () => {
  it("creates, describes with filters and pages, and deletes alarms", async () => {
    for (let i = 0; i < 7; i++) await cloudwatch.send(new PutMetricAlarmCommand(alarm(`api-${i}`)));
    await cloudwatch.send(new PutMetricAlarmCommand(alarm("other-1", { AlarmDescription: "d" })));

    const one = await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: ["api-3"] }));
    expect(one.MetricAlarms).toHaveLength(1);
    const a = one.MetricAlarms?.[0];
    expect(a).toMatchObject({
      AlarmName: "api-3",
      AlarmArn: `arn:aws:cloudwatch:${cloud.region}:${cloud.accountId}:alarm:api-3`,
      StateValue: "INSUFFICIENT_DATA",
      MetricName: "ApproximateNumberOfMessagesVisible",
      Namespace: "AWS/SQS",
      Dimensions: [{ Name: "QueueName", Value: "nowhere" }],
      Threshold: 10,
      ActionsEnabled: true,
    });
    expect(a?.AlarmConfigurationUpdatedTimestamp).toBeInstanceOf(Date);

    const pages: string[][] = [];
    let token: string | undefined;
    do {
      const page = await cloudwatch.send(
        new DescribeAlarmsCommand({ AlarmNamePrefix: "api-", MaxRecords: 3, NextToken: token }),
      );
      pages.push((page.MetricAlarms ?? []).map((x) => x.AlarmName ?? ""));
      token = page.NextToken;
    } while (token);
    expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
    expect(pages.flat()).toEqual(Array.from({ length: 7 }, (_, i) => `api-${i}`));

    await cloudwatch.send(
      new SetAlarmStateCommand({ AlarmName: "api-0", StateValue: "ALARM", StateReason: "testing" }),
    );
    const inAlarm = await cloudwatch.send(
      new DescribeAlarmsCommand({ StateValue: "ALARM", AlarmNamePrefix: "api-" }),
    );
    expect(inAlarm.MetricAlarms?.map((x) => x.AlarmName)).toEqual(["api-0"]);
    expect(inAlarm.MetricAlarms?.[0]?.StateReason).toBe("testing");

    await expect(
      cloudwatch.send(new DeleteAlarmsCommand({ AlarmNames: ["api-1", "missing"] })),
    ).rejects.toMatchObject({
      name: "ResourceNotFound",
    });
    await cloudwatch.send(new DeleteAlarmsCommand({ AlarmNames: ["api-1", "api-2"] }));
    const left = await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNamePrefix: "api-" }));
    expect(left.MetricAlarms?.map((x) => x.AlarmName)).toEqual(["api-0", "api-3", "api-4", "api-5", "api-6"]);
  });

  it("refuses invalid requests with CloudWatch's error names", async () => {
    await expect(
      cloudwatch.send(new SetAlarmStateCommand({ AlarmName: "nope", StateValue: "OK", StateReason: "x" })),
    ).rejects.toMatchObject({ name: "ResourceNotFound" });
    await expect(
      cloudwatch.send(
        new PutMetricAlarmCommand(alarm("bad", { DatapointsToAlarm: 3, EvaluationPeriods: 2 })),
      ),
    ).rejects.toMatchObject({ name: "InvalidParameterValueException" });
    await expect(
      cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: ["a"], AlarmNamePrefix: "a" })),
    ).rejects.toMatchObject({ name: "InvalidParameterCombinationException" });
  });
});

describe("alarm evaluator", () => {
  it("goes OK → ALARM → OK on a real queue's depth and publishes AWS's notification to the action topics", async () => {
    const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: "eval-work" }))).QueueUrl!;
    const inbox = (await sqs.send(new CreateQueueCommand({ QueueName: "eval-inbox" }))).QueueUrl!;
    const inboxArn = (
      await sqs.send(new GetQueueAttributesCommand({ QueueUrl: inbox, AttributeNames: ["QueueArn"] }))
    ).Attributes?.["QueueArn"];
    const topicArn = (await sns.send(new CreateTopicCommand({ Name: "eval-alarms" }))).TopicArn!;
    await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: "sqs", Endpoint: inboxArn }));
    await cloudwatch.send(
      new PutMetricAlarmCommand(
        alarm("eval-depth", {
          Dimensions: [{ Name: "QueueName", Value: "eval-work" }],
          Threshold: 5,
          Statistic: "Average",
          AlarmActions: [topicArn],
          OKActions: [topicArn],
          AlarmDescription: "depth of eval-work",
        }),
      ),
    );

    const nextNotification = () =>
      waitFor(
        async () => {
          const out = await sqs.send(
            new ReceiveMessageCommand({ QueueUrl: inbox, WaitTimeSeconds: 1, MaxNumberOfMessages: 1 }),
          );
          const m = out.Messages?.[0];
          if (!m) return undefined;
          await sqs.send(
            new DeleteMessageBatchCommand({
              QueueUrl: inbox,
              Entries: [{ Id: "0", ReceiptHandle: m.ReceiptHandle }],
            }),
          );
          const envelope = JSON.parse(m.Body ?? "{}") as {
            Subject?: string;
            Message: string;
            TopicArn: string;
          };
          return { envelope, message: JSON.parse(envelope.Message) as Record<string, unknown> };
        },
        { timeoutMs: 30_000, description: "an alarm notification" },
      );

    // An empty queue: INSUFFICIENT_DATA → OK.
    const first = await nextNotification();
    expect(first.message).toMatchObject({ OldStateValue: "INSUFFICIENT_DATA", NewStateValue: "OK" });

    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: Array.from({ length: 8 }, (_, i) => ({ Id: String(i), MessageBody: `m${i}` })),
      }),
    );
    const alarmed = await nextNotification();
    expect(alarmed.envelope.TopicArn).toBe(topicArn);
    expect(alarmed.envelope.Subject).toBe('ALARM: "eval-depth" in US East (N. Virginia)');
    expect(alarmed.message).toMatchObject({
      AlarmName: "eval-depth",
      AlarmDescription: "depth of eval-work",
      AWSAccountId: cloud.accountId,
      NewStateValue: "ALARM",
      OldStateValue: "OK",
      Region: "US East (N. Virginia)",
      AlarmArn: `arn:aws:cloudwatch:${cloud.region}:${cloud.accountId}:alarm:eval-depth`,
      AlarmActions: [topicArn],
      OKActions: [topicArn],
      InsufficientDataActions: [],
      Trigger: {
        MetricName: "ApproximateNumberOfMessagesVisible",
        Namespace: "AWS/SQS",
        StatisticType: "Statistic",
        Statistic: "AVERAGE",
        Unit: null,
        Dimensions: [{ value: "eval-work", name: "QueueName" }],
        Period: 60,
        EvaluationPeriods: 1,
        DatapointsToAlarm: 1,
        ComparisonOperator: "GreaterThanOrEqualToThreshold",
        Threshold: 5,
        TreatMissingData: "missing",
        EvaluateLowSampleCountPercentile: "",
      },
    });
    expect(String(alarmed.message["NewStateReason"])).toMatch(
      /^Threshold Crossed: 1 out of the last 1 datapoints \[8\.0/,
    );
    expect(String(alarmed.message["StateChangeTime"])).toMatch(
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/,
    );

    // Drain it: ALARM → OK.
    for (;;) {
      const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10 }));
      if (!out.Messages?.length) break;
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: out.Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
        }),
      );
    }
    const recovered = await nextNotification();
    expect(recovered.message).toMatchObject({ OldStateValue: "ALARM", NewStateValue: "OK" });
  });

  it("honours DatapointsToAlarm and TreatMissingData", async () => {
    await sqs.send(new CreateQueueCommand({ QueueName: "eval-m-of-n" }));
    await cloudwatch.send(
      new PutMetricAlarmCommand(
        alarm("eval-breaching-missing", {
          Dimensions: [{ Name: "QueueName", Value: "no-such-queue" }],
          TreatMissingData: "breaching",
          EvaluationPeriods: 2,
          DatapointsToAlarm: 2,
        }),
      ),
    );
    await cloudwatch.send(
      new PutMetricAlarmCommand(
        alarm("eval-ignore-missing", {
          Dimensions: [{ Name: "QueueName", Value: "no-such-queue" }],
          TreatMissingData: "ignore",
        }),
      ),
    );
    const state = async (name: string) =>
      (await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: [name] }))).MetricAlarms?.[0]
        ?.StateValue;
    await waitFor(async () => (await state("eval-breaching-missing")) === "ALARM", {
      timeoutMs: 30_000,
      description: "missing data treated as breaching",
    });
    // Missing data ignored: the alarm keeps its initial state however many periods pass.
    expect(await state("eval-ignore-missing")).toBe("INSUFFICIENT_DATA");
  });
});

describe("AWS CLI (Smithy RPC v2 CBOR)", () => {
  it("describes and sets alarms", async () => {
    // Missing data ignored, so the evaluator does not take the forced state back before we look.
    await cloudwatch.send(new PutMetricAlarmCommand(alarm("cli-alarm", { TreatMissingData: "ignore" })));
    const env = {
      ...process.env,
      AWS_ACCESS_KEY_ID: "test",
      AWS_SECRET_ACCESS_KEY: "test",
      AWS_DEFAULT_REGION: cloud.region,
    };
    const cli = (...args: string[]) =>
      run("aws", ["--endpoint-url", cloud.endpoint, "cloudwatch", ...args], { env });
    await cli(
      "set-alarm-state",
      "--alarm-name",
      "cli-alarm",
      "--state-value",
      "ALARM",
      "--state-reason",
      "from the CLI",
    );
    const { stdout } = await cli("describe-alarms", "--alarm-names", "cli-alarm", "--output", "json");
    const out = JSON.parse(stdout) as {
      MetricAlarms: { AlarmName: string; StateValue: string; StateReason: string }[];
    };
    expect(out.MetricAlarms).toHaveLength(1);
    expect(out.MetricAlarms[0]).toMatchObject({
      AlarmName: "cli-alarm",
      StateValue: "ALARM",
      StateReason: "from the CLI",
    });
    const failed = await cli(
      "set-alarm-state",
      "--alarm-name",
      "nope",
      "--state-value",
      "OK",
      "--state-reason",
      "x",
    ).catch((error: { stderr: string }) => error);
    expect("stderr" in failed ? failed.stderr : "").toMatch(/ResourceNotFound/);
  });
});
