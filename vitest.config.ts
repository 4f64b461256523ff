import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // tfjs backends keep global state; one file per worker keeps suites independent.
    pool: "forks",
    // vitest runs cores−1 workers by default: one on a 2-core CI machine, so the suite ran serially.
    maxWorkers: 2,
    testTimeout: 60_000,
  },
});
