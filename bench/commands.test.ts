import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { benchTargets, tinyBenchArgs } from "./targets.js";

const run = promisify(execFile);
const root = fileURLToPath(new URL("../", import.meta.url));
const tsx = fileURLToPath(new URL("../node_modules/.bin/tsx", import.meta.url));

/** The keys a target's JSON report holds besides `machine`: its own name, or what it reports under. */
const reportsOf = (target: string): string[] =>
  target === "concurrency" ? ["throughput", "slowHandlerSweep"] : [target];

/**
 * Runs a bench script as a user does (`pnpm bench ...`, `pnpm soak ...`): its exit code and its JSON
 * report. A run that printed no report (a crash) fails here, with the end of the script's stderr.
 */
async function report(
  script: string,
  args: readonly string[],
): Promise<{ code: number; json: Record<string, unknown>; seconds: number }> {
  const started = performance.now();
  const out = await run(tsx, [script, ...args, "--json"], { cwd: root, maxBuffer: 64 * 1024 * 1024 }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (error: { code?: number; stdout?: string; stderr?: string }) => ({
      code: typeof error.code === "number" ? error.code : -1,
      stdout: error.stdout ?? "",
      stderr: error.stderr ?? String(error),
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  try {
    return { code: out.code, json: JSON.parse(out.stdout) as Record<string, unknown>, seconds };
  } catch {
    throw new Error(
      `${script} ${args.join(" ")} printed no report (exit ${out.code}):\n${out.stderr.slice(-4_000)}`,
    );
  }
}

/**
 * Every documented command runs and reports, at a tiny size: `pnpm bench --only <target>` for each
 * target of bench/targets.ts (at its `tinyBenchArgs`), and `pnpm soak`. What they measure is not asserted (that is what the
 * commands are for); that they complete and print their report is. They run one after another (side
 * by side they starve each other on a small machine), each in its own process with its own local
 * cloud on free ports.
 */
describe("the bench commands at a tiny size", () => {
  it.each(benchTargets)("pnpm bench --only %s completes and reports", async (target) => {
    const args = tinyBenchArgs[target];
    const { code, json, seconds } = await report("bench/main.ts", ["--only", target, ...args]);
    console.log(`pnpm bench --only ${target} ${args.join(" ")}: ${seconds.toFixed(1)} s`);
    expect(code).toBe(0);
    for (const key of ["machine", ...reportsOf(target)]) expect(json[key], key).toBeTypeOf("object");
  }, 300_000);

  it("pnpm soak completes and reports its invariants", async () => {
    // Exit 1 with a report names a broken invariant, so the soak ran; test/integration/platform/soak.test.ts checks them.
    // Thirty messages drain before a forced alarm can be confirmed: no scaling at this size.
    const args = ["--messages", "30", "--no-faults", "--no-scaling"];
    const { code, json, seconds } = await report("bench/soak.ts", args);
    console.log(`pnpm soak ${args.join(" ")}: ${seconds.toFixed(1)} s`);
    expect([0, 1]).toContain(code);
    // The 30 go to the busy queues; the quiet queues get waves of their own on top.
    const invariants = json["invariants"] as { sent?: unknown } | undefined;
    expect(invariants?.sent).toBeTypeOf("number");
    expect(invariants?.sent as number).toBeGreaterThanOrEqual(30);
    expect(json["broken"]).toBeInstanceOf(Array);
  }, 300_000);
});
