import { type Clock, type Logger, silentLogger, systemClock } from "@sqs-dispatcher/core";
import { deployLocal, PlatformFunction, startLocalCloud } from "@sqs-dispatcher/local";
import { type LoopWatcher, startLoopWatcher, zombieAfterMs } from "./loopWatcher.js";
import { collectMessageFates } from "./messageFates.js";
import { waitForDesiredLoops } from "./soakConvergence.js";
import { startSoakFaults } from "./soakFaults.js";
import { defaultSoakMix, type SoakMix } from "./soakMessages.js";
import { createSoakProbes } from "./soakProbes.js";
import { queueNames, soakRegistry } from "./soakRegistry.js";
import { buildSoakReport, type SoakReport } from "./soakReport.js";
import type { SoakRun } from "./soakRun.js";
import { scaleUpThenDown, waitUntilDrained } from "./soakScaling.js";
import { emptySoakTraffic, sendQuietWaves, sendSoakTraffic } from "./soakTraffic.js";

export { soakRegistry } from "./soakRegistry.js";
export type { SoakReport } from "./soakReport.js";

/** Options of {@link runSoak}. */
export interface SoakOptions {
  /** Messages sent to each of the three busy queues (each quiet queue gets a tenth, in waves). */
  messagesPerQueue: number;
  mix?: SoakMix;
  /** Inject throttles, 429s and 500s and kill execution environments (default true). */
  faults?: boolean;
  /** Replace the poller's code (`path/to/module.export`): the soak's own test breaks it on purpose. */
  pollerHandler?: string;
  /** Give up on draining after this long (default: scales with the message count). */
  timeoutMs?: number;
  random?: () => number;
  clock?: Clock;
  logger?: Logger;
  /** Progress lines (phase changes, counts). */
  onProgress?: (line: string) => void;
  /** Enforce the stack's IAM on every function (default true): a denied call breaks the soak. */
  enforceIam?: boolean;
  /**
   * Wait for a scale-up and a scale-down while the traffic runs (default true). The soak's own
   * mutant test turns it off: a poller that deletes before dispatch empties the queue before the
   * scale function can confirm the alarm with CloudWatch, so no scale-up comes.
   */
  scaling?: boolean;
}

/**
 * A chaos soak on a fresh local cloud: three busy queues (one FIFO) and three quiet ones (one FIFO)
 * whose traffic comes in waves, polled by a shared loop; handler failures, crashes and
 * timeouts, throttled DynamoDB writes, 429s on Invoke, 500s on ReceiveMessage, killed execution
 * environments, and a scale-up and a scale-down while it runs. Then it checks what must hold:
 * no message lost (each recorded, or in its DLQ), every route back to its desired loops soon
 * after the faults stop, and no loop alive on a revoked or taken-over token.
 */
export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const progress = options.onProgress ?? (() => undefined);
  const mix = options.mix ?? defaultSoakMix;
  const faultsOn = options.faults ?? true;
  const perQueue = options.messagesPerQueue;
  const timeoutMs = options.timeoutMs ?? 120_000 + perQueue * 3 * 15;
  const startedAt = clock.now();

  const registry = soakRegistry(perQueue);
  const cloud = await startLocalCloud({
    port: 0,
    logger: options.logger ?? silentLogger,
    enforceIam: options.enforceIam ?? true,
  });
  const deployment = await deployLocal(cloud, registry, { logger: options.logger ?? silentLogger }).catch(
    async (error: unknown) => {
      await cloud.stop();
      throw error;
    },
  );
  const { sqs, doc } = deployment.clients;
  const urls = Object.fromEntries(deployment.queues.map((q) => [q.name, q])) as Record<
    string,
    { url: string; dlqUrl?: string }
  >;
  const urlOf = (name: string) => urls[name]?.url as string;
  const probes = createSoakProbes({ sqs, doc, clock, tokensTable: deployment.tables.tokens, urlOf });
  const run: SoakRun = { cloud, deployment, clock, probes, urlOf, urls, progress };

  const stopChaos: (() => void)[] = [];
  let watcher: LoopWatcher | undefined;
  try {
    if (options.pollerHandler) {
      const poller = cloud.lambda.list().find((f) => f.name === PlatformFunction.Poller);
      if (!poller) throw new Error("the deployment has no poller");
      await cloud.lambda.register({ ...poller, handler: options.pollerHandler });
    }

    await probes.waitFor(
      "the first loops",
      async () =>
        // The busy queues' three loops and the quiet queues' shared loop.
        (await probes.tokens()).filter((t) => t.lastUsed !== undefined).length >= 4 ? true : undefined,
      // Generous: on a shared 2-core machine the first cold starts of 4 loops' worth of batches are slow.
      120_000,
    );
    progress("platform up: 3 busy queues, one loop each; 3 quiet queues, one shared loop");

    watcher = startLoopWatcher(run);

    let kills = { kills: 0 };
    if (faultsOn) {
      const faults = startSoakFaults(run, random);
      kills = faults.kills;
      stopChaos.push(() => faults.stop());
    }

    const traffic = emptySoakTraffic();
    // The quiet queues' waves run beside the busy traffic, the scaling and the faults.
    const quiet = sendQuietWaves(run, traffic, Math.max(1, Math.ceil(perQueue / 10)), mix, random, timeoutMs);
    // Not left unhandled while the busy phases run: it is awaited below.
    quiet.catch(() => undefined);
    await sendSoakTraffic(run, traffic, perQueue, mix, random);
    progress(`sent ${traffic.sent.size} messages`);

    if (options.scaling !== false) await scaleUpThenDown(run, traffic.sent.size, timeoutMs);
    await quiet;
    await waitUntilDrained(run, queueNames, timeoutMs);

    // The faults stop: from here, every route must return to its desired loops, all alive.
    for (const stop of stopChaos) stop();
    cloud.faults.set([]);
    const convergenceSec = await waitForDesiredLoops(run, registry);
    // Give a loop on a lost token a full cycle more to show itself.
    await clock.sleep(zombieAfterMs);
    await watcher.stop();

    const fates = await collectMessageFates(run, queueNames);
    return await buildSoakReport(run, { traffic, fates, watcher, convergenceSec, kills, startedAt });
  } finally {
    await watcher?.stop().catch(() => undefined);
    for (const stop of stopChaos) stop();
    cloud.faults.set([]);
    await deployment.stopLoops().catch(() => undefined);
    await deployment.stop().catch(() => undefined);
    await cloud.stop();
  }
}
