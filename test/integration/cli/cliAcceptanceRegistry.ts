import { testRegistry } from "../support/testPlatform.js";

/**
 * The registry of the CLI acceptance test: the example handlers with test-sized timeouts and no
 * deployed routes, since the test routes a queue at run time. Loaded by the test's deploy and by the CLI.
 * The queues it routes at run time are `routableQueues`, so the poller's role (enforced locally as
 * on AWS) may read them.
 */
export default testRegistry({ routes: [], routableQueues: ["acc-*"] });
