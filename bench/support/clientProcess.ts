/**
 * A queue client of the throughput benchmark in its own Node process, as a real consumer runs
 * (the local cloud keeps the benchmark's process busy; the dispatcher's loop runs in a worker
 * thread of the local Lambda service): `node --import tsx bench/support/clientProcess.ts MODE
 * ENDPOINT REGION QUEUE_URL`. The benchmark times the drain with the same observer as every
 * other contender; SIGTERM stops the client.
 *
 * - `raw`: ReceiveMessage(10) + DeleteMessageBatch, one after the other, no handler: the practical limit.
 * - `sqs-consumer`: sqs-consumer 14 as its users run it: `handleMessageBatch` with a no-op handler
 *   in-process, batch size 10, every other option at its default (20 s long polls, no visibility
 *   heartbeat, deletes what the handler returns).
 */
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { Consumer } from "sqs-consumer";

const [mode, endpoint, region, queueUrl] = process.argv.slice(2);
if ((mode !== "raw" && mode !== "sqs-consumer") || !endpoint || !region || !queueUrl) {
  console.error("usage: clientProcess.ts raw|sqs-consumer ENDPOINT REGION QUEUE_URL");
  process.exit(2);
}
const sqs = new SQSClient({
  endpoint,
  region,
  credentials: { accessKeyId: "test", secretAccessKey: "test" },
});
let stopping = false;

if (mode === "raw") {
  process.on("SIGTERM", () => process.exit(0));
  while (!stopping) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    if (Messages.length === 0) continue;
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
      }),
    );
  }
} else {
  const consumer = Consumer.create({
    queueUrl,
    sqs,
    batchSize: 10,
    // The no-op handler: every message succeeded, so every message is deleted.
    handleMessageBatch: async (messages) => messages,
  });
  // Stopping with `abort` cancels the long poll in flight; that is the benchmark ending, not an error.
  consumer.on("error", (error) => {
    if (!stopping) console.error(`sqs-consumer: ${String(error)}`);
  });
  consumer.on("processing_error", (error) => console.error(`sqs-consumer processing: ${String(error)}`));
  process.on("SIGTERM", () => {
    stopping = true;
    consumer.stop({ abort: true });
    process.exit(0);
  });
  consumer.start();
}
