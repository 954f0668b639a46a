import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { connect, createServer } from "node:net";
import { networkInterfaces } from "node:os";
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import {
  createEdgeServer,
  DuplicateSigningNameError,
  EdgePortInUseError,
  type LocalCloud,
  type LocalService,
  runCloud,
  startLocalCloud,
} from "@sqs-dispatcher/local";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const signedFor = (service: string) =>
  `AWS4-HMAC-SHA256 Credential=test/20261126/us-east-1/${service}/aws4_request, SignedHeaders=host;x-amz-date, Signature=00`;

/** Resolves true when something accepts a TCP connection at host:port, false when refused. */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** Whether a fresh server can listen on 127.0.0.1:port (the port is free). */
async function canListen(port: number): Promise<boolean> {
  const probe = createServer();
  try {
    probe.listen({ port, host: "127.0.0.1", exclusive: true });
    await once(probe, "listening");
    return true;
  } catch {
    return false;
  } finally {
    if (probe.listening) await new Promise((resolve) => probe.close(resolve));
  }
}

describe("the edge of a running local cloud", () => {
  let cloud: LocalCloud;
  beforeAll(async () => {
    cloud = await startLocalCloud({ port: 0 });
  });
  afterAll(async () => {
    await cloud?.stop();
  });

  it("listens on 127.0.0.1 only", async () => {
    expect(cloud.endpoint).toBe(`http://127.0.0.1:${cloud.port}`);
    expect(await accepts("127.0.0.1", cloud.port)).toBe(true);
    const external = Object.values(networkInterfaces())
      .flat()
      .filter((nic) => nic !== undefined && !nic.internal && nic.family === "IPv4")
      .map((nic) => nic?.address ?? "");
    for (const address of external) {
      expect(await accepts(address, cloud.port), `reachable on ${address}`).toBe(false);
    }
  });

  it("serves the services by their signing names", () => {
    expect(cloud.services).toEqual(expect.arrayContaining(["sqs", "sns", "dynamodb", "ssm", "lambda"]));
  });

  it("answers a service it does not serve with UnrecognizedClientException", async () => {
    const res = await fetch(cloud.endpoint, {
      method: "POST",
      headers: {
        authorization: signedFor("kinesis"),
        "content-type": "application/x-amz-json-1.1",
        "x-amz-target": "Kinesis_20131202.ListStreams",
      },
      body: "{}",
    });
    expect(res.status).toBe(400);
    expect(res.headers.get("x-amzn-errortype")).toBe("UnrecognizedClientException");
    const body = (await res.json()) as { __type: string; message: string };
    expect(body.__type).toBe("UnrecognizedClientException");
    expect(body.message).toContain("kinesis");
  });

  it("answers an unsigned request with MissingAuthenticationTokenException", async () => {
    const res = await fetch(cloud.endpoint, { method: "POST", body: "{}" });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { __type: string }).__type).toBe("MissingAuthenticationTokenException");
  });
});

describe("starting and stopping", () => {
  it("frees its port on stop(), even with a long poll in flight", async () => {
    const cloud = await startLocalCloud({ port: 0 });
    const sqs = new SQSClient({
      endpoint: cloud.endpoint,
      region: "us-east-1",
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
      maxAttempts: 1,
    });
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: "stop-while-polling" }));
    const poll = sqs
      .send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 20 }))
      .catch(() => undefined);
    await cloud.stop();
    await poll;
    sqs.destroy();
    expect(await canListen(cloud.port)).toBe(true);
    await cloud.stop(); // a second stop is harmless
  });

  it("reports a taken port by number and how to choose another", async () => {
    const squatter = createServer();
    squatter.listen({ port: 0, host: "127.0.0.1" });
    await once(squatter, "listening");
    const port = (squatter.address() as AddressInfo).port;
    try {
      const error = await startLocalCloud({ port }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(EdgePortInUseError);
      expect((error as Error).message).toContain(String(port));
      expect((error as Error).message).toContain("--port");

      // runCloud leaves printing to the CLI, which turns the rejection into exit code 1.
      const lines: string[] = [];
      await expect(
        runCloud({ port }, { out: (l) => lines.push(l), err: (l) => lines.push(l) }),
      ).rejects.toThrow(EdgePortInUseError);
      expect(lines).toEqual([]);
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  });

  it("answers InternalFailure when a service throws, and refuses two services with one signing name", async () => {
    const broken: LocalService = {
      signingNames: ["broken"],
      handle() {
        throw new Error("boom");
      },
      close: async () => {},
    };
    expect(() => createEdgeServer({ services: [broken, broken] })).toThrow(DuplicateSigningNameError);
    const edge = createEdgeServer({ services: [broken] });
    const port = await edge.listen(0);
    try {
      expect((edge.server.address() as AddressInfo).address).toBe("127.0.0.1");
      const res = await fetch(`http://127.0.0.1:${port}/`, {
        method: "POST",
        headers: { authorization: signedFor("broken") },
        body: "{}",
      });
      expect(res.status).toBe(500);
      expect(((await res.json()) as { __type: string }).__type).toBe("InternalFailure");
    } finally {
      await edge.close();
    }
    expect(await canListen(port)).toBe(true);
  });
});

describe("dispatcher cloud", () => {
  let child: ChildProcess | undefined;
  afterAll(() => {
    if (child && child.exitCode === null) child.kill("SIGKILL");
  });

  it("prints its endpoint summary, and on SIGINT stops, frees the port and exits 0", async () => {
    child = spawn(process.execPath, ["--import", "tsx", "packages/cli/src/main.ts", "cloud", "--port", "0"], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE: "1" },
    });
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = once(child, "exit") as Promise<[number | null, NodeJS.Signals | null]>;

    const deadline = Date.now() + 45_000;
    while (!stdout.includes("Ctrl+C") && Date.now() < deadline && child.exitCode === null) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(stdout, stderr).toContain("Ctrl+C");
    const endpoint = /local cloud on (http:\/\/127\.0\.0\.1:(\d+))/.exec(stdout);
    expect(endpoint, stdout).not.toBeNull();
    const port = Number(endpoint?.[2]);
    expect(stdout).toContain(`export AWS_ENDPOINT_URL=${endpoint?.[1]}`);
    expect(stdout).toMatch(/services\s+.*sqs.*dynamodb.*ssm/);
    expect(await accepts("127.0.0.1", port)).toBe(true);

    child.kill("SIGINT");
    const [code, signal] = await exited;
    expect({ code, signal, stderr }).toMatchObject({ code: 0, signal: null });
    expect(await canListen(port)).toBe(true);
  });
});
