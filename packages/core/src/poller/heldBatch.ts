import type { QueueMessage } from "../queue/ports.js";

/**
 * The messages one batch holds invisible, from its first receive until its handler is done: the
 * one list the gathering adds to, the visibility extender reads, and the end of the handler
 * empties. Only its owner (the batch, {@link startLaneBatch}) changes it.
 */
export interface HeldBatch {
  /** The messages held now; a live view, so an extender that reads it at each tick sees a growing batch. */
  readonly messages: readonly QueueMessage[];
  /** Messages a receive added to the batch. */
  add(messages: readonly QueueMessage[]): void;
  /**
   * The handler is done with the batch: failed records return by their visibility timeout and
   * never-invoked ones are handed back, so only `deleting` (the succeeded ones) stays held, kept
   * invisible until its deletes are done.
   */
  letGoAllBut(deleting: readonly QueueMessage[]): void;
}

export function createHeldBatch(): HeldBatch {
  const messages: QueueMessage[] = [];
  return {
    messages,
    add(more) {
      messages.push(...more);
    },
    letGoAllBut(deleting) {
      messages.splice(0, messages.length, ...deleting);
    },
  };
}
