import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import http from "node:http";
import type { AddressInfo } from "node:net";
import net from "node:net";

/** The account moto answers for with its default credentials, and the region the tests use. */
export const MOTO_ACCOUNT_ID = "123456789012";
export const MOTO_REGION = "us-east-1";

/** A running moto server behind the queue-URL rewriting proxy. */
export interface MotoServer {
  /** What clients and `AWS_ENDPOINT_URL` point at: the proxy in front of moto. */
  endpoint: string;
  /** moto itself, for its own API (`/moto-api/reset`). */
  motoEndpoint: string;
  region: string;
  accountId: string;
  /** What an SDK client needs to talk to it. */
  clientConfig: {
    endpoint: string;
    region: string;
    credentials: { accessKeyId: string; secretAccessKey: string };
  };
  /** The environment of a CLI process in AWS mode against it (`AWS_ENDPOINT_URL` and test credentials). */
  awsEnv: Record<string, string>;
  /** The SQS URL AWS hands out for a queue (`https://sqs.<region>.amazonaws.com/<account>/<name>`). */
  queueUrl(name: string): string;
  /** Forgets every resource (moto's reset), so a test starts from an empty account. */
  reset(): Promise<void>;
  /** Stops the proxy and kills moto by its PID. */
  stop(): Promise<void>;
}

/** Why moto cannot be used here, or undefined when `python3 -c "import moto"` works. */
export function motoUnavailable(): string | undefined {
  const probe = spawnSync("python3", ["-c", "import moto; print(moto.__version__)"], { encoding: "utf8" });
  if (probe.status === 0) return undefined;
  return `moto is not importable by python3 (${(probe.stderr || String(probe.error)).trim()})`;
}

async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function answers(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const request = http.get(url, (response) => {
      response.resume();
      resolve((response.statusCode ?? 500) < 500);
    });
    request.on("error", () => resolve(false));
    request.setTimeout(1_000, () => request.destroy());
  });
}

function killProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined)
    return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill("SIGKILL"), 3_000);
    child.once("exit", () => {
      clearTimeout(force);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

/**
 * moto builds every queue URL it returns from the request's Host (`Queue.url` in moto 5.2.1's
 * `sqs/models.py`: `{scheme}://{netloc}/{account}/{name}`; no setting changes it), so CreateQueue and
 * GetQueueUrl would answer `http://127.0.0.1:PORT/...`, which the AWS mode rightly refuses as a route's
 * queue URL. This proxy rewrites those URLs in SQS answers to the ones AWS hands out, and passes
 * everything else through untouched. The code under test runs as it does on AWS: no seam in it, and
 * the URL check is exercised with real SQS-shaped URLs. (moto reads only a queue URL's last segment,
 * so requests naming `https://sqs.<region>.amazonaws.com/...` reach the right queue.)
 */
function startRewritingProxy(target: number, region: string): Promise<http.Server> {
  const hostUrl = /http:\/\/(?:127\.0\.0\.1|localhost):\d+\/(\d{12})\//g;
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const isSqs = String(request.headers["x-amz-target"] ?? "").startsWith("AmazonSQS.");
      const upstream = http.request(
        {
          host: "127.0.0.1",
          port: target,
          method: request.method,
          path: request.url,
          headers: request.headers,
        },
        (answer) => {
          const parts: Buffer[] = [];
          answer.on("data", (chunk: Buffer) => parts.push(chunk));
          answer.on("end", () => {
            let body = Buffer.concat(parts);
            if (isSqs) {
              body = Buffer.from(
                body.toString("utf8").replace(hostUrl, `https://sqs.${region}.amazonaws.com/$1/`),
                "utf8",
              );
            }
            const headers = { ...answer.headers, "content-length": String(body.length) };
            delete headers["transfer-encoding"];
            response.writeHead(answer.statusCode ?? 502, headers);
            response.end(body);
          });
        },
      );
      upstream.on("error", (error) => {
        response.writeHead(502, { "content-type": "text/plain" });
        response.end(`moto proxy: ${error.message}`);
      });
      upstream.end(Buffer.concat(chunks));
    });
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve(server));
  });
}

/**
 * Starts `python3 -m moto.server` on a free loopback port, waits until it answers (30 s deadline),
 * and puts the rewriting proxy in front of it. One per test file: start it in `beforeAll`, stop it
 * in `afterAll`. If it does not come up, the process is killed before the error is thrown.
 */
export async function startMoto(): Promise<MotoServer> {
  const unavailable = motoUnavailable();
  if (unavailable) throw new Error(`${unavailable}; the contract tests need moto 5 in the image's python3`);
  const port = await freePort();
  const child = spawn("python3", ["-m", "moto.server", "-H", "127.0.0.1", "-p", String(port)], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = `${stderr}${chunk.toString("utf8")}`.slice(-4_000);
  });
  const motoEndpoint = `http://127.0.0.1:${port}`;
  let proxy: http.Server | undefined;
  try {
    const deadline = Date.now() + 30_000;
    while (!(await answers(`${motoEndpoint}/moto-api/`))) {
      if (child.exitCode !== null) throw new Error(`moto exited with ${child.exitCode}: ${stderr}`);
      if (Date.now() > deadline)
        throw new Error(`moto did not answer on ${motoEndpoint} within 30 s: ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    proxy = await startRewritingProxy(port, MOTO_REGION);
  } catch (error) {
    await killProcess(child);
    throw error;
  }
  const endpoint = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  const credentials = { accessKeyId: "testing", secretAccessKey: "testing" };
  const runningProxy = proxy;
  return {
    endpoint,
    motoEndpoint,
    region: MOTO_REGION,
    accountId: MOTO_ACCOUNT_ID,
    clientConfig: { endpoint, region: MOTO_REGION, credentials },
    awsEnv: {
      AWS_ENDPOINT_URL: endpoint,
      AWS_REGION: MOTO_REGION,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    },
    queueUrl: (name) => `https://sqs.${MOTO_REGION}.amazonaws.com/${MOTO_ACCOUNT_ID}/${name}`,
    async reset() {
      const response = await fetch(`${motoEndpoint}/moto-api/reset`, { method: "POST" });
      if (!response.ok) throw new Error(`moto reset answered ${response.status}`);
    },
    async stop() {
      runningProxy.closeAllConnections();
      await new Promise<void>((resolve) => runningProxy.close(() => resolve()));
      await killProcess(child);
    },
  };
}
