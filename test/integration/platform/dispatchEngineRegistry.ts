import { testFunctions, testRegistry } from "../support/testPlatform.js";

/**
 * The registry of the dispatch-engine tests, loaded by the tests'
 * deploy and by the CLI they run. `throttled` is deployed with room for two invocations (the
 * registry refuses less than a route's concurrency); the test then lowers it to one, as an operator
 * changing a function's reserved concurrency outside the registry would. `later` is unregistered by
 * a test to stand for a function that does not exist yet. The fixture handlers record into `processed`
 * as the example handlers do, so they say `example: true` and the stack grants them that table.
 */
export default testRegistry({
  functions: {
    // Timeouts as long as their queues' visibility allows: a batch that timed out on a busy machine
    // would fail as a whole and, with maxReceiveCount 2, could reach the DLQ the tests assert empty.
    throttled: { ...testFunctions.record, timeoutSec: 10, reservedConcurrency: 2 },
    sizeRecord: { handler: "test/fixtures/functions/sizeRecorder.handler", timeoutSec: 5, example: true },
    // A generous timeout for the same reason: the order log would also show a timed-out batch's retry.
    failOnly: { handler: "test/fixtures/functions/failOnlyRecord.handler", timeoutSec: 10, example: true },
    later: { ...testFunctions.record, timeoutSec: 5 },
  },
  routes: [
    {
      queue: { name: "throttled", visibilityTimeoutSec: 10, maxReceiveCount: 2 },
      function: "throttled",
      concurrency: 2,
      minLoops: 4,
      maxLoops: 4,
    },
    {
      queue: { name: "large", visibilityTimeoutSec: 10, maxReceiveCount: 2 },
      function: "sizeRecord",
      concurrency: 2,
    },
    {
      // Paused until the test has sent the whole group: one receive then takes all ten 900 KB
      // messages, more than one 6 MB invoke carries.
      queue: { name: "large.fifo", visibilityTimeoutSec: 10, maxReceiveCount: 3 },
      function: "sizeRecord",
      paused: true,
    },
    {
      queue: { name: "groups.fifo", visibilityTimeoutSec: 10, maxReceiveCount: 10 },
      function: "failOnly",
      concurrency: 4,
      minLoops: 2,
      maxLoops: 2,
    },
    {
      queue: { name: "missing", visibilityTimeoutSec: 5, maxReceiveCount: 2 },
      function: "later",
      concurrency: 2,
    },
  ],
  local: {
    // Long invocations, so that throttled batches rarely meet an invocation's end.
    poller: { timeoutSec: 60 },
    restart: { intervalSec: 1, staleAfterSec: 12, startGraceSec: 12 },
  },
});
