import { describe, expect, it } from "vitest";
import { ConfigValidationError } from "./errors.js";
import { parseRoute } from "./parse.js";
import { queueUrlProblem } from "./queueUrl.js";

describe("queueUrlProblem", () => {
  it("accepts SQS's endpoints and the local edge's URLs", () => {
    for (const url of [
      "https://sqs.us-east-1.amazonaws.com/123456789012/orders",
      "https://sqs.cn-north-1.amazonaws.com.cn/123456789012/orders",
      "https://sqs.us-gov-west-1.amazonaws.com/123456789012/orders",
      "http://127.0.0.1:4566/000000000000/orders",
      "http://sqs.us-east-1.localhost:4566/000000000000/orders",
    ]) {
      expect(queueUrlProblem(url, "orders"), url).toBeUndefined();
    }
  });

  it("refuses any other host, and URLs that do not end in the route's queue", () => {
    const endpoint =
      "must be an SQS endpoint (https://sqs.<region>.amazonaws.com/...) or the local cloud's edge";
    expect(queueUrlProblem("https://evil.example/123456789012/orders", "orders")).toBe(endpoint);
    expect(
      queueUrlProblem("https://sqs.us-east-1.amazonaws.com.evil.example/123456789012/orders", "orders"),
    ).toBe(endpoint);
    expect(queueUrlProblem("http://sqs.us-east-1.amazonaws.com/123456789012/orders", "orders")).toBe(
      endpoint,
    );
    expect(queueUrlProblem("https://127.0.0.1:4566/000000000000/orders", "orders")).toBe(endpoint);
    expect(queueUrlProblem("https://sqs.us-east-1.amazonaws.com/123456789012/other", "orders")).toBe(
      "must end in /<12-digit account>/orders (the route's queueName)",
    );
    expect(queueUrlProblem("https://sqs.us-east-1.amazonaws.com/123456789012/orders?x=1", "orders")).toBe(
      "must be a plain queue URL (no credentials, query or fragment)",
    );
    expect(queueUrlProblem("not a url", "orders")).toBe("must be the queue's URL");
    expect(queueUrlProblem(`https://sqs.us-east-1.amazonaws.com/${"1".repeat(2_100)}`, "orders")).toBe(
      "must be at most 2048 characters (2136)",
    );
  });

  it("holds a URL to the stack's partition on AWS and to the edge's port locally", () => {
    const aws = { kind: "aws", region: "us-east-1" } as const;
    expect(
      queueUrlProblem("https://sqs.eu-west-1.amazonaws.com/123456789012/orders", "orders", aws),
    ).toBeUndefined();
    expect(
      queueUrlProblem("https://sqs.cn-north-1.amazonaws.com.cn/123456789012/orders", "orders", aws),
    ).toBe("must be an SQS endpoint of this stack's partition (https://sqs.<region>.amazonaws.com/...)");
    expect(queueUrlProblem("http://127.0.0.1:4566/000000000000/orders", "orders", aws)).toBe(
      "must be an SQS endpoint of this stack's partition (https://sqs.<region>.amazonaws.com/...)",
    );
    const local = { kind: "local", edge: "http://127.0.0.1:4566" } as const;
    expect(queueUrlProblem("http://localhost:4566/000000000000/orders", "orders", local)).toBeUndefined();
    expect(queueUrlProblem("http://127.0.0.1:9999/000000000000/orders", "orders", local)).toBe(
      "must be a queue of the local cloud's edge (http://127.0.0.1:4566)",
    );
    expect(queueUrlProblem("https://sqs.us-east-1.amazonaws.com/123456789012/orders", "orders", local)).toBe(
      "must be a queue of the local cloud's edge (http://127.0.0.1:4566)",
    );
  });

  it("is part of the stored-route schema, so a foreign URL is refused on write and on read", () => {
    try {
      parseRoute({
        queueName: "orders",
        queueUrl: "https://evil.example/123456789012/orders",
        functionName: "f",
      });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigValidationError);
      expect((error as ConfigValidationError).issues).toEqual([
        {
          path: "queueUrl",
          message:
            "must be an SQS endpoint (https://sqs.<region>.amazonaws.com/...) or the local cloud's edge",
        },
      ]);
    }
  });
});
