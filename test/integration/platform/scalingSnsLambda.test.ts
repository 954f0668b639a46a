import { CreateTopicCommand, PublishCommand, SNSClient, SubscribeCommand } from "@aws-sdk/client-sns";
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { type LocalCloud, startLocalCloud } from "@sqs-dispatcher/local";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../support/waitFor.js";

const credentials = { accessKeyId: "test", secretAccessKey: "test" };
let cloud: LocalCloud;
let sqs: SQSClient;
let sns: SNSClient;

beforeAll(async () => {
  cloud = await startLocalCloud({ port: 0 });
  const config = { endpoint: cloud.endpoint, region: cloud.region, credentials };
  sqs = new SQSClient(config);
  sns = new SNSClient(config);
});

afterAll(async () => {
  sqs?.destroy();
  sns?.destroy();
  await cloud?.stop();
});

describe("SNS → Lambda delivery", () => {
  it("delivers a publish to a lambda subscription as an SNS event of AWS's shape", async () => {
    const recordQueue = (await sqs.send(new CreateQueueCommand({ QueueName: "sns-lambda-record" })))
      .QueueUrl!;
    await cloud.lambda.register({
      name: "snsRecorder",
      handler: "test/fixtures/functions/snsRecorder.handler",
      timeoutSec: 10,
      memoryMb: 128,
      environment: { RECORD_QUEUE_URL: recordQueue },
    });
    const functionArn = `arn:aws:lambda:${cloud.region}:${cloud.accountId}:function:snsRecorder`;
    const topicArn = (await sns.send(new CreateTopicCommand({ Name: "sns-lambda-topic" }))).TopicArn!;
    const subscriptionArn = (
      await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: "lambda", Endpoint: functionArn }))
    ).SubscriptionArn!;

    // The subscription is picked up asynchronously: keep publishing until one arrives.
    let published: string | undefined;
    const received = await waitFor(
      async () => {
        published = (
          await sns.send(
            new PublishCommand({
              TopicArn: topicArn,
              Subject: "hello",
              Message: '{"greeting":"hi"}',
              MessageAttributes: { kind: { DataType: "String", StringValue: "test" } },
            }),
          )
        ).MessageId;
        const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: recordQueue, WaitTimeSeconds: 1 }));
        const m = out.Messages?.[0];
        if (!m) return undefined;
        await sqs.send(new DeleteMessageCommand({ QueueUrl: recordQueue, ReceiptHandle: m.ReceiptHandle }));
        return JSON.parse(m.Body ?? "null") as { Records: Record<string, unknown>[] };
      },
      { timeoutMs: 30_000, description: "an SNS event at the fixture function" },
    );
    expect(published).toBeDefined();
    expect(received.Records).toHaveLength(1);
    const record = received.Records[0]!;
    expect(record).toMatchObject({
      EventSource: "aws:sns",
      EventVersion: "1.0",
      EventSubscriptionArn: subscriptionArn,
      Sns: {
        Type: "Notification",
        TopicArn: topicArn,
        Subject: "hello",
        Message: '{"greeting":"hi"}',
        SignatureVersion: "1",
        MessageAttributes: { kind: { Type: "String", Value: "test" } },
      },
    });
    const body = record["Sns"] as Record<string, unknown>;
    expect(body["MessageId"]).toEqual(expect.any(String));
    expect(Number.isNaN(Date.parse(String(body["Timestamp"])))).toBe(false);
    expect(body["Signature"]).toEqual(expect.any(String));
    expect(body["SigningCertUrl"]).toEqual(expect.stringMatching(/^https:\/\//));
    expect(body["UnsubscribeUrl"]).toContain(subscriptionArn);
  });
});
