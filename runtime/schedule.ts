/**
 * Learning-rate schedules: pure functions from the update index (0 for the first update) to a learning
 * rate, computed in JS numbers. Durations are in steps; the compiler converts `every: 10 epochs` to steps
 * with the run's steps-per-epoch before it calls `makeSchedule`.
 */
import { DyncRuntimeError } from "./errors.js";
import { portableMath } from "../numerics/portable-math.js";

/** A schedule as a `.dyn` file describes it. */
export type ScheduleSpec =
  | { readonly kind: "constant" }
  /** lr·factor^⌊t / every⌋ (PyTorch StepLR). */
  | { readonly kind: "step_decay"; readonly every: number; readonly factor: number }
  /** floor + (lr − floor)·½(1 + cos(π·min(t, steps)/steps)); stays at `floor` after `steps` (no restart). */
  | { readonly kind: "cosine"; readonly steps: number; readonly floor?: number }
  /** Multiplies `then` (default constant) by min(1, (t + 1)/steps): the first update uses lr/steps and
   * update `steps − 1` the full rate. `then` sees the global step t, not t − steps. */
  | { readonly kind: "warmup"; readonly steps: number; readonly then?: ScheduleSpec };

/** The learning rate for update `step` (0-based). */
export type Schedule = (step: number) => number;

/** Build the schedule `spec` around the optimizer's base learning rate. */
export function makeSchedule(spec: ScheduleSpec, baseLr: number): Schedule {
  requireFinite("learning rate", baseLr, 0);
  switch (spec.kind) {
    case "constant":
      return () => baseLr;
    case "step_decay":
      return stepDecay(baseLr, spec.every, spec.factor);
    case "cosine":
      return cosine(baseLr, spec.steps, spec.floor ?? 0);
    case "warmup":
      return warmup(spec.steps, makeSchedule(spec.then ?? { kind: "constant" }, baseLr));
    default:
      throw new DyncRuntimeError("RUN040", `unknown schedule "${(spec as { kind: string }).kind}"`);
  }
}

function stepDecay(baseLr: number, every: number, factor: number): Schedule {
  requirePositiveInteger("step_decay every", every);
  requireFinite("step_decay factor", factor, 0);
  return (step) => baseLr * portableMath.pow(factor, Math.floor(step / every)); // not `**` or Math.*: the same rate on every Node version
}

function cosine(baseLr: number, steps: number, floor: number): Schedule {
  requirePositiveInteger("cosine steps", steps);
  requireFinite("cosine floor", floor, 0);
  return (step) => floor + (baseLr - floor) * 0.5 * (1 + portableMath.cos((Math.PI * Math.min(step, steps)) / steps));
}

function warmup(steps: number, inner: Schedule): Schedule {
  requirePositiveInteger("warmup steps", steps);
  return (step) => Math.min(1, (step + 1) / steps) * inner(step);
}

function requirePositiveInteger(what: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new DyncRuntimeError("RUN040", `${what} must be a positive whole number of steps, got ${value}`);
  }
}

function requireFinite(what: string, value: number, min: number): void {
  if (!Number.isFinite(value) || value < min) {
    throw new DyncRuntimeError("RUN040", `${what} must be a finite number ≥ ${min}, got ${value}`);
  }
}
