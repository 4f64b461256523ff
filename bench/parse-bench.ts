/**
 * Front-end speed: generates a 10,000-line valid `.dyn` file (many experiments with realistic statements),
 * then times `parse` in-process (median of several runs), the whole check in-process, and `dync check` as
 * a separate process (median of several runs, and the same process on an empty file for start-up cost).
 *
 *   npx tsx bench/parse-bench.ts [LINES]
 *
 * The process runs `node $DYNC_BIN check FILE` when DYNC_BIN names a built `bin.js` (e.g. after
 * `npm run build`, `DYNC_BIN=dist/cli/bin.js`); otherwise `node --import tsx cli/bin.ts`,
 * which includes TypeScript transpilation in the start-up time.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { checkSource } from "../compiler/check/index.js";
import { parse } from "../grammar/parse.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

/** One realistic experiment (25 lines), varied by `i` so no two are identical. */
function experiment(i: number): string {
  const w = 4 + (i % 7) * 4;
  return `// Experiment ${i}: fit y = x^2 with SiLU networks; wider should fit better.
experiment fit_${i} {
  sweep width in [${w}, ${2 * w}, ${4 * w}]
  seeds ${4 + (i % 5)}

  data train { x ~ uniform(-2, 2) [${256 + i}]; y = x^2 }
  data test = grid(x in [-2, 2], n: ${1001 + i}) -> x^2

  model net = mlp(hidden: [width], act: silu)
  loss mse
  optimizer adam(lr: ${(1 + (i % 9)) / 1000})
  schedule step_decay(every: ${1 + (i % 3)}k steps, factor: 0.3)
  train ${3 + (i % 4)}k steps, batch full

  /* what is measured */
  probe test_loss = loss(net, test) every 500 steps
  probe weights = weight_norm(net) every ${250 * (1 + (i % 4))} steps

  let final_loss = median(last(test_loss)) over seeds
  let ratio = final_loss[width = ${4 * w}] / final_loss[width = ${w}]
  expect final_loss[width = ${4 * w}] < 1e-2
  expect final_loss[width = ${4 * w}] < final_loss[width = ${w}]

  profile quick { seeds 2; train 600 steps }
}
`;
}

/** A valid program of at least `lines` lines. */
export function generate(lines: number): string {
  const parts: string[] = [];
  let count = 0;
  for (let i = 0; count < lines; i++) {
    const e = experiment(i);
    parts.push(e);
    count += e.split("\n").length - 1;
  }
  return parts.join("");
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function time(runs: number, f: () => void): number[] {
  const out: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    f();
    out.push(performance.now() - t0);
  }
  return out;
}

function processCommand(file: string): { cmd: string; args: string[] } {
  const bin = process.env["DYNC_BIN"];
  if (bin) return { cmd: process.execPath, args: [bin, "check", file] };
  return { cmd: process.execPath, args: ["--import", "tsx", join(ROOT, "cli", "bin.ts"), "check", file] };
}

function main(): void {
  const lines = Number(process.argv[2] ?? 10_000);
  const text = generate(lines);
  const nLines = text.split("\n").length - 1;
  const dir = mkdtempSync(join(tmpdir(), "dync-bench-"));
  const file = join(dir, "bench.dyn");
  const empty = join(dir, "empty.dyn");
  writeFileSync(file, text);
  writeFileSync(empty, "");
  try {
    const first = parse(text, file);
    if (first.diagnostics.length > 0) throw new Error(`generated program has syntax errors: ${first.diagnostics[0]!.message}`);
    const checked = checkSource(text, file);
    const checkErrors = checked.diagnostics.filter((d) => d.severity === "error");
    console.log(`input: ${nLines} lines, ${(text.length / 1024).toFixed(0)} KiB, ${checked.experiments.length} experiments, ${checkErrors.length} check errors`);
    if (checkErrors.length > 0) console.log(`  first check error: ${checkErrors[0]!.code} ${checkErrors[0]!.message}`);

    time(2, () => parse(text, file)); // warm-up (JIT)
    const parseTimes = time(9, () => parse(text, file));
    console.log(`parse (in-process):        median ${median(parseTimes).toFixed(1)} ms over ${parseTimes.length} runs (min ${Math.min(...parseTimes).toFixed(1)}, max ${Math.max(...parseTimes).toFixed(1)})`);
    console.log(`                           ${((nLines / median(parseTimes)) * 1000).toFixed(0)} lines/s`);

    const checkTimes = time(5, () => checkSource(text, file));
    console.log(`parse + check (in-process): median ${median(checkTimes).toFixed(1)} ms over ${checkTimes.length} runs`);

    const { cmd, args } = processCommand(file);
    const run = (target: string) => {
      const t0 = performance.now();
      const r = spawnSync(cmd, args.map((a) => (a === file ? target : a)), { encoding: "utf8", cwd: ROOT });
      const ms = performance.now() - t0;
      if (r.status !== 0) throw new Error(`dync check ${target} exited ${r.status}: ${(r.stdout + r.stderr).slice(0, 400)}`);
      return ms;
    };
    const emptyTimes = [0, 1, 2].map(() => run(empty));
    const procTimes = [0, 1, 2, 3, 4].map(() => run(file));
    console.log(`dync check process (${process.env["DYNC_BIN"] ? "built JS" : "tsx"}):`);
    console.log(`  on the ${nLines}-line file: median ${median(procTimes).toFixed(0)} ms over ${procTimes.length} runs`);
    console.log(`  on an empty file (start-up): median ${median(emptyTimes).toFixed(0)} ms`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
