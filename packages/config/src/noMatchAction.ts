import { z } from "zod";
import { functionNamePattern, isQueueName } from "./schema/leaf.js";

/** What a route does with a message that matches none of its filters. */
export const NoMatchKind = {
  /** Delete it, as Lambda's event source does. */
  Delete: "delete",
  /** Send it to another queue with its attributes, then delete it: nothing is lost. */
  Forward: "forward",
  /** Hand it to a second function of the registry, as a Lambda SQS event. */
  Invoke: "invoke",
} as const;
export type NoMatchKind = (typeof NoMatchKind)[keyof typeof NoMatchKind];

/** A parsed `onNoMatch`. */
export type NoMatchAction =
  | { kind: typeof NoMatchKind.Delete }
  | { kind: typeof NoMatchKind.Forward; queueName: string }
  | { kind: typeof NoMatchKind.Invoke; functionName: string };

/**
 * Reads `onNoMatch`: `"delete"`, `"forward:<queue name>"` or `"invoke:<function name>"`.
 * Undefined when the text is none of them.
 *
 * @example
 * parseNoMatchAction("forward:orders-parked"); // { kind: "forward", queueName: "orders-parked" }
 */
export function parseNoMatchAction(text: string): NoMatchAction | undefined {
  if (text === NoMatchKind.Delete) return { kind: NoMatchKind.Delete };
  const [kind, target] = [text.slice(0, text.indexOf(":")), text.slice(text.indexOf(":") + 1)];
  if (kind === NoMatchKind.Forward) {
    return isQueueName(target) ? { kind: NoMatchKind.Forward, queueName: target } : undefined;
  }
  if (kind === NoMatchKind.Invoke && functionNamePattern.test(target)) {
    return { kind: NoMatchKind.Invoke, functionName: target };
  }
  return undefined;
}

/** The `onNoMatch` text of an action (the inverse of {@link parseNoMatchAction}). */
export function formatNoMatchAction(action: NoMatchAction): string {
  switch (action.kind) {
    case NoMatchKind.Delete:
      return NoMatchKind.Delete;
    case NoMatchKind.Forward:
      return `${NoMatchKind.Forward}:${action.queueName}`;
    case NoMatchKind.Invoke:
      return `${NoMatchKind.Invoke}:${action.functionName}`;
  }
}

/** `onNoMatch` as a route holds it: the text, checked. */
export const noMatchActionSchema = z
  .string()
  .refine(
    (text) => parseNoMatchAction(text) !== undefined,
    "must be 'delete', 'forward:<queue name>' or 'invoke:<function name>'",
  );

/**
 * Rules of `onNoMatch` that involve the route's own queue: no forwarding to itself (a loop), and
 * no forwarding from a standard queue to a FIFO queue (its messages carry no group id to keep).
 */
export function checkNoMatchTarget(
  onNoMatch: string,
  queueName: string,
  path: (string | number)[],
  ctx: z.RefinementCtx,
): void {
  const action = parseNoMatchAction(onNoMatch);
  if (action?.kind !== NoMatchKind.Forward) return;
  if (action.queueName === queueName) {
    ctx.addIssue({
      code: "custom",
      path,
      message: `forwards to the route's own queue '${queueName}': a message that matches no filter would come back forever`,
    });
  } else if (action.queueName.endsWith(".fifo") && !queueName.endsWith(".fifo")) {
    ctx.addIssue({
      code: "custom",
      path,
      message: `a standard queue's messages have no message group id, so they cannot be forwarded to FIFO queue '${action.queueName}'`,
    });
  }
}
