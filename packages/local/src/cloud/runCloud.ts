import type { Logger } from "@sqs-dispatcher/core";
import type { EdgePortInUseError } from "../edge/edgeServer.js";
import { DEFAULT_EDGE_PORT, type LocalCloud, startLocalCloud } from "./startLocalCloud.js";

export interface RunCloudOptions {
  readonly port?: number;
  readonly dataDir?: string;
}

/** Where `runCloud` writes: the summary to `out`, problems to `err`. Injected so tests can read them. */
export interface RunCloudIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

const processIo: RunCloudIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/**
 * `dispatcher cloud`: runs the local cloud in the foreground until SIGINT or SIGTERM, then stops it
 * (port freed) and resolves, so the command exits 0. It rejects, without printing, when the cloud cannot
 * start: an {@link EdgePortInUseError} says which port is taken and how to choose another; the caller
 * (the CLI) prints it and picks the exit code.
 */
export async function runCloud(options: RunCloudOptions, io: RunCloudIo = processIo): Promise<void> {
  const port = options.port ?? DEFAULT_EDGE_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`the edge port must be an integer between 0 and 65535, not ${String(options.port)}`);
  }
  const cloud = await startLocalCloud({
    port,
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    logger: stderrLogger(io),
  });
  for (const line of describeLocalCloud(cloud, options.dataDir)) io.out(line);

  await new Promise<void>((resolve, reject) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        // A second Ctrl+C while stopping means "now".
        io.err(`dispatcher cloud: ${signal} again, exiting without waiting`);
        process.exit(130);
      }
      stopping = true;
      io.out(`\n${signal}: stopping the local cloud...`);
      cloud.stop().then(
        () => {
          process.off("SIGINT", onSignal);
          process.off("SIGTERM", onSignal);
          io.out(`local cloud stopped; port ${cloud.port} is free`);
          resolve();
        },
        (error: unknown) => {
          process.off("SIGINT", onSignal);
          process.off("SIGTERM", onSignal);
          reject(error);
        },
      );
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
}

/** The endpoint summary `dispatcher cloud` prints: where the cloud is and how to point tools at it. */
export function describeLocalCloud(cloud: LocalCloud, dataDir?: string): string[] {
  const e = cloud.endpoint;
  return [
    `sqs-dispatcher local cloud on ${e}`,
    `  services  ${cloud.services.join(", ")}`,
    `  region    ${cloud.region}    account ${cloud.accountId}`,
    `  data      ${dataDir ? `${dataDir} (DynamoDB and SSM persist)` : "in memory (use --data DIR to keep it)"}`,
    "",
    "Point the AWS SDKs and the AWS CLI at it:",
    `  export AWS_ENDPOINT_URL=${e} AWS_REGION=${cloud.region} AWS_DEFAULT_REGION=${cloud.region}`,
    "  export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test",
    `  aws --endpoint-url ${e} sqs list-queues`,
    `  aws --endpoint-url ${e} dynamodb list-tables`,
    `  aws --endpoint-url ${e} ssm get-parameters-by-path --path / --recursive`,
    `  aws --endpoint-url ${e} lambda list-functions`,
    "",
    "Press Ctrl+C to stop.",
  ];
}

function stderrLogger(io: RunCloudIo): Logger {
  const line = (level: string) => (message: string, fields?: Record<string, unknown>) =>
    io.err(JSON.stringify({ level, message, ...fields }));
  // Debug is too chatty for a foreground command (every refused request).
  return { debug() {}, info: line("info"), warn: line("warn"), error: line("error") };
}
