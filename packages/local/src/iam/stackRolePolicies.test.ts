import { defineDispatcher } from "@sqs-dispatcher/config";
import { describe, expect, it } from "vitest";
import { localizePolicies } from "./stackRolePolicies.js";

const registry = defineDispatcher({
  app: "shop",
  functions: { record: { handler: "packages/functions/src/handlers/record.handler", timeoutSec: 10 } },
  routes: [{ queue: { name: "orders" }, function: "record" }],
});

describe("localizePolicies", () => {
  it("keys roles by local function name and renames the stack's functions and tables, not its queues", () => {
    const local = localizePolicies(
      {
        "shop-local-poller": {
          roleLogicalId: "PollerRole",
          managedPolicyArns: [],
          policies: [
            {
              name: "PollerPolicy",
              statements: [
                {
                  Effect: "Allow",
                  Action: ["lambda:InvokeFunction"],
                  Resource: [
                    "arn:aws:lambda:us-east-1:000000000000:function:shop-local-record",
                    "arn:aws:lambda:us-east-1:000000000000:function:shop-local-record:*",
                    "arn:aws:lambda:us-east-1:000000000000:function:someone-else",
                  ],
                },
                {
                  Effect: "Allow",
                  Action: "dynamodb:Query",
                  Resource: "arn:aws:dynamodb:us-east-1:000000000000:table/shop-local-tokens/index/*",
                },
                {
                  Effect: "Allow",
                  Action: "sqs:ReceiveMessage",
                  Resource: "arn:aws:sqs:us-east-1:000000000000:orders",
                },
              ],
            },
          ],
        },
        "shop-local-route-sync": { roleLogicalId: "SyncRole", managedPolicyArns: [], policies: [] },
      },
      {
        registry,
        stage: "local",
        routeStore: "ssm",
        region: "us-east-1",
        accountId: "000000000000",
        projectRoot: ".",
        tables: { tokens: "tokens", processed: "processed" },
      },
    );
    // The route sync runs only in a CloudFormation deploy: it has no local function.
    expect(Object.keys(local)).toEqual(["poller"]);
    expect(local.poller?.roleLogicalId).toBe("PollerRole");
    expect(local.poller?.policies[0]?.statements.map((s) => s.Resource)).toEqual([
      [
        "arn:aws:lambda:us-east-1:000000000000:function:record",
        "arn:aws:lambda:us-east-1:000000000000:function:record:*",
        "arn:aws:lambda:us-east-1:000000000000:function:someone-else",
      ],
      "arn:aws:dynamodb:us-east-1:000000000000:table/tokens/index/*",
      "arn:aws:sqs:us-east-1:000000000000:orders",
    ]);
  });
});
