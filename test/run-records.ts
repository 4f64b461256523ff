/**
 * The recorded measurements of a run directory, for tests that require two directories to hold the same bytes
 * (resumed against uninterrupted runs, workers against one process, merged shards against one run).
 */
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
