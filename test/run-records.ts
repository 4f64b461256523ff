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
 * Start the compiled `program` with `args` writing to `dir`, send it SIGINT as soon as every run of `runs` has
 * checkpointed (run ids as their path segments): `checkpoints/<run>.ckpt`, or on a pool worker whose rows are
 * not recorded yet the checkpoint it took, pending beside it (runner/checkpoint.ts). Returns the exit code.
 */
export async function interruptOnceCheckpointed(program: string, args: readonly string[], dir: string, runs: readonly string[]): Promise<number | string | null> {
  const folder = join(dir, "checkpoints");
  const names = (): string[] => (existsSync(folder) ? readdirSync(folder) : []);
  const checkpointed = (run: string) => names().some((name) => name.startsWith(`${run}.ckpt`) && !name.endsWith(".tmp"));
  return signalWhen(program, [...args, "--out", dir], "SIGINT", () => runs.every(checkpointed));
}

/**
 * Start the compiled `program` with `args`, send it `signal` as soon as `ready()` holds (polled every 10 ms), and
 * return its exit code, or the signal's name when the signal ended it outright (SIGKILL). Fails when the program
 * ends before `ready()` held (make the experiment longer).
 */
export async function signalWhen(program: string, args: readonly string[], signal: NodeJS.Signals, ready: () => boolean): Promise<number | string | null> {
  const child = spawn(process.execPath, [program, ...args], { stdio: "ignore" });
  let ended = false;
  const exited = new Promise<number | string | null>((done) =>
    child.on("exit", (code, by) => {
      ended = true;
      done(code ?? by);
    }),
  );
  let sent = false;
  await new Promise<void>((done) => {
    const poll = setInterval(() => {
      if (ended) {
        clearInterval(poll);
        done();
      } else if (ready()) {
        clearInterval(poll);
        sent = child.kill(signal);
        done();
      }
    }, 10);
  });
  const exit = await exited;
  expect(sent, `the program ended (${String(exit)}) before it could be sent ${signal}: make the experiment longer`).toBe(true);
  return exit;
}
