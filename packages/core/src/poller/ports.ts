/**
 * The ports a loop uses, in one place: the queue (SQS) and the starter of the next invocation.
 * Each is defined beside the domain it belongs to; `dispatch/` and `lease/` import them from
 * there, so nothing outside `poller/` depends on the loop.
 */
export type { LoopStarter } from "../lease/ports.js";
export type { QueueClient, QueueMessage, ReceiveOptions } from "../queue/ports.js";
