#!/usr/bin/env node
/**
 * RSS soak: runs a representative experiment (bench/soak/soak.dyn: sweep, seed-batched minibatch Adam,
 * scalar/per-unit/matrix/Hessian probes, an expect, a report with plots) over and over in one process for
 * N minutes, exactly as `dync run` does (runMain: train, record, evaluate, write the report), and samples
 * the process's resident set size and tfjs's live tensor count.
 *
 * It fails (exit 1) when, after the warm-up, memory grows:
 *   - RSS: the least-squares line through the samples after the warm-up rises by more than the tolerance
 *     (default 32 MiB) over that window — V8's heap and the wasm memory settle during the warm-up, and
 *     later wobble by a few MiB, so a real leak (growth per repetition) shows as a steady slope;
 *   - tensors: the live tensor count after any repetition differs from the count after the first one.
 * Not part of `npm test` (it takes minutes by design). Figures of a 10-minute run: docs/performance.md.
 *
 *   npm run build && node bench/soak.js [--minutes 10] [--every 5] [--warmup 2] [--tolerance-mb 32]
 *                                       [--backend wasm|cpu] [--file bench/soak/soak.dyn] [--profile P]
 *                                       [--samples out.json]
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { arch, cpus, totalmem } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const MiB = 1024 * 1024;

function options(argv) {
  const o = { minutes: 10, every: 5, warmup: 2, toleranceMb: 32, backend: "wasm", file: join(ROOT, "bench/soak/soak.dyn"), profile: "default", samples: undefined };
  const keys = { "--minutes": "minutes", "--every": "every", "--warmup": "warmup", "--tolerance-mb": "toleranceMb", "--backend": "backend", "--file": "file", "--profile": "profile", "--samples": "samples" };
  for (let i = 0; i < argv.length; i += 2) {
    const key = keys[argv[i]];
    if (!key || argv[i + 1] === undefined) throw new Error(`usage: node bench/soak.js [${Object.keys(keys).join(" N] [")} N]; got ${argv[i]}`);
    o[key] = typeof o[key] === "number" ? Number(argv[i + 1]) : argv[i + 1];
  }
  if (!(o.warmup < o.minutes)) throw new Error("--warmup must be shorter than --minutes");
  return o;
}

/** Compiles the .dyn file against dist/ and imports its program. */
async function loadProgram(file, scratch) {
  const { compileFile } = await import(pathToFileURL(join(ROOT, "dist/compiler/compile.js")).href);
  const result = await compileFile(file, { runtimeImport: pathToFileURL(join(ROOT, "dist/runner/index.js")).href });
  if (!result.ok) throw new Error(result.diagnostics.map((d) => d.message).join("\n"));
  const module = join(scratch, "soak.mjs");
  writeFileSync(module, result.js);
  return (await import(pathToFileURL(module).href)).experiments[0];
}

/** A stream that keeps nothing (the soak must not grow its own buffers). */
const sink = { write: () => true };

/** Least squares of y on x: slope (y per unit x) and intercept. */
function fitLine(xs, ys) {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) ** 2;
  }
  const slope = sxx > 0 ? sxy / sxx : 0;
  return { slope, intercept: my - slope * mx };
}

async function main() {
  const o = options(process.argv.slice(2));
  const scratch = join(ROOT, ".scratch", `soak-${process.pid}`);
  mkdirSync(scratch, { recursive: true });
  const program = await loadProgram(resolve(o.file), scratch);
  const { runMain } = await import(pathToFileURL(join(ROOT, "dist/runner/index.js")).href);
  const tf = await import("@tensorflow/tfjs-core");

  const started = Date.now();
  const minutes = () => (Date.now() - started) / 60_000;
  const samples = [];
  // Before the first repetition selects a backend tfjs has none to count on.
  const liveTensors = () => (tf.findBackend(o.backend) ? tf.memory().numTensors : null);
  const sample = (repetition) => samples.push({ t: minutes(), rssMiB: process.memoryUsage().rss / MiB, heapMiB: process.memoryUsage().heapUsed / MiB, tensors: liveTensors(), repetition });
  // Training yields to the event loop only between awaits, so timer samples may come late; each carries its own time.
  const timer = setInterval(() => sample(null), o.every * 1000);
  sample(null);
  const tensorsAfter = [];
  let repetition = 0;
  try {
    while (minutes() < o.minutes) {
      const out = join(scratch, "run");
      const code = await runMain(program, ["--backend", o.backend, "--out", out, "--quiet", "--jobs", "1", "--profile", o.profile], { stdout: sink, stderr: sink });
      if (code !== 0) throw new Error(`repetition ${repetition} exited with ${code}`);
      rmSync(out, { recursive: true, force: true });
      repetition++;
      sample(repetition);
      tensorsAfter.push(tf.memory().numTensors);
    }
  } finally {
    clearInterval(timer);
    rmSync(scratch, { recursive: true, force: true });
  }

  const after = samples.filter((s) => s.t >= o.warmup);
  const fit = fitLine(after.map((s) => s.t), after.map((s) => s.rssMiB));
  const window = after.at(-1).t - after[0].t;
  const growth = fit.slope * window;
  const first = samples[0];
  const warm = after[0];
  const last = samples.at(-1);
  const tensorsConstant = tensorsAfter.every((n) => n === tensorsAfter[0]);
  const summary = {
    date: new Date(started).toISOString(),
    machine: { cpu: cpus()[0]?.model, cores: cpus().length, memoryGiB: +(totalmem() / 1024 ** 3).toFixed(1), arch: arch(), node: process.version },
    backend: tf.getBackend(),
    command: `node bench/soak.js ${process.argv.slice(2).join(" ")}`.trim(),
    repetitions: repetition,
    minutes: +last.t.toFixed(2),
    rssMiB: { start: +first.rssMiB.toFixed(1), afterWarmup: +warm.rssMiB.toFixed(1), end: +last.rssMiB.toFixed(1), max: +Math.max(...samples.map((s) => s.rssMiB)).toFixed(1) },
    slopeMiBPerMinute: +fit.slope.toFixed(3),
    fittedGrowthMiB: +growth.toFixed(1),
    toleranceMiB: o.toleranceMb,
    tensors: { afterFirstRepetition: tensorsAfter[0], afterLast: tensorsAfter.at(-1), constant: tensorsConstant },
  };
  if (o.samples) writeFileSync(o.samples, `${JSON.stringify({ summary, samples }, null, 1)}\n`);
  console.log(JSON.stringify(summary, null, 2));
  const failures = [];
  if (repetition < 2) failures.push("fewer than 2 repetitions: raise --minutes");
  if (growth > o.toleranceMb) failures.push(`RSS grew ${growth.toFixed(1)} MiB after the warm-up (tolerance ${o.toleranceMb} MiB)`);
  if (!tensorsConstant) failures.push(`live tensors changed between repetitions: ${tensorsAfter.join(", ")}`);
  for (const f of failures) console.error(`soak FAILED: ${f}`);
  if (failures.length === 0) console.log(`soak ok: RSS ${growth >= 0 ? "+" : ""}${growth.toFixed(1)} MiB over ${window.toFixed(1)} min after warm-up (≤ ${o.toleranceMb}), live tensors constant at ${tensorsAfter[0]}`);
  process.exitCode = failures.length === 0 ? 0 : 1;
}

await main();
