import { testRegistry } from "../support/testPlatform.js";

/**
 * The registry of the DLQ tests, a module so that the test platform deploys it and the CLI loads
 * it with `--config`: route `poison` dead-letters after 2 receives; `accept` never fails.
 */
export default testRegistry({
  functions: {
    // Records into `processed` as the example handlers do: `example: true` has the stack grant it that table.
    accept: { handler: "test/fixtures/functions/acceptRecord.handler", timeoutSec: 2, example: true },
  },
  routes: [
    { queue: { name: "poison", visibilityTimeoutSec: 2, maxReceiveCount: 2 }, function: "record" },
    {
      queue: { name: "spare", visibilityTimeoutSec: 2, maxReceiveCount: 2 },
      function: "record",
      paused: true,
    },
  ],
});
