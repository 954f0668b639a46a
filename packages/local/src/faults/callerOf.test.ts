import { describe, expect, it } from "vitest";
import { callerOf } from "./callerOf.js";

// Headers as @aws-sdk/client-dynamodb 3.1168 sends them on Node with AWS_SDK_UA_APP_ID=poller.
const nodeUserAgent =
  "aws-sdk-js/3.1168.0 ua/2.1 os/linux#6.18.44 lang/js md/nodejs#20.20.2 api/dynamodb#3.1168.0 " +
  "exec-env/AWS_Lambda_nodejs20.x m/N,E,P,e app/poller";

describe("callerOf", () => {
  it("reads the app id the SDK appends to user-agent on Node", () => {
    expect(callerOf({ "user-agent": nodeUserAgent, "x-amz-user-agent": "aws-sdk-js/3.1168.0" })).toBe(
      "poller",
    );
  });

  it("cuts off the suffix Powertools appends to the app id (poller, restart and handlers load it)", () => {
    // As the poller's DocumentClient sends it locally (@aws-sdk/client-dynamodb 3.1169, Powertools 2.35).
    const poller =
      "aws-sdk-js/3.1169.0 ua/2.1 os/linux#6.18.44 lang/js md/nodejs#20.20.2 api/dynamodb#3.1169.0 " +
      "exec-env/AWS_Lambda_nodejs20.x m/d,E,P,g app/poller-PT-NO-OP-2.35.0-PTEnv-AWS_Lambda_nodejs20.x";
    expect(callerOf({ "user-agent": poller })).toBe("poller");
    expect(callerOf({ "user-agent": poller.replace("app/poller", "app/scale-up") })).toBe("scale-up");
    expect(callerOf({ "user-agent": "aws-sdk-js/3.1169.0 app/PT-NO-OP-2.35.0-PTEnv-NA" })).toBe(
      "PT-NO-OP-2.35.0-PTEnv-NA",
    );
  });

  it("reads x-amz-user-agent, where browsers' SDK puts the whole string", () => {
    expect(callerOf({ "x-amz-user-agent": "aws-sdk-js/3.1168.0 ua/2.1 app/scale-up" })).toBe("scale-up");
  });

  it("finds no caller in a request from outside any function", () => {
    expect(callerOf({ "user-agent": nodeUserAgent.replace(" app/poller", "") })).toBeUndefined();
    expect(callerOf({ "user-agent": "aws-cli/1.45.0 Python/3.11 botocore/1.43.0" })).toBeUndefined();
    expect(callerOf({})).toBeUndefined();
  });
});
