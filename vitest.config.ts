import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // tfjs backends keep global state; one file per worker keeps suites independent.
    pool: "forks",
    testTimeout: 60_000,
  },
});
