import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // tfjs backends keep global state; one file per worker keeps suites independent.
    pool: "forks",
    // vitest runs cores−1 workers by default: one on a 2-core CI machine, so the suite ran serially.
    // Many files wait on child processes (CLI runs, SLURM, Chromium), so two workers pay even on 2 cores.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    testTimeout: 60_000,
  },
});
