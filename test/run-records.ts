/**
 * Run directories in tests: their recorded measurements, for tests that require two directories to hold the
 * same bytes (resumed against uninterrupted runs, workers against one process, merged shards against one run),
 * and a run interrupted once its runs have checkpointed, the state `--resume` starts from.
 */
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { expect } from "vitest";

/**
 * metrics.csv, metrics.jsonl and every file under `folders` (default tensors/; absent folders count as empty),
 * keyed by their path relative to `dir`.
 */
export function recordedFiles(dir: string, folders: readonly string[] = ["tensors"]): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string): void => {
    if (!existsSync(d)) return;
    for (const name of readdirSync(d)) {
      const full = join(d, name);
      if (statSync(full).isDirectory()) walk(full);
      else out.set(relative(dir, full), readFileSync(full));
    }
  };
  for (const folder of folders) walk(join(dir, folder));
  for (const name of ["metrics.csv", "metrics.jsonl"]) out.set(name, readFileSync(join(dir, name)));
  return out;
}

/** `dir` records the same files with the same bytes as `reference`; `context` names the case in a failure. */
export function expectSameRecords(dir: string, reference: string, folders?: readonly string[], context = ""): void {
  const want = recordedFiles(reference, folders);
  const got = recordedFiles(dir, folders);
  expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
  for (const [name, bytes] of want) expect(got.get(name)!.equals(bytes), `${name} differs${context}`).toBe(true);
}

/**
 * Start the compiled `program` with `args` writing to `dir`, send it SIGINT as soon as every checkpoint file of
 * `runs` exists (checkpoints/<run>.ckpt, run ids as their path segments), and return its exit code.
 */
export async function interruptOnceCheckpointed(program: string, args: readonly string[], dir: string, runs: readonly string[]): Promise<number | null> {
  const child = spawn(process.execPath, [program, ...args, "--out", dir], { stdio: "ignore" });
  const exited = new Promise<number | null>((done) => child.on("exit", (code) => done(code)));
  const checkpoints = runs.map((run) => join(dir, "checkpoints", `${run}.ckpt`));
  await new Promise<void>((done) => {
    const poll = setInterval(() => {
      if (!checkpoints.every((f) => existsSync(f))) return;
      clearInterval(poll);
      child.kill("SIGINT");
      done();
    }, 10);
  });
  return exited;
}
