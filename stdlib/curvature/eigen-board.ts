/**
 * Hessian eigenvectors shared between the probes of one run.
 *
 * After every call, a `hessian` or `sharpness` probe publishes its eigenpairs on the run's board
 * (`ProbeRun.board`, one per run) under its own probe name: `publishEigenpairs(run, pairs)`. A later probe
 * of the same run reads the latest ones with `latestEigenpairs(run, name)` (a probe that takes an eigenvector
 * `along: v` names the probe that measures it). Probes run in declaration order at a step, so a reader
 * declared after the `hessian` probe sees that step's vectors; one declared before it sees the previous
 * call's. Vectors are flat per seed over `model.params` in order (seed s's slice of each parameter), float64,
 * unit norm; `layout` says which entries belong to which parameter, for per-layer shares.
 * The board holds references, not copies: readers must not modify the arrays.
 */
import type { Model } from "../../contract/model.js";
import { DyncRuntimeError } from "../../runtime/errors.js";
import type { ProbeRun } from "../probes/define.js";

/** One parameter's place in a flat per-seed vector. */
export interface ParamSlice {
  /** `layer.role`, e.g. `hidden0.weight`. */
  readonly name: string;
  readonly offset: number;
  readonly size: number;
}

/** The eigenpairs a curvature probe measured at its latest call. */
export interface HessianEigenpairs {
  readonly kind: "hessian-eigenpairs";
  /** The publishing probe's name. */
  readonly probe: string;
  /** The training step of the call. */
  readonly step: number;
  /** Per seed index: eigenvalues, largest algebraic first (undefined for seeds that call did not measure). */
  readonly values: readonly (Float64Array | undefined)[];
  /** Per seed index: the unit eigenvector of each value, in the same order. */
  readonly vectors: readonly (readonly Float64Array[] | undefined)[];
  readonly layout: readonly ParamSlice[];
}

/** Where each parameter sits in a flat per-seed vector of `model`. */
export function paramLayout(model: Model): ParamSlice[] {
  let offset = 0;
  return model.params.map((p) => {
    const size = p.variable.size / model.seeds;
    const slice = { name: p.name, offset, size };
    offset += size;
    return slice;
  });
}

/** Publishes `pairs` as the latest eigenpairs of probe `pairs.probe`. */
export function publishEigenpairs(run: ProbeRun, pairs: HessianEigenpairs): void {
  run.board.set(pairs.probe, pairs);
}

/** The latest eigenpairs probe `name` published in this run, or undefined before its first call. */
export function latestEigenpairs(run: ProbeRun, name: string): HessianEigenpairs | undefined {
  const value = run.board.get(name);
  if (value === undefined) return undefined;
  if ((value as { kind?: unknown }).kind !== "hessian-eigenpairs") {
    throw new DyncRuntimeError("RUN040", `probe "${name}" publishes no Hessian eigenvectors (it is not a hessian or sharpness probe)`);
  }
  return value as HessianEigenpairs;
}
