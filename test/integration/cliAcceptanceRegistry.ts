import { testRegistry } from "./support/testPlatform.js";

/**
 * The registry of the CLI acceptance test: the example handlers with test-sized timeouts and no
 * deployed routes, since the test routes a queue at run time. Loaded by the test's deploy and by the CLI.
 */
export default testRegistry({ routes: [] });
