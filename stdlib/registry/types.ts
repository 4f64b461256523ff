/**
 * The shape of a standard-library entry. One registry describes every name a `.dyn` file can use after
 * `=` or `~` (activations, inits, optimizers, schedules, losses, data sources, distributions, encodings,
 * models, layers, probes, analyses, plots, pair samplers): the checker validates calls against it, the emitter turns a
 * checked call into the runtime spec it describes, the language server reads it for completion and
 * hover, and docs/stdlib.md is generated from it.
 */

export type EntryKind =
  | "activation"
  | "init"
  | "distribution"
  | "optimizer"
  | "schedule"
  | "loss"
  | "regularizer"
  | "data"
  | "encoding"
  | "model"
  | "layer"
  | "probe"
  | "analysis"
  | "plot"
  /** Pair samplers, the `pairs:` argument of probes that compare two rows (stdlib/sampling). */
  | "sampler";

/**
 * A number argument and its range: `min`/`max` are inclusive bounds, `above`/`below` exclusive ones
 * (`{ min: 0, below: 1 }` is [0, 1), `{ above: 0 }` is > 0). Give at most one lower and one upper bound.
 */
export interface NumberType {
  readonly t: "number";
  readonly integer?: boolean;
  readonly min?: number;
  readonly max?: number;
  readonly above?: number;
  readonly below?: number;
}

/** What an argument must be. The checker reports anything else with the span of the argument. */
export type ParamType =
  | NumberType
  | { readonly t: "duration" }
  | { readonly t: "bool" }
  | { readonly t: "string" }
  /** One of a fixed set of bare names: `split: train`. */
  | { readonly t: "choice"; readonly options: readonly string[] }
  | { readonly t: "list"; readonly of: ParamType; readonly minLength?: number }
  /** `[lo, hi]` (a two-element list) or `[lo, hi)`. */
  | { readonly t: "interval" }
  /** A bare name or a call of a registry entry of this kind: `act: silu`, `encode: fourier(L: 6)`. */
  | { readonly t: "entry"; readonly kind: EntryKind }
  /**
   * A name defined in the experiment. `publishes`: a probe reference must name a probe whose entry
   * publishes this on the run's board (`along: h` names a `hessian` or `sharpness` probe; DYN2053).
   */
  | { readonly t: "ref"; readonly of: "data" | "model" | "layer" | "probe"; readonly publishes?: Publication }
  | { readonly t: "oneOf"; readonly of: readonly ParamType[] }
  /**
   * Every binding argument `name in domain` of the call, gathered in order: input variables of a data
   * source (`grid(x in [-1, 1], n: 201)`). `domain` says whether each binds an interval or a list of values.
   */
  | { readonly t: "bindings"; readonly domain: "interval" | "values"; readonly min: number; readonly max: number };

/** Compile-time default; `undefined` in `Param.default` means the argument is required. */
export type DefaultValue = number | string | boolean | readonly number[] | null;

export interface Param {
  readonly name: string;
  readonly type: ParamType;
  /** Absent: required. `null`: optional with no value (the runtime's own default applies). */
  readonly default?: DefaultValue;
  /** Unit shown in docs and hover: "steps", "1/√fan_in"… */
  readonly unit?: string;
  readonly doc: string;
}

/** A paper an entry comes from; docs and hover cite it. */
export interface Citation {
  readonly key: string;
  readonly text: string;
}

/**
 * A checked argument as plain data: numbers, strings (also bare choice names), booleans, arrays,
 * durations, references to experiment names, and nested entries already lowered to their runtime spec.
 */
export type Lowered =
  | number
  | string
  | boolean
  | null
  | readonly Lowered[]
  | { readonly steps: number }
  | { readonly epochs: number }
  | { readonly ref: string }
  | { readonly [key: string]: unknown };

/**
 * A condition across parameters that their ranges alone cannot say (`nesterov` needs `momentum` > 0). It is
 * written once, in the entry: `dync check` reports a call that breaks it (DYN2014, at the first of `params`
 * given in the call), the runner rejects a hand-written spec that breaks it (RUN040), docs/stdlib.md lists it.
 */
export interface Rule {
  /** The parameters the rule reads, the likeliest culprit first. */
  readonly params: readonly string[];
  /** Whether the checked arguments (defaults applied, `null` for optional ones left out) satisfy the rule. */
  readonly holds: (args: Readonly<Record<string, Lowered>>) => boolean;
  /** The rule as a sentence fragment for messages and docs: "`nesterov` needs `momentum` > 0". */
  readonly message: string;
}

/**
 * What a probe measures: named `fields`, an extra dimension `index` (per unit: recorded as one stacked array
 * `[measurements, units]` per run, seed and field, runtime/record/stacked.ts), or a `matrix` per seed.
 */
export interface ResultShape {
  readonly fields?: readonly string[];
  readonly index?: string;
  readonly matrix?: boolean;
}

/** What a probe publishes on its run's board for later probes (stdlib/curvature/eigen-board.ts). */
export type Publication = "eigenpairs";

export interface Entry {
  readonly name: string;
  readonly kind: EntryKind;
  /** One line: what it is. */
  readonly doc: string;
  /** In order: positional arguments bind to params in this order. */
  readonly params: readonly Param[];
  /** Conditions across parameters, beyond each parameter's own type and range. */
  readonly rules?: readonly Rule[];
  readonly cites?: Citation;
  /**
   * Probes: the shape of what they measure. `fields` names the values of a multi-valued probe
   * (`feats.angle`, `feats.amplitude`); `index` is the extra dimension of a per-unit probe (`neuron`);
   * `matrix` marks a probe that records a matrix per seed (as .npy), which `plot heatmap` draws.
   */
  readonly result?: ResultShape;
  /**
   * Probes whose shape depends on an argument (`accuracy(net, data, by: class)` is per class): the shape of
   * a call from its checked arguments; `result` stays the shape of a call with the defaults.
   */
  readonly resultFor?: (args: Readonly<Record<string, Lowered>>) => ResultShape | undefined;
  /** Data sources: what the source gives (shape, per-seed draws, size), read by the checker and `dync plan`. */
  readonly data?: DataSourceSchema;
  /** Samplers: what they need of the data set they draw from, read by the checker (DYN2059) and the sampler itself. */
  readonly sampler?: SamplerSchema;
  /** Probes: what one call costs per seed, counted by `dync plan` in the run's arithmetic. */
  readonly cost?: (args: Readonly<Record<string, Lowered>>, shape: ProbeCostShape) => ProbeCost;
  /** Probes: what each call publishes on the run's board under the probe's name, for probes that reference it. */
  readonly publishes?: Publication;
  /**
   * Probes: whether a call runs Lanczos or power iteration, whose float64 reorthogonalisation kernels
   * (runtime/kernels/lanczos-kernels.ts) `--resume` must find unchanged (runner/resume-kernels.ts).
   */
  readonly reorthogonalises?: boolean;
  /**
   * The runtime spec this entry stands for, from its checked arguments (every param present; defaults
   * applied; `null` for optional ones left out). Generated code contains the result as a literal.
   */
  readonly lower?: (args: Readonly<Record<string, Lowered>>) => unknown;
}

/**
 * A data source's schema beyond its params: pure functions of its lowered spec (the fields `lower` gives),
 * so the checker (shape inference), `dync plan` (sizes, input names) and the runner read one definition.
 */
export interface DataSourceSchema {
  /** `own`: the source brings its targets (labels); `function`: it gives inputs, a `-> expr` target function the outputs. */
  readonly targets: "own" | "function";
  /**
   * Sources whose calls name their input variables (`grid(x in [-1, 1], n: 201)`): the names when a call
   * binds none (`chebyshev`: `x`). Absent: the inputs are unnamed (images, mixtures) and the source takes
   * no part in agreeing on the experiment's inputs.
   */
  readonly namedInputs?: readonly string[];
  /** Whether the source draws random samples, each seed its own (from its sample stream, `split` or the data set's name). */
  readonly perSeed: boolean;
  /** The inputs and outputs a spec gives; a `function` source's outputs are the target function's one column. */
  readonly shape: (spec: Readonly<Record<string, unknown>>) => DataSourceShape;
  /**
   * Samples in the data set, when known before loading (real data sets without `limit` use their split
   * sizes); undefined when only the files tell (an image without `size:`).
   */
  readonly size: (spec: Readonly<Record<string, unknown>>) => number | undefined;
  /** The data files a spec names, relative to the `.dyn` file; the checker warns about any that is missing (DYN2107). */
  readonly files?: (spec: Readonly<Record<string, unknown>>) => readonly string[];
}

/**
 * What a pair sampler needs of its data set: `grid` rows forming a full 2-D lattice of two input columns
 * (a `grid(x in …, y in …)` or a coordinate image), `line` one input column, `labels` one-hot class targets.
 */
export type SamplerNeed = "grid" | "line" | "labels";

export interface SamplerSchema {
  /** The needs of a call, from its checked arguments (`knn(class: same)` needs labels, `knn(class: any)` does not). */
  readonly needs: (args: Readonly<Record<string, Lowered>>) => readonly SamplerNeed[];
  /** Rows the data set must have for a call, and the parameter that asks for them (`between`'s `b` ending at row 2047 needs 2047). */
  readonly rows?: (args: Readonly<Record<string, Lowered>>) => { readonly param: string; readonly rows: number };
}

/** Inputs and outputs of one data set, for shape inference. */
export interface DataSourceShape {
  /** Named input variables in column order; empty for unnamed inputs (pixels, mixture coordinates). */
  readonly inputs: readonly string[];
  readonly inDim: number;
  readonly outDim: number;
  /** Whether the targets are one-hot class labels. */
  readonly classes: boolean;
  /** `[H, W, C]` of one image, for image data sets. */
  readonly image?: readonly [number, number, number];
}

/** What `dync plan` knows of a run when it asks a probe's cost: sizes per seed, from the checked plan. */
export interface ProbeCostShape {
  /** Parameters of one seed's network. */
  readonly params: number;
  /** Multiply-adds of one sample's forward pass. */
  readonly forwardMultiplyAdds: number;
  /** The hidden (and conv) layers in order: input values per unit and units. */
  readonly layers: readonly { readonly fanIn: number; readonly width: number }[];
  /** Rows of the data set a `{ ref }` argument names (undefined when unknown before loading it). */
  rows(ref: unknown): number | undefined;
  /**
   * Whether the training step's own forward pass evaluates exactly the rows a `{ ref }` argument names, as
   * evaluation mode would: full-batch training on that whole data set, no dropout or batch norm (so a
   * per-sample quantity of the step can be reused instead of recomputed).
   */
  trainingStepCovers(ref: unknown): boolean;
}

/**
 * One probe call's cost per seed: sample forward passes, sample Hessian-vector products, and other
 * arithmetic in floating-point operations. `dync plan` prices a forward pass at 2 and an HVP at 12 flops
 * per forward multiply-add (an HVP is about two gradients, a gradient 6).
 */
export interface ProbeCost {
  readonly forwardPasses?: number;
  readonly hvps?: number;
  readonly flops?: number;
}

/** Type descriptions for messages and docs: "a number ≥ 0", "a list of numbers", "an activation". */
export function describeType(t: ParamType): string {
  switch (t.t) {
    case "number":
      return describeNumber(t);
    case "duration":
      return "a duration like `10k steps` or `5 epochs`";
    case "bool":
      return "`true` or `false`";
    case "string":
      return "a string";
    case "choice":
      return t.options.length === 1 ? `\`${t.options[0]}\`` : `one of ${t.options.map((o) => `\`${o}\``).join(", ")}`;
    case "list":
      return describeList(describeType(t.of));
    case "interval":
      return "an interval like `[0, 1]` or `[0, 1)`";
    case "entry":
      return t.kind === "sampler" ? "a pair sampler" : `${/^[aeiou]/.test(t.kind) ? "an" : "a"} ${t.kind}`;
    case "ref":
      if (t.publishes === "eigenpairs") return "a probe that measures Hessian eigenvectors (`hessian` or `sharpness`)";
      return t.of === "data" ? "a data set" : `${t.of === "layer" ? "a layer" : `a ${t.of}`}`;
    case "oneOf":
      return t.of.map(describeType).join(" or ");
    case "bindings":
      return t.domain === "interval" ? "input variables bound to intervals, like `x in [-1, 1]`" : "input variables bound to values, like `x in [0, 0.5, 1]`";
  }
}

/** "a number in [0, 1)", "a whole number ≥ 1", "a number > 0", "a number ≤ 1". */
function describeNumber(t: NumberType): string {
  const base = t.integer ? "a whole number" : "a number";
  const lo = t.above ?? t.min;
  const hi = t.below ?? t.max;
  if (lo !== undefined && hi !== undefined) {
    return `${base} in ${t.above !== undefined ? "(" : "["}${lo}, ${hi}${t.below !== undefined ? ")" : "]"}`;
  }
  if (lo !== undefined) return `${base} ${t.above !== undefined ? ">" : "≥"} ${lo}`;
  if (hi !== undefined) return `${base} ${t.below !== undefined ? "<" : "≤"} ${hi}`;
  return base;
}

/** "a list of numbers", "a list of lists of numbers", "a list, each a whole number ≥ 1". */
function describeList(each: string): string {
  const noun = /^an? ([a-z]+)$/.exec(each);
  if (noun) return `a list of ${noun[1]}s`;
  const inner = /^a list of (.+)$/.exec(each);
  if (inner) return `a list of lists of ${inner[1]}`;
  return `a list, each ${each}`;
}

/** The shape of a probe call's result, from its checked arguments (undefined: one number per seed). */
export function resultShape(entry: Entry, args: Readonly<Record<string, Lowered>>): ResultShape | undefined {
  return entry.resultFor ? entry.resultFor(args) : entry.result;
}
