/**
 * How a run trains, as a run plan says it: loss, optimizer, batches, duration and probe cadences, as the
 * compiler lowers them and runtime/train and runtime/optim execute them. Types only (and `lossName`, which reads one,
 * and `OPTIMIZER_STATS`, the statistics optimizers report).
 */

// from runtime/loss.ts

/** The losses a `.dyn` file can name. */
export type LossName = "mse" | "half_mse" | "half_sse" | "cross_entropy";

/** Cross-entropy against label-smoothed targets (1 − ε)·y + ε/C, with 0 < ε ≤ 1. */
export interface SmoothedCrossEntropy {
  readonly name: "cross_entropy";
  readonly smoothing: number;
}

/**
 * A run's loss: its name, or an object when it carries a parameter (`cross_entropy(smoothing: 0.1)`).
 * `cross_entropy` without smoothing stays the plain name, so plans without a parameter read as before.
 */
export type LossKind = LossName | SmoothedCrossEntropy;

/** The name of a run's loss, with or without its parameters. */
export function lossName(kind: LossKind): LossName {
  return typeof kind === "string" ? kind : kind.name;
}

// from runtime/optim.ts

/** torch.optim.SGD: plain, or with momentum / dampening / Nesterov. `gd` is the same rule (full batch is the loop's business). */
export interface SgdSpec {
  readonly kind: "gd" | "sgd";
  readonly lr: number;
  readonly momentum?: number;
  readonly dampening?: number;
  readonly nesterov?: boolean;
  /** L2 added to the gradient (g + wd·θ), as torch's `weight_decay`. */
  readonly weight_decay?: number;
}

/** torch.optim.Adam (not AdamW): defaults β₁ 0.9, β₂ 0.999, ε 1e-8. */
export interface AdamSpec {
  readonly kind: "adam";
  readonly lr: number;
  readonly beta1?: number;
  readonly beta2?: number;
  readonly eps?: number;
  readonly weight_decay?: number;
}

/**
 * torch.optim.AdamW: Adam with decoupled weight decay (Loshchilov & Hutter, 2019). Each update first shrinks
 * θ ← θ·(1 − lr_t·weight_decay), lr_t the scheduled learning rate, then takes Adam's step on the gradient
 * alone (no L2 term in it, so the moments never see the decay). Defaults β₁ 0.9, β₂ 0.999, ε 1e-8,
 * weight_decay 0.01 (torch's). The paper's λ, multiplied by the schedule only, is weight_decay·lr here.
 */
export const ADAMW_WEIGHT_DECAY = 0.01;

export interface AdamWSpec {
  readonly kind: "adamw";
  readonly lr: number;
  readonly beta1?: number;
  readonly beta2?: number;
  readonly eps?: number;
  readonly weight_decay?: number;
}

/**
 * The sign-threshold SGD variant of Rosenfeld & Risteski (2024), Appendix F, as the project's paper notes
 * state it: m_t = β·m_{t−1} + (1 − τ)·g_t (m_{−1} = 0); coordinates with |m_t| > c take a fixed-size sign
 * step sign_lr·sign(m_t), the others the plain step lr·m_t. The appendix itself is not available here, so
 * the two step sizes are separate parameters; a schedule scales both by lr_t / lr.
 */
export interface SignSgdSpec {
  readonly kind: "sign_sgd";
  readonly lr: number;
  readonly sign_lr: number;
  readonly threshold: number;
  /** β, default 0.9. */
  readonly momentum?: number;
  /** τ, default 0.9. */
  readonly dampening?: number;
  readonly weight_decay?: number;
}

export type OptimizerSpec = SgdSpec | AdamSpec | AdamWSpec | SignSgdSpec;

/**
 * Statistics an optimizer reports about its most recent update (`optimizer_stat(name)`), each with the
 * optimizer kinds that report it: the compiler checks a run's optimizer against this, the runtime's
 * optimizers implement `statistic(name)` for theirs.
 */
export const OPTIMIZER_STATS = {
  /** Sign-threshold SGD: the fraction of parameter coordinates whose momentum |m| exceeded the threshold (a sign step). */
  above_threshold: ["sign_sgd"],
} as const satisfies Readonly<Record<string, readonly OptimizerSpec["kind"][]>>;

/** The name of an optimizer statistic. */
export type OptimizerStat = keyof typeof OPTIMIZER_STATS;

// from runtime/train/batches.ts

/** `full`: every update sees the whole dataset. Otherwise minibatches of `size`, reshuffled every epoch
 * or shuffled once into a fixed partition reused in the same order each epoch. */
export type BatchSpec = "full" | { readonly size: number; readonly shuffle?: "every_epoch" | "once" };

/** How long to train: a number of updates or of passes over the data. */
export type DurationSpec = { readonly steps: number } | { readonly epochs: number };

// from runtime/train/cadence.ts

/**
 * A point in training time: `start` (step 0), `end` (step T), a step count, a completed epoch count, or a
 * fraction of training (`at 25%`: fraction 0.25 of the run's T steps, whatever length a profile gives it).
 */
export type CadencePoint = "start" | "end" | { readonly step: number } | { readonly epoch: number } | { readonly fraction: number };

/**
 * The step of `point` in a run of `totalSteps` steps of `stepsPerEpoch` each. A fraction f is the first step
 * at or after f·T (⌈f·T⌉), the first step an analysis's `after f` keeps; a float rounding just above a whole
 * number (0.07 · 100 = 7.000000000000001) is taken as that number.
 */
export function cadencePointStep(point: CadencePoint, totalSteps: number, stepsPerEpoch: number): number {
  if (point === "start") return 0;
  if (point === "end") return totalSteps;
  if ("step" in point) return point.step;
  if ("epoch" in point) return point.epoch * stepsPerEpoch;
  const exact = point.fraction * totalSteps;
  const nearest = Math.round(exact);
  return Math.abs(exact - nearest) <= 1e-9 * Math.max(1, totalSteps) ? nearest : Math.ceil(exact);
}

/** `start`, `end`, `step 150`, `epoch 3`, `25%`: a point as messages name it. */
export function describeCadencePoint(point: CadencePoint): string {
  if (typeof point === "string") return point;
  if ("step" in point) return `step ${point.step}`;
  if ("epoch" in point) return `epoch ${point.epoch}`;
  return `${+(point.fraction * 100).toPrecision(12)}%`;
}

/**
 * The steps of `every f` (a share of training, `every 25%`) in a run of `totalSteps`: ⌈k·f·T⌉ for k = 0, 1, …
 * while k·f ≤ 1, each step once, ascending. Step 0 is included, as `every N steps` includes it; `end` only
 * when f divides 100%. Each point rounds as `at k·f` does (cadencePointStep), so `every 25%` measures where
 * `at [start, 25%, 50%, 75%, end]` does. A share shorter than one step (f·T < 1) would give some step
 * twice: it is measured once, so the run measures at every step from 0 to the last point.
 */
export function everyShareSteps(fraction: number, totalSteps: number): number[] {
  const points = everySharePoints(fraction);
  const stepOf = (k: number) => Math.min(totalSteps, cadencePointStep({ fraction: k * fraction }, totalSteps, 1));
  // A share under one step covers every step up to the last point; listing them avoids 1/f iterations.
  if (fraction * totalSteps < 1) return Array.from({ length: stepOf(points - 1) + 1 }, (_, step) => step);
  return Array.from({ length: points }, (_, k) => stepOf(k));
}

/** How many points `every f` names, distinct or not: k = 0, 1, … while k·f ≤ 1 (a float just above 1 counts). */
export function everySharePoints(fraction: number): number {
  if (!(fraction > 0 && fraction <= 1)) throw new RangeError(`a share of training is in (0, 1]; got ${fraction}`);
  return Math.floor(1 / fraction + 1e-9) + 1;
}

/** `every 10 steps`, `every 2 epochs`, `every 25%`: a periodic cadence as messages name it. */
export function describeEvery(c: Extract<Cadence, { kind: "every" }>): string {
  return "fraction" in c ? `every ${describeCadencePoint({ fraction: c.fraction })}` : `every ${c.n} ${c.unit}`;
}

export type Cadence =
  /** Steps 0, n, 2n, … (step 0 included; `end` only when T is a multiple). For epochs: every n·stepsPerEpoch steps. */
  | { readonly kind: "every"; readonly n: number; readonly unit: "steps" | "epochs" }
  /** `every 25%`: the steps of everyShareSteps(fraction, T), resolved against each run's own length T. */
  | { readonly kind: "every"; readonly fraction: number }
  | { readonly kind: "at"; readonly points: readonly CadencePoint[] }
  /** At the step an event fires, for the seeds it fires for. */
  | { readonly kind: "on"; readonly event: string };
