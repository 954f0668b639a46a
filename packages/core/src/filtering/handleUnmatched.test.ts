import { describe, expect, it } from "vitest";
import type { FunctionInvoker, InvokeResult } from "../dispatch/ports.js";
import type { SqsEvent } from "../dispatch/sqsEvent.js";
import { AmbiguousInvokeError, HandlerNotRunError, NotRunReason } from "../errors.js";
import { silentLogger } from "../logger.js";
import type { MetricsSink, PollerMetric } from "../metrics/ports.js";
import type { QueueMessage } from "../queue/ports.js";
import { type HandleUnmatchedDeps, handleUnmatched } from "./handleUnmatched.js";
import type { MessageForwarder } from "./ports.js";

const queueUrl = "http://127.0.0.1:4566/000000000000/orders";

function message(id: string, group?: string): QueueMessage {
  return {
    messageId: id,
    receiptHandle: `rh-${id}`,
    body: `{"id":"${id}"}`,
    md5OfBody: "",
    attributes: group === undefined ? {} : { MessageGroupId: group },
    messageAttributes: { kind: { dataType: "String", stringValue: "other" } },
  };
}

class MemoryForwarder implements MessageForwarder {
  sent: { queueName: string; ids: string[] }[] = [];
  /** Each call takes the next answer: messageIds to refuse, or an error to throw. */
  answers: (string[] | Error)[] = [];
  async forward(queueName: string, messages: readonly QueueMessage[]): Promise<string[]> {
    const answer = this.answers.shift() ?? [];
    if (answer instanceof Error) throw answer;
    this.sent.push({
      queueName,
      ids: messages.filter((m) => !answer.includes(m.messageId)).map((m) => m.messageId),
    });
    return answer.filter((id) => messages.some((m) => m.messageId === id));
  }
}

class MemoryInvoker implements FunctionInvoker {
  calls: { functionName: string; event: SqsEvent }[] = [];
  answers: (InvokeResult | Error)[] = [];
  async invoke(functionName: string, payloadJson: string): Promise<InvokeResult> {
    const answer = this.answers.shift() ?? {};
    if (answer instanceof Error) throw answer;
    this.calls.push({ functionName, event: JSON.parse(payloadJson) as SqsEvent });
    return answer;
  }
  async probe(): Promise<void> {}
}

class MemoryMetrics implements MetricsSink {
  counts = new Map<string, number>();
  add(queueName: string, metric: PollerMetric, value: number): void {
    this.counts.set(`${queueName}/${metric}`, (this.counts.get(`${queueName}/${metric}`) ?? 0) + value);
  }
  flush(): void {}
}

function setup() {
  const forwarder = new MemoryForwarder();
  const invoker = new MemoryInvoker();
  const metrics = new MemoryMetrics();
  const sleeps: number[] = [];
  const time = { now: 0, left: Number.POSITIVE_INFINITY };
  const clock = {
    sleep: async (ms: number) => {
      sleeps.push(ms);
      time.now += ms;
    },
    monotonic: () => time.now,
  };
  const retry = { baseMs: 100, maxMs: 1_000, random: () => 0.5 };
  const deps: HandleUnmatchedDeps = {
    forwarder,
    invoke: {
      invoker,
      clock,
      retry,
      logger: silentLogger,
      // The invocation's time: an invoke may start while `time.left` ms remain after it.
      mayStartInvoke: (afterMs) => time.now + afterMs < time.left,
      observer: { refused() {}, waiting() {}, ran() {} },
    },
    metrics,
    clock,
    retry,
    logger: silentLogger,
    region: "us-east-1",
  };
  return { deps, forwarder, invoker, metrics, sleeps, time };
}

const throttled = () => Object.assign(new Error("slow down"), { name: "ThrottlingException" });
const invokeThrottled = () =>
  new HandlerNotRunError("audit", NotRunReason.Throttled, "429 TooManyRequestsException");

describe("handleUnmatched", () => {
  it("settles every message for onNoMatch delete (and unset), counted as dropped", async () => {
    const { deps, forwarder, invoker, metrics } = setup();
    const messages = [message("a"), message("b")];
    for (const onNoMatch of ["delete", undefined]) {
      const out = await handleUnmatched(deps, { queueName: "orders", queueUrl, onNoMatch }, messages);
      expect(out.action).toBe("delete");
      expect(out.settled.map((m) => m.messageId)).toEqual(["a", "b"]);
      expect(out.failed.size).toBe(0);
    }
    expect(metrics.counts.get("orders/MessagesDropped")).toBe(4);
    expect(forwarder.sent).toEqual([]);
    expect(invoker.calls).toEqual([]);
  });

  it("forwards, retries the entries SQS refused, and settles only what was sent", async () => {
    const { deps, forwarder, metrics, sleeps } = setup();
    forwarder.answers = [["b"], throttled(), []];
    const out = await handleUnmatched(
      deps,
      { queueName: "orders", queueUrl, onNoMatch: "forward:orders-parked" },
      [message("a"), message("b"), message("c")],
    );
    expect(forwarder.sent).toEqual([
      { queueName: "orders-parked", ids: ["a", "c"] },
      { queueName: "orders-parked", ids: ["b"] },
    ]);
    expect(out.settled.map((m) => m.messageId)).toEqual(["a", "b", "c"]);
    expect(out.failed.size).toBe(0);
    expect(metrics.counts.get("orders/MessagesForwarded")).toBe(3);
    expect(sleeps).toHaveLength(2);
  });

  it("leaves unsent messages in the queue, and on FIFO the rest of their group behind them", async () => {
    const { deps, forwarder, metrics } = setup();
    forwarder.answers = [["a"], ["a"], ["a"]];
    const out = await handleUnmatched(
      deps,
      { queueName: "orders.fifo", queueUrl: `${queueUrl}.fifo`, onNoMatch: "forward:parked.fifo" },
      [message("a", "g1"), message("b", "g2"), message("c", "g1")],
    );
    expect([...out.failed].sort()).toEqual(["a", "c"]);
    expect(out.settled.map((m) => m.messageId)).toEqual(["b"]);
    expect(metrics.counts.get("orders.fifo/MessagesForwarded")).toBe(1);
  });

  it("gives up at once when the target cannot be sent to, losing nothing", async () => {
    const { deps, forwarder } = setup();
    forwarder.answers = [Object.assign(new Error("no such queue"), { name: "QueueDoesNotExist" })];
    const out = await handleUnmatched(deps, { queueName: "orders", queueUrl, onNoMatch: "forward:gone" }, [
      message("a"),
    ]);
    expect(out.settled).toEqual([]);
    expect([...out.failed]).toEqual(["a"]);
  });

  it("invokes the second function with a Lambda SQS event and settles what it did not fail", async () => {
    const { deps, invoker } = setup();
    invoker.answers = [{ payload: { batchItemFailures: [{ itemIdentifier: "b" }] } }];
    const out = await handleUnmatched(deps, { queueName: "orders", queueUrl, onNoMatch: "invoke:audit" }, [
      message("a"),
      message("b"),
    ]);
    expect(invoker.calls).toHaveLength(1);
    expect(invoker.calls[0]?.functionName).toBe("audit");
    expect(
      invoker.calls[0]?.event.Records.map((r) => [r.messageId, r.eventSource, r.eventSourceARN]),
    ).toEqual([
      ["a", "aws:sqs", "arn:aws:sqs:us-east-1:000000000000:orders"],
      ["b", "aws:sqs", "arn:aws:sqs:us-east-1:000000000000:orders"],
    ]);
    expect(invoker.calls[0]?.event.Records[0]?.messageAttributes["kind"]?.stringValue).toBe("other");
    expect(out.settled.map((m) => m.messageId)).toEqual(["a"]);
    expect([...out.failed]).toEqual(["b"]);
  });

  it("retries a throttled second function while time is left, then reports what it never saw", async () => {
    const { deps, invoker, time } = setup();
    invoker.answers = [invokeThrottled(), {}];
    const ok = await handleUnmatched(deps, { queueName: "orders", queueUrl, onNoMatch: "invoke:audit" }, [
      message("a"),
    ]);
    expect(ok.settled.map((m) => m.messageId)).toEqual(["a"]);
    expect(invoker.calls).toHaveLength(1);

    time.left = time.now + 500;
    invoker.answers = Array.from({ length: 20 }, invokeThrottled);
    const refused = await handleUnmatched(
      deps,
      { queueName: "orders", queueUrl, onNoMatch: "invoke:audit" },
      [message("a"), message("b")],
    );
    expect(refused.settled).toEqual([]);
    expect(refused.failed.size).toBe(0);
    expect(refused.notRun.map((m) => m.messageId)).toEqual(["a", "b"]);
  });

  it("does not retry an ambiguous invoke, and fails the batch on a function error", async () => {
    const { deps, invoker } = setup();
    invoker.answers = [new AmbiguousInvokeError("socket hang up")];
    const ambiguous = await handleUnmatched(
      deps,
      { queueName: "orders", queueUrl, onNoMatch: "invoke:audit" },
      [message("a")],
    );
    expect(ambiguous.settled).toEqual([]);
    expect([...ambiguous.failed]).toEqual(["a"]);
    expect(invoker.answers).toHaveLength(0);

    invoker.answers = [{ functionError: "Unhandled", payload: { errorMessage: "boom" } }];
    const errored = await handleUnmatched(
      deps,
      { queueName: "orders", queueUrl, onNoMatch: "invoke:audit" },
      [message("a")],
    );
    expect(errored.settled).toEqual([]);
    expect([...errored.failed]).toEqual(["a"]);
  });

  it("splits the no-match function's event under the payload limit", async () => {
    const { deps, invoker } = setup();
    deps.payloadLimitBytes = 700;
    const out = await handleUnmatched(deps, { queueName: "orders", queueUrl, onNoMatch: "invoke:audit" }, [
      message("a"),
      message("b"),
      message("c"),
    ]);
    expect(invoker.calls.length).toBeGreaterThan(1);
    expect(invoker.calls.flatMap((c) => c.event.Records.map((r) => r.messageId))).toEqual(["a", "b", "c"]);
    expect(out.settled).toHaveLength(3);
  });

  it("does nothing for no messages", async () => {
    const { deps, forwarder, invoker, metrics } = setup();
    const out = await handleUnmatched(deps, { queueName: "orders", queueUrl, onNoMatch: "forward:x" }, []);
    expect(out).toEqual({ action: "forward", settled: [], failed: new Set(), notRun: [] });
    expect(forwarder.sent).toEqual([]);
    expect(invoker.calls).toEqual([]);
    expect(metrics.counts.size).toBe(0);
  });
});
