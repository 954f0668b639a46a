import { defineDispatcher } from "@sqs-dispatcher/config";

/**
 * The registry: the handler functions, the queues they drain and the platform's settings.
 * `pnpm dev` deploys it to the local cloud; the SST stack deploys it to AWS.
 * The poller, restart and scale functions are the platform itself, so they are not listed here.
 */
export default defineDispatcher({
  app: "sqs-dispatcher",
  functions: {
    record: { handler: "packages/functions/src/handlers/record.handler", timeoutSec: 10, memoryMb: 256 },
    powertoolsRecord: {
      handler: "packages/functions/src/handlers/powertoolsRecord.handler",
      timeoutSec: 10,
      memoryMb: 256,
    },
    middyRecord: {
      handler: "packages/functions/src/handlers/middyRecord.handler",
      timeoutSec: 10,
      memoryMb: 256,
    },
    noop: { handler: "packages/functions/src/handlers/noop.handler", timeoutSec: 10, memoryMb: 128 },
  },
  routes: [
    {
      queue: { name: "orders", visibilityTimeoutSec: 30, maxReceiveCount: 3 },
      function: "record",
      batchSize: 10,
      minLoops: 1,
      maxLoops: 4,
      scaleStep: 1,
      // Staggered tiers: a deeper backlog adds loops sooner than one alarm alone would.
      alarms: [
        { threshold: 500, periodSec: 60, evaluationPeriods: 1 },
        { threshold: 2_000, periodSec: 60, evaluationPeriods: 1 },
      ],
    },
    {
      queue: { name: "payments.fifo", visibilityTimeoutSec: 30, maxReceiveCount: 3 },
      function: "record",
      batchSize: 10,
      minLoops: 1,
      maxLoops: 2,
      alarms: [{ threshold: 500, periodSec: 60, evaluationPeriods: 1 }],
    },
    {
      queue: { name: "audit", visibilityTimeoutSec: 30, maxReceiveCount: 3 },
      function: "middyRecord",
      batchSize: 10,
      minLoops: 1,
      maxLoops: 2,
    },
    // Quiet routes: no dedicated loop at rest; one shared loop long-polls all of them (the console
    // shows its group), and a burst on one adds dedicated loops through depth mode.
    ...["invoices", "refunds", "webhooks"].map((name) => ({
      queue: { name, visibilityTimeoutSec: 30, maxReceiveCount: 3 },
      function: "record",
      minLoops: 0,
      maxLoops: 2,
      scaling: { mode: "depth" as const, targetPerLoop: 500, scaleInCooldownSec: 60 },
    })),
  ],
  // Production: a loop runs for 15 minutes per invocation and restart looks every minute.
  poller: { timeoutSec: 900, waitTimeSec: 20, marginSec: 5, renewEverySec: 60, routeCacheTtlSec: 10 },
  restart: { intervalSec: 60, staleAfterSec: 960, startGraceSec: 120 },
  routeStore: { default: "ssm", stages: {} },
  // The demo routes use the example handlers (they obey sleepMs/fail/crash in bodies and keep every
  // body in the `processed` table): deploying them to AWS is a choice this demo makes on purpose.
  // Your own registry leaves this out (false) and points its functions at its own handlers.
  examples: true,
  // Locally, loops turn over every half minute and restart runs every few seconds,
  // so a laptop sees recursion, staleness and take-over happen.
  local: {
    poller: { timeoutSec: 30, waitTimeSec: 3, marginSec: 2, renewEverySec: 5, routeCacheTtlSec: 2 },
    restart: { intervalSec: 3, staleAfterSec: 15, startGraceSec: 10 },
  },
});
