import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: [
      "packages/*/src/**/*.test.ts",
      "packages/*/test/**/*.test.ts",
      "test/integration/**/*.test.ts",
      // Contract tests of the AWS adapters and the CLI's AWS mode against moto (an emulator we did not write).
      "test/moto/**/*.test.ts",
      // Unit tests of the benchmarks' and the soak's own logic (never their big runs).
      "bench/**/*.test.ts",
      "stacks/**/*.test.ts",
    ],
    env: {
      NODE_ENV: "test",
      SST_TELEMETRY_DISABLED: "1",
      AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE: "1",
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    },
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    reporters: ["default", "./test/summaryReporter.ts"],
  },
});
