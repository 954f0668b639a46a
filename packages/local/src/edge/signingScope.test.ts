import { describe, expect, it } from "vitest";
import { signingScopeOf } from "./signingScope.js";

describe("signingScopeOf", () => {
  it("reads access key, date, region and service from a SigV4 header", () => {
    const header =
      "AWS4-HMAC-SHA256 Credential=test/20261126/us-east-1/sqs/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc";
    expect(signingScopeOf(header)).toEqual({
      accessKeyId: "test",
      date: "20261126",
      region: "us-east-1",
      service: "sqs",
    });
  });

  it("reads the header botocore writes (no space after commas)", () => {
    const header =
      "AWS4-HMAC-SHA256 Credential=AKID/20261126/eu-west-1/ssm/aws4_request,SignedHeaders=host,Signature=x";
    expect(signingScopeOf(header)?.service).toBe("ssm");
    expect(signingScopeOf(header)?.region).toBe("eu-west-1");
  });

  it("returns undefined for a missing, non-SigV4 or malformed header", () => {
    expect(signingScopeOf(undefined)).toBeUndefined();
    expect(signingScopeOf("Bearer token")).toBeUndefined();
    expect(signingScopeOf("AWS AKID:signature")).toBeUndefined();
    expect(
      signingScopeOf("AWS4-HMAC-SHA256 Credential=test/20261126/us-east-1/sqs, Signature=x"),
    ).toBeUndefined();
    expect(signingScopeOf("AWS4-HMAC-SHA256 SignedHeaders=host, Signature=x")).toBeUndefined();
  });
});
