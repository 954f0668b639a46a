import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { type CloudWatchClient, GetMetricDataCommand, ListMetricsCommand } from "@aws-sdk/client-cloudwatch";
import { InvokeCommand, type LambdaClient } from "@aws-sdk/client-lambda";
import { CreateQueueCommand, SendMessageBatchCommand, type SQSClient } from "@aws-sdk/client-sqs";
import {
  createLocalClients,
  type LocalClients,
  type LocalCloud,
  startLocalCloud,
} from "@sqs-dispatcher/local";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../support/waitFor.js";

const run = promisify(execFile);
let cloud: LocalCloud;
let clients: LocalClients;
let cloudwatch: CloudWatchClient;
let lambda: LambdaClient;
let sqs: SQSClient;

beforeAll(async () => {
  cloud = await startLocalCloud({ port: 0 });
  clients = createLocalClients(cloud);
  ({ cloudwatch, lambda, sqs } = clients);
  await cloud.lambda.register({
    name: "emit-metrics",
    handler: "test/fixtures/functions/emitMetrics.handler",
    timeoutSec: 5,
    memoryMb: 128,
  });
});

afterAll(async () => {
  clients?.destroy();
  await cloud?.stop();
});

const dims = (queue: string) => [
  { Name: "Stage", Value: "itest" },
  { Name: "Queue", Value: queue },
];

async function emit(queue: string, succeeded: number, durationsMs: number[]) {
  const out = await lambda.send(
    new InvokeCommand({
      FunctionName: "emit-metrics",
      Payload: JSON.stringify({ stage: "itest", queue, succeeded, durationsMs }),
    }),
  );
  expect(out.FunctionError).toBeUndefined();
}

describe("EMF output of functions becomes metrics", () => {
  it("answers GetMetricData with sums and percentiles of what a function emitted in the last minute", async () => {
    await emit("orders", 7, [10, 20, 30, 40]);
    await emit("orders", 5, [100]);
    const result = await waitFor(
      async () => {
        const now = Date.now();
        const out = await cloudwatch.send(
          new GetMetricDataCommand({
            StartTime: new Date(now - 60_000),
            EndTime: new Date(now + 1_000),
            MetricDataQueries: ["Sum", "p50", "p99", "SampleCount"].map((stat, i) => ({
              Id: `q${i}`,
              MetricStat: {
                Metric: {
                  Namespace: "SqsDispatcher",
                  MetricName: stat === "Sum" ? "MessagesSucceeded" : "HandlerDuration",
                  Dimensions: dims("orders"),
                },
                Period: 3600,
                Stat: stat,
              },
            })),
          }),
        );
        const values = (out.MetricDataResults ?? []).map((r) => r.Values?.[0]);
        return values[0] === 12 ? out : undefined;
      },
      { timeoutMs: 10_000, description: "MessagesSucceeded summed to 12" },
    );
    const [sum, p50, p99, count] = result.MetricDataResults ?? [];
    expect(sum?.StatusCode).toBe("Complete");
    expect(sum?.Timestamps?.[0]).toBeInstanceOf(Date);
    expect(p50?.Values).toEqual([30]);
    expect(p99?.Values).toEqual([100]);
    expect(count?.Values).toEqual([5]);
  });

  it("lists the emitted metrics with ListMetrics, filtered by dimension", async () => {
    await emit("listed", 1, [5]);
    const metrics = await waitFor(
      async () => {
        const out = await cloudwatch.send(
          new ListMetricsCommand({
            Namespace: "SqsDispatcher",
            Dimensions: [{ Name: "Queue", Value: "listed" }],
          }),
        );
        return (out.Metrics?.length ?? 0) >= 2 ? out.Metrics : undefined;
      },
      { timeoutMs: 10_000, description: "two metrics of queue 'listed'" },
    );
    expect(metrics?.map((m) => m.MetricName).sort()).toEqual(["HandlerDuration", "MessagesSucceeded"]);
    expect(metrics?.[0]?.Dimensions).toEqual(expect.arrayContaining(dims("listed")));
  });

  it("serves the AWS CLI (CBOR) get-metric-data and list-metrics", async () => {
    await emit("cli", 3, [1]);
    const env = {
      ...process.env,
      AWS_ACCESS_KEY_ID: "test",
      AWS_SECRET_ACCESS_KEY: "test",
      AWS_DEFAULT_REGION: cloud.region,
    };
    const cli = async (...args: string[]) =>
      JSON.parse(
        (
          await run("aws", ["--endpoint-url", cloud.endpoint, "cloudwatch", ...args, "--output", "json"], {
            env,
          })
        ).stdout,
      ) as Record<string, unknown>;
    const listed = await waitFor(
      async () => {
        const out = (
          await cli("list-metrics", "--namespace", "SqsDispatcher", "--dimensions", "Name=Queue,Value=cli")
        )["Metrics"] as { MetricName: string }[];
        return out.length > 0 ? out : undefined;
      },
      { timeoutMs: 15_000, description: "the CLI listing queue 'cli''s metrics" },
    );
    expect(listed.map((m) => m.MetricName)).toContain("MessagesSucceeded");
    const now = Math.floor(Date.now() / 1000);
    const data = await cli(
      "get-metric-data",
      "--start-time",
      String(now - 120),
      "--end-time",
      String(now + 60),
      "--metric-data-queries",
      JSON.stringify([
        {
          Id: "ok",
          MetricStat: {
            Metric: { Namespace: "SqsDispatcher", MetricName: "MessagesSucceeded", Dimensions: dims("cli") },
            Period: 3600,
            Stat: "Sum",
          },
        },
      ]),
    );
    expect(data["MetricDataResults"]).toEqual([expect.objectContaining({ Id: "ok", Values: [3] })]);
  });

  it("refuses metric math rather than answering it wrongly", async () => {
    await expect(
      cloudwatch.send(
        new GetMetricDataCommand({
          StartTime: new Date(Date.now() - 60_000),
          EndTime: new Date(),
          MetricDataQueries: [{ Id: "m", Expression: "SUM(METRICS())" }],
        }),
      ),
    ).rejects.toMatchObject({ name: "InvalidParameterValueException" });
  });
});

describe("AWS/SQS metrics of every queue", () => {
  it("answers GetMetricData for ApproximateNumberOfMessagesVisible of a queue no alarm watches", async () => {
    const url = (await sqs.send(new CreateQueueCommand({ QueueName: "sampled" }))).QueueUrl;
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: url,
        Entries: [0, 1, 2].map((i) => ({ Id: String(i), MessageBody: `m${i}` })),
      }),
    );
    const visible = await waitFor(
      async () => {
        const now = Date.now();
        const out = await cloudwatch.send(
          new GetMetricDataCommand({
            StartTime: new Date(now - 60_000),
            EndTime: new Date(now + 1_000),
            MetricDataQueries: [
              {
                Id: "visible",
                MetricStat: {
                  Metric: {
                    Namespace: "AWS/SQS",
                    MetricName: "ApproximateNumberOfMessagesVisible",
                    Dimensions: [{ Name: "QueueName", Value: "sampled" }],
                  },
                  Period: 60,
                  Stat: "Maximum",
                },
              },
            ],
          }),
        );
        const values = out.MetricDataResults?.[0]?.Values ?? [];
        return values.includes(3) ? values : undefined;
      },
      { timeoutMs: 20_000, description: "the sampler seeing 3 visible messages" },
    );
    expect(visible).toContain(3);
  });
});
