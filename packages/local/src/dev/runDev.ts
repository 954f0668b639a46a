import { createWriteStream, fchmodSync, openSync } from "node:fs";
import path from "node:path";
import { loadRegistry } from "@sqs-dispatcher/config";
import { type ConsoleHandler, createConsoleHandler } from "@sqs-dispatcher/console";
import type { Logger } from "@sqs-dispatcher/core";
import { createCloudWatchMetricReader } from "@sqs-dispatcher/core/aws";
import {
  DEFAULT_LOCAL_ADMIN_API_PORT,
  type LocalAdminApi,
  startLocalAdminApi,
} from "../adminApi/startLocalAdminApi.js";
import { describeLocalCloud } from "../cloud/runCloud.js";
import { DEFAULT_EDGE_PORT, type LocalCloud, startLocalCloud } from "../cloud/startLocalCloud.js";
import { localConsoleDeps } from "../console/localConsoleDeps.js";
import { EdgePortInUseError } from "../edge/edgeServer.js";
import { writePermissionReport } from "../iam/permissionReportFile.js";
import { deployLocal, type LocalDeployment } from "../platform/deployLocal.js";
import { ensurePrivateDirSync } from "../privateDir.js";
import { projectRoot } from "../projectRoot.js";
import { type DemoTraffic, startDemoTraffic } from "./demoTraffic.js";
import { startStatusBoard } from "./statusBoard.js";

/** Options of {@link runDev} (the `dispatcher dev` flags). */
export interface RunDevOptions {
  port?: number;
  /** Port of the local admin API on 127.0.0.1 (default 4567; 0 picks a free one). */
  adminApiPort?: number;
  dataDir?: string;
  /** Reset routes edited at run time to the registry's (`--reset-routes`). */
  resetRoutes?: boolean;
  /**
   * Enforce the stack's IAM on every function's calls (`--enforce-iam`); on stop, the roles' used and
   * never-used grants are written to `.dispatcher/iam-report.txt` (and `.json`).
   */
  enforceIam?: boolean;
  /** Send bursty demo traffic (default true; `--no-demo` sends nothing). */
  demo?: boolean;
  /** Messages per demo burst and queue (default 3,000 on the first queue, 1,000 FIFO, 500 others); tests send a few. */
  demoBurstSize?: number;
  /** Pause between demo bursts, ms (default 25 s). */
  demoIntervalMs?: number;
  /** Status board refresh period, ms (default 1 s). */
  statusIntervalMs?: number;
  /** Without a TTY, print the board every this many refreshes (default 5). */
  statusPlainEvery?: number;
  /** The registry module (default: `dispatcher.config.ts` at the repository root). */
  configPath?: string;
  /** Where the cloud's and the functions' logs go (default `.dispatcher/dev.log`), so they do not tear the status board. */
  logFile?: string;
  /** Stops the run like Ctrl-C does (tests); without it, SIGINT/SIGTERM stop it. */
  signal?: AbortSignal;
  /** Where the summary and the status board are written (default stdout). */
  out?: NodeJS.WriteStream | { write(chunk: string): unknown; isTTY?: boolean };
  /** Called once everything is deployed and running (tests use it to look at the deployment). */
  /** `consoleUrl` is the one printed: it carries the console's per-run secret (`/?token=…`). */
  onReady?: (running: { cloud: LocalCloud; deployment: LocalDeployment; consoleUrl: string }) => void;
}

function fileLogger(file: string): { logger: Logger; close(): Promise<void> } {
  // The log holds message bodies and errors: the owner's alone, as the data folder is.
  ensurePrivateDirSync(path.dirname(file));
  const fd = openSync(file, "a", 0o600);
  fchmodSync(fd, 0o600);
  const stream = createWriteStream(file, { fd });
  const line = (level: string) => (message: string, fields?: Record<string, unknown>) => {
    stream.write(`${JSON.stringify({ time: new Date().toISOString(), level, message, ...fields })}\n`);
  };
  return {
    logger: { debug() {}, info: line("info"), warn: line("warn"), error: line("error") },
    close: () => new Promise((resolve) => stream.end(resolve)),
  };
}

/** Resolves on the first of SIGINT/SIGTERM or the abort signal. */
function untilStopped(signal: AbortSignal | undefined): Promise<string> {
  return new Promise((resolve) => {
    const done = (why: string) => {
      process.off("SIGINT", onInt);
      process.off("SIGTERM", onTerm);
      signal?.removeEventListener("abort", onAbort);
      resolve(why);
    };
    const onInt = () => done("SIGINT");
    const onTerm = () => done("SIGTERM");
    const onAbort = () => done("abort");
    if (signal?.aborted) return done("abort");
    signal?.addEventListener("abort", onAbort);
    if (!signal) {
      process.on("SIGINT", onInt);
      process.on("SIGTERM", onTerm);
    }
  });
}

/**
 * `pnpm dev`: starts the local cloud, deploys the registry (queues, tables, routes, functions,
 * restart schedule; the first restart brings every route to `minLoops`), optionally sends bursty
 * demo traffic, and shows a live status line per queue until Ctrl-C, which stops the demo, the
 * schedule, the loops (the Lambda service goes with the cloud) and the cloud, in that order.
 */
export async function runDev(options: RunDevOptions = {}): Promise<void> {
  const out = options.out ?? process.stdout;
  const print = (line: string) => out.write(`${line}\n`);
  const port = options.port ?? DEFAULT_EDGE_PORT;
  const logFile = options.logFile ?? path.join(projectRoot(), ".dispatcher", "dev.log");
  const logs = fileLogger(logFile);
  const registry = await loadRegistry(options.configPath ?? path.join(projectRoot(), "dispatcher.config.ts"));

  let cloud: LocalCloud;
  try {
    cloud = await startLocalCloud({
      port,
      ...(options.dataDir ? { dataDir: options.dataDir } : {}),
      logger: logs.logger,
      enforceIam: options.enforceIam ?? false,
    });
  } catch (error) {
    await logs.close();
    if (error instanceof EdgePortInUseError) {
      process.stderr.write(`dispatcher dev: ${error.message}\n`);
      process.exitCode = 1;
      return;
    }
    throw error;
  }

  let deployment: LocalDeployment | undefined;
  let demo: DemoTraffic | undefined;
  let board: { stop(): Promise<void> } | undefined;
  let adminApi: LocalAdminApi | undefined;
  let consoleHandler: ConsoleHandler | undefined;
  try {
    for (const line of describeLocalCloud(cloud, options.dataDir).slice(0, -1)) print(line);
    print(`Deploying ${registry.app} from the registry...`);
    deployment = await deployLocal(cloud, registry, {
      logger: logs.logger,
      resetRoutes: options.resetRoutes ?? false,
    });
    for (const line of deployment.report) print(`  ${line}`);
    for (const q of deployment.queues)
      print(`  queue ${q.name}: ${q.url}${q.dlqUrl ? ` (DLQ ${q.dlqUrl})` : ""}`);
    consoleHandler = createConsoleHandler(
      localConsoleDeps(deployment, { endpoint: cloud.endpoint, logger: logs.logger }),
      logs.logger,
    );
    adminApi = await startLocalAdminApi({
      cloud,
      environment: deployment.platformEnvironment,
      port: options.adminApiPort ?? DEFAULT_LOCAL_ADMIN_API_PORT,
      logger: logs.logger,
      console: consoleHandler,
    });
    print(`Console: ${adminApi.url}${consoleHandler.loginPath}`);
    print(`Admin API: ${adminApi.url}/queues (and /queues/{name}?view=summary|loops)`);
    print(`Logs: ${logFile}`);
    print(
      options.demo === false
        ? "No demo traffic (--no-demo)."
        : `Demo: bursts of messages every ~${Math.round((options.demoIntervalMs ?? 25_000) / 1000)} s.`,
    );
    print("Press Ctrl+C to stop.\n");

    if (options.demo !== false) {
      // Two queues at least, one FIFO: the standard ones get the big bursts, FIFO a smaller one.
      demo = startDemoTraffic({
        sqs: deployment.clients.sqs,
        targets: deployment.queues.map((q) => ({
          name: q.name,
          url: q.url,
          burstSize:
            options.demoBurstSize ??
            (q.name.endsWith(".fifo") ? 1_000 : q.name === deployment?.queues[0]?.name ? 3_000 : 500),
          // No poison on the FIFO queue: as on AWS, a message that keeps failing holds its whole group
          // for visibility timeout × maxReceiveCount and takes the rest of its batch to the DLQ with
          // it (their receives are used up behind it), which would hide what the loops do with the
          // other groups. The standard queues show poison messages reaching their DLQs.
          ...(q.name.endsWith(".fifo") ? { failRate: 0 } : {}),
        })),
        ...(options.demoIntervalMs !== undefined ? { intervalMs: options.demoIntervalMs } : {}),
        logger: logs.logger,
      });
    }
    board = startStatusBoard({
      sqs: deployment.clients.sqs,
      doc: deployment.clients.doc,
      tokensTable: deployment.tables.tokens,
      processedTable: deployment.tables.processed,
      queues: deployment.queues,
      metrics: createCloudWatchMetricReader({ cloudwatch: deployment.clients.cloudwatch }),
      stage: deployment.platformEnvironment["DISPATCHER_STAGE"] ?? "local",
      out,
      ...(options.statusIntervalMs !== undefined ? { intervalMs: options.statusIntervalMs } : {}),
      ...(options.statusPlainEvery !== undefined ? { plainEvery: options.statusPlainEvery } : {}),
    });
    options.onReady?.({ cloud, deployment, consoleUrl: `${adminApi.url}${consoleHandler.loginPath}` });

    const why = await untilStopped(options.signal);
    print(`\n${why === "abort" ? "Stopping" : `${why}: stopping`}: demo, schedule, loops, local cloud...`);
  } finally {
    await demo?.stop().catch(() => undefined);
    await board?.stop().catch(() => undefined);
    await adminApi?.stop().catch(() => undefined);
    await consoleHandler?.close().catch(() => undefined);
    await deployment?.stopLoops().catch(() => undefined);
    await deployment?.stop().catch(() => undefined);
    await cloud.stop();
    await logs.close();
  }
  if (cloud.iam.enforcing) {
    const { reports, textFile } = await writePermissionReport(
      cloud.iam,
      cloud.accountId,
      path.join(projectRoot(), ".dispatcher"),
    );
    const unused = reports.reduce((n, r) => n + r.unused.length, 0);
    const denied = reports.reduce((n, r) => n + r.denied.length, 0);
    print(
      `IAM: ${denied} denied authorization(s), ${unused} grant(s) never used; see ${path.relative(process.cwd(), textFile)}`,
    );
  }
  print(`Stopped; port ${cloud.port} is free.`);
  process.exitCode = 0;
}
