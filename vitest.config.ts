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
    // A hook's default limit is 10 s: a beforeAll that trains, compiles or spawns the CLI (report.test,
    // pool.test) took longer than that on a loaded 2-core machine. The limit catches hangs; it times nothing.
    hookTimeout: 180_000,
  },
});
