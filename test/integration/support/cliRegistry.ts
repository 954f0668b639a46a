import { defineDispatcher } from "@sqs-dispatcher/config";

/**
 * The registry the CLI integration tests load with `--config`: two functions, no deployed routes, and
 * the `pol-*` queues run-time routes may forward to.
 */
export default defineDispatcher({
  app: "clitest",
  functions: {
    record: { handler: "packages/functions/src/handlers/record.handler", timeoutSec: 10 },
    other: { handler: "packages/functions/src/handlers/noop.handler", timeoutSec: 10 },
  },
  routes: [],
  routableQueues: ["pol-*"],
});
