#!/usr/bin/env node
/**
 * The seed sweep of issue #21 (item 0): does seed-batched training cost grow linearly in seeds at a size
 * where the matrix products dominate? Runs bench/seed-sweep/seed_sweep.dyn (2→512×4→1 ReLU MLP, a 64×64
 * grid = 4,096 points, one full-batch step and a loss probe) with `seeds` set to each count, through the
 * real CLI and the generated program (`--jobs 1`: one thread), and reports each count's loop time (the
 * run's span in manifest.json: data, model, training, probe) and its ratio to S × the 1-seed time
 * (1.0 = linear; the issue measured 13.5 for 2 seeds before the fix). dync only: no PyTorch peer.
 *
 *   npm run build && node bench/seed-sweep.js [--seeds 1,2,4,8] [--side 64] [--reps 3] [--backend wasm|cpu]
 *                                             [--dync DIR] [--label TEXT] [--no-write]
 * `--dync DIR`: another built checkout to measure (e.g. a worktree of the commit before a change); its
 * figures are labelled with its commit. Results are appended to bench/seed-sweep.json and rendered to
 * bench/seed-sweep.md (unless --no-write). The machine is shared: the 1-minute load average before and
 * after each sweep is recorded, so read the ratios, not the seconds.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const RESULTS_JSON = join(root, "bench/seed-sweep.json");
const RESULTS_MD = join(root, "bench/seed-sweep.md");

function parseArgs(argv) {
  const args = { seeds: [1, 2, 4, 8], side: 64, reps: 3, backend: "wasm", dync: root, label: null, write: true };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === "--seeds") args.seeds = argv[++i].split(",").map(Number);
    else if (flag === "--side") args.side = Number(argv[++i]);
    else if (flag === "--reps") args.reps = Number(argv[++i]);
    else if (flag === "--backend") args.backend = argv[++i];
    else if (flag === "--dync") args.dync = resolve(argv[++i]);
    else if (flag === "--label") args.label = argv[++i];
    else if (flag === "--no-write") args.write = false;
    else throw new Error(`unknown argument ${flag}`);
  }
  if (!args.seeds.every((s) => Number.isInteger(s) && s >= 1)) throw new Error("--seeds needs whole numbers ≥ 1, e.g. 1,2,4,8");
  if (!(Number.isInteger(args.reps) && args.reps >= 1)) throw new Error("--reps needs a whole number ≥ 1");
  if (!existsSync(join(args.dync, "dist/cli/bin.js"))) throw new Error(`${args.dync}/dist is missing: run \`npm run build\` there first`);
  return args;
}

function run(command, args, options = {}) {
  const start = process.hrtime.bigint();
  const result = spawnSync(command, args, { encoding: "utf8", maxBuffer: 64 << 20, ...options });
  const wallS = Number(process.hrtime.bigint() - start) / 1e9;
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} exited ${result.status}\n${result.stderr}\n${result.stdout}`);
  return { wallS, stdout: result.stdout };
}

/** The .dyn with `seeds` and the grid side set, compiled by the measured checkout into its .scratch/ (so `dync/runtime` resolves there). */
function compile(dync, seeds, side) {
  const source = readFileSync(join(root, "bench/seed-sweep/seed_sweep.dyn"), "utf8")
    .replace(/^(\s*)seeds 1$/m, `$1seeds ${seeds}`)
    .replace("n: 64)", `n: ${side})`);
  const dir = join(dync, ".scratch/seed-sweep");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `seeds${seeds}.dyn`), source);
  const out = join(dir, `seeds${seeds}.js`);
  run("node", [join(dync, "dist/cli/bin.js"), "compile", join(dir, `seeds${seeds}.dyn`), "-o", out], { cwd: dync });
  return out;
}

/**
 * One process; its CPU time (user + system, from GNU time) too: the wasm backend computes on one thread, so
 * CPU time is what the run costs one core however many other processes share the machine (start-up included).
 */
function runOnce(program, backend) {
  const dir = mkdtempSync(join(tmpdir(), "dync-seed-sweep-"));
  try {
    const args = [program, "--backend", backend, "--jobs", "1", "--quiet", "--out", join(dir, "run")];
    const timed = existsSync("/usr/bin/time");
    const { wallS } = timed
      ? run("/usr/bin/time", ["-f", "%U %S", "-o", join(dir, "cpu"), "node", ...args])
      : run("node", args);
    const cpuS = timed ? readFileSync(join(dir, "cpu"), "utf8").trim().split(/\s+/).map(Number).reduce((a, b) => a + b, 0) : null;
    const manifest = JSON.parse(readFileSync(join(dir, "run", "manifest.json"), "utf8"));
    const [r] = manifest.runs;
    if (r.status !== "ok") throw new Error(`run ${r.run} ${r.status}`);
    return { loopS: (Date.parse(r.endedAt) - Date.parse(r.startedAt)) / 1000, wallS, cpuS, backend: manifest.backend };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function commitOf(dir) {
  const r = spawnSync("git", ["-C", dir, "log", "-1", "--format=%h %s"], { encoding: "utf8" });
  return r.stdout.trim() || "unknown";
}

function machine() {
  const cpuinfo = existsSync("/proc/cpuinfo") ? readFileSync("/proc/cpuinfo", "utf8") : "";
  const model = /model name\s*:\s*(.*)/.exec(cpuinfo)?.[1] ?? cpus()[0]?.model ?? "unknown";
  const tfjs = JSON.parse(readFileSync(join(root, "node_modules/@tensorflow/tfjs-core/package.json"), "utf8")).version;
  return { nproc: cpus().length, cpu: model, node: process.version, tfjs };
}

/** One sweep: every seed count once per repetition (interleaved, so a change in load hits all counts alike). */
function sweep(args) {
  const programs = Object.fromEntries(args.seeds.map((s) => [s, compile(args.dync, s, args.side)]));
  const samples = Object.fromEntries(args.seeds.map((s) => [s, []]));
  const loadBefore = loadavg()[0];
  const date = new Date().toISOString();
  let backend = null;
  for (let rep = 0; rep < args.reps; rep++) {
    for (const s of args.seeds) {
      const sample = runOnce(programs[s], args.backend);
      backend = sample.backend;
      samples[s].push(sample);
      process.stderr.write(`seeds ${s} rep ${rep + 1}/${args.reps}: loop ${sample.loopS.toFixed(2)} s, process ${sample.wallS.toFixed(2)} s, CPU ${sample.cpuS?.toFixed(2)} s (load ${loadavg()[0].toFixed(1)})\n`);
    }
  }
  const base = median(samples[args.seeds[0]].map((x) => x.loopS)) / args.seeds[0];
  const cpuOf = (s) => (samples[s].every((x) => x.cpuS !== null) ? median(samples[s].map((x) => x.cpuS)) : null);
  const cpuBase = cpuOf(args.seeds[0]);
  const rows = args.seeds.map((s) => {
    const loopS = median(samples[s].map((x) => x.loopS));
    const cpuS = cpuOf(s);
    return {
      seeds: s, loopS, wallS: median(samples[s].map((x) => x.wallS)), perSeedS: loopS / s, vsLinear: loopS / (s * base),
      cpuS, cpuVsLinear: cpuS === null || cpuBase === null ? null : cpuS / ((s / args.seeds[0]) * cpuBase),
      samples: samples[s].map((x) => x.loopS), cpuSamples: samples[s].map((x) => x.cpuS),
    };
  });
  const command = `node bench/seed-sweep.js --seeds ${args.seeds.join(",")} --side ${args.side} --reps ${args.reps} --backend ${args.backend}${args.dync === root ? "" : " --dync <checkout>"}`;
  return { date, label: args.label, commit: commitOf(args.dync), backend, points: args.side * args.side, reps: args.reps, load: [loadBefore, loadavg()[0]], command, machine: machine(), rows };
}

/** The manifest's backend record as a phrase: name, SIMD, threads, and whether dync's own kernels were on. */
function backendText(b) {
  if (!b || typeof b !== "object") return String(b);
  const on = (flag) => (flag ? "on" : "off");
  const parts = [b.simd !== undefined && `SIMD ${on(b.simd)}`, b.threads !== undefined && `threads ${on(b.threads)}`, b.dyncKernels !== undefined && `dync kernels ${on(b.dyncKernels)}`];
  return `${b.name} ${b.version ?? ""} (${parts.filter(Boolean).join(", ")})`.replace("  ", " ");
}

function markdown(sweeps) {
  const lines = [
    "# Seed sweep: seed-batched cost against the number of seeds",
    "",
    "Generated by `node bench/seed-sweep.js` (issue #21, item 0). Each row: bench/seed-sweep/seed_sweep.dyn, a 2→512×4→1 ReLU MLP, one full-batch gradient-descent step and one loss probe on a grid, with `seeds` set to the row's count; *loop* = the run's span in manifest.json (data, model, the step, the probe; start-up excluded), median of the repetitions, `--jobs 1`. *× linear* = loop / (seeds × the first count's loop per seed): 1.0 is linear growth. *Process CPU* = the whole process's user + system time (GNU time), start-up included (~2–3 s, which pulls *CPU × linear* below 1 for more seeds): the wasm backend computes on one thread, so it is what a run costs one core when the machine is shared, where wall time is not. Read the ratios; the 1-minute load average before → after each sweep is given.",
    "",
  ];
  for (const s of sweeps) {
    lines.push(
      `## ${s.label ?? s.commit} — ${s.date}`,
      "",
      `Commit ${s.commit}; ${s.machine.nproc} cores, ${s.machine.cpu}; Node ${s.machine.node}, tfjs ${s.machine.tfjs}; backend: ${backendText(s.backend)}; ${s.points} points; load ${s.load[0].toFixed(1)} → ${s.load[1].toFixed(1)}; \`${s.command}\``,
      "",
      "| seeds | loop s (median) | per seed s | × linear | process CPU s (median) | CPU × linear | repetitions (loop s / CPU s) |",
      "|---:|---:|---:|---:|---:|---:|---|",
      ...s.rows.map((r) => {
        const cpu = (x) => (x === null || x === undefined ? "—" : x.toFixed(2));
        const reps = r.samples.map((x, i) => `${x.toFixed(2)} / ${cpu(r.cpuSamples?.[i])}`).join(", ");
        return `| ${r.seeds} | ${r.loopS.toFixed(2)} | ${r.perSeedS.toFixed(2)} | ${r.vsLinear.toFixed(2)} | ${cpu(r.cpuS)} | ${cpu(r.cpuVsLinear)} | ${reps} |`;
      }),
      "",
    );
  }
  return lines.join("\n");
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  const result = sweep(args);
  const sweeps = args.write && existsSync(RESULTS_JSON) ? JSON.parse(readFileSync(RESULTS_JSON, "utf8")) : [];
  sweeps.push(result);
  if (args.write) {
    writeFileSync(RESULTS_JSON, `${JSON.stringify(sweeps, null, 2)}\n`);
    writeFileSync(RESULTS_MD, markdown(sweeps));
  }
  process.stdout.write(markdown([result]));
}

main();
