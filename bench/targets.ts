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
