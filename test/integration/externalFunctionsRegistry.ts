import { testRegistry } from "./support/testPlatform.js";

/**
 * The registry of the external-functions acceptance test: no routes of its own, since the test routes
 * queues at run time to a function it creates with the AWS CLI. Loaded by the test's deploy and by the CLI.
 */
export default testRegistry({ app: "ext", routes: [] });
