#!/usr/bin/env node
/**
 * The default `--jobs` against `--jobs 1` and `--jobs 2` (issue 20: "small sweeps never slower than --jobs
 * 1"); not part of `npm test`. Each case is compiled once (`dync compile`), then, `--reps` times, every side
 * runs `node out.js --profile P --backend B --quiet --out DIR` in turn and is timed from spawn to exit:
 *   - `jobs1`, `jobs2`: `--jobs 1`, `--jobs 2`;
 *   - `default`: no `--jobs` on this machine now (its 1-minute load bounds the workers: runner/jobs.ts);
 *   - `idle-new`: the default's rule as on an idle machine (cores 2, load 0, passed to runExperiments as
 *     `machine`) with nothing remembered (an empty cache directory each time: the first run decides);
 *   - `idle-known`: the same with the run times remembered from the previous repetitions (one cache directory
 *     for the case, filled by an untimed warm-up).
 * The jobs line each `idle-*` side printed ("jobs 2: …") is shown once. Medians (min–max) go out as a markdown
 * table with the 1-minute load average before and after each case: the machine is shared, quote the load.
 *
 * Usage: node bench/jobs-bench.js [--reps N] [--cases quick,default,d] [--sides jobs1,jobs2,default,idle-new,idle-known] [--backend wasm]
 * Needs `npm run build` first. `--child OUT.js ARGS…` is the harness's own child for the `idle-*` sides.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const cli = join(root, "dist", "cli", "bin.js");
const self = fileURLToPath(import.meta.url);

const CASES = {
  quick: { file: "examples/quickstart.dyn", profile: "quick", what: "quickstart --profile quick (3 runs × 4 seeds × 600 steps)" },
  default: { file: "examples/quickstart.dyn", profile: "default", what: "quickstart (3 runs × 8 seeds × 3000 steps)" },
  d: { file: "bench/cases/d_lottery.dyn", profile: "default", what: "bench case (d) (5 runs × 1000 seeds × 10 steps)" },
};

if (process.argv[2] === "--child") await child(process.argv[3], process.argv.slice(4));
else await main(process.argv.slice(2));

/** The `idle-*` sides: run the compiled program's experiments with the rule bounded as on an idle 2-core machine. */
async function child(outJs, argv) {
  const module = await import(pathToFileURL(outJs).href);
  const { runExperiments } = await import(pathToFileURL(join(root, "dist", "runner", "index.js")).href);
  const code = await runExperiments(module.experiments, argv, { moduleUrl: pathToFileURL(outJs).href, machine: { cores: 2, load: 0 } });
  process.exit(code);
}

async function main(argv) {
  const args = { reps: 3, cases: ["quick", "d"], sides: ["jobs1", "jobs2", "default", "idle-new", "idle-known"], backend: "wasm" };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (flag === "--reps") args.reps = Number(value);
    else if (flag === "--cases") args.cases = value.split(",");
    else if (flag === "--sides") args.sides = value.split(",");
    else if (flag === "--backend") args.backend = value;
    else throw new Error(`unknown flag ${flag}`);
  }
  const scratch = mkdtempSync(join(tmpdir(), "dync-jobs-bench-"));
  console.log(`| case | side | exit s, median (min–max) | each | jobs line |\n|---|---|---|---|---|`);
  try {
    for (const name of args.cases) await benchCase(name, CASES[name], args, scratch);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

async function benchCase(name, spec, args, scratch) {
  const outJs = join(scratch, `${name}.js`);
  const compiled = spawnSync(process.execPath, [cli, "compile", spec.file, "-o", outJs], { cwd: root, encoding: "utf8" });
  if (compiled.status !== 0) throw new Error(compiled.stderr);
  const known = join(scratch, `${name}-known-cache`);
  const base = ["--profile", spec.profile, "--backend", args.backend];
  const command = (side, out) => {
    const runArgs = [...base, "--out", out];
    if (side === "jobs1" || side === "jobs2") return { argv: [outJs, ...runArgs, "--quiet", "--jobs", side.slice(4)], env: {} };
    // its own cache directory for the case, so what it remembers comes from this benchmark only
    if (side === "default") return { argv: [outJs, ...runArgs, "--quiet"], env: { DYNC_CACHE_DIR: join(scratch, `${name}-default-cache`) } };
    const cache = side === "idle-known" ? known : mkdtempSync(join(scratch, "cache-"));
    // not --quiet: the jobs line is the point; stderr is read for it
    return { argv: [self, "--child", outJs, ...runArgs], env: { DYNC_CACHE_DIR: cache } };
  };
  const loadBefore = loadavg()[0];
  // untimed warm-up: file caches, and the remembered times of `idle-known`
  await timed(command("idle-known", join(scratch, `${name}-warm`)));
  const times = Object.fromEntries(args.sides.map((s) => [s, []]));
  const lines = {};
  let n = 0;
  for (let rep = 0; rep < args.reps; rep++) {
    for (const side of args.sides) {
      const out = join(scratch, `${name}-${side}-${n++}`);
      const { seconds, stderr } = await timed(command(side, out));
      times[side].push(seconds);
      lines[side] ??= (stderr.match(/^jobs \d.*$/gm) ?? []).join(" / ");
      rmSync(out, { recursive: true, force: true });
    }
  }
  const loadAfter = loadavg()[0];
  for (const side of args.sides) {
    const t = times[side];
    console.log(`| ${spec.what} | ${side} | ${median(t).toFixed(2)} (${Math.min(...t).toFixed(2)}–${Math.max(...t).toFixed(2)}) | ${t.map((x) => x.toFixed(2)).join(", ")} | ${lines[side] || ""} |`);
  }
  console.log(`| ${spec.what} | load | ${loadBefore.toFixed(1)} → ${loadAfter.toFixed(1)} | ${new Date().toISOString().slice(11, 16)} UTC | |`);
}

function timed({ argv, env }) {
  return new Promise((resolve, reject) => {
    const start = Date.now();
    let stderr = "";
    const p = spawn(process.execPath, argv, { cwd: root, env: { ...process.env, ...env }, stdio: ["ignore", "ignore", "pipe"] });
    p.stderr.on("data", (chunk) => (stderr += chunk));
    p.on("error", reject);
    p.on("exit", (code) => {
      if (code !== 0 && code !== 1) reject(new Error(`${argv.join(" ")} exited ${code}:\n${stderr}`));
      else resolve({ seconds: (Date.now() - start) / 1000, stderr });
    });
  });
}

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
