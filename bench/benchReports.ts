import type { IdleResult } from "./idleRoutes.js";
import type { LatencyResult } from "./latency.js";
import type { RateLimitResult } from "./rateLimit.js";
import type { RecoveryResult } from "./recovery.js";
import type { ScaleModelResult } from "./scaleModel.js";
import type { ScaleReactionResult } from "./scaleReaction.js";
import type { SlowHandlerSweepResult } from "./slowHandlerSweep.js";
import { defaultRouteConcurrency } from "./support/benchPlatform.js";
import { round } from "./support/stats.js";
import { renderTable } from "./support/table.js";
import { Contender, type ThroughputResult } from "./throughput.js";

/** Where a report's lines go: `pnpm bench` prints them, `--json` drops them. */
export type Say = (text: string) => void;

/** A dispatcher contender the head-to-head shows (the default concurrency and 1); the sweep shows the rest. */
const sweepless = (id: string) =>
  id === Contender.dispatcher(defaultRouteConcurrency) || id === Contender.dispatcher(1);

/**
 * The throughput tables: the head-to-head and the concurrency sweep (those asked for), the lease
 * writes under load and the cost per million messages.
 */
export function reportThroughput(
  t: ThroughputResult,
  asked: { rounds: number; headToHead: boolean; sweep: boolean },
  say: Say,
): void {
  const { rounds } = asked;
  const rate = (id: string) => t.contenders.find((c) => c.id === id)?.msgsPerSec ?? Number.NaN;
  const ratio = (a: number, b: number) => (Number.isFinite(a / b) ? round(a / b, 2) : "-");
  const raw = rate(Contender.Raw);
  const consumer = rate(Contender.ConsumerInProcess);
  if (asked.headToHead) {
    say(`\nhead-to-head (median of ${rounds}; same queue service, same observer):`);
    say(
      renderTable(
        ["contender", "msgs/s", "min-max", "vs raw", "vs sqs-consumer in-process"],
        t.contenders
          .filter((c) => !c.id.startsWith("dispatcher-") || sweepless(c.id))
          .map((c) => [
            c.name,
            Math.round(c.msgsPerSec),
            `${Math.round(c.min)}-${Math.round(c.max)}`,
            ratio(c.msgsPerSec, raw),
            ratio(c.msgsPerSec, consumer),
          ]),
      ),
    );
    const loop = rate(Contender.dispatcher(defaultRouteConcurrency));
    say(
      `goal: one loop at the default concurrency >= 1.2x sqs-consumer (${ratio(loop, consumer)}x) and >= 0.7x raw (${ratio(loop, raw)}x)`,
    );
  }
  if (asked.sweep) {
    const one = rate(Contender.dispatcher(1));
    say(`\nconcurrency sweep, one loop (median of ${rounds}):`);
    say(
      renderTable(
        ["concurrency", "msgs/s", "min-max", "vs concurrency 1", "vs raw", "vs sqs-consumer in-process"],
        t.contenders
          .filter((c) => c.id.startsWith("dispatcher-"))
          .map((c) => [
            c.id.slice("dispatcher-c".length) +
              (c.id === Contender.dispatcher(defaultRouteConcurrency) ? " (default)" : ""),
            Math.round(c.msgsPerSec),
            `${Math.round(c.min)}-${Math.round(c.max)}`,
            ratio(c.msgsPerSec, one),
            ratio(c.msgsPerSec, raw),
            ratio(c.msgsPerSec, consumer),
          ]),
      ),
    );
  }
  say(
    `\nDynamoDB writes under load (one loop; renewEverySec ${t.renewEverySec} as on AWS; every write the edge served while the loop drained; goal <= 5 per 1,000 messages):`,
  );
  say(
    renderTable(
      ["concurrency", "messages", "loop seconds", "writes", "per 1,000 messages"],
      t.leaseWrites.map((w) => [
        w.concurrency,
        w.messages,
        round(w.loopSeconds, 1),
        w.writes,
        round(w.writesPer1000Messages, 3),
      ]),
    ),
  );
  if (t.cost) {
    const c = t.cost;
    say(
      `\ncost per million messages (one loop, concurrency ${c.concurrency}, batch size 10, no-op handler at 128 MB; goal <= $0.10):`,
    );
    say(
      renderTable(
        ["item", "per million messages"],
        [
          ...Object.entries(c.requests)
            .sort()
            .map(([k, n]) => [`${k} requests`, n]),
          ["handler GB-s", round(c.handlerGbSeconds, 1)],
          ["poller GB-s", round(c.pollerGbSeconds, 1)],
          ["$ SQS", round(c.dollars.sqs, 3)],
          ["$ Lambda requests", round(c.dollars.lambdaRequests, 3)],
          ["$ Lambda compute", round(c.dollars.lambdaCompute, 3)],
          ["$ DynamoDB", round(c.dollars.dynamodb, 4)],
          ["$ total", round(c.dollars.total, 3)],
        ],
      ),
    );
  }
}

/** The slow-handler concurrency sweep's table. */
export function reportSlowHandlerSweep(sweep: SlowHandlerSweepResult, say: Say): void {
  const one = sweep.runs.find((r) => r.concurrency === 1)?.msgsPerSec ?? Number.NaN;
  say(
    renderTable(
      ["concurrency", "msgs/s", "min-max", "vs concurrency 1"],
      sweep.runs.map((r) => [
        `${r.concurrency}${r.concurrency === defaultRouteConcurrency ? " (default)" : ""}`,
        Math.round(r.msgsPerSec),
        `${Math.round(r.min)}-${Math.round(r.max)}`,
        round(r.msgsPerSec / one, 2),
      ]),
    ),
  );
}

/** The latency table. */
export function reportLatency(l: LatencyResult, say: Say): void {
  say(renderTable(["samples", "p50 ms", "p99 ms", "max ms"], [[l.samples, l.p50Ms, l.p99Ms, l.maxMs]]));
}

/** The recovery table. */
export function reportRecovery(r: RecoveryResult, say: Say): void {
  say(
    renderTable(
      [
        "trials",
        "stale after s",
        "restart every s",
        "one kill: back in s",
        "killed for good: replaced in s (median/max)",
      ],
      [
        [
          r.trials,
          r.staleAfterSec,
          r.restartIntervalSec,
          round(r.retriedMedianSec, 2),
          `${round(r.replacedMedianSec, 2)} / ${round(r.replacedMaxSec, 2)}`,
        ],
      ],
    ),
  );
}

/** The scale reaction table. */
export function reportScaleReaction(s: ScaleReactionResult, say: Say): void {
  say(
    renderTable(
      ["mode", "seconds to maxLoops", "maxLoops"],
      s.modes.map((m) => [m.mode, round(m.seconds, 1), m.maxLoops]),
    ),
  );
}

/** The scale model's tables: restart and route reads per size, and the at-rest requests. */
export function reportScaleModel(m: ScaleModelResult, say: Say): void {
  const ops = (r: Record<string, number>, ...keys: string[]) => keys.map((k) => r[k] ?? 0).join(" / ");
  say(
    renderTable(
      [
        "queues",
        "tokens",
        "all stale: s",
        "claims/s",
        "left",
        "none stale: s",
        "registry change: s",
        "all stale: Scan / UpdateItem / Invoke",
        "none stale: Scan / Query",
      ],
      m.sizes.map((z) => [
        z.queues,
        z.tokens,
        round(z.allStale.seconds, 2),
        Math.round(z.allStale.claimed / z.allStale.seconds),
        z.allStale.left.claims,
        round(z.noneStale.seconds, 2),
        round(z.afterRegistryChange.seconds, 2),
        ops(z.allStale.requests, "dynamodb:Scan", "dynamodb:UpdateItem", "lambda:Invoke"),
        ops(z.noneStale.requests, "dynamodb:Scan", "dynamodb:Query"),
      ]),
    ),
  );
  const r = m.atRest;
  say(
    `\nat rest (${r.loops} idle loops, ${round(r.seconds, 0)} s; wait ${r.waitTimeSec} s, renew ${r.renewEverySec} s, route TTL ${r.routeCacheTtlSec} s, poller timeout ${r.pollerTimeoutSec} s):`,
  );
  say(
    renderTable(
      ["request", "per loop-hour"],
      Object.entries(r.perLoopHour)
        .sort()
        .map(([k, v]) => [k, Math.round(v)]),
    ),
  );
  say(`route reads per second per loop: ${round(r.routeReadsPerSecPerLoop, 3)}`);
}

/** The rate limit table. */
export function reportRateLimit(r: RateLimitResult, say: Say): void {
  say(
    renderTable(
      ["maxRate msg/s", "measured msg/s", "error %", "loops", "window s"],
      r.rates.map((x) => [x.maxRate, round(x.measured, 1), round(x.errorPct, 1), r.loops, r.windowSec]),
    ),
  );
}

/** The quiet routes' tables: at rest, and the price of a quiet queue-month by what it pays for. */
export function reportIdle(r: IdleResult, say: Say): void {
  const z0 = r.sizes[0];
  say(
    `\nquiet routes at rest (minLoops 0, idle shared, default settings: poller timeout ${r.pollerTimeoutSec} s, sharedQueuesPerLoop ${z0?.sharedQueuesPerLoop}, poller ${z0?.pollerMemoryMb} MB):`,
  );
  say(
    renderTable(
      [
        "routes",
        "groups",
        "pollers running p50 / max",
        "poller GB-s/h",
        "SQS req/h",
        "DynamoDB writes/h",
        "DynamoDB reads/h",
        "SSM reads/h",
        "$ per quiet queue-month",
        "first message ms median / worst",
        "not handled",
        "cold handler ms",
        "load 1 min",
      ],
      r.sizes.map((z) => [
        z.routes,
        z.groups,
        `${z.running.p50} / ${z.running.max}`,
        Math.round(z.perHour.pollerGbSeconds),
        Math.round(z.perHour.sqsRequests),
        Math.round(z.perHour.dynamoWrites),
        Math.round(z.perHour.dynamoReads),
        Math.round(z.perHour.ssmReads),
        round(z.perQueueMonth.total, 3),
        `${z.firstMessage.medianMs} / ${z.firstMessage.maxMs}`,
        `${z.firstMessage.notHandled} of ${z.firstMessages.length}`,
        z.cold.ms ?? "not handled",
        `${round(z.load.atWindow, 1)}-${round(z.load.atEnd, 1)}`,
      ]),
    ),
  );
  say("\nper quiet queue-month, by what it pays for (goal: total <= $0.50):");
  say(
    renderTable(
      ["routes", "Lambda compute", "Lambda requests", "SQS", "DynamoDB", "total"],
      r.sizes.map((z) => [
        z.routes,
        round(z.perQueueMonth.lambdaCompute, 3),
        round(z.perQueueMonth.lambdaRequests, 4),
        round(z.perQueueMonth.sqs, 3),
        round(z.perQueueMonth.dynamodb, 4),
        round(z.perQueueMonth.total, 3),
      ]),
    ),
  );
}
