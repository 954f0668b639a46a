import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  QueueDoesNotExist,
  SetQueueAttributesCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { queueSchema } from "@sqs-dispatcher/config";
import { describe, expect, it } from "vitest";
import { dlqNameOf, ensureQueue, ImportedQueueNotFoundError } from "./ensureQueue.js";

/** An in-memory SQS that records every command: enough for ensureQueue's branches, no network. */
function fakeSqs(existing: string[] = []) {
  const queues = new Set(existing);
  const calls: { command: string; input: Record<string, unknown> }[] = [];
  const url = (name: string) => `http://127.0.0.1:4566/000000000000/${name}`;
  const client = {
    async send(command: { input: Record<string, unknown> }) {
      calls.push({ command: command.constructor.name, input: command.input });
      if (command instanceof GetQueueUrlCommand) {
        const name = command.input.QueueName ?? "";
        if (!queues.has(name)) throw new QueueDoesNotExist({ message: "no such queue", $metadata: {} });
        return { QueueUrl: url(name) };
      }
      if (command instanceof CreateQueueCommand) {
        queues.add(command.input.QueueName ?? "");
        return { QueueUrl: url(command.input.QueueName ?? "") };
      }
      if (command instanceof GetQueueAttributesCommand) {
        const name = String(command.input.QueueUrl).split("/").pop();
        return { Attributes: { QueueArn: `arn:aws:sqs:us-east-1:000000000000:${name}` } };
      }
      if (command instanceof SetQueueAttributesCommand) return {};
      throw new Error(`unexpected ${command.constructor.name}`);
    },
  };
  return { sqs: client as unknown as SQSClient, calls, queues };
}

const changes = (calls: { command: string }[]) =>
  calls.filter((c) => c.command === "CreateQueueCommand" || c.command === "SetQueueAttributesCommand");

describe("dlqNameOf", () => {
  it("suffixes a standard queue with -dlq and keeps a FIFO queue's DLQ FIFO", () => {
    expect(dlqNameOf("orders")).toBe("orders-dlq");
    expect(dlqNameOf("payments.fifo")).toBe("payments-dlq.fifo");
  });
});

describe("ensureQueue", () => {
  const byName = queueSchema.parse({ name: "legacy-orders", import: true });
  const byArn = queueSchema.parse({ name: "billing", arn: "arn:aws:sqs:eu-west-1:123456789012:billing" });

  it("uses an existing imported queue as it is: nothing created, no attribute changed", async () => {
    for (const queue of [byName, byArn]) {
      const { sqs, calls } = fakeSqs([queue.name]);
      const deployed = await ensureQueue(sqs, queue);
      expect(deployed).toEqual({
        name: queue.name,
        url: `http://127.0.0.1:4566/000000000000/${queue.name}`,
        arn: `arn:aws:sqs:us-east-1:000000000000:${queue.name}`,
      });
      expect(changes(calls)).toEqual([]);
    }
  });

  it("creates a missing imported queue as a plain stand-in by default: no DLQ, no redrive", async () => {
    const { sqs, calls, queues } = fakeSqs();
    const deployed = await ensureQueue(sqs, byName);
    expect(deployed.standIn).toBe(true);
    expect(deployed.dlqUrl).toBeUndefined();
    expect([...queues]).toEqual(["legacy-orders"]);
    expect(changes(calls)).toEqual([
      {
        command: "CreateQueueCommand",
        input: { QueueName: "legacy-orders", Attributes: { VisibilityTimeout: "180" } },
      },
    ]);
  });

  it("refuses a missing imported queue when asked to, naming the queue and how it is imported", async () => {
    const { sqs, calls } = fakeSqs();
    const byNameError = await ensureQueue(sqs, byName, { missingImported: "fail" }).catch((e: unknown) => e);
    expect(byNameError).toBeInstanceOf(ImportedQueueNotFoundError);
    expect((byNameError as Error).message).toBe(
      "queue 'legacy-orders' is imported (import: true) but does not exist on the local cloud; create it first (aws --endpoint-url <endpoint> sqs create-queue --queue-name legacy-orders) or drop the import so the deploy creates it",
    );
    await expect(ensureQueue(sqs, byArn, { missingImported: "fail" })).rejects.toThrow(
      "queue 'billing' is imported (arn arn:aws:sqs:eu-west-1:123456789012:billing) but does not exist",
    );
    expect(changes(calls)).toEqual([]);
  });

  it("creates a routed queue with its DLQ and redrive policy", async () => {
    const { sqs, queues, calls } = fakeSqs();
    const deployed = await ensureQueue(sqs, queueSchema.parse({ name: "orders", maxReceiveCount: 3 }));
    const created = calls.find((c) => c.command === "CreateQueueCommand" && c.input.QueueName === "orders");
    const attributes = created?.input.Attributes as Record<string, string>;
    expect(JSON.parse(attributes.RedrivePolicy ?? "{}")).toEqual({
      deadLetterTargetArn: "arn:aws:sqs:us-east-1:000000000000:orders-dlq",
      maxReceiveCount: 3,
    });
    expect([...queues].sort()).toEqual(["orders", "orders-dlq"]);
    expect(deployed.dlqName).toBe("orders-dlq");
    expect(deployed.standIn).toBeUndefined();
  });
});
