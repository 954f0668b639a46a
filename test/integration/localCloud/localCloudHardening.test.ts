import { mkdtemp, rm, stat } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PutParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import {
  isEdgeHost,
  type LocalAdminApi,
  type LocalCloud,
  startLocalAdminApi,
  startLocalCloud,
} from "@sqs-dispatcher/local";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../support/waitFor.js";

/** One HTTP request with a Host header of our choosing (fetch would not let a test forge it). */
function send(
  port: number,
  options: {
    method?: string;
    path?: string;
    host: string;
    headers?: Record<string, string>;
    body?: Buffer | string;
  },
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        method: options.method ?? "GET",
        path: options.path ?? "/",
        headers: { ...options.headers, host: options.host },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
        );
      },
    );
    // The server may stop reading an oversized body and answer early: that is not a test failure.
    req.on("error", (error: NodeJS.ErrnoException) =>
      error.code === "EPIPE" || error.code === "ECONNRESET" ? undefined : reject(error),
    );
    req.end(options.body);
  });
}

const signedFor = (service: string) =>
  `AWS4-HMAC-SHA256 Credential=test/20261126/us-east-1/${service}/aws4_request, SignedHeaders=host;x-amz-date, Signature=00`;

let cloud: LocalCloud;
let api: LocalAdminApi;
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "dispatcher-hardening-"));
  cloud = await startLocalCloud({ port: 0, dataDir });
  api = await startLocalAdminApi({
    cloud,
    port: 0,
    functionName: "admin-api-hardening",
    environment: { TOKENS_TABLE: "tokens", ROUTE_STORE: "ssm", ROUTES_PATH: "/hardening/local/routes/" },
  });
}, 120_000);

afterAll(async () => {
  await api?.stop();
  await cloud?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe("Host check (DNS rebinding)", () => {
  it("accepts only loopback names with the edge's port", () => {
    expect(isEdgeHost("127.0.0.1:4566", 4566)).toBe(true);
    expect(isEdgeHost("localhost:4566", 4566)).toBe(true);
    expect(isEdgeHost("sqs.us-east-1.localhost:4566", 4566)).toBe(true);
    expect(isEdgeHost("evil.example:4566", 4566)).toBe(false);
    expect(isEdgeHost("127.0.0.1.evil.example:4566", 4566)).toBe(false);
    expect(isEdgeHost("localhost:4567", 4566)).toBe(false);
    expect(isEdgeHost("localhost", 4566)).toBe(false);
    expect(isEdgeHost(undefined, 4566)).toBe(false);
  });

  it("the edge answers 403 to a request for another host, and the service never sees it", async () => {
    const refused = await send(cloud.port, {
      method: "POST",
      host: `rebind.example:${cloud.port}`,
      headers: {
        authorization: signedFor("sqs"),
        "content-type": "application/x-amz-json-1.0",
        "x-amz-target": "AmazonSQS.CreateQueue",
      },
      body: JSON.stringify({ QueueName: "rebound" }),
    });
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.body)).toMatchObject({ __type: "AccessDeniedException" });
    const listed = await send(cloud.port, {
      method: "POST",
      host: `127.0.0.1:${cloud.port}`,
      headers: {
        authorization: signedFor("sqs"),
        "content-type": "application/x-amz-json-1.0",
        "x-amz-target": "AmazonSQS.ListQueues",
      },
      body: "{}",
    });
    expect(listed.status).toBe(200);
    expect(listed.body).not.toContain("rebound");
  });

  it("the local admin API answers 403 to another host and serves its own", async () => {
    expect((await send(api.port, { path: "/queues", host: `rebind.example:${api.port}` })).status).toBe(403);
    expect((await send(api.port, { path: "/queues/bad%20name", host: `localhost:${api.port}` })).status).toBe(
      400,
    );
  });
});

describe("request body caps", () => {
  it("refuses a CloudWatch request over 1 MB with 413, as AWS does", async () => {
    const res = await send(cloud.port, {
      method: "POST",
      host: `127.0.0.1:${cloud.port}`,
      headers: {
        authorization: signedFor("monitoring"),
        "content-type": "application/x-amz-json-1.0",
        "x-amz-target": "GraniteServiceVersion20100801.DescribeAlarms",
      },
      body: Buffer.alloc(2 * 1_048_576, 0x20),
    });
    expect(res.status).toBe(413);
    expect(res.body).toContain("RequestEntityTooLarge");
  });
});

describe("request body caps of the local move-task endpoint", () => {
  it("refuses a StartMessageMoveTask body over 64 KiB with 413, like the other services' caps", async () => {
    const res = await send(cloud.port, {
      method: "POST",
      host: `127.0.0.1:${cloud.port}`,
      headers: {
        authorization: signedFor("sqs"),
        "content-type": "application/x-amz-json-1.0",
        "x-amz-target": "AmazonSQS.StartMessageMoveTask",
      },
      body: Buffer.alloc(2 * 1_048_576, 0x20),
    });
    expect(res.status).toBe(413);
    expect(res.body).toContain("RequestEntityTooLarge");
  });
});

describe("the data folder", () => {
  it("is created 0700 from the start, with dynamodb/ inside it, even where nothing existed", async () => {
    const nested = join(dataDir, "fresh", "data");
    const second = await startLocalCloud({ port: 0, dataDir: nested });
    try {
      for (const folder of [join(dataDir, "fresh"), nested, join(nested, "dynamodb")]) {
        expect(((await stat(folder)).mode & 0o777).toString(8), folder).toBe("700");
      }
    } finally {
      await second.stop();
    }
  });
});

describe("ssm.json", () => {
  it("is written with mode 0600: it holds SecureString values in plain text", async () => {
    const ssm = new SSMClient({
      endpoint: cloud.endpoint,
      region: cloud.region,
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
    });
    await ssm.send(
      new PutParameterCommand({ Name: "/hardening/secret", Type: "SecureString", Value: "s3cret" }),
    );
    ssm.destroy();
    // The store saves after answering: wait for the file rather than assume it is there.
    const file = await waitFor(() => stat(join(dataDir, "ssm.json")).catch(() => undefined), {
      timeoutMs: 10_000,
      description: "ssm.json to be written",
    });
    const mode = file.mode & 0o777;
    expect(mode.toString(8)).toBe("600");
  });
});
