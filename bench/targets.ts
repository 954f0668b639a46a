/** The benchmarks `pnpm bench --only <target>` runs, in the order `pnpm bench` runs them. */
export const benchTargets = [
  "throughput",
  "concurrency",
  "latency",
  "recovery",
  "reaction",
  "scale",
  "rate",
] as const;
export type BenchTarget = (typeof benchTargets)[number];

/**
 * Arguments that run each target at a tiny size, for a smoke run that only checks every target
 * completes and reports (each finishes in seconds to a minute on an idle machine).
 */
export const tinyBenchArgs: Record<BenchTarget, readonly string[]> = {
  throughput: ["--messages", "200", "--rounds", "1"],
  concurrency: ["--messages", "100", "--rounds", "1"],
  latency: ["--samples", "3"],
  recovery: ["--trials", "1"],
  reaction: ["--messages", "400"],
  scale: ["--sizes", "4x8", "--rest-loops", "2", "--rest-seconds", "2"],
  rate: ["--rate-seconds", "2"],
};
