import { defineDispatcher } from "@sqs-dispatcher/config";

/**
 * The registry the moto tests deploy: stage `dev` keeps routes in SSM, stage `dyn` in DynamoDB, and
 * stage `dev-alice` (whose alarm names also start with `mototest-dev-`) shares the queues' names.
 */
export default defineDispatcher({
  app: "mototest",
  functions: {
    record: { handler: "packages/functions/src/handlers/record.handler", timeoutSec: 10 },
  },
  routes: [
    {
      queue: { name: "orders", visibilityTimeoutSec: 30, maxReceiveCount: 3 },
      function: "record",
      maxLoops: 4,
      alarms: [
        { threshold: 100, periodSec: 60, evaluationPeriods: 1 },
        { threshold: 1_000, periodSec: 60, evaluationPeriods: 1 },
      ],
    },
    {
      queue: { name: "payments.fifo", visibilityTimeoutSec: 30, maxReceiveCount: 3 },
      function: "record",
      maxLoops: 2,
    },
  ],
  routeStore: { default: "ssm", stages: { dyn: "dynamodb" } },
});
