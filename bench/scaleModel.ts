import path from "node:path";
import { fileURLToPath } from "node:url";
import { InvokeCommand } from "@aws-sdk/client-lambda";
import { BatchWriteCommand } from "@aws-sdk/lib-dynamodb";
import { defineDispatcher, PlatformLimits, type Registry, type Route } from "@sqs-dispatcher/config";
import { systemClock } from "@sqs-dispatcher/core";
import { deployLocal, type LocalCloud, type LocalDeployment, startLocalCloud } from "@sqs-dispatcher/local";
import { benchFunctions, defaultRouteConcurrency } from "./support/benchPlatform.js";

/** One size of the model: queues (each with a route) and tokens spread evenly over them. */
export interface ScaleSize {
  queues: number;
  tokens: number;
}

/** What one restart run cost (the restart function's own summary, plus the edge's request counts). */
export interface RestartCycle {
  seconds: number;
  stale: number;
  claimed: number;
  started: number;
  deleted: number;
  left: { claims: number; routes: number; orphans: number; scanIncomplete: boolean };
  /** Requests the run made, per `service:operation`, counted at the edge. */
  requests: Record<string, number>;
}

export interface ScaleSizeResult extends ScaleSize {
  allStale: RestartCycle;
  noneStale: RestartCycle;
  /** A restart run after every route's minLoops and maxLoops were raised by one (one token and loop each). */
  afterRegistryChange: RestartCycle;
}

/** Per-loop costs of idle loops on the real poller, AWS's default poller timing. */
export interface AtRest {
  loops: number;
  seconds: number;
  waitTimeSec: number;
  renewEverySec: number;
  routeCacheTtlSec: number;
  pollerTimeoutSec: number;
  /** Requests per loop-hour, per `service:operation`. */
  perLoopHour: Record<string, number>;
  routeReadsPerSecPerLoop: number;
}

export interface ScaleModelResult {
  restartIntervalSec: number;
  restartConcurrency: number;
  sizes: ScaleSizeResult[];
  atRest: AtRest;
}

const root = fileURLToPath(new URL("../", import.meta.url));
const restartIntervalSec = 60;

function diff(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) {
    const d = v - (before[k] ?? 0);
    if (d > 0) out[k] = d;
  }
  return out;
}

/** The sizes `pnpm bench --only scale` runs when `--sizes` does not say (docs/scale.md). */
export const defaultScaleSizes: readonly ScaleSize[] = [
  { queues: 100, tokens: 1000 },
  { queues: 300, tokens: 3000 },
  { queues: 1000, tokens: 5000 },
];

/**
 * Loop limits that admit `loops` (maxLoops × concurrency summed) and `perRoute` loops per route:
 * the model measures restart at sizes beyond the registry's default limits on purpose.
 */
function limitsFor(loops: number, perRoute: number) {
  return {
    maxLoopsTotal: Math.max(PlatformLimits.defaultMaxLoopsTotal, loops),
    maxLoopsPerRoute: Math.max(PlatformLimits.defaultMaxLoopsPerRoute, perRoute),
  };
}

/** The registry of one size: `queues` routes of `tokens / queues` loops each, one batch in flight per loop. */
export function scaleRegistry(size: ScaleSize): Registry {
  const perQueue = Math.max(1, Math.floor(size.tokens / size.queues));
  return defineDispatcher({
    app: "scale",
    functions: benchFunctions,
    routes: Array.from({ length: size.queues }, (_, i) => ({
      queue: { name: `s-${String(i).padStart(4, "0")}`, visibilityTimeoutSec: 10 },
      function: "noop",
      minLoops: 0,
      maxLoops: perQueue,
      concurrency: 1,
    })),
    limits: limitsFor(size.queues * perQueue, perQueue),
    local: {
      poller: { timeoutSec: 60, waitTimeSec: 20, marginSec: 2, renewEverySec: 20, routeCacheTtlSec: 10 },
      restart: { intervalSec: restartIntervalSec, staleAfterSec: 120, startGraceSec: 60 },
    },
  });
}

async function runRestart(cloud: LocalCloud, deployment: LocalDeployment): Promise<RestartCycle> {
  const before = cloud.requests.snapshot();
  const from = systemClock.now();
  const out = await deployment.clients.lambda.send(
    new InvokeCommand({ FunctionName: "restart", InvocationType: "RequestResponse", Payload: "{}" }),
  );
  const seconds = (systemClock.now() - from) / 1000;
  const text = out.Payload ? new TextDecoder().decode(out.Payload) : "";
  if (out.FunctionError) throw new Error(`restart failed: ${text}`);
  const result = JSON.parse(text) as Omit<RestartCycle, "seconds" | "requests">;
  const requests = diff(cloud.requests.snapshot(), before);
  // The bench's own Invoke of restart is not restart's work.
  if (requests["lambda:Invoke"]) requests["lambda:Invoke"] -= 1;
  return {
    seconds,
    stale: result.stale,
    claimed: result.claimed,
    started: result.started,
    deleted: result.deleted,
    left: result.left,
    requests,
  };
}

async function writeTokens(deployment: LocalDeployment, size: ScaleSize, lastUsed: number): Promise<void> {
  const perQueue = Math.max(1, Math.floor(size.tokens / size.queues));
  const rows = deployment.queues.flatMap((q) =>
    Array.from({ length: perQueue }, (_, i) => ({
      queueUrl: q.url,
      token: `slot-${i}`,
      loopId: `dead-${i}`,
      createdAt: lastUsed,
      startedAt: lastUsed,
      lastUsed,
    })),
  );
  const table = deployment.tables.tokens;
  for (let i = 0; i < rows.length; i += 25) {
    let items: Record<string, unknown>[] | undefined = rows
      .slice(i, i + 25)
      .map((Item) => ({ PutRequest: { Item } }));
    while (items && items.length > 0) {
      const out = await deployment.clients.doc.send(
        new BatchWriteCommand({ RequestItems: { [table]: items as never } }),
      );
      items = out.UnprocessedItems?.[table] as Record<string, unknown>[] | undefined;
    }
  }
}

/** Restart at one size: all tokens stale, then none stale, then after a registry change. */
async function measureSize(size: ScaleSize, log: (line: string) => void): Promise<ScaleSizeResult> {
  // A small account on purpose: the loops restart starts queue as async events instead of running.
  const cloud = await startLocalCloud({ port: 0, lambdaConcurrency: 16 });
  try {
    const registry = scaleRegistry(size);
    const t0 = systemClock.now();
    const deployment = await deployLocal(cloud, registry, { scheduler: false, allowOvercommit: true });
    log(`  ${size.queues} queues deployed in ${((systemClock.now() - t0) / 1000).toFixed(1)} s`);
    const poller = cloud.lambda.list().find((f) => f.name === "poller");
    if (!poller) throw new Error("no poller deployed");
    await cloud.lambda.register({
      ...poller,
      handler: path.join(root, "bench/handlers/loopSink.handler"),
      recursiveLoop: "Terminate",
    });
    // A first run on an empty table warms restart's execution environment: cold starts are not restart's cycle.
    await runRestart(cloud, deployment);
    await writeTokens(deployment, size, systemClock.now() - 10 * 60_000);
    const allStale = await runRestart(cloud, deployment);
    log(`  all stale: ${allStale.claimed} claimed in ${allStale.seconds.toFixed(2)} s`);
    // Just claimed: every token is starting (within its start grace), so none is stale.
    const noneStale = await runRestart(cloud, deployment);
    log(`  none stale: ${noneStale.seconds.toFixed(2)} s`);
    const perQueue = Math.max(1, Math.floor(size.tokens / size.queues));
    const stored = await deployment.routesStore.list();
    for (const route of stored) {
      const changed: Route = { ...route, minLoops: perQueue + 1, maxLoops: perQueue + 1, source: "edit" };
      await deployment.routesStore.put(changed);
    }
    const afterRegistryChange = await runRestart(cloud, deployment);
    log(
      `  after a registry change: ${afterRegistryChange.started} started in ${afterRegistryChange.seconds.toFixed(2)} s`,
    );
    await deployment.stopLoops();
    await deployment.stop();
    return { ...size, allStale, noneStale, afterRegistryChange };
  } finally {
    await cloud.stop();
  }
}

/** The at-rest registry: `loops` idle routes of one loop each, at the default concurrency. */
export function atRestRegistry(
  loops: number,
  timing: { waitTimeSec: number; renewEverySec: number; routeCacheTtlSec: number; pollerTimeoutSec: number },
): Registry {
  return defineDispatcher({
    app: "rest",
    functions: benchFunctions,
    routes: Array.from({ length: loops }, (_, i) => ({
      queue: { name: `idle-${i}`, visibilityTimeoutSec: 10 },
      function: "noop",
    })),
    local: {
      poller: {
        timeoutSec: timing.pollerTimeoutSec,
        waitTimeSec: timing.waitTimeSec,
        marginSec: 5,
        renewEverySec: timing.renewEverySec,
        routeCacheTtlSec: timing.routeCacheTtlSec,
      },
      restart: { intervalSec: 60, staleAfterSec: 960, startGraceSec: 120 },
    },
    limits: limitsFor(loops * defaultRouteConcurrency, 1),
  });
}

/** Idle loops on the real poller with AWS's default timing (wait 20 s, renew 60 s, route TTL 10 s). */
async function measureAtRest(loops: number, seconds: number): Promise<AtRest> {
  const cloud = await startLocalCloud({ port: 0 });
  const timing = { waitTimeSec: 20, renewEverySec: 60, routeCacheTtlSec: 10, pollerTimeoutSec: 120 };
  try {
    const registry = atRestRegistry(loops, timing);
    const deployment = await deployLocal(cloud, registry, { scheduler: false });
    await deployment.clients.lambda.send(
      new InvokeCommand({ FunctionName: "restart", InvocationType: "RequestResponse", Payload: "{}" }),
    );
    // Let every loop through its cold start and first heartbeat before counting.
    await systemClock.sleep(15_000);
    const before = cloud.requests.snapshot();
    const from = systemClock.now();
    await systemClock.sleep(seconds * 1000);
    const elapsed = (systemClock.now() - from) / 1000;
    const counted = diff(cloud.requests.snapshot(), before);
    await deployment.stopLoops();
    await deployment.stop();
    // Only what loops call: the local cloud's own machinery (alarm evaluation, SNS) is not a loop's cost.
    const perLoopHour: Record<string, number> = {};
    for (const [k, v] of Object.entries(counted)) {
      if (/^(dynamodb|sqs|ssm|lambda):/.test(k)) perLoopHour[k] = (v / loops) * (3600 / elapsed);
    }
    return {
      loops,
      seconds: elapsed,
      ...timing,
      perLoopHour,
      routeReadsPerSecPerLoop: (counted["ssm:GetParameter"] ?? 0) / loops / elapsed,
    };
  } finally {
    await cloud.stop();
  }
}

/**
 * The scale model (docs/scale.md): for each size, restart's full cycle with every token stale,
 * with none stale, and after a registry change; then the per-loop cost of idle loops.
 */
export async function benchScaleModel(
  sizes: readonly ScaleSize[],
  options: { restLoops: number; restSeconds: number; log: (line: string) => void },
): Promise<ScaleModelResult> {
  const results: ScaleSizeResult[] = [];
  for (const size of sizes) {
    options.log(`size ${size.queues} queues / ${size.tokens} tokens ...`);
    results.push(await measureSize(size, options.log));
  }
  options.log(`at rest: ${options.restLoops} idle loops for ${options.restSeconds} s ...`);
  const atRest = await measureAtRest(options.restLoops, options.restSeconds);
  return { restartIntervalSec, restartConcurrency: 32, sizes: results, atRest };
}
