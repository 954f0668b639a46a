import { AwsLimits } from "@sqs-dispatcher/config";
import type { Clock } from "../clock.js";
import { describeError } from "../describeError.js";
import type { Logger } from "../logger.js";
import type { QueueClient, QueueMessage, ReceiveHold, ReceiveOptions } from "../queue/ports.js";
import type { HeldBatch } from "./heldBatch.js";
import type { ReceiveAttempts } from "./receiveAttempts.js";

export interface GatherBatchDeps {
  queue: Pick<QueueClient, "receive">;
  clock: Pick<Clock, "monotonic">;
  logger: Pick<Logger, "warn">;
}

export interface GatherOptions {
  /** Most records in the batch (the route's `batchSize`). */
  batchSize: number;
  /** How long to keep receiving into the batch after the first message, seconds (0: hand over at once). */
  windowSec: number;
  /** Long-poll wait of the first receive. */
  waitTimeSec: number;
  /** Payload the batch may reach (Lambda's 6 MB synchronous limit). */
  payloadLimitBytes?: number;
  /** The lane's FIFO receive attempt ids; none: receives carry no attempt id. */
  attempts?: ReceiveAttempts;
  /** The loop's hold, lent to each receive (see {@link ReceiveOptions.hold}). */
  hold?: ReceiveHold;
}

/** A record's size in the event beyond its body and attributes (ids, ARN, receipt handle, keys). */
const recordOverheadBytes = 1_024;

function sizeOf(m: QueueMessage): number {
  let bytes = Buffer.byteLength(m.body) + m.receiptHandle.length + recordOverheadBytes;
  for (const [name, value] of Object.entries(m.messageAttributes)) {
    bytes += name.length + (value.stringValue?.length ?? 0) + (value.binaryValue?.length ?? 0) + 64;
  }
  return bytes;
}

/**
 * The receive of docs/protocol.md's "Receive and dispatch": one long poll, and with a batching window (Lambda's
 * `MaximumBatchingWindowInSeconds`) more receives into the same batch until it holds
 * `batchSize` records, the window has passed, or another receive could push it past the
 * payload limit. Messages are added to `into` as they arrive, so the caller can keep
 * extending their visibility while the window is open. A receive error after the first
 * ends the gathering with what was received; an error on the first propagates.
 */
export async function gatherBatch(
  deps: GatherBatchDeps,
  queueUrl: string,
  options: GatherOptions,
  into: Pick<HeldBatch, "messages" | "add">,
): Promise<void> {
  const limit = options.payloadLimitBytes ?? AwsLimits.syncInvokePayloadMaxBytes;
  const receive = async (receiveOptions: ReceiveOptions) => {
    const attemptId = options.attempts?.next();
    try {
      const messages = await deps.queue.receive(queueUrl, {
        ...receiveOptions,
        ...(attemptId !== undefined ? { attemptId } : {}),
      });
      options.attempts?.answered();
      return messages;
    } catch (error) {
      options.attempts?.failed();
      throw error;
    }
  };
  const first = await receive({
    maxMessages: Math.min(options.batchSize, AwsLimits.sqsBatchMax),
    waitTimeSec: options.waitTimeSec,
    ...(options.hold ? { hold: options.hold } : {}),
  });
  into.add(first);
  if (options.windowSec <= 0 || first.length === 0) return;
  const closesAt = deps.clock.monotonic() + options.windowSec * 1000;
  let bytes = first.reduce((sum, m) => sum + sizeOf(m), 0);
  while (into.messages.length < options.batchSize) {
    const leftMs = closesAt - deps.clock.monotonic();
    if (leftMs <= 0) return;
    const room = Math.min(options.batchSize - into.messages.length, AwsLimits.sqsBatchMax);
    const average = bytes / into.messages.length;
    if (bytes + average * room > limit) return;
    let more: QueueMessage[];
    try {
      more = await receive({
        maxMessages: room,
        waitTimeSec: Math.min(AwsLimits.sqsWaitTimeMaxSec, Math.floor(leftMs / 1000)),
        ...(options.hold ? { hold: options.hold } : {}),
      });
    } catch (error) {
      deps.logger.warn("a receive inside the batching window failed; the batch goes as it is", {
        error: describeError(error),
      });
      return;
    }
    into.add(more);
    bytes += more.reduce((sum, m) => sum + sizeOf(m), 0);
  }
}
