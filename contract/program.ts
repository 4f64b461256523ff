/**
 * The contract between the compiler and the runtime: what a generated program hands to `runMain`.
 *
 * Everything the compiler can know is resolved here: defaults filled, registry calls lowered to the
 * runtime's specs, durations and cadences in the training loop's terms. A profile is a `PlanTemplate` (a
 * base run, the sweep axes and each point's differences from the base), which `expandPlan` (plan.ts) turns
 * into one `RunSpec` per sweep point; hand-written programs may list their runs instead (`ExplicitPlan`).
 * Only target functions are code (generated TypeScript, float64, per data set). The runtime builds data,
 * models and optimizers from these specs, trains each run seed-batched, records, then evaluates the
 * analyses and expectations over the recorded results.
 */
import type { ActivationSpec, ConvBlockSpec, EncodingSpec, InitDist, MlpInit } from "./model-specs.js";
import { everyShareSteps, type BatchSpec, type Cadence, type DurationSpec, type LossKind, type OptimizerSpec } from "./training-specs.js";

/** A value of a sweep variable in a run: numbers, names (`silu`), or a call shown as text (`fourier(L: 3)`). */
export type SweepValue = number | string | boolean;

/** `10k steps` / `5 epochs` as the `.dyn` file said it; the runtime converts with the run's steps per epoch. */
export type Duration = { readonly steps: number } | { readonly epochs: number };

/** A target: input columns (float64 copies of what the network sees) → one output column per target. */
export type TargetFunction = (columns: readonly Float64Array[], draws?: TargetDraws) => ArrayLike<number> | readonly ArrayLike<number>[];

/**
 * Random numbers a target draws per point, in point order (label noise: `y = sin(2*x) + normal(0, 0.1)`),
 * from the data set's own stream, so each seed has its own noise and inputs are drawn exactly as without it.
 */
export interface TargetDraws {
  normal(mean: number, std: number): number;
  uniform(low: number, high: number): number;
}

export interface ExperimentProgram {
  /** Version of the compiler that generated the program. */
  readonly compiler: string;
  readonly name: string;
  /** The `.dyn` file and the experiment's line, for messages and the report. */
  readonly file: string;
  /**
   * The absolute directory of the `.dyn` file when it was compiled: data files it names (`csv("d.csv")`,
   * `npy`, `image`) resolve against it, so `node out.js` finds them from any working directory. Absent
   * (a hand-written program): they resolve against the directory of `file`, from the working directory.
   */
  readonly sourceDir?: string;
  readonly line: number;
  /** The `.dyn` source text, shown in the report. */
  readonly source: string;
  /**
   * Command-line overrides (`dync run FILE width=16 …`) the program was compiled with: the arguments as
   * given and the profile they were applied to (its plan already holds them). Absent without overrides.
   */
  readonly overrides?: { readonly profile: string; readonly args: readonly string[] };
  /** Sweep variables in declaration order (the metrics' columns). */
  readonly sweepVars: readonly string[];
  /** `default` plus one entry per `profile` block. */
  readonly profiles: Readonly<Record<string, ProfileSpec>>;
  /** Target functions by id, referenced from data specs. */
  readonly targets: Readonly<Record<string, TargetFunction>>;
}

/**
 * Seeds are whole numbers in [0, SEED_LIMIT): the random generator (runtime/rng.ts) reads a seed as a
 * 32-bit unsigned integer, so 1 and 2^32 + 1 would be one stream. The checker and `resolveSeeds` both refuse
 * seeds outside this range rather than alias them.
 */
export const SEED_LIMIT = 2 ** 32;

/** Whether `seed` is one the random generator tells apart from every other: a whole number in [0, 2^32). */
export function isValidSeed(seed: number): boolean {
  return Number.isInteger(seed) && seed >= 0 && seed < SEED_LIMIT;
}

/** What a profile computes from the recorded results; the same in every form of a plan. */
export interface PlanResults {
  readonly analyses: readonly AnalysisSpec[];
  readonly expects: readonly ExpectSpec[];
  readonly plots: readonly PlotSpec[];
}

/** A profile's plan with every run written out: what the runtime trains, records and reports on. */
export interface ProfilePlan extends PlanResults {
  /** Seed values (distinct, each `isValidSeed`); every run trains all of them seed-batched. */
  readonly seeds: readonly number[];
  readonly runs: readonly RunSpec[];
}

/** A profile as a program states it: a template (what the compiler emits) or explicit runs (by hand). */
export type ProfileSpec = PlanTemplate | ExplicitPlan;

/** Runs listed one by one, as a hand-written program does; seeds as a list or a range. */
export interface ExplicitPlan extends PlanResults {
  readonly seeds: Seeds;
  readonly runs: readonly RunSpec[];
}

/** Seed values: a list, or the `count` consecutive values `from, from + 1, …`. */
export type Seeds = readonly number[] | { readonly from: number; readonly count: number };

/**
 * A profile's runs without repeating them: the base run, the sweep axes, and per sweep point the fields
 * that differ from the base. `expandPlan` (plan.ts) gives the same `RunSpec`s the compiler checked.
 */
export interface PlanTemplate extends PlanResults {
  readonly seeds: Seeds;
  /**
   * Sweeps in declaration order; the points are their cross product, the first axis outermost. An axis
   * maps each of its variables to its values; several variables (a zipped sweep, `sweep (a, b) in zip(…)`)
   * step together, so their value lists have one length.
   */
  readonly axes: readonly SweepAxis[];
  /** The run at the first point, without its `id` and `point` (which follow from the axes). */
  readonly base: RunBase;
  /** One `RunPatch` per point of the sweep, in the order of the points: what differs from `base`. */
  readonly points: readonly RunPatch[];
}

export type SweepAxis = Readonly<Record<string, readonly SweepValue[]>>;

export type RunBase = Omit<RunSpec, "id" | "point">;

/**
 * The differences of one run from the base, as a JSON merge patch with exact arrays: an object patches
 * the object (or, by index, the array) at its place field by field; any other value (numbers, strings,
 * arrays, null) replaces what is there; `{ $delete: true }` removes a field and `{ $replace: v }` puts
 * `v` in place of what was there (an object of another variant, or where an array was). `{}` is the
 * base run itself.
 */
export type RunPatch = { readonly [field: string]: PatchValue };
export type PatchValue =
  | null
  | boolean
  | number
  | string
  | readonly unknown[]
  | { readonly $delete: true }
  | { readonly $replace: unknown }
  | { readonly [field: string]: PatchValue };

export interface RunSpec {
  /** Stable id from the sweep point: `width=8,act=silu`, or `run` without sweeps. */
  readonly id: string;
  readonly point: Readonly<Record<string, SweepValue>>;
  readonly data: Readonly<Record<string, DataSpec>>;
  /** Which data set the model trains on. */
  readonly trainOn: string;
  readonly model: ModelSpec;
  readonly loss: LossKind;
  /** λ of `regularize l2(λ)`, 0 when absent. */
  readonly l2: number;
  /** `regularize l2(λ, on: weights)`: the term covers weight matrices only; absent: every parameter (`on: all`). */
  readonly l2On?: "weights";
  readonly optimizer: OptimizerSpec;
  readonly schedule?: ScheduleWithDurations;
  readonly duration: DurationSpec;
  readonly batch: BatchSpec;
  readonly probes: readonly ProbeSpec[];
  /** `at first(cond)` events, named after the probe they schedule. */
  readonly events: readonly EventSpecData[];
  /**
   * `checkpoint every N steps` (or epochs): how often the run saves its whole training state so that
   * `dync run --resume DIR` continues it after a kill; absent or null: no checkpoints.
   */
  readonly checkpoint?: CheckpointSpec | null;
}

/**
 * A checkpoint cadence: every N steps or epochs, or a share of training (`checkpoint every 10%`, kept as a fraction
 * so each run resolves it against its own length, as a probe's `every 10%`). It changes no measurement, so the
 * plan hash `--resume` compares leaves it out.
 */
export type CheckpointSpec = { readonly every: number; readonly unit: "steps" | "epochs" } | { readonly fraction: number };

/** When a run checkpoints: before every step k with k % every = 0, or before each listed step (0 < k < T either way). */
export type CheckpointCadence = { readonly every: number } | { readonly at: readonly number[] };

/**
 * The cadence of `spec` in a run of `totalSteps` steps of `stepsPerEpoch` each: N steps, N epochs of steps, or the
 * steps of a share of training strictly inside the run (everyShareSteps, where `every 10%` measures a probe).
 */
export function checkpointCadence(spec: CheckpointSpec, totalSteps: number, stepsPerEpoch: number): CheckpointCadence {
  if ("fraction" in spec) return { at: everyShareSteps(spec.fraction, totalSteps).filter((step) => step > 0 && step < totalSteps) };
  return { every: spec.unit === "steps" ? spec.every : spec.every * stepsPerEpoch };
}

/**
 * Checkpoints a run of `totalSteps` steps writes: one at each multiple of the interval, or each listed step, strictly
 * inside the run; none at step 0 or at the end (nothing to resume there; runtime/train/loop.ts `snapshot`).
 */
export function checkpointWrites(totalSteps: number, cadence: CheckpointCadence): number {
  if ("at" in cadence) return cadence.at.filter((step) => step > 0 && step < totalSteps).length;
  return totalSteps <= 0 ? 0 : Math.floor((totalSteps - 1) / cadence.every);
}

export type DataSpec = (
  | { readonly source: "sample"; readonly vars: readonly SampledVariable[] }
  | { readonly source: "grid"; readonly axes: readonly GridAxisSpec[]; readonly n: number }
  /** n points with each input drawn from U[lo, hi), per seed from the data set's stream. */
  | { readonly source: "uniform"; readonly axes: readonly GridAxisSpec[]; readonly n: number; readonly split?: SampleSplit }
  | { readonly source: "points"; readonly columns: Readonly<Record<string, readonly number[]>> }
  | { readonly source: "chebyshev"; readonly degree: number; readonly n: number; readonly axes: readonly GridAxisSpec[] | null }
  | { readonly source: "mnist" | "fashion_mnist" | "cifar10"; readonly split: "train" | "test"; readonly limit: number | null; readonly dir: string | null; readonly normalize: "unit" | "symmetric" | "raw" }
  | { readonly source: "cifar100"; readonly split: "train" | "test"; readonly limit: number | null; readonly dir: string | null; readonly normalize: "unit" | "symmetric" | "raw"; readonly labels: "fine" | "coarse" }
  /** A PNG's pixels as (x, y) points with colour targets; `file` relative to the `.dyn` file; `size` (square, or [width, height]) shrinks it first. */
  | { readonly source: "image"; readonly file: string; readonly axes: readonly GridAxisSpec[] | null; readonly size: number | readonly [number, number] | null; readonly channels: "rgb" | "gray"; readonly normalize: "unit" | "symmetric" }
  /** y(t) = Σ_k A_k sin(2π f_k t + 2π φ_k) on a grid; `phases` in cycles, or `random` (drawn per seed from its task stream). */
  | { readonly source: "sinusoids"; readonly frequencies: readonly number[]; readonly amplitudes: readonly number[] | null; readonly phases: "random" | readonly number[]; readonly n: number; readonly axes: readonly GridAxisSpec[] | null }
  | { readonly source: "gaussian_mixture"; readonly n: number; readonly d: number; readonly classes: number; readonly separation: number; readonly std: number; readonly split?: SampleSplit }
  /** Rosenfeld & Risteski §3.3: [x, x_o] with x ~ N(0, I_{d1}), x_o = ±a·1 on round(p·n) points; y = βᵀx + (1/√d2)·1ᵀ|x_o|. */
  | { readonly source: "opposing_signals"; readonly n: number; readonly d1: number; readonly d2: number; readonly p: number; readonly alpha: number; readonly beta: number; readonly split?: SampleSplit }
  /** n identical solid-colour images (`color` per channel), one-hot class `label`: a probe input. */
  | { readonly source: "constant_image"; readonly size: number; readonly channels: number; readonly classes: number; readonly color: readonly number[]; readonly label: number; readonly n: number }
  /** Your own table: the columns `x` (inputs) and `y` (targets) of a CSV file with a header row; `file` relative to the program's file. */
  | { readonly source: "csv"; readonly file: string; readonly x: readonly string[]; readonly y: readonly string[]; readonly classes?: number }
  /** Your own arrays: `x` `(n, inputs)` and `y` `(n, outputs)` `.npy` files (`(n,)` when 1), relative to the program's file. */
  | { readonly source: "npy"; readonly x: string; readonly y: string; readonly inputs: number; readonly outputs: number; readonly classes?: number }
  | { readonly source: "gratings"; readonly n: number; readonly size: number; readonly channels: number; readonly classes: number; readonly cycles: number; readonly noise: number; readonly normalize: "unit" | "symmetric"; readonly phase_spread: number; readonly split?: SampleSplit }
) & {
  /** Id in `ExperimentProgram.targets` of the target function, for synthetic inputs. */
  readonly target?: string;
  /** Whether each seed draws its own sample (random sources) or all seeds share one data set. */
  readonly perSeed: boolean;
  /**
   * Image sources: `pixel` standardises each input value with the mean and standard deviation of the run's
   * training data set over its samples (runner/data.ts); absent: none.
   */
  readonly standardize?: "pixel";
  /**
   * Labelled image sources: the targets permuted across the samples by the permutation seeded by this
   * number (stdlib/data/shuffle-labels.ts), the same for every seed; absent: the labels of the files.
   */
  readonly shuffle_labels?: number;
  /**
   * Random sources: `every_step` trains each update on a new draw of the training set (the same size and
   * distribution; the draw of update k comes from the data set's stream forked for k, runner/data.ts), the
   * "D → ∞" of papers that sample fresh data every step; absent: one draw per seed, reused every step.
   */
  readonly resample?: "every_step";
};

/**
 * `x ~ uniform(-2, 2) [1024]` in a data block. Every variable is drawn (point by point, in declaration
 * order); a `latent` one is seen by the target only, not by the model (label noise, a hidden cause).
 */
export interface SampledVariable {
  readonly name: string;
  readonly dist: InitDist;
  readonly n: number;
  readonly latent?: true;
}

/**
 * Which sample stream a synthetic source draws from: `train` and `test` are independent draws of one task;
 * null (or absent) is the data set's own stream, named after the data set.
 */
export type SampleSplit = "train" | "test" | null;

/** One input variable of a grid: `[lo, hi]` (`closedHi`) or `[lo, hi)`. */
export interface GridAxisSpec {
  readonly name: string;
  readonly lo: number;
  readonly hi: number;
  readonly closedHi: boolean;
}

/** A model the runtime builds: an MLP, a CNN, or a list of layers (`model net { … }`). */
export type ModelSpec = MlpModelSpec | ConvNetModelSpec | LayersModelSpec | OpposingLinearModelSpec;

/**
 * `opposing_linear(d1:, d2:)`: Rosenfeld & Risteski's two-layer linear model c·(bᵀx + b_oᵀx_o) on inputs
 * [x, x_o] (runtime/nn/opposing.ts), with the paper's initialisation (c = 1, ‖b‖² = d1/(d1+d2), ‖b_o‖² =
 * d2/(d1+d2)); layers `b`, `b_o`, `c`. Not a layer list: b and b_o act on two parts of one input in parallel.
 */
export interface OpposingLinearModelSpec {
  readonly kind: "opposing_linear";
  readonly name: string;
  readonly d1: number;
  readonly d2: number;
  /** d1 + d2. */
  readonly inDim: number;
  readonly outDim: 1;
  // Options of the other models, absent here, so code reading them off any ModelSpec sees `undefined`.
  readonly init?: undefined;
  readonly hidden?: undefined;
  readonly act?: undefined;
  readonly bias?: undefined;
  readonly norm?: undefined;
  readonly dropout?: undefined;
  readonly encode?: undefined;
  readonly outputScale?: undefined;
}

/** One layer of a layer-list model; `name` addresses it (`conv1`, or `hidden0`/`conv0`/`out` when unnamed). */
export type LayerSpec = { readonly name: string } & (
  | { readonly kind: "dense"; readonly width: number; readonly act: ActivationSpec | null; readonly bias: boolean }
  | {
      readonly kind: "conv";
      readonly filters: number;
      readonly kernel: number;
      readonly stride: number;
      readonly padding: "valid" | "same";
      readonly act: ActivationSpec | null;
      readonly bias: boolean;
    }
  /** Non-overlapping size×size windows. */
  | { readonly kind: "pool"; readonly op: "max" | "avg"; readonly size: number }
  | { readonly kind: "flatten" }
  /** PyTorch BatchNorm1d (flat) / BatchNorm2d (images, per channel): momentum 0.1, eps 1e-5. */
  | { readonly kind: "batchnorm" }
  /** PyTorch LayerNorm over the last axis (features, or channels of an image), eps 1e-5, affine. */
  | { readonly kind: "layernorm" }
  | { readonly kind: "dropout"; readonly p: number }
  | { readonly kind: "activation"; readonly act: ActivationSpec }
  | { readonly kind: "encoding"; readonly encoding: EncodingSpec }
  | { readonly kind: "scale"; readonly factor: number }
);

/** `model net { … }`: layers in forward order; the last layer's output is the model's output. */
export interface LayersModelSpec {
  readonly kind: "layers";
  readonly name: string;
  /** One sample: `[d]` for rows of d values, `[H, W, C]` for images (also accepted as flattened rows). */
  readonly inShape: readonly number[];
  /** Values per sample (the product of `inShape`). */
  readonly inDim: number;
  readonly outDim: number;
  readonly layers: readonly LayerSpec[];
  readonly init: MlpInit;
  // Options of `mlp`/`cnn`, absent here, so code reading them off any ModelSpec sees `undefined`.
  readonly hidden?: undefined;
  readonly act?: undefined;
  readonly bias?: undefined;
  readonly norm?: undefined;
  readonly dropout?: undefined;
  readonly encode?: undefined;
  readonly outputScale?: undefined;
}

export interface MlpModelSpec {
  readonly kind: "mlp";
  /** The `.dyn` name of the model (`net`): probes address its layers through it. */
  readonly name: string;
  readonly inDim: number;
  readonly hidden: readonly number[];
  readonly outDim: number;
  readonly act: ActivationSpec;
  readonly bias: boolean;
  readonly norm: "none" | "batchnorm";
  readonly dropout: number;
  readonly encode: EncodingSpec | null;
  readonly outputScale: number | null;
  readonly init: MlpInit;
}

/** `cnn(…)`: conv blocks (conv → activation → optional pooling), flatten, dense hidden layers, dense out. */
export interface ConvNetModelSpec {
  readonly kind: "convnet";
  readonly name: string;
  /** One image, `[H, W, C]`. */
  readonly inShape: readonly [number, number, number];
  /** H·W·C, the length of a flattened image row. */
  readonly inDim: number;
  readonly convs: readonly ConvBlockSpec[];
  readonly hidden: readonly number[];
  readonly outDim: number;
  /** Activation of the dense hidden layers (and of conv blocks without their own). */
  readonly act: ActivationSpec;
  readonly bias: boolean;
  readonly init: MlpInit;
  // MLP-only options, absent here, so code reading them off any ModelSpec sees `undefined`.
  readonly norm?: undefined;
  readonly dropout?: undefined;
  readonly encode?: undefined;
  readonly outputScale?: undefined;
}

export type ScheduleWithDurations =
  | { readonly kind: "constant" }
  | { readonly kind: "step_decay"; readonly every: Duration; readonly factor: number }
  | { readonly kind: "cosine"; readonly steps: Duration; readonly floor: number }
  | { readonly kind: "warmup"; readonly steps: Duration; readonly then: ScheduleWithDurations };

/**
 * A probe's data argument as lowered: a data set by name (`{ ref }`), or a group of its rows, listed
 * (`train[0..19]` → `rows`) or drawn per seed (`random_subset(train, 20)` → `random`).
 */
export interface DataRef {
  readonly ref: string;
  readonly rows?: readonly number[];
  readonly random?: { readonly n: number; readonly seed: number };
  /** Rows an analysis of the same run finds during training (`train[up]`, `let up = top_k(…) over point`). */
  readonly found?: FoundSet;
}

/**
 * An index set found during the run: the analysis `name` (`top_k(diff(psl)[steps = 150], k: 20) over point`),
 * evaluated per seed on the run's own measurements once step `step`'s are recorded; its rows (the points
 * where it is 1, ascending) are the group from then on. The checker proves `expr` depends on measurements
 * at steps ≤ `step` only (compiler/check/found-sets.ts), so the set equals what the analysis gives after
 * the run. `lets`: the analyses `expr` reads, in order; `reads`: the probes it reads; `size`: at most this many rows.
 */
export interface FoundSet {
  readonly name: string;
  readonly step: number;
  readonly size: number;
  readonly expr: AnalysisExpr;
  readonly lets: readonly AnalysisSpec[];
  readonly reads: readonly string[];
}

/** Rows a probe evaluates on through `ref`, given its data set's size (undefined: unknown). */
export function dataRefRows(ref: DataRef, size: number | undefined): number | undefined {
  if (ref.rows) return ref.rows.length;
  if (ref.found) return size === undefined ? ref.found.size : Math.min(ref.found.size, size);
  if (ref.random) return size === undefined ? ref.random.n : Math.min(ref.random.n, size);
  return size;
}

export interface ProbeSpec {
  readonly name: string;
  /** Named results of a multi-field probe (`feats.angle`, `feats.amplitude`); absent for one value. */
  readonly fields?: readonly string[];
  /** The extra dimension of a per-unit probe (`neuron`, `frequency`): one value per index. */
  readonly index?: string;
  /** The registry entry (`loss`, `weight_norm`, …). */
  readonly probe: string;
  /** Lowered arguments; references to experiment names are `{ ref: name }`. */
  readonly args: Readonly<Record<string, unknown>>;
  readonly cadences: readonly Cadence[];
  /** `.dyn` line, for messages. */
  readonly line: number;
}

/** `at first(cond)`: fires once per seed at the first step where `cond` (an analysis over one probe's latest value) holds. */
export interface EventSpecData {
  readonly name: string;
  /** The probes the condition reads (each a name, or pinned to a step as in `l[steps = 0]`). */
  readonly watch: readonly string[];
  readonly condition: AnalysisExpr;
}

// ── analyses over recorded results ───────────────────────────────────────────

/**
 * Dimensions of a result table: the sweep variables, `seeds` and `steps`. A probe's series has all three
 * (steps: the times it was measured); reductions remove the dimensions they run over.
 */
export type Dim = string;

/** An analysis expression, evaluated by the runtime after training (and per step for events). */
export type AnalysisExpr =
  | { readonly op: "probe"; readonly name: string }
  | { readonly op: "let"; readonly name: string }
  | { readonly op: "number"; readonly value: number }
  /**
   * A numeric sweep variable as a value: one row per sweep point, keyed by that variable, so `2/lr` joined
   * with a series over a swept `lr` gives each run its own point's value.
   */
  | { readonly op: "sweep"; readonly name: Dim }
  /** Elementwise arithmetic, joining tables on their shared dimensions. */
  | { readonly op: "arith"; readonly fn: "+" | "-" | "*" | "/" | "^"; readonly left: AnalysisExpr; readonly right: AnalysisExpr }
  | { readonly op: "neg"; readonly arg: AnalysisExpr }
  /** Elementwise math function: log10, log, exp, abs, sqrt. */
  | { readonly op: "map"; readonly fn: MapFn; readonly arg: AnalysisExpr }
  /** Reduce over dimensions: `median(x) over seeds`; without `over`, over `steps`. */
  | { readonly op: "reduce"; readonly fn: ReduceFn; readonly arg: AnalysisExpr; readonly over: readonly Dim[]; readonly q?: number }
  /**
   * Keep the rows at one value of some dimensions: `alpha[act = silu]`. `fixes`: the sweep variables zipped
   * with a selected one (`sweep (variant, norm) in zip(…)`): one value of `variant` fixes them too, so they
   * are dropped with it, and the selection lines up with a selection at another point of the same zip.
   */
  | { readonly op: "select"; readonly arg: AnalysisExpr; readonly where: Readonly<Record<Dim, SweepValue>>; readonly fixes?: readonly Dim[] }
  /** Keep measurements after/before a time: a fraction of training (`50%`) or a step. */
  | { readonly op: "time"; readonly relation: "after" | "before"; readonly arg: AnalysisExpr; readonly at: { readonly fraction: number } | { readonly step: number } }
  /**
   * Keep measurements after/before a step that another result gives per group (`acc before p1` with
   * `p1 = plateau_end(l)`: per seed): `bound` has no steps dimension and only dimensions of `arg`.
   */
  | { readonly op: "window"; readonly relation: "after" | "before"; readonly arg: AnalysisExpr; readonly bound: AnalysisExpr }
  /** Least-squares fit of log y = log c + p·log x across the sweep variable `x`, per group of `by` dimensions. */
  | { readonly op: "fit_power_law"; readonly y: AnalysisExpr; readonly x: Dim; readonly by: readonly Dim[] }
  /** A field of a fit: `fit.exponent`, `fit.alpha` (= −exponent), `fit.r2`, `fit.ci_low`, `fit.ci_high`. */
  | { readonly op: "field"; readonly arg: AnalysisExpr; readonly name: string }
  | { readonly op: "compare"; readonly fn: "==" | "!=" | "<" | "<=" | ">" | ">="; readonly left: AnalysisExpr; readonly right: AnalysisExpr }
  /** `x in [lo, hi]` (closed) or `[lo, hi)`. */
  | { readonly op: "in"; readonly arg: AnalysisExpr; readonly lo: number; readonly hi: number; readonly closedHi: boolean }
  /** `x within tol of ref`: |x − ref| ≤ tol, or ≤ fraction·|ref| for a percentage. */
  | { readonly op: "within"; readonly arg: AnalysisExpr; readonly tolerance: { readonly fraction: number } | { readonly absolute: number }; readonly reference: AnalysisExpr }
  | { readonly op: "and" | "or"; readonly left: AnalysisExpr; readonly right: AnalysisExpr }
  | { readonly op: "not"; readonly arg: AnalysisExpr }
  /**
   * A standard-library analysis function by registry name (runtime/analysis/functions): result tables
   * in, a table out. Phenomenon libraries add analyses here without touching the IR.
   */
  | { readonly op: "fn"; readonly name: string; readonly args: readonly AnalysisExpr[]; readonly options: Readonly<Record<string, number | string | boolean>>; readonly over: readonly Dim[] };

/**
 * The sub-expressions of `e`, in field order: fields holding an expression and every expression in a list
 * field (`fn` args). Walkers of the IR (which probes an expression reads, which lets) take them from here,
 * so a node kind that holds expressions in a list is not missed by one of them.
 */
export function analysisChildren(e: AnalysisExpr): AnalysisExpr[] {
  const out: AnalysisExpr[] = [];
  for (const field of Object.values(e) as unknown[]) {
    if (Array.isArray(field)) out.push(...field.filter(isAnalysisExpr));
    else if (isAnalysisExpr(field)) out.push(field);
  }
  return out;
}

function isAnalysisExpr(x: unknown): x is AnalysisExpr {
  return typeof x === "object" && x !== null && "op" in x;
}

/**
 * The analysis language's built-in vocabulary, one list each: the checker accepts these names, the
 * evaluators implement each (exhaustive records), and the core family documents them (stdlib/core/entries.ts).
 */
export const REDUCE_FNS = ["median", "mean", "std", "min", "max", "sum", "prod", "count", "first", "last", "quantile", "nanmedian", "nanmean", "nanmin", "nanmax"] as const;
export type ReduceFn = (typeof REDUCE_FNS)[number];
export const MAP_FNS = ["log10", "log", "exp", "abs", "sqrt"] as const;
export type MapFn = (typeof MAP_FNS)[number];
/** The fields of a `fit_power_law` result (`fit.alpha`). */
export const FIT_FIELDS = ["exponent", "alpha", "coefficient", "r2", "stderr", "ci_low", "ci_high"] as const;
export type FitField = (typeof FIT_FIELDS)[number];

export interface AnalysisSpec {
  readonly name: string;
  readonly expr: AnalysisExpr;
  readonly line: number;
}

/** An `expect`: holds when every row of its boolean table is true (and the table is not empty). */
export interface ExpectSpec {
  /** The condition as written in the `.dyn` file. */
  readonly text: string;
  readonly line: number;
  readonly expr: AnalysisExpr;
}

/**
 * A reference drawn on a plot: a horizontal line (`ref: 2/lr` with a constant lr), one per sweep point when it
 * reads numeric sweep variables (`ref: 2/lr` over a swept lr: a rule per lr, or a curve when lr is the x
 * axis), or a power law through the first point (`ref: width^-1`).
 */
export type PlotReference =
  | { readonly kind: "constant"; readonly value: number; readonly label: string }
  | { readonly kind: "sweep"; readonly expr: AnalysisExpr; readonly label: string }
  | { readonly kind: "power"; readonly exponent: number; readonly label: string };

/**
 * Vertical rules on a line plot over steps (`mark: groups`): at the steps a probe was measured (a snapshot
 * probe `at [start, 500]`, or one triggered `at first(cond)`, i.e. where its event fired), or at the step
 * values of an analysis (`mark: learned_at`, e.g. a `convergence_step`).
 */
export type PlotMark =
  | { readonly kind: "probe"; readonly name: string; readonly label: string }
  | { readonly kind: "steps"; readonly expr: AnalysisExpr; readonly label: string };

/** What every plot has: where it comes from and how to split it. */
interface PlotBase {
  /** The `plot` statement as written, shown as the figure's caption. */
  readonly text: string;
  readonly line: number;
  /** A dimension (sweep variable or `seeds`) mapped to colour: one series per value. */
  readonly color: Dim | null;
  /** A dimension split into small multiples. */
  readonly facet: Dim | null;
  readonly title: string | null;
}

/**
 * A `plot` statement, lowered. Data are analysis expressions evaluated over the results like analyses;
 * the remaining dimensions of each table decide the series (x, colour, facet, band).
 */
export type PlotSpec = PlotBase &
  (
    /** A series against training time (`x: "steps"`) or a sweep variable; with a band over a dimension. */
    | {
        readonly kind: "line";
        readonly y: AnalysisExpr;
        /** The y axis title: the result, or the results of `series` joined by ", ". */
        readonly yLabel: string;
        readonly x: Dim;
        readonly band: { readonly fn: "std" | "range"; readonly over: Dim } | null;
        readonly logX: boolean;
        readonly logY: boolean;
        readonly refs: readonly PlotReference[];
        readonly marks?: readonly PlotMark[];
        /**
         * Several results on one plot (`line([train_loss, test_loss])`), each with its label, in order; `y` is
         * then the first's. Absent for one result. The report draws them as the values of a `series` dimension.
         */
        readonly series?: readonly { readonly y: AnalysisExpr; readonly label: string }[];
      }
    /** log-log of a result against a sweep variable, with the fitted power law and its exponent in the legend. */
    | { readonly kind: "loglog"; readonly y: AnalysisExpr; readonly yLabel: string; readonly x: Dim; readonly fit: boolean; readonly refs: readonly PlotReference[] }
    | {
        readonly kind: "scatter";
        readonly x: AnalysisExpr;
        readonly y: AnalysisExpr;
        readonly xLabel: string;
        readonly yLabel: string;
        readonly logX: boolean;
        readonly logY: boolean;
        /** Points coloured on a continuous scale by this result's value (absent: by `color`, or one colour). */
        readonly shade?: { readonly expr: AnalysisExpr; readonly label: string };
        /** One panel per value of this result (a category such as a cluster label; absent: by `facet`, or one panel). */
        readonly panels?: { readonly expr: AnalysisExpr; readonly label: string };
      }
    /** Histogram of the values of a result (e.g. final loss over seeds), optionally of log10 of them. */
    | { readonly kind: "histogram"; readonly values: AnalysisExpr; readonly label: string; readonly bins: number; readonly log10: boolean }
    /** Gaussian-kernel density (Scott's bandwidth) of the values, one curve per colour. */
    | { readonly kind: "density"; readonly values: AnalysisExpr; readonly label: string; readonly log10: boolean }
    /**
     * A heatmap of a matrix probe's recorded snapshots or of a table over two dimensions, on a diverging
     * colour scale for signed data and viridis otherwise; `range` fixes the colour domain.
     */
    | { readonly kind: "heatmap"; readonly data: HeatmapData; readonly label: string; readonly range: readonly [number, number] | null; readonly logColor: boolean; readonly order: "eigen" | "none" }
    /**
     * The (γ, γ') plane of the two-layer phase diagram (Luo et al. 2021) with its regions, and one point per
     * swept (γ, γ') coloured by a value: a regime (−1/0/1 from `slope_regime`) or a number.
     */
    | { readonly kind: "phase_plane"; readonly values: AnalysisExpr; readonly label: string; readonly gamma: Dim; readonly gamma_prime: Dim }
    /**
     * An image over a 2-D grid: per-`point` values (an `outputs` probe's fields, or analyses of them) placed
     * at their recorded input coordinates `coords` (x across, y up), colour-mapped (`scale`), three channels
     * as RGB (`rgb`, clipped to [0, 1]) or ids in categorical colours (`regions`). Snapshots as a heatmap's.
     */
    | { readonly kind: "image"; readonly values: readonly AnalysisExpr[]; readonly label: string; readonly labels: readonly string[]; readonly coords: readonly [AnalysisExpr, AnalysisExpr]; readonly coordLabels: readonly [string, string]; readonly colors: "scale" | "rgb" | "regions"; readonly at: readonly HeatmapSnapshot[]; readonly seed: number | null; readonly range: readonly [number, number] | null }
  );

/** When a matrix heatmap's snapshot was taken: before training, at the end, or the recorded step nearest a step. */
export type HeatmapSnapshot = "start" | "end" | { readonly step: number };

/**
 * Where a heatmap's cells come from: a matrix probe's .npy snapshots (one panel per snapshot and facet
 * value, at one seed unless faceted by seeds), or a result table's values over dimensions `x` × `y`.
 */
export type HeatmapData =
  | { readonly source: "matrix"; readonly probe: string; readonly at: readonly HeatmapSnapshot[]; readonly seed: number | null }
  | { readonly source: "table"; readonly values: AnalysisExpr; readonly x: Dim; readonly y: Dim };
