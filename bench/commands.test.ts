import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { type BenchTarget, benchTargets } from "./targets.js";

const run = promisify(execFile);
const root = fileURLToPath(new URL("../", import.meta.url));
const tsx = fileURLToPath(new URL("../node_modules/.bin/tsx", import.meta.url));

/** Each target at a tiny size, and the keys its JSON report must hold. */
const tiny: Record<BenchTarget, { args: string[]; reports: string[] }> = {
  throughput: { args: ["--messages", "200", "--rounds", "1"], reports: ["throughput"] },
  concurrency: { args: ["--messages", "100", "--rounds", "1"], reports: ["throughput", "slowHandlerSweep"] },
  latency: { args: ["--samples", "3"], reports: ["latency"] },
  recovery: { args: ["--trials", "1"], reports: ["recovery"] },
  reaction: { args: ["--messages", "400"], reports: ["reaction"] },
  scale: { args: ["--sizes", "4x8", "--rest-loops", "2", "--rest-seconds", "2"], reports: ["scale"] },
  rate: { args: ["--rate-seconds", "2"], reports: ["rate"] },
};

/**
 * Runs a bench script as a user does (`pnpm bench ...`, `pnpm soak ...`): its exit code and its JSON
 * report. A run that printed no report (a crash) fails here, with the script's stderr.
 */
async function report(
  script: string,
  args: string[],
): Promise<{ code: number; json: Record<string, unknown> }> {
  const out = await run(tsx, [script, ...args, "--json"], { cwd: root, maxBuffer: 64 * 1024 * 1024 }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (error: { code?: number; stdout?: string; stderr?: string }) => ({
      code: typeof error.code === "number" ? error.code : -1,
      stdout: error.stdout ?? "",
      stderr: error.stderr ?? String(error),
    }),
  );
  try {
    return { code: out.code, json: JSON.parse(out.stdout) as Record<string, unknown> };
  } catch {
    throw new Error(`${script} ${args.join(" ")} printed no report (exit ${out.code}):\n${out.stderr}`);
  }
}

/**
 * Every documented command runs and reports, at a tiny size: `pnpm bench --only <target>` for each
 * target of bench/main.ts, and `pnpm soak`. What they measure is not asserted (that is what the
 * commands are for); that they complete and print their report is.
 */
describe("the bench commands", () => {
  it.each(benchTargets)("pnpm bench --only %s completes and reports", async (target) => {
    const { code, json } = await report("bench/main.ts", ["--only", target, ...tiny[target].args]);
    expect(code).toBe(0);
    for (const key of ["machine", ...tiny[target].reports]) expect(json[key], key).toBeTypeOf("object");
  }, 600_000);

  it("pnpm soak completes and reports its invariants", async () => {
    // Exit 1 with a report means it names a broken invariant: the soak ran. The soak's own test checks the invariants.
    const { code, json } = await report("bench/soak.ts", ["--messages", "60", "--no-faults"]);
    expect([0, 1]).toContain(code);
    expect(json).toMatchObject({ invariants: { sent: 60 } });
    expect(json.broken).toBeInstanceOf(Array);
  }, 600_000);
});
