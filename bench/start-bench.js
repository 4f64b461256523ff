#!/usr/bin/env node
/**
 * Start-up of `dync run` and `dync report` (issue 20: "start in about a second"); not part of `npm test`.
 *
 * For each side, `--reps` times after one untimed warm-up, the real CLI (dist/cli/bin.js) runs
 * `dync run examples/quickstart.dyn --profile quick --out DIR --jobs J`, and three instants are taken,
 * all from the moment before the process is spawned (one wall clock):
 *   - first line: the first byte on stdout (the "compiling …" notice on a cache miss, else "backend: …");
 *   - first step: the earliest run's `startedAt` in the run's manifest.json (set as the run begins, just
 *     before its data and model are built and its first step is taken; milliseconds);
 *   - exit: the whole process.
 * Sides: "warm" reuses one program cache (the warm-up fills it: every timed run is a hit); "cold" gives each
 * run an empty cache (a miss: the code generator loads and runs). Then `dync report DIR` on the last run
 * directory, whole process. Medians (min–max) are printed as a markdown table with the 1-minute load
 * average before and after: the machine is shared, so quote the load with the figures.
 *
 * Usage: node bench/start-bench.js [--reps N] [--jobs 1,2] [--sides warm,cold] [--backend wasm|cpu] [--bin BIN]
 * --bin: another build's dist/cli/bin.js (e.g. one from before the program cache), to compare.
 * Needs `npm run build` first.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
let cli = join(root, "dist", "cli", "bin.js");
const example = join("examples", "quickstart.dyn");

function parseArgs(argv) {
  const args = { reps: 5, jobs: ["1", "2"], sides: ["warm", "cold"], backend: "wasm" };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    if (flag === "--reps") args.reps = Number(value);
    else if (flag === "--jobs") args.jobs = value.split(",");
    else if (flag === "--sides") args.sides = value.split(",");
    else if (flag === "--backend") args.backend = value;
    else if (flag === "--bin") cli = value;
    else throw new Error(`unknown flag ${flag}`);
  }
  return args;
}

/** Run `node bin.js ARGS`; seconds from spawn to the first stdout byte and to exit. */
function timed(args, env) {
  return new Promise((resolve, reject) => {
    const start = Date.now();
    let firstLine;
    let output = "";
    const child = spawn(process.execPath, [cli, ...args], { cwd: root, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.on("data", (chunk) => {
      firstLine ??= (Date.now() - start) / 1000;
      output += chunk;
    });
    child.stderr.on("data", (chunk) => (output += chunk));
    child.on("error", reject);
    child.on("exit", (code) => {
      if (code !== 0) reject(new Error(`dync ${args.join(" ")} exited ${code}:\n${output}`));
      else resolve({ start, firstLine, exit: (Date.now() - start) / 1000 });
    });
  });
}

/** Seconds from `start` (ms) to the earliest run's startedAt in DIR/manifest.json. */
function firstStep(dir, start) {
  const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
  return (Math.min(...manifest.runs.map((r) => Date.parse(r.startedAt))) - start) / 1000;
}

async function measureSide(side, jobs, args, scratch) {
  const warmCache = join(scratch, `cache-${jobs}`);
  const samples = [];
  let lastDir;
  for (let rep = -1; rep < args.reps; rep++) {
    const dir = join(scratch, `${side}-${jobs}-${rep + 1}`);
    const cache = side === "warm" ? warmCache : join(scratch, `cold-cache-${jobs}-${rep + 1}`);
    const t = await timed(["run", example, "--profile", "quick", "--out", dir, "--jobs", jobs, "--backend", args.backend], { DYNC_CACHE_DIR: cache });
    if (rep >= 0) samples.push({ firstLine: t.firstLine, firstStep: firstStep(dir, t.start), exit: t.exit });
    lastDir = dir;
  }
  return { samples, lastDir };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const cell = (xs) => `${median(xs).toFixed(2)} (${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)})`;

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const scratch = mkdtempSync(join(tmpdir(), "dync-start-bench-"));
  const loadBefore = loadavg()[0];
  const rows = [];
  let reportDir;
  try {
    for (const jobs of args.jobs) {
      for (const side of args.sides) {
        const { samples, lastDir } = await measureSide(side, jobs, args, scratch);
        reportDir = lastDir;
        rows.push(`| \`dync run\` ${side}, --jobs ${jobs} | ${cell(samples.map((s) => s.firstLine))} | ${cell(samples.map((s) => s.firstStep))} | ${cell(samples.map((s) => s.exit))} |`);
      }
    }
    const reports = [];
    await timed(["report", reportDir]); // warm-up
    for (let rep = 0; rep < args.reps; rep++) reports.push((await timed(["report", reportDir])).exit);
    rows.push(`| \`dync report\` (2 plots) | | | ${cell(reports)} |`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  console.log(`${new Date().toISOString()}, ${cpus().length} cores (${cpus()[0]?.model}), Node ${process.version}, backend ${args.backend}, ${args.reps} reps, load ${loadBefore.toFixed(1)} → ${loadavg()[0].toFixed(1)}`);
  console.log(`dync: ${cli}`);
  console.log(`command: dync run ${example} --profile quick --jobs J --backend ${args.backend}; seconds, median (min–max)\n`);
  console.log("| | first line | first step | exit |\n|---|---|---|---|");
  for (const row of rows) console.log(row);
}

await main();
