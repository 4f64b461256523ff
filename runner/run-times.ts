/**
 * Each run's last measured wall time, remembered for the default `--jobs` (jobs.ts): the next time the same
 * plan trains on the same backend, whether workers pay off is known before the first step, and `dync plan`
 * can say what the default will be.
 *
 * One small JSON file per plan (`runTimesKey`) under `<cache>/run-times/`, beside the cached programs
 * (`<cache>/programs/`, cli/program-cache.ts), holding the seconds per run id for each backend the plan
 * trained on (`{ "backends": { "<backend>": { "<run id>": seconds } } }`, backend as `backendTimesKey`). A
 * file is written to a temporary name and renamed into place, so concurrent runs see a whole file or none; a
 * file that cannot be read or written is as if nothing were remembered (the rule then times the first run).
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync } from "node:fs";
import { replaceFile } from "../runtime/record/atomic-file.js";
import { join } from "node:path";
import type { RunSpec } from "../contract/program.js";
import { dyncCacheDir } from "../runtime/cache-dir.js";

/** Where run times are remembered. */
export function runTimesDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(dyncCacheDir(env), "run-times");
}

/**
 * Which plan the times are of: a hash of the experiment's name, seeds and runs (what they train; not their
 * checkpoint cadence or source lines, as `planHash`), keys sorted. Unlike `planHash` it leaves out the target
 * functions' code, which exists only in the compiled program: `dync plan` computes it from the checked
 * source, `dync run` from the program, and both get the same key (a changed target changes no run's time).
 */
export function runTimesKey(experiment: string, plan: { readonly seeds: readonly number[]; readonly runs: readonly RunSpec[] }): string {
  const runs = plan.runs.map(({ checkpoint: _checkpoint, ...rest }) => rest);
  return createHash("sha256").update(canonicalJson({ experiment, seeds: plan.seeds, runs })).digest("hex").slice(0, 32);
}

/** JSON with object keys sorted and source `line` numbers left out, so the key does not depend on how the plan was built. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (key, v: unknown) => {
    if (key === "line" && typeof v === "number") return undefined;
    if (typeof v === "function") return `fn:${String(v)}`;
    if (v === null || typeof v !== "object" || Array.isArray(v)) return v;
    return Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  });
}

/** Which backend times are for: its name, matrix-product path and library, and MLP training step change them. */
export function backendTimesKey(backend: { readonly name: string; readonly matmul?: { readonly path: string; readonly gemm?: string }; readonly fusedStep?: { readonly path: string } }): string {
  return [backend.name, [backend.matmul?.path, backend.matmul?.gemm].filter(Boolean).join(":"), backend.fusedStep?.path ?? ""].join("/");
}

function runTimesFile(dir: string, planKey: string): string {
  return join(dir, `${planKey}.json`);
}

/** Every backend's remembered seconds per run id for one plan; empty when none (or the file is unreadable). */
function readAll(dir: string, planKey: string): Record<string, Record<string, number>> {
  try {
    const { backends } = JSON.parse(readFileSync(runTimesFile(dir, planKey), "utf8")) as { backends?: unknown };
    if (typeof backends !== "object" || backends === null) return {};
    return Object.fromEntries(Object.entries(backends as Record<string, unknown>).map(([backend, runs]) => [backend, validTimes(runs)]));
  } catch {
    return {};
  }
}

function validTimes(runs: unknown): Record<string, number> {
  if (typeof runs !== "object" || runs === null) return {};
  return Object.fromEntries(Object.entries(runs).filter((e): e is [string, number] => typeof e[1] === "number" && Number.isFinite(e[1]) && e[1] >= 0));
}

/** Remembered seconds per run id of a plan on a backend; empty when none. */
export function readRunTimes(dir: string, planKey: string, backend: string): Record<string, number> {
  return readAll(dir, planKey)[backend] ?? {};
}

/** The backends a plan has remembered times for (`dync plan` looks up which one it would run on only then). */
export function rememberedBackends(dir: string, planKey: string): string[] {
  return Object.entries(readAll(dir, planKey)).flatMap(([backend, runs]) => (Object.keys(runs).length > 0 ? [backend] : []));
}

/** Remember `times` (seconds per run id) over what was remembered; false when it could not be written. */
export function rememberRunTimes(dir: string, planKey: string, backend: string, times: Readonly<Record<string, number>>): boolean {
  if (Object.keys(times).length === 0) return true;
  try {
    mkdirSync(dir, { recursive: true });
    const all = readAll(dir, planKey);
    all[backend] = { ...all[backend], ...times };
    replaceFile(runTimesFile(dir, planKey), `${JSON.stringify({ backends: all })}\n`);
    return true;
  } catch {
    return false;
  }
}
