/**
 * `npm run fuzz [-- COUNT [SEED]]`: the front-end fuzzer's long batch (default 10,000 programs), with
 * the time it took; failing inputs are written to fuzz-failures/ for replay.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { fuzz } from "../test/fuzz/fuzz.js";

const count = Number(process.argv[2] ?? 10_000);
const seed = Number(process.argv[3] ?? Date.now() % 1_000_000);
const t0 = performance.now();
const failures = fuzz(seed, count);
const seconds = (performance.now() - t0) / 1000;
console.log(`fuzz: ${count} programs (seed ${seed}) in ${seconds.toFixed(1)} s: ${failures.length} failure${failures.length === 1 ? "" : "s"}`);
if (failures.length > 0) {
  mkdirSync("fuzz-failures", { recursive: true });
  for (const f of failures.slice(0, 50)) {
    writeFileSync(`fuzz-failures/${seed}-${f.index}.dyn`, f.text);
    console.log(`  ${f.kind} #${f.index}: ${f.problem}`);
  }
  process.exitCode = 1;
}
