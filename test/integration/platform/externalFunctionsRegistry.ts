import { testRegistry } from "../support/testPlatform.js";

/**
 * The registry of the external-functions acceptance test: no routes of its own, since the test routes
 * queues at run time to functions it creates with the AWS CLI; the local cloud enforces the stack's IAM,
 * so the poller may invoke only the functions `routableFunctions` allows. Loaded by the test's deploy and
 * by the CLI.
 */
export default testRegistry({
  app: "ext",
  routes: [],
  routableQueues: ["ext-*"],
  routableFunctions: ["billing-handler", "slowpoke", "growing"],
});
