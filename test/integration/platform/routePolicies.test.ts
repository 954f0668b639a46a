import { GetMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
} from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestPlatform, type TestPlatform, testRegistry } from "../support/testPlatform.js";
import { waitFor } from "../support/waitFor.js";

/**
 * Route policies end to end on the local platform: filters evaluated in the poller before the
 * invoke, each `onNoMatch` action, a live filter edit, and `maxRate`.
 */
const registry = testRegistry({
  routes: [
    {
      queue: { name: "pol-forward", visibilityTimeoutSec: 10 },
      function: "record",
      filters: [{ body: { type: ["order"] } }],
      onNoMatch: "forward:pol-forward-parked",
    },
    {
      queue: { name: "pol-delete", visibilityTimeoutSec: 10 },
      function: "record",
      filters: [
        { body: { type: ["order"] } },
        { messageAttributes: { priority: { stringValue: ["high"] } } },
      ],
    },
    {
      queue: { name: "pol-invoke", visibilityTimeoutSec: 10 },
      function: "record",
      filters: [{ body: { total: [{ numeric: [">", 100] }] } }],
      onNoMatch: "invoke:powertoolsRecord",
    },
    {
      queue: { name: "pol-live", visibilityTimeoutSec: 10 },
      function: "record",
      filters: [{ body: { type: ["a"] } }],
      onNoMatch: "forward:pol-live-parked",
    },
    {
      queue: { name: "pol-rate", visibilityTimeoutSec: 10 },
      function: "noop",
      minLoops: 1,
      maxLoops: 1,
      maxRate: 50,
    },
  ],
});

let platform: TestPlatform;
const parked: Record<string, string> = {};

beforeAll(async () => {
  platform = await startTestPlatform(registry);
  // Forward targets are ordinary queues outside the registry (the CLI refuses a missing one).
  for (const name of ["pol-forward-parked", "pol-live-parked"]) {
    const out = await platform.deployment.clients.sqs.send(new CreateQueueCommand({ QueueName: name }));
    parked[name] = out.QueueUrl!;
  }
}, 120_000);

afterAll(async () => {
  await platform?.stop();
});

/** Sends bodies with message attributes, in batches of 10; returns their messageIds in order. */
async function sendWithAttributes(
  queueName: string,
  messages: readonly { body: object; attributes?: Record<string, string> }[],
): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < messages.length; i += 10) {
    const chunk = messages.slice(i, i + 10);
    const out = await platform.deployment.clients.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: platform.queueUrl(queueName),
        Entries: chunk.map((m, j) => ({
          Id: String(j),
          MessageBody: JSON.stringify(m.body),
          MessageAttributes: Object.fromEntries(
            Object.entries(m.attributes ?? {}).map(([k, v]) => [k, { DataType: "String", StringValue: v }]),
          ),
        })),
      }),
    );
    if (out.Failed?.length) throw new Error(`send failed: ${JSON.stringify(out.Failed)}`);
    const byId = new Map((out.Successful ?? []).map((s) => [s.Id, s.MessageId!]));
    for (let j = 0; j < chunk.length; j++) ids.push(byId.get(String(j))!);
  }
  return ids;
}

/**
 * Receives and deletes from a parked queue until `count` messages that `wanted` accepts came,
 * within a deadline; returns those.
 */
async function drainParked(
  queueUrl: string,
  count: number,
  description: string,
  wanted: (m: Message) => boolean = () => true,
): Promise<Message[]> {
  const seen: Message[] = [];
  const { sqs } = platform.deployment.clients;
  return waitFor(
    async () => {
      const out = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 1,
          MessageAttributeNames: ["All"],
        }),
      );
      for (const m of out.Messages ?? []) {
        if (wanted(m)) seen.push(m);
        await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle! }));
      }
      return seen.length >= count && seen;
    },
    { timeoutMs: 30_000, intervalMs: 0, description },
  );
}

const empty = async (queueName: string) => {
  const { visible, inFlight } = await platform.depth(platform.queueUrl(queueName));
  return visible === 0 && inFlight === 0;
};

/** The sum of a route metric of the poller over the last two minutes (EMF → the local CloudWatch). */
async function routeMetric(queue: string, metric: string): Promise<number> {
  const now = Date.now();
  const out = await platform.deployment.clients.cloudwatch.send(
    new GetMetricDataCommand({
      StartTime: new Date(now - 120_000),
      EndTime: new Date(now + 1_000),
      MetricDataQueries: [
        {
          Id: "m",
          MetricStat: {
            Metric: {
              Namespace: "SqsDispatcher",
              MetricName: metric,
              Dimensions: [
                { Name: "Stage", Value: "local" },
                { Name: "Queue", Value: queue },
              ],
            },
            Period: 60,
            Stat: "Sum",
          },
        },
      ],
    }),
  );
  return (out.MetricDataResults?.[0]?.Values ?? []).reduce((a, b) => a + b, 0);
}

describe("route filters", () => {
  it("forward: every message no filter matches arrives on the target queue with its attributes; nothing is lost", async () => {
    const orders = Array.from({ length: 20 }, (_, i) => ({ body: { type: "order", n: i } }));
    const others = Array.from({ length: 20 }, (_, i) => ({
      body: { type: "refund", n: i },
      attributes: { tenant: `t-${i}`, kind: "refund" },
    }));
    const ids = await sendWithAttributes("pol-forward", [...orders, ...others]);
    const orderIds = ids.slice(0, 20);

    const arrived = await drainParked(parked["pol-forward-parked"]!, 20, "20 forwarded refunds");
    expect(arrived).toHaveLength(20);
    expect(arrived.map((m) => (JSON.parse(m.Body!) as { n: number }).n).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 20 }, (_, i) => i),
    );
    for (const m of arrived) {
      const n = (JSON.parse(m.Body!) as { type: string; n: number }).n;
      expect(Object.keys(m.MessageAttributes ?? {}).sort()).toEqual(["kind", "tenant"]);
      expect(m.MessageAttributes).toMatchObject({
        tenant: { DataType: "String", StringValue: `t-${n}` },
        kind: { DataType: "String", StringValue: "refund" },
      });
    }
    await waitFor(async () => (await platform.processed(orderIds)).size === 20, {
      timeoutMs: 30_000,
      description: "the 20 orders handled",
    });
    const processed = await platform.processed(ids);
    expect([...processed.keys()].sort()).toEqual([...orderIds].sort());
    await waitFor(() => empty("pol-forward"), { timeoutMs: 20_000, description: "pol-forward drained" });
    await waitFor(async () => (await routeMetric("pol-forward", "MessagesForwarded")) === 20, {
      timeoutMs: 30_000,
      description: "MessagesForwarded of pol-forward reaching 20",
    });
  });

  it("delete: messages no filter matches are gone, never handled, not in the DLQ, and counted", async () => {
    const ids = await sendWithAttributes("pol-delete", [
      ...Array.from({ length: 10 }, (_, i) => ({ body: { type: "order", n: i } })),
      ...Array.from({ length: 5 }, (_, i) => ({
        body: { type: "note", n: i },
        attributes: { priority: "high" },
      })),
      ...Array.from({ length: 15 }, (_, i) => ({
        body: { type: "noise", n: i },
        attributes: { priority: "low" },
      })),
    ]);
    const kept = ids.slice(0, 15);
    await waitFor(async () => (await platform.processed(kept)).size === 15, {
      timeoutMs: 30_000,
      description: "the 15 matching messages handled",
    });
    await waitFor(() => empty("pol-delete"), { timeoutMs: 20_000, description: "pol-delete drained" });
    expect((await platform.processed(ids.slice(15))).size).toBe(0);
    const dlq = await platform.depth(platform.dlqUrl("pol-delete"));
    expect(dlq.visible + dlq.inFlight).toBe(0);
    await waitFor(async () => (await routeMetric("pol-delete", "MessagesDropped")) === 15, {
      timeoutMs: 30_000,
      description: "MessagesDropped of pol-delete reaching 15",
    });
    expect(await routeMetric("pol-delete", "MessagesMatched")).toBe(15);
  });

  it("invoke: the second function records what no filter matches, the route's handler the rest", async () => {
    const ids = await sendWithAttributes(
      "pol-invoke",
      Array.from({ length: 20 }, (_, i) => ({ body: { total: i % 2 === 0 ? 500 : 5, n: i } })),
    );
    await waitFor(async () => (await platform.processed(ids)).size === 20, {
      timeoutMs: 30_000,
      description: "all 20 handled by one function or the other",
    });
    const processed = await platform.processed(ids);
    ids.forEach((id, i) => {
      expect(processed.get(id)?.handledBy, `message ${i}`).toBe(i % 2 === 0 ? "record" : "powertoolsRecord");
    });
    await waitFor(() => empty("pol-invoke"), { timeoutMs: 20_000, description: "pol-invoke drained" });
  });

  it("a live filter edit takes effect within the route cache TTL", async () => {
    const ttlMs = registry.local.poller.routeCacheTtlSec! * 1000;
    const current = await platform.deployment.routesStore.get("pol-live");
    await platform.deployment.routesStore.put({
      ...current!,
      filters: [{ body: { type: ["b"] } }],
      source: "edit",
      updatedAt: Date.now(),
    });
    const editedAt = Date.now();
    // Probes of type b go through only once the loops read the edited route.
    const probes: string[] = [];
    await waitFor(
      async () => {
        probes.push(...(await platform.send("pol-live", [{ type: "b", probe: probes.length }])));
        return (await platform.processed(probes)).size > 0;
      },
      { timeoutMs: ttlMs + 10_000, intervalMs: 500, description: "a type-b probe handled after the edit" },
    );
    expect(Date.now() - editedAt).toBeLessThanOrEqual(ttlMs + 10_000);

    const ids = await platform.send("pol-live", [
      ...Array.from({ length: 5 }, (_, i) => ({ type: "a", n: i })),
      ...Array.from({ length: 5 }, (_, i) => ({ type: "b", n: i })),
    ]);
    await waitFor(async () => (await platform.processed(ids.slice(5))).size === 5, {
      timeoutMs: 20_000,
      description: "the type-b messages handled under the new filter",
    });
    // The parked queue also holds the probes forwarded before the edit applied: count the type-a messages.
    const isA = (m: Message) => (JSON.parse(m.Body!) as { type: string }).type === "a";
    const forwardedA = await drainParked(
      parked["pol-live-parked"]!,
      5,
      "the 5 type-a messages forwarded",
      isA,
    );
    expect(forwardedA).toHaveLength(5);
    expect((await platform.processed(ids.slice(0, 5))).size).toBe(0);
  });
});

describe("route rate limit", () => {
  it("maxRate 50 drains 1,000 messages in no less than 19 s", async () => {
    const startedAt = Date.now();
    await platform.send(
      "pol-rate",
      Array.from({ length: 1_000 }, (_, i) => ({ n: i })),
    );
    await waitFor(() => empty("pol-rate"), {
      timeoutMs: 90_000,
      intervalMs: 250,
      description: "pol-rate drained",
    });
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(19_000);
  }, 120_000);
});
