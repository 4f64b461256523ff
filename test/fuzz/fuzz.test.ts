/**
 * The CI-sized batch of the front-end fuzzer (test/fuzz/fuzz.ts): generated, mutated and garbage
 * programs through parse and check, no exception, every span inside its file. `npm run fuzz` runs
 * 10,000 or more (DYNC_FUZZ_COUNT, DYNC_FUZZ_SEED replay a run).
 */
import { expect, it } from "vitest";
import { fuzz } from "./fuzz.js";

const COUNT = Number(process.env["DYNC_FUZZ_COUNT"] ?? 2000);
const SEED = Number(process.env["DYNC_FUZZ_SEED"] ?? 15);

it(`checks ${COUNT} fuzzed programs without a crash or a span outside the file`, () => {
  const failures = fuzz(SEED, COUNT);
  expect(failures.slice(0, 5).map((f) => `${f.kind} #${f.index}: ${f.problem}\n${JSON.stringify(f.text.slice(0, 300))}`)).toEqual([]);
}, 60_000);
