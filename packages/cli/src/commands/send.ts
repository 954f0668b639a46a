import { randomUUID } from "node:crypto";
import {
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  SendMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { isFifoQueue, systemClock } from "@sqs-dispatcher/core";
import { createSqsQueueDirectory } from "@sqs-dispatcher/core/aws";
import type { Command } from "commander";
import { z } from "zod";
import { CommandFailedError } from "../cliErrors.js";
import { globalFlags, intFlag, numberFlag, queueArg } from "../flags.js";
import { json } from "../format.js";
import type { CliOutput } from "../io.js";
import type { RunAction } from "./action.js";

const maxCount = 10_000_000;

const sendSchema = z.strictObject({
  ...globalFlags,
  queue: queueArg,
  count: intFlag(1, maxCount),
  rate: numberFlag(0).optional(),
  body: z
    .string()
    .refine((text) => {
      try {
        JSON.parse(text);
        return true;
      } catch {
        return false;
      }
    }, "must be JSON, e.g. '{\"sleepMs\":100}'")
    .optional(),
  batch: z.boolean().default(false),
  groups: intFlag(1, 1000).default(1),
});

/** A one-line progress bar, redrawn in place; only on a terminal. */
function progress(out: CliOutput, total: number) {
  let last = -1;
  return {
    update(done: number) {
      if (!out.isTTY) return;
      const percent = Math.floor((done / total) * 100);
      if (percent === last && done !== total) return;
      last = percent;
      const width = 30;
      const filled = Math.round((done / total) * width);
      out.write(`\r[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${done}/${total} ${percent}%`);
    },
    end() {
      if (out.isTTY) out.write("\n");
    },
  };
}

interface Sent {
  sent: number;
  failed: number;
}

/** Sends entries in batches of 10, retrying the entries SQS reports failed (up to three attempts). */
async function sendBatch(
  sqs: SQSClient,
  queueUrl: string,
  entries: SendMessageBatchRequestEntry[],
): Promise<Sent> {
  let pending = entries;
  for (let attempt = 1; attempt <= 3 && pending.length > 0; attempt++) {
    const out = await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: pending }));
    const failedIds = new Set((out.Failed ?? []).filter((f) => !f.SenderFault).map((f) => f.Id));
    const senderFaults = (out.Failed ?? []).filter((f) => f.SenderFault);
    if (senderFaults.length > 0) {
      throw new CommandFailedError(
        `SQS refused messages: ${senderFaults.map((f) => f.Message ?? f.Code).join("; ")}`,
      );
    }
    pending = pending.filter((e) => failedIds.has(e.Id));
  }
  return { sent: entries.length - pending.length, failed: pending.length };
}

/** Registers `send <queue> --count N`. */
export function registerSend(program: Command, run: RunAction): void {
  program
    .command("send")
    .argument("<queue>", "queue to send to")
    .requiredOption("--count <n>", "how many messages")
    .option("--rate <r>", "at most this many messages per second (default: as fast as SQS takes them)")
    .option("--body <json>", 'the body of every message (default: {"seq":n,"sentAt":ms})')
    .option("--batch", "send with SendMessageBatch, 10 messages per call")
    .option("--groups <n>", "FIFO queues: spread messages over this many message groups (default 1)")
    .description("a load generator: send N messages, with a progress bar on a terminal")
    .addHelpText(
      "after",
      `
FIFO queues get a MessageGroupId (g-0 ... g-<groups-1>, round robin) and a unique
MessageDeduplicationId per message, so a repeated run is not deduplicated away.

Examples:
  $ pnpm dispatcher send orders --count 1000 --batch --local
  $ pnpm dispatcher send orders --count 50 --rate 5 --body '{"sleepMs":200}' --local
  $ pnpm dispatcher send payments.fifo --count 100 --groups 4 --batch --local`,
    )
    .action(
      run(sendSchema, async ({ flags, context, io }) => {
        const queueUrl = await createSqsQueueDirectory({ sqs: context.sqs }).queueUrl(flags.queue);
        if (queueUrl === undefined) throw new CommandFailedError(`queue '${flags.queue}' does not exist`);
        const fifo = isFifoQueue(queueUrl);
        const runId = randomUUID().slice(0, 8);
        const chunk = flags.batch ? 10 : 1;
        const bar = progress(io.stderr, flags.count);
        const started = systemClock.now();
        const total: Sent = { sent: 0, failed: 0 };
        for (let first = 0; first < flags.count; first += chunk) {
          if (flags.rate !== undefined) {
            const due = started + (first / flags.rate) * 1000;
            const wait = due - systemClock.now();
            if (wait > 0) await systemClock.sleep(wait);
          }
          const entries: SendMessageBatchRequestEntry[] = [];
          for (let i = first; i < Math.min(first + chunk, flags.count); i++) {
            entries.push({
              Id: String(i - first),
              MessageBody: flags.body ?? JSON.stringify({ seq: i, sentAt: systemClock.now() }),
              ...(fifo
                ? { MessageGroupId: `g-${i % flags.groups}`, MessageDeduplicationId: `${runId}-${i}` }
                : {}),
            });
          }
          if (flags.batch) {
            const result = await sendBatch(context.sqs, queueUrl, entries);
            total.sent += result.sent;
            total.failed += result.failed;
          } else {
            const [entry] = entries;
            if (entry === undefined) continue;
            const { Id: _id, ...message } = entry;
            await context.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, ...message }));
            total.sent++;
          }
          bar.update(total.sent + total.failed);
        }
        bar.end();
        const seconds = (systemClock.now() - started) / 1000;
        if (flags.json) io.stdout.write(json({ queue: flags.queue, ...total, seconds }));
        else {
          const rate = seconds > 0 ? ` (${Math.round(total.sent / seconds)} msg/s)` : "";
          io.stdout.write(
            `sent ${total.sent} message(s) to ${flags.queue} in ${seconds.toFixed(1)}s${rate}\n`,
          );
        }
        if (total.failed > 0) throw new CommandFailedError(`${total.failed} message(s) could not be sent`);
      }),
    );
}
