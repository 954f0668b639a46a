import { GetQueueAttributesCommand, GetQueueUrlCommand } from "@aws-sdk/client-sqs";
import {
  DeadLetterQueueNotFoundError,
  type DeadLetterQueues,
  type DeadLetterTarget,
  type MoveTask,
} from "@sqs-dispatcher/core";
import type { Command } from "commander";
import { z } from "zod";
import { CommandFailedError, UsageError } from "../cliErrors.js";
import type { CliContext } from "../context.js";
import { globalFlags, intFlag, queueArg } from "../flags.js";
import { json, table } from "../format.js";
import type { CliIo } from "../io.js";
import type { RunAction } from "./action.js";

const peekSchema = z.strictObject({ ...globalFlags, queue: queueArg, count: intFlag(1, 100).default(10) });
const redriveSchema = z.strictObject({
  ...globalFlags,
  queue: queueArg,
  rate: intFlag(1, 500).optional(),
  to: queueArg.optional(),
  wait: z.boolean().default(true),
});
const queueOnlySchema = z.strictObject({ ...globalFlags, queue: queueArg });
const purgeSchema = z.strictObject({ ...globalFlags, queue: queueArg, yes: z.boolean().default(false) });

/** How often `redrive` reports progress while it waits for its task. */
const progressEveryMs = 1000;

async function resolveDlq(context: CliContext, queue: string): Promise<DeadLetterTarget> {
  try {
    return await context.deadLetters.resolve(queue);
  } catch (error) {
    if (error instanceof DeadLetterQueueNotFoundError)
      throw new CommandFailedError(error.message, {}, { cause: error });
    throw error;
  }
}

function taskLine(task: MoveTask): string {
  const of = task.toMove !== undefined ? `/${task.toMove}` : "";
  const rate = task.maxPerSecond !== undefined ? `, ${task.maxPerSecond}/s` : "";
  const failure = task.failureReason ? `: ${task.failureReason}` : "";
  return `${task.status.toLowerCase()} — moved ${task.moved}${of}${rate}${failure}`;
}

/** A move task, waited for: progress on stderr every second until it stops running. */
export async function waitForMoveTask(
  deadLetters: DeadLetterQueues,
  dlq: DeadLetterTarget,
  io: Pick<CliIo, "stderr">,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
): Promise<MoveTask> {
  for (;;) {
    const [task] = await deadLetters.tasks(dlq, 1);
    if (!task) throw new CommandFailedError(`no message move task found on ${dlq.name}`);
    io.stderr.write(`${dlq.name}: ${taskLine(task)}\n`);
    if (task.status !== "RUNNING" && task.status !== "CANCELLING") return task;
    await sleep(progressEveryMs);
  }
}

/** Registers `dlq peek|redrive|status|cancel|purge <queue>`. */
export function registerDlq(program: Command, run: RunAction): void {
  const dlq = program
    .command("dlq")
    .description("dead-letter queues: peek, redrive (SQS message move tasks), status, cancel, purge")
    .addHelpText(
      "after",
      `
<queue> is a queue with a redrive policy (its DLQ is used) or a DLQ itself. The same
SQS calls run on AWS and on the local cloud.

Examples:
  $ pnpm dispatcher dlq peek orders --count 5 --json --local
  $ pnpm dispatcher dlq redrive orders --rate 50 --local
  $ pnpm dispatcher dlq redrive orders --to orders-replay --stage prod
  $ pnpm dispatcher dlq status orders --local
  $ pnpm dispatcher dlq purge orders --yes --local`,
    );

  dlq
    .command("peek")
    .argument("<queue>", "a queue with a DLQ, or the DLQ")
    .option("--count <n>", "messages to show, 1-100", "10")
    .description(
      "show dead letters (bodies, attributes, receive counts); they are made visible again at once",
    )
    .action(
      run(peekSchema, async ({ flags, context, io }) => {
        const target = await resolveDlq(context, flags.queue);
        const messages = await context.deadLetters.peek(target, flags.count);
        if (flags.json) {
          io.stdout.write(json({ dlq: target.name, messages }));
          return;
        }
        if (messages.length === 0) {
          io.stdout.write(`${target.name}: empty\n`);
          return;
        }
        io.stdout.write(
          table(
            ["MESSAGE ID", "RECEIVES", "SENT", "BODY"],
            messages.map((m) => [
              m.messageId,
              String(m.receiveCount),
              m.sentAt === null ? "-" : new Date(m.sentAt).toISOString(),
              m.body.length > 80 ? `${m.body.slice(0, 77)}...` : m.body,
            ]),
          ),
        );
      }),
    );

  dlq
    .command("redrive")
    .argument("<queue>", "a queue with a DLQ, or the DLQ")
    .option("--rate <n>", "messages per second, 1-500 (default: as fast as SQS goes)")
    .option("--to <queue>", "move to this queue instead of each message's source queue")
    .option("--no-wait", "start the task and return (see 'dlq status')")
    .description("move dead letters back (SQS StartMessageMoveTask) and report progress until done")
    .action(
      run(redriveSchema, async ({ flags, context, io }) => {
        const target = await resolveDlq(context, flags.queue);
        const destinationArn = flags.to !== undefined ? await queueArnOf(context, flags.to) : undefined;
        const handle = await context.deadLetters.startRedrive(target, {
          ...(destinationArn !== undefined ? { destinationArn } : {}),
          ...(flags.rate !== undefined ? { maxPerSecond: flags.rate } : {}),
        });
        if (!flags.wait) {
          io.stdout.write(
            flags.json ? json({ dlq: target.name, taskHandle: handle }) : `started: ${handle}\n`,
          );
          return;
        }
        const task = await waitForMoveTask(context.deadLetters, target, io);
        if (flags.json) io.stdout.write(json({ dlq: target.name, task }));
        else io.stdout.write(`${target.name}: ${taskLine(task)}\n`);
        if (task.status === "FAILED") throw new CommandFailedError(`redrive of ${target.name} failed`);
      }),
    );

  dlq
    .command("status")
    .argument("<queue>", "a queue with a DLQ, or the DLQ")
    .description("the DLQ's depth and its most recent message move tasks (SQS ListMessageMoveTasks)")
    .action(
      run(queueOnlySchema, async ({ flags, context, io }) => {
        const target = await resolveDlq(context, flags.queue);
        const [depth, tasks] = await Promise.all([
          context.deadLetters.depth(target),
          context.deadLetters.tasks(target, 10),
        ]);
        if (flags.json) {
          io.stdout.write(json({ dlq: target.name, ...depth, tasks }));
          return;
        }
        io.stdout.write(`${target.name}: ${depth.visible} visible, ${depth.inFlight} in flight\n`);
        io.stdout.write(
          tasks.length === 0
            ? "no message move tasks\n"
            : table(
                ["STARTED", "STATUS", "MOVED", "TO", "DETAIL"],
                tasks.map((t) => [
                  new Date(t.startedAt).toISOString(),
                  t.status,
                  `${t.moved}${t.toMove !== undefined ? `/${t.toMove}` : ""}`,
                  t.destinationArn ? (t.destinationArn.split(":").at(-1) ?? "") : "(sources)",
                  t.failureReason ?? "",
                ]),
              ),
        );
      }),
    );

  dlq
    .command("cancel")
    .argument("<queue>", "a queue with a DLQ, or the DLQ")
    .description("cancel the DLQ's running redrive (messages already moved stay moved)")
    .action(
      run(queueOnlySchema, async ({ flags, context, io }) => {
        const target = await resolveDlq(context, flags.queue);
        const running = (await context.deadLetters.tasks(target, 10)).find((t) => t.status === "RUNNING");
        if (!running?.taskHandle) throw new CommandFailedError(`no running redrive on ${target.name}`);
        const moved = await context.deadLetters.cancel(running.taskHandle);
        io.stdout.write(
          flags.json ? json({ dlq: target.name, moved }) : `${target.name}: cancelled after ${moved} moved\n`,
        );
      }),
    );

  dlq
    .command("purge")
    .argument("<queue>", "a queue with a DLQ, or the DLQ")
    .option("--yes", "do not ask for the DLQ's name to be typed")
    .description("delete every message of the DLQ (asks for its name to be typed unless --yes)")
    .action(
      run(purgeSchema, async ({ flags, context, io }) => {
        const target = await resolveDlq(context, flags.queue);
        if (!flags.yes) {
          if (!io.prompt) throw new UsageError("--yes: needed to purge when no terminal can confirm");
          const typed = (await io.prompt(`Type '${target.name}' to delete all its messages: `)).trim();
          if (typed !== target.name)
            throw new CommandFailedError(`not purged: '${typed}' is not '${target.name}'`);
        }
        await context.deadLetters.purge(target);
        io.stdout.write(flags.json ? json({ dlq: target.name, purged: true }) : `${target.name}: purged\n`);
      }),
    );
}

async function queueArnOf(context: CliContext, name: string): Promise<string> {
  try {
    const url = (await context.sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl;
    const arn = (
      await context.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["QueueArn"] }))
    ).Attributes?.["QueueArn"];
    if (!arn) throw new Error("no QueueArn");
    return arn;
  } catch (error) {
    throw new CommandFailedError(`--to: queue '${name}' not found`, {}, { cause: error });
  }
}
