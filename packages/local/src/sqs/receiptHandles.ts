/*
 * Emulator gap closed here: fauxqs 1.9.2 accepts any receipt handle in DeleteMessage(Batch) (it
 * answers success for a handle it never issued) and answers MessageNotInflight/ReceiptHandleIsInvalid
 * in ChangeMessageVisibility(Batch) for any handle not in flight. AWS SQS tells these cases apart:
 *
 * - a handle this queue never issued (malformed, or another queue's): `ReceiptHandleIsInvalid`
 *   ("The input receipt handle "…" is not a valid receipt handle."), per entry in the batch calls;
 * - DeleteMessage with a handle of an older receive: on a standard queue the call succeeds, and the
 *   message is deleted unless it was received again since ("if you use an old ReceiptHandle, the request
 *   will succeed, but the message might not be deleted", SQS API reference); on a FIFO queue it fails
 *   with `InvalidParameterValue` ("… Reason: The receipt handle has expired.");
 * - DeleteMessage of a message already deleted: succeeds;
 * - ChangeMessageVisibility with a handle whose visibility timeout has passed: succeeds and changes
 *   nothing; of a message that no longer exists: `InvalidParameterValue` ("… Reason: Message does not
 *   exist or is not available for visibility timeout change.").
 *
 * The checks run in the service's Fastify hooks before fauxqs's actions: a single call that AWS would
 * refuse is answered here; a batch keeps only the entries fauxqs should act on, and the refused entries
 * are added to fauxqs's `Failed` list on the way out. Issued handles are remembered per queue (the most
 * recent `maxRememberedHandles`; an older one is then taken for one this queue never issued).
 */

/** A message as fauxqs keeps it (the field this module reads). */
interface StoredMessage {
  messageId: string;
}

interface InflightEntry {
  message: StoredMessage;
  visibilityDeadline: number;
}

/** fauxqs 1.9.2's `SqsQueue`, as far as this module relies on it. */
interface FauxqsQueue {
  inflightMessages: Map<string, InflightEntry>;
  messages: StoredMessage[];
  delayedMessages: StoredMessage[];
  fifoMessages: Map<string, StoredMessage[]>;
  fifoDelayed: Map<string, StoredMessage[]>;
  isFifo(): boolean;
}

interface FauxqsStore {
  createQueue(...args: unknown[]): FauxqsQueue;
  getQueue(url: string): FauxqsQueue | undefined;
}

/** The parts of a Fastify request and reply the hooks use. */
interface HookRequest {
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}
interface HookReply {
  code(status: number): HookReply;
  header(name: string, value: string): HookReply;
  send(payload: unknown): HookReply;
}
/** The part of fauxqs's Fastify app the hooks are added to. */
export interface HookableApp {
  addHook(name: "preHandler", hook: (request: never, reply: never) => Promise<unknown>): unknown;
  addHook(
    name: "onSend",
    hook: (request: never, reply: never, payload: unknown) => Promise<unknown>,
  ): unknown;
}

/** How many issued handles a queue remembers. */
export const maxRememberedHandles = 200_000;

/** A batch entry AWS refuses, as `Failed` lists it. */
interface FailedEntry {
  Id: string;
  SenderFault: true;
  Code: string;
  Message: string;
}

/** What to do with one receipt handle: let fauxqs act, answer success without acting, or refuse. */
type Verdict = { kind: "forward" } | { kind: "noop" } | { kind: "refuse"; code: string; message: string };

const invalidHandle = (handle: string): Verdict => ({
  kind: "refuse",
  code: "ReceiptHandleIsInvalid",
  message: `The input receipt handle "${handle}" is not a valid receipt handle.`,
});
const invalidValue = (handle: string, reason: string): Verdict => ({
  kind: "refuse",
  code: "InvalidParameterValue",
  message: `Value ${handle} for parameter ReceiptHandle is invalid. Reason: ${reason}`,
});

function holdsMessage(queue: FauxqsQueue, messageId: string): boolean {
  const has = (list: readonly StoredMessage[]) => list.some((m) => m.messageId === messageId);
  if (has(queue.messages) || has(queue.delayedMessages)) return true;
  for (const list of [...queue.fifoMessages.values(), ...queue.fifoDelayed.values()])
    if (has(list)) return true;
  for (const entry of queue.inflightMessages.values()) if (entry.message.messageId === messageId) return true;
  return false;
}

function inflightUnderAnotherHandle(queue: FauxqsQueue, messageId: string, handle: string): boolean {
  for (const [other, entry] of queue.inflightMessages) {
    if (other !== handle && entry.message.messageId === messageId) return true;
  }
  return false;
}

/** Removes a standard queue's message from the ready list: a stale handle's delete that AWS honours. */
function removeReady(queue: FauxqsQueue, messageId: string): void {
  const at = queue.messages.findIndex((m) => m.messageId === messageId);
  if (at >= 0) queue.messages.splice(at, 1);
}

/**
 * Adds AWS's receipt handle checks to fauxqs's SQS: remembers the handles every queue of `store`
 * (fauxqs 1.9.2's SqsStore) issues from now on, and judges the handles of DeleteMessage(Batch) and
 * ChangeMessageVisibility(Batch) in `app`'s hooks. Returns `false`, changing nothing, if the store does
 * not look like the one this was written for.
 */
export function enforceReceiptHandles(app: HookableApp, store: object): boolean {
  const candidate = store as Partial<FauxqsStore>;
  if (typeof candidate.createQueue !== "function" || typeof candidate.getQueue !== "function") return false;
  const issued = new WeakMap<FauxqsQueue, Map<string, string>>();
  const createQueue = candidate.createQueue.bind(store);
  candidate.createQueue = (...args: unknown[]) => {
    const queue = createQueue(...args);
    const handles = new Map<string, string>();
    issued.set(queue, handles);
    const inflight = queue.inflightMessages;
    const set = inflight.set.bind(inflight);
    inflight.set = (handle: string, entry: InflightEntry) => {
      handles.set(handle, entry.message.messageId);
      if (handles.size > maxRememberedHandles) handles.delete(handles.keys().next().value as string);
      return set(handle, entry);
    };
    return queue;
  };
  const getQueue = candidate.getQueue.bind(store);

  const judgeDelete = (queue: FauxqsQueue, handle: string): Verdict => {
    const messageId = issued.get(queue)?.get(handle);
    if (messageId === undefined) return invalidHandle(handle);
    const entry = queue.inflightMessages.get(handle);
    if (entry && (!queue.isFifo() || entry.visibilityDeadline > Date.now())) return { kind: "forward" };
    if (!holdsMessage(queue, messageId)) return { kind: "noop" };
    if (queue.isFifo()) return invalidValue(handle, "The receipt handle has expired.");
    if (!inflightUnderAnotherHandle(queue, messageId, handle)) removeReady(queue, messageId);
    return { kind: "noop" };
  };
  const judgeChange = (queue: FauxqsQueue, handle: string): Verdict => {
    const messageId = issued.get(queue)?.get(handle);
    if (messageId === undefined) return invalidHandle(handle);
    const entry = queue.inflightMessages.get(handle);
    if (entry && entry.visibilityDeadline > Date.now()) return { kind: "forward" };
    if (!holdsMessage(queue, messageId)) {
      return invalidValue(
        handle,
        "Message does not exist or is not available for visibility timeout change.",
      );
    }
    return { kind: "noop" };
  };
  const judges: Record<string, { judge: typeof judgeDelete; batch: boolean }> = {
    DeleteMessage: { judge: judgeDelete, batch: false },
    DeleteMessageBatch: { judge: judgeDelete, batch: true },
    ChangeMessageVisibility: { judge: judgeChange, batch: false },
    ChangeMessageVisibilityBatch: { judge: judgeChange, batch: true },
  };
  const refusedEntries = new WeakMap<object, { failed: FailedEntry[]; answered: string[] }>();

  app.addHook("preHandler", async (request: HookRequest, reply: HookReply) => {
    const operation = String(request.headers["x-amz-target"] ?? "").replace(/^AmazonSQS\./, "");
    const rule = judges[operation];
    const body = request.body as { QueueUrl?: unknown; ReceiptHandle?: unknown; Entries?: unknown };
    if (!rule || !body || typeof body !== "object" || typeof body.QueueUrl !== "string") return;
    const queue = getQueue(body.QueueUrl);
    if (!queue) return;
    if (!rule.batch) {
      if (typeof body.ReceiptHandle !== "string" || body.ReceiptHandle === "") return;
      const verdict = rule.judge(queue, body.ReceiptHandle);
      if (verdict.kind === "forward") return;
      reply.header("content-type", "application/x-amz-json-1.0");
      if (verdict.kind === "noop") return reply.code(200).send({});
      return reply
        .code(400)
        .header("x-amzn-query-error", `${verdict.code};Sender`)
        .send({ __type: `com.amazonaws.sqs#${verdict.code}`, message: verdict.message });
    }
    // Malformed batches (empty, too long, bad ids) are fauxqs's to refuse as a whole.
    if (!Array.isArray(body.Entries) || body.Entries.length === 0 || body.Entries.length > 10) return;
    const entries = body.Entries as { Id?: unknown; ReceiptHandle?: unknown }[];
    const kept: typeof entries = [];
    const failed: FailedEntry[] = [];
    const answered: string[] = [];
    for (const entry of entries) {
      if (typeof entry.ReceiptHandle !== "string" || typeof entry.Id !== "string") {
        kept.push(entry);
        continue;
      }
      const verdict = rule.judge(queue, entry.ReceiptHandle);
      if (verdict.kind === "forward") kept.push(entry);
      else if (verdict.kind === "noop") answered.push(entry.Id);
      else failed.push({ Id: entry.Id, SenderFault: true, Code: verdict.code, Message: verdict.message });
    }
    if (failed.length === 0 && answered.length === 0) return;
    if (kept.length === 0) {
      return reply
        .code(200)
        .header("content-type", "application/x-amz-json-1.0")
        .send({ Successful: answered.map((Id) => ({ Id })), Failed: failed });
    }
    body.Entries = kept;
    refusedEntries.set(request, { failed, answered });
  });

  app.addHook("onSend", async (request: HookRequest, _reply: HookReply, payload: unknown) => {
    const refused = refusedEntries.get(request);
    if (!refused || typeof payload !== "string") return payload;
    refusedEntries.delete(request);
    let out: { Successful?: { Id: string }[]; Failed?: FailedEntry[] };
    try {
      out = JSON.parse(payload) as typeof out;
    } catch {
      return payload;
    }
    if (!Array.isArray(out.Successful)) return payload;
    out.Successful.push(...refused.answered.map((Id) => ({ Id })));
    out.Failed = [...(out.Failed ?? []), ...refused.failed];
    return JSON.stringify(out);
  });
  return true;
}
