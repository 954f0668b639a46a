import { testRegistry } from "../support/testPlatform.js";

/**
 * The registry of the run-time loop limit test, a module so that the test platform deploys it and
 * the CLI loads it with `--config`: small limits, so a stored route past them shows the clamp.
 */
export default testRegistry({
  limits: { maxLoopsPerRoute: 3, maxLoopsTotal: 12 },
  routes: [{ queue: { name: "capped", visibilityTimeoutSec: 5 }, function: "noop", maxLoops: 2 }],
});
