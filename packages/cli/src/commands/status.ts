import { type CapacityStatus, describeQueue, describeQueues, type QueueStatus } from "@sqs-dispatcher/core";
import type { Command } from "commander";
import { z } from "zod";
import { CommandFailedError } from "../cliErrors.js";
import type { CliContext } from "../context.js";
import { globalFlags, queueArg } from "../flags.js";
import { age, count, json, table } from "../format.js";
import type { RunAction } from "./action.js";

const statusSchema = z.strictObject({ ...globalFlags, queue: queueArg.optional() });

function functionOf(context: CliContext, q: QueueStatus): string {
  if (q.route === null) return "(unrouted)";
  const fn = q.route.functionName;
  const name =
    Object.keys(context.registry.functions).find((n) => context.names.functionName(n) === fn) ?? fn;
  const described = q.function;
  // A function the platform built is the registry's to describe; only an external one gets Lambda's view.
  if (described === null || !described.external) return name;
  // A function the platform did not build is shown by its ARN, with what Lambda says of it.
  const shown = `external ${described.arn ?? fn}`;
  const notes = [
    described.state === "missing" ? "missing" : null,
    described.reservedConcurrency !== null ? `reserved ${described.reservedConcurrency}` : null,
  ].filter((n) => n !== null);
  return notes.length > 0 ? `${shown} (${notes.join(", ")})` : shown;
}

function stateOf(q: QueueStatus): string {
  if (q.state !== "blocked" || !q.blockedReason) return q.clamped ? `${q.state}, ${q.clamped}` : q.state;
  // Another account's function: only its owner can let the poller in (docs/registry.md).
  const hint =
    q.blockedReason.startsWith("access-denied") && q.function?.external
      ? ` (the function's owner must allow the poller's role: aws lambda add-permission --function-name ${q.function.arn ?? q.function.ref} --principal <poller role ARN> --action lambda:InvokeFunction --statement-id sqs-dispatcher)`
      : "";
  const state = `blocked: ${q.blockedReason}${hint}`;
  return q.clamped ? `${state}, ${q.clamped}` : state;
}

function summary(context: CliContext, queues: readonly QueueStatus[]): string {
  return table(
    [
      "QUEUE",
      "FUNCTION",
      "STATE",
      "LOOPS",
      "SHARED",
      "HANDLERS",
      "VISIBLE",
      "IN FLIGHT",
      "DELAYED",
      "DLQ",
      "ALARMS",
    ],
    queues.map((q) => [
      q.name,
      functionOf(context, q),
      stateOf(q),
      q.route ? `${q.loops.length} (${q.route.minLoops}-${q.route.maxLoops})` : String(q.loops.length),
      sharedOf(q),
      q.route ? `${q.handlerConcurrency} (${q.loops.length}×${q.route.concurrency})` : "-",
      count(q.visible),
      count(q.inFlight),
      count(q.delayed),
      q.dlq ? `${q.dlq.name}: ${count(q.dlq.visible)}` : "-",
      q.alarms.map((a) => `${a.name}=${a.state}`).join(", ") || "-",
    ]),
  );
}

/** The group of the shared loop that polls the queue, with its heartbeat age; `-` when none does. */
function sharedOf(q: QueueStatus): string {
  if (!q.shared) return "-";
  const loop = q.shared.loop;
  if (!loop) return `${q.shared.group} (no lease row)`;
  return `${q.shared.group} (${loop.lastUsed === null ? "starting" : age(loop.heartbeatAgeMs)})`;
}

function loopTable(q: QueueStatus): string {
  if (q.loops.length === 0)
    return q.shared ? `no dedicated loops; shared loop ${sharedOf(q)}\n` : "no loops\n";
  return table(
    ["TOKEN", "LOOP ID", "HEARTBEAT AGE", "STARTED", "BLOCKED"],
    q.loops.map((l) => [
      l.token,
      l.loopId,
      l.lastUsed === null ? `never (${age(l.heartbeatAgeMs)})` : age(l.heartbeatAgeMs),
      l.startedAt === null ? "-" : new Date(l.startedAt).toISOString(),
      l.blockedReason ?? "-",
    ]),
  );
}

/** The account's Lambda concurrency against what the loops and handlers can take at maxLoops. */
function capacityLines(capacity: CapacityStatus): string {
  const account =
    capacity.accountConcurrency === null
      ? "account concurrency unknown"
      : `${capacity.totalAtMax} of the account's ${capacity.accountConcurrency} (headroom ${capacity.headroom})`;
  const line =
    `\nconcurrency: ${capacity.loopsNow} loops now; at maxLoops ${capacity.loopsAtMax} loops + ` +
    `${capacity.handlersAtMax} handlers = ${account}\n`;
  return capacity.warning === null ? line : `${line}warning: ${capacity.warning}\n`;
}

/** Registers `status [queue]`. */
export function registerStatus(program: Command, run: RunAction): void {
  program
    .command("status")
    .argument("[queue]", "one queue (default: every queue)")
    .description(
      "per queue: state (active, paused, blocked), route, loops and heartbeat ages, handler concurrency, depth, DLQ, alarms",
    )
    .addHelpText(
      "after",
      `
Lists the routed queues plus every other queue of the account; a queue that is another
queue's dead-letter queue shows as that queue's DLQ. Below the table: the account's Lambda
concurrency against what loops and handlers take at maxLoops (loops + loops × concurrency),
with a warning past 80%. --json prints { "queues": [ ... ], "capacity": { ... } }.

Examples:
  $ pnpm dispatcher status --local
  $ pnpm dispatcher status orders --local
  $ pnpm dispatcher status --json --stage prod`,
    )
    .action(
      run(statusSchema, async ({ flags, context, io }) => {
        const report =
          flags.queue === undefined
            ? await describeQueues(context.status)
            : await describeQueue(context.status, flags.queue);
        if (flags.queue !== undefined && report.queues.length === 0) {
          throw new CommandFailedError(`queue '${flags.queue}' neither exists nor has a route`);
        }
        if (flags.json) {
          io.stdout.write(
            json(
              report.capacity
                ? { queues: report.queues, capacity: report.capacity }
                : { queues: report.queues },
            ),
          );
          return;
        }
        if (report.queues.length === 0) {
          io.stdout.write("no queues\n");
          return;
        }
        io.stdout.write(summary(context, report.queues));
        if (report.capacity) io.stdout.write(capacityLines(report.capacity));
        if (flags.queue !== undefined) {
          for (const q of report.queues) io.stdout.write(`\nloops of ${q.name}:\n${loopTable(q)}`);
        }
      }),
    );
}
