#!/usr/bin/env node
/**
 * `dync report DIR` on a quickstart run directory (issue 20: "report ≤ 0.5 s for two plots"); not part of
 * `npm test`.
 *
 * Makes one run directory with `dync run examples/quickstart.dyn --profile quick` (or takes `--dir DIR`),
 * then, alternating between the builds given (`--bin` once per build; default this checkout's
 * dist/cli/bin.js), times `node BIN report DIR` `--reps` times after one untimed warm-up, in two cases:
 *   - unchanged: the run's plots/ as the run left them (a report rebuilt with nothing new to draw);
 *   - redrawn: plots/ deleted before each repetition, so every figure is drawn and rasterised again.
 * Two figures per process: wall seconds from spawn to exit, and CPU seconds (user + system, all threads:
 * `process.cpuUsage()` read in an exit hook loaded with `--import`). The machine is shared: the wall time
 * follows the load, the CPU time much less; both are printed with the 1-minute load average.
 *
 * Usage: node bench/report-bench.js [--reps N] [--dir DIR] [--bin BIN]... Needs `npm run build` first.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

function parseArgs(argv) {
  const args = { reps: 5, dir: null, bins: [] };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    if (flag === "--reps") args.reps = Number(value);
    else if (flag === "--dir") args.dir = value;
    else if (flag === "--bin") args.bins.push(value);
    else throw new Error(`unknown flag ${flag}`);
  }
  if (args.bins.length === 0) args.bins.push(join(root, "dist", "cli", "bin.js"));
  return args;
}

/** `node --import HOOK BIN report DIR`: wall seconds, and CPU seconds as the hook recorded them. */
function timedReport(bin, dir, hook, cpuFile) {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(process.execPath, ["--import", pathToFileURL(hook).href, bin, "report", dir], { env: { ...process.env, DYNC_BENCH_CPU: cpuFile }, stdio: ["ignore", "ignore", "pipe"] });
    let errors = "";
    child.stderr.on("data", (chunk) => (errors += chunk));
    child.on("error", reject);
    child.on("exit", (code) => {
      const wall = Number(process.hrtime.bigint() - start) / 1e9;
      if (code !== 0) return reject(new Error(`${bin} report ${dir} exited ${code}:\n${errors}`));
      const { user, system } = JSON.parse(readFileSync(cpuFile, "utf8"));
      resolve({ wall, cpu: (user + system) / 1e6 });
    });
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const cell = (xs) => `${median(xs).toFixed(2)} (${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)})`;

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const scratch = mkdtempSync(join(tmpdir(), "dync-report-bench-"));
  const hook = join(scratch, "cpu-hook.mjs");
  writeFileSync(hook, `import { writeFileSync } from "node:fs";\nprocess.on("exit", () => writeFileSync(process.env.DYNC_BENCH_CPU, JSON.stringify(process.cpuUsage())));\n`);
  const cpuFile = join(scratch, "cpu.json");
  try {
    const dir = args.dir ?? join(scratch, "run");
    if (!args.dir) {
      const made = spawnSync(process.execPath, [args.bins[0], "run", join(root, "examples", "quickstart.dyn"), "--profile", "quick", "--out", dir, "--jobs", "1", "--quiet"], { cwd: root, encoding: "utf8" });
      if (made.status !== 0) throw new Error(`dync run exited ${made.status}:\n${made.stderr}`);
    }
    const loadBefore = loadavg()[0];
    const samples = new Map(args.bins.flatMap((bin) => ["unchanged", "redrawn"].map((c) => [`${bin}\t${c}`, []])));
    for (let rep = -1; rep < args.reps; rep++) {
      for (const bin of args.bins) {
        for (const kind of ["unchanged", "redrawn"]) {
          if (kind === "redrawn") rmSync(join(dir, "plots"), { recursive: true, force: true });
          else await timedReport(bin, dir, hook, cpuFile); // leaves this build's own plots in place
          const t = await timedReport(bin, dir, hook, cpuFile);
          if (rep >= 0) samples.get(`${bin}\t${kind}`).push(t);
        }
      }
    }
    console.log(`${new Date().toISOString()}, ${cpus().length} cores (${cpus()[0]?.model}), Node ${process.version}, ${args.reps} reps, load ${loadBefore.toFixed(1)} → ${loadavg()[0].toFixed(1)}`);
    console.log(`command: node BIN report DIR (DIR: quickstart --profile quick, 2 plots); seconds, median (min–max)\n`);
    console.log("| build | plots | wall | CPU (user + sys) |\n|---|---|---|---|");
    for (const [key, ts] of samples) {
      const [bin, kind] = key.split("\t");
      console.log(`| ${bin} | ${kind} | ${cell(ts.map((t) => t.wall))} | ${cell(ts.map((t) => t.cpu))} |`);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

await main();
