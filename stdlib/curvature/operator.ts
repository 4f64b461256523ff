/**
 * The Hessian of a run's loss as a linear operator on float64 vectors: the one Hessian-vector product (HVP)
 * every curvature probe uses.
 *
 * H is the Hessian of L(θ) = (1/m)·Σᵢ ℓ(f_θ(xᵢ), yᵢ) over m rows of a data set (all rows, or Cohen et al.'s
 * "abridged" subset: the first m, m evenly spaced, or m drawn once per run from the seed), without the `l2`
 * term, with respect to every parameter. The rows are evaluated in physical batches of `batch` rows whose
 * products are summed in float64 (Cohen's `physical_batch_size`): the result does not depend on the batch,
 * except under batch statistics, which are those of each physical batch.
 *
 * Batch norm: `bn: "batch"` (the default) normalises with the statistics of the rows evaluated (training
 * mode, as Cohen et al. measure: the loss GD descends), without moving the running statistics and with
 * dropout off; `bn: "running"` uses the running statistics (evaluation mode).
 *
 * Seed batching: the parameters of seed s only reach seed s's loss, so the Hessian of the loss summed over
 * seeds is block diagonal with seed s's Hessian as block s, and one HVP with the seed-batched vector
 * (v₀, …, v_{S−1}) is (H₀v₀, …, H_{S−1}v_{S−1}): every seed's iteration advances in the same pass. Vectors
 * are per seed, flat over `model.params` in order (seed s's slice of each parameter).
 *
 * Two ways to multiply:
 *  - `exact`: nested tf.grad, Hv = ∇⟨∇L, v⟩ (double backward; dync's activations carry gradients built from
 *    differentiable ops, since tfjs's own second derivatives of tanh/sigmoid/exp are wrong, and max pooling
 *    differentiates twice through the zero gradient of its comparison, runtime/backend.ts); for a plain dense
 *    MLP (`Model.denseMlpPlan`) under mse, half_mse, half_sse or cross_entropy where the native path serves,
 *    the same product by Pearlmutter's R-operator in native code (runtime/kernels/native-hvp.ts), or where that
 *    does not serve (the wasm products, another backend) the R-operator in tfjs ops (./rop-hvp.ts), equal up to
 *    float32 rounding; `path` says which served, and a run's probes tally their products per path on its board;
 *  - `difference`: the central difference (∇L(θ + εv) − ∇L(θ − εv)) / 2ε with ε = 1e-3·(1 + ‖θ_s‖/√P) per
 *    seed (P parameters), for ops that cannot be differentiated twice. Two gradients per product, error
 *    O(ε²) plus float32 rounding of the gradients (~1e-4 relative); wrong near kinks (ReLU, max-pool switches) that ±εv crosses.
 * Each product's batches, targets and cross-entropy shifts are prepared once per measurement, and with one
 * physical batch the gradient's computation is recorded once, so every exact product after the first is a
 * single second backward pass (./recorded-gradient.ts).
 */
import { tf } from "../../runtime/tf.js";
import type { DenseMlpLayer, DenseMlpNorm, DenseMlpPlan, HvpPath, HvpPathCounts, Model, Param } from "../../contract/model.js";
import { DyncRuntimeError } from "../../runtime/errors.js";
import { labelSmoothing, lossFunction, lossName, smoothTargets, type LossKind } from "../../runtime/loss.js";
import type { NnForwardOptions } from "../../runtime/nn/mlp.js";
import { Rng } from "../../runtime/rng.js";
import type { EvalData } from "../probes/eval-data.js";
import { recordGradient, type RecordedGradient } from "./recorded-gradient.js";
import { nativeHvp, nativeHvpActive, nativeHvpInfo, ropHvpEnabled, type NativeHvp, type NativeHvpNorm } from "../../runtime/kernels/native-hvp.js";
import { ropHvp, ropLayerTensors, type RopHvp, type RopNorm } from "./rop-hvp.js";
import { FUSED_LOSS_CODES, type FusedLoss } from "../../runtime/kernels/native-fused.js";

/** How the HVP is computed and on which rows. */
export interface HvpOptions {
  readonly hvp: "exact" | "difference";
  /** Rows of the abridged subset (all rows when null or ≥ n). */
  readonly samples: number | null;
  readonly subset: "spaced" | "first" | "random";
  /** Rows per physical batch (default: S·rows ≤ 2¹⁶). */
  readonly batch: number | null;
  readonly bn: "batch" | "running";
}

/** Seed-rows per HVP pass when no physical batch is given (as EvalData's chunks): bounds activation memory. */
const DEFAULT_SEED_ROWS = 1 << 16;

/** Relative step of the central difference (see the file comment). */
const DIFFERENCE_STEP = 1e-3;

/** One physical batch: its inputs and the per-sample loss `[S, B]` of the model's output on it. */
interface HvpBatch {
  readonly x: tf.Tensor;
  /** The target rows the loss compares with (cross-entropy: smoothed). */
  readonly target: tf.Tensor;
  readonly perSample: (prediction: tf.Tensor) => tf.Tensor;
  /** Tensors to dispose with the batch. */
  readonly owned: readonly tf.Tensor[];
}

/**
 * The rows of the abridged subset per seed index: `spaced` ⌊k·n/m⌋, `first` 0 … m − 1 (both the same for
 * every seed), `random` m distinct rows drawn from `new Rng(seed).fork(stream)` (fixed for the run when the
 * caller draws them once).
 */
export function subsetRows(n: number, options: Pick<HvpOptions, "samples" | "subset">, seeds: readonly number[], stream: string): Int32Array[] {
  const m = options.samples === null ? n : Math.min(options.samples, n);
  return seeds.map((seed) => {
    if (options.subset === "first") return Int32Array.from({ length: m }, (_, k) => k);
    if (options.subset === "spaced") return Int32Array.from({ length: m }, (_, k) => Math.floor((k * n) / m));
    return new Rng(seed).fork(stream).permutation(n).subarray(0, m).sort();
  });
}

/** A probe's run as the operator sees it: its name (messages) and its board, where the products are tallied per path. */
export interface HvpProbe {
  readonly name: string;
  readonly board: Map<string, unknown>;
}

/** The board entry holding a run's Hessian-vector products per path (not a probe name: those are identifiers). */
const HVP_PATHS_KEY = "#hvp-paths";

/** The Hessian-vector products a run's probes computed, per path (`HvpProbe.board`), or undefined for none. */
export function hvpPathCounts(board: ReadonlyMap<string, unknown>): HvpPathCounts | undefined {
  return board.get(HVP_PATHS_KEY) as HvpPathCounts | undefined;
}

/**
 * The path a probe's products on `model` under `loss` take in this process, decided as `HessianOperator.path`
 * decides it before seeing the rows (`--resume` compares it with what a run recorded): `difference`, or for exact
 * products the process's R-operator route (`backend.hvp.path`: native, rop, or taped where both are off) where the
 * model is a plain dense MLP under a loss they implement (`rOperator`), else the tape. (A measurement whose rows do
 * not fit the plan's shapes takes the tape too; a model's plan and its data set's shapes agree.)
 */
export function predictedHvpPath(model: Model, loss: LossKind, hvp: HvpOptions["hvp"]): { readonly path: HvpPath; readonly rOperator: boolean } {
  const rOperator = rOperatorPlan(model, loss) !== undefined;
  if (hvp === "difference") return { path: "difference", rOperator: false };
  return { path: rOperator ? nativeHvpInfo().path : "taped", rOperator };
}

/** The model's dense plan where an R-operator product can take it: its parameters exactly `model.params`, the loss one it implements. */
function rOperatorPlan(model: Model, loss: LossKind): DenseMlpPlan | undefined {
  const plan = model.denseMlpPlan?.();
  const fits = plan && lossName(loss) in FUSED_LOSS_CODES && samePlanParams(plan.layers, model.params);
  return fits ? plan : undefined;
}

/** The Hessian of a model's loss on fixed rows, as a seed-batched operator on per-seed float64 vectors. */
export class HessianOperator {
  /** Parameters per seed: the length of every vector. */
  readonly dim: number;
  /** Rows the loss averages over. */
  readonly rows: number;
  /** Products computed so far. */
  products = 0;
  private readonly sizes: number[];
  private readonly batches: HvpBatch[];
  private readonly forwardOptions: NnForwardOptions;
  private readonly probe: string;
  private readonly board: Map<string, unknown> | undefined;
  /** The recorded gradient of the single physical batch, from the first exact product on (undefined: none yet, null: not possible). */
  private recorded: RecordedGradient | null | undefined;
  /** The native product, prepared at the first exact product (undefined: not yet, null: the native path does not serve). */
  private native: NativeHvp | null | undefined;
  /** The tfjs R-operator product where the native one does not serve (undefined: not yet, null: it does not serve either). */
  private rop: RopHvp | null | undefined;
  /** The tensors the R-operator product reads (θ's snapshot, the encoded rows), freed with it. */
  private ropTensors: tf.Tensor[] = [];

  constructor(
    private readonly model: Model,
    data: EvalData,
    private readonly loss: LossKind,
    private readonly options: HvpOptions,
    /** Row indices per seed index (`subsetRows`). */
    rows: readonly Int32Array[],
    /** The probe's name, or its run (name and board: the products are tallied there per path on `dispose()`). */
    probe: string | HvpProbe,
    /** Record the gradient's computation once and reuse it for every exact product (single physical batch only). */
    private readonly keepTape = true,
  ) {
    this.probe = typeof probe === "string" ? probe : probe.name;
    this.board = typeof probe === "string" ? undefined : probe.board;
    if (data.yDim === 0) throw new DyncRuntimeError("RUN040", `${this.probe} needs targets, but data set "${data.name}" has none`, "give it a target: `-> f(x)`");
    this.sizes = model.params.map((p) => p.variable.size / model.seeds);
    this.dim = this.sizes.reduce((a, b) => a + b, 0);
    this.rows = rows[0]?.length ?? 0;
    if (this.rows === 0) throw new DyncRuntimeError("RUN040", `${this.probe} has no rows to evaluate on`);
    const perBatch = options.batch ?? defaultBatch(model.seeds);
    const smallest = this.rows % perBatch === 0 ? Math.min(perBatch, this.rows) : this.rows % perBatch;
    if (options.bn === "batch" && smallest < 2 && model.layers.some((l) => l.kind === "batchnorm")) {
      throw new DyncRuntimeError("RUN040", `${this.probe} with bn: "batch" needs at least 2 rows in every physical batch, but ${this.rows} rows in batches of ${perBatch} leave one of ${smallest}`, 'choose `batch` (and `samples`) so that no batch has a single row, or bn: "running"');
    }
    // training: batch statistics, without moving the running statistics and with dropout off.
    this.forwardOptions = options.bn === "batch" ? { training: true, updateStats: false, dropout: false } : { training: false };
    const { x, y } = data.gather(rows);
    try {
      this.batches = this.physicalBatches(x, y);
    } finally {
      tf.dispose([x, y]);
    }
  }

  /** Seeds batched in the model: the number of vectors per product. */
  get seeds(): number {
    return this.model.seeds;
  }

  /** H_s·v_s for every seed index s (vectors of length `dim`). */
  apply(vectors: readonly Float64Array[]): Float64Array[] {
    if (vectors.length !== this.model.seeds || vectors.some((v) => v.length !== this.dim)) {
      throw new DyncRuntimeError("RUN040", `${this.probe}: a Hessian-vector product needs ${this.model.seeds} vectors of ${this.dim} entries`);
    }
    this.products++;
    return this.options.hvp === "exact" ? this.exactProduct(vectors) : this.differenceProduct(vectors);
  }

  /** The gradient of L per seed (float64, summed over the physical batches). */
  gradient(): Float64Array[] {
    const vars = this.model.params.map((p) => p.variable);
    const total = this.zeros();
    for (const b of this.batches) {
      const g = tf.tidy(() => this.guard(() => tf.grads(() => this.meanLoss(b))(vars)));
      this.addInto(total, g);
    }
    return total;
  }

  /** Which computation serves the exact products (decided at the first; before it, the one that will). */
  get path(): HvpPath {
    if (this.options.hvp === "difference") return "difference";
    return this.nativeProduct() ? "native" : this.ropProduct() ? "rop" : "taped";
  }

  dispose(): void {
    if (this.board && this.products > 0) {
      const counts: Partial<Record<HvpPath, number>> = { ...hvpPathCounts(this.board) };
      counts[this.path] = (counts[this.path] ?? 0) + this.products;
      this.board.set(HVP_PATHS_KEY, counts);
    }
    this.native?.dispose();
    this.rop?.dispose();
    tf.dispose(this.ropTensors);
    this.recorded?.dispose();
    tf.dispose(this.batches.flatMap((b) => b.owned));
  }

  /**
   * With one physical batch, the gradient's computation recorded once (./recorded-gradient.ts), so that each
   * product is one second backward pass instead of forward, backward and second backward; with several
   * batches every product recomputes (keeping every batch's tape would defeat the physical batch).
   */
  private recordedGradient(): RecordedGradient | null {
    if (this.recorded !== undefined) return this.recorded;
    const batch = this.batches[0]!;
    const vars = this.model.params.map((p) => p.variable);
    this.recorded = this.keepTape && this.batches.length === 1 ? (this.guard(() => recordGradient(vars, () => this.meanLoss(batch))) ?? null) : null;
    return this.recorded;
  }

  /**
   * The native R-operator product where the model is a plain dense MLP (`Model.denseMlpPlan`, its parameters
   * exactly `model.params` in order), the loss one it implements and the native path serves; prepared once per
   * measurement with θ, the encoded rows and the targets as they are now (as the recorded gradient is).
   */
  private nativeProduct(): NativeHvp | null {
    if (this.native !== undefined) return this.native;
    this.native = null;
    const plan = this.denseMlpPlan();
    const loss = lossName(this.loss);
    if (!plan || !nativeHvpActive()) return null;
    const layers = plan.layers.map((l) => ({ fanIn: l.weight.variable.shape[1]!, fanOut: l.weight.variable.shape[2]!, activation: l.activation, alpha: l.alpha, bias: l.bias !== undefined, ...(l.norm ? { norm: this.nativeNorm(l.norm) } : {}) }));
    const [x, y] = tf.tidy(() => [tf.concat(this.encodedBatches(plan), 1), tf.concat(this.batches.map((b) => b.target), 1)]);
    try {
      const fits = x.rank === 3 && x.shape[2] === layers[0]!.fanIn && y.rank === 3 && y.shape[2] === layers.at(-1)!.fanOut && y.dtype === "float32";
      if (!fits) return null; // the taped path says what does not fit
      const theta = new Float32Array(this.model.seeds * this.dim);
      this.download(this.model.params.map((p) => p.variable)).forEach((t, s) => theta.set(t, s * this.dim));
      const batch = this.options.batch ?? defaultBatch(this.model.seeds);
      this.native = nativeHvp({ layers, loss: loss as FusedLoss, scale: plan.scale, seeds: this.model.seeds, rows: this.rows, batch, x: x.dataSync() as Float32Array, y: y.dataSync() as Float32Array, theta }) ?? null;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new DyncRuntimeError("RUN040", `${this.probe}: the native Hessian-vector product could not be prepared: ${message}`, "give the probe a smaller `batch` (rows per physical batch), or set DYNC_NATIVE_HVP=0");
    } finally {
      tf.dispose([x, y]);
    }
    return this.native;
  }

  private denseMlpPlan(): DenseMlpPlan | undefined {
    return rOperatorPlan(this.model, this.loss);
  }

  /**
   * The R-operator in tfjs ops (./rop-hvp.ts) for a plain dense MLP where the native product does not serve (the
   * wasm path, any other backend), unless switched off (`DYNC_ROP_HVP=0`); prepared once per measurement with θ,
   * the encoded rows and the targets as they are now.
   */
  private ropProduct(): RopHvp | null {
    if (this.rop !== undefined) return this.rop;
    this.rop = null;
    const plan = this.denseMlpPlan();
    if (!plan || !ropHvpEnabled() || this.nativeProduct()) return null;
    const encoded = tf.tidy(() => this.encodedBatches(plan));
    const layers = plan.layers.map((l) => ({ weight: tf.clone(l.weight.variable) as tf.Tensor3D, ...(l.bias ? { bias: tf.clone(l.bias.variable) as tf.Tensor2D } : {}), ...(l.norm ? { norm: this.ropNorm(l.norm) } : {}), activation: l.activation, alpha: l.alpha }));
    this.ropTensors = [...encoded, ...ropLayerTensors(layers)];
    const fits = encoded.every((x, k) => x.rank === 3 && x.shape[2] === layers[0]!.weight.shape[1] && this.batches[k]!.target.rank === 3 && this.batches[k]!.target.shape[2] === layers.at(-1)!.weight.shape[2] && this.batches[k]!.target.dtype === "float32");
    if (!fits) return null; // the taped path says what does not fit
    const batches = encoded.map((x, k) => ({ x: x as tf.Tensor3D, y: this.batches[k]!.target as tf.Tensor3D }));
    this.rop = ropHvp({ layers, loss: lossName(this.loss) as FusedLoss, scale: plan.scale, rows: this.rows, batches });
    return this.rop;
  }

  /** Each physical batch's rows `[S, B, …]` flattened and through the plan's input encodings, as its first layer reads them. */
  private encodedBatches(plan: DenseMlpPlan): tf.Tensor3D[] {
    return this.batches.map((b) => plan.encode(tf.reshape(b.x, [b.x.shape[0]!, b.x.shape[1]!, -1]) as tf.Tensor3D));
  }

  /** A plan's batch norm as the native product takes it: eps and, under `bn: "running"`, the running statistics as they are now. */
  private nativeNorm(norm: DenseMlpNorm): NativeHvpNorm {
    if (this.options.bn === "batch") return { eps: norm.eps };
    return { eps: norm.eps, running: { mean: norm.runningMean.dataSync() as Float32Array, variance: norm.runningVar.dataSync() as Float32Array } };
  }

  /** A plan's batch norm as the R-operator takes it: γ, β and, under `bn: "running"`, the running statistics, as they are now. */
  private ropNorm(norm: DenseMlpNorm): RopNorm {
    const [gamma, beta] = [tf.clone(norm.gamma.variable) as tf.Tensor2D, tf.clone(norm.beta.variable) as tf.Tensor2D];
    if (this.options.bn === "batch") return { gamma, beta, eps: norm.eps };
    return { gamma, beta, eps: norm.eps, running: { mean: tf.clone(norm.runningMean) as tf.Tensor2D, variance: tf.clone(norm.runningVar) as tf.Tensor2D } };
  }

  private exactProduct(vectors: readonly Float64Array[]): Float64Array[] {
    const rOperator = this.nativeProduct() ?? this.ropProduct();
    if (rOperator) {
      const v = new Float32Array(this.model.seeds * this.dim);
      vectors.forEach((vs, s) => v.set(vs, s * this.dim));
      const out = new Float64Array(v.length);
      rOperator.product(v, out);
      return vectors.map((_, s) => out.slice(s * this.dim, (s + 1) * this.dim));
    }
    const vars = this.model.params.map((p) => p.variable);
    const v = this.upload(vectors);
    const total = this.zeros();
    try {
      const recorded = this.recordedGradient();
      if (recorded) {
        this.addInto(total, this.guard(() => recorded.product(v)));
        return total;
      }
      for (const b of this.batches) {
        const hv = tf.tidy(() =>
          this.guard(() =>
            tf.grads(() => {
              const g = tf.grads(() => this.meanLoss(b))(vars);
              return tf.addN(g.map((gi, i) => tf.sum(tf.mul(gi, v[i]!)))) as tf.Scalar;
            })(vars),
          ),
        );
        this.addInto(total, hv);
      }
    } finally {
      tf.dispose(v);
    }
    return total;
  }

  private differenceProduct(vectors: readonly Float64Array[]): Float64Array[] {
    const vars = this.model.params.map((p) => p.variable);
    const original = vars.map((p) => tf.clone(p));
    const theta = this.download(original);
    const steps = theta.map((t, s) => DIFFERENCE_STEP * (1 + Math.sqrt(dotSelf(t) / this.dim)) / Math.max(Math.sqrt(dotSelf(vectors[s]!)), 1e-30));
    const shifted = (sign: number): Float64Array[] => {
      const moved = this.upload(theta.map((t, s) => t.map((x, k) => x + sign * steps[s]! * vectors[s]![k]!)));
      vars.forEach((p, i) => p.assign(moved[i]!));
      tf.dispose(moved);
      return this.gradient();
    };
    try {
      const plus = shifted(1);
      const minus = shifted(-1);
      return plus.map((g, s) => g.map((x, k) => (x - minus[s]![k]!) / (2 * steps[s]!)));
    } finally {
      vars.forEach((p, i) => p.assign(original[i]!));
      tf.dispose(original);
    }
  }

  /** (1/m)·Σ over the batch's rows of the per-sample loss, summed over seeds. */
  private meanLoss(b: HvpBatch): tf.Scalar {
    return tf.div(tf.sum(b.perSample(this.model.forward(b.x, this.forwardOptions))), this.rows) as tf.Scalar;
  }

  /** Per-seed flat vectors → one `[S, …]` float32 tensor per parameter. */
  private upload(vectors: readonly Float64Array[]): tf.Tensor[] {
    let at = 0;
    return this.model.params.map((p, i) => {
      const size = this.sizes[i]!;
      const flat = new Float32Array(p.variable.size);
      vectors.forEach((v, s) => flat.set(v.subarray(at, at + size), s * size));
      at += size;
      return tf.tensor(flat, p.variable.shape);
    });
  }

  /** One `[S, …]` tensor per parameter → per-seed flat float64 vectors. */
  private download(tensors: readonly tf.Tensor[]): Float64Array[] {
    const out = this.zeros();
    this.addInto(out, tensors, false);
    return out;
  }

  private zeros(): Float64Array[] {
    return Array.from({ length: this.model.seeds }, () => new Float64Array(this.dim));
  }

  /** total_s += the seed-s slices of `parts` (float64 sums); disposes `parts` unless told not to. */
  private addInto(total: Float64Array[], parts: readonly tf.Tensor[], dispose = true): void {
    let at = 0;
    parts.forEach((t, i) => {
      const size = this.sizes[i]!;
      const values = t.dataSync();
      total.forEach((v, s) => {
        for (let k = 0; k < size; k++) v[at + k]! += values[s * size + k]!;
      });
      at += size;
    });
    if (dispose) tf.dispose(parts as tf.Tensor[]);
  }

  /** The rows cut into passes of `batch` rows, each with its loss. */
  private physicalBatches(x: tf.Tensor, y: tf.Tensor): HvpBatch[] {
    const rows = this.options.batch ?? defaultBatch(this.model.seeds);
    const out: HvpBatch[] = [];
    for (let start = 0; start < this.rows; start += rows) {
      const count = Math.min(rows, this.rows - start);
      const bx = sliceRows(x, start, count);
      const by = sliceRows(y, start, count);
      if (lossName(this.loss) !== "cross_entropy") {
        const lossFn = lossFunction(this.loss);
        out.push({ x: bx, target: by, perSample: (prediction) => lossFn(prediction, by).perSample, owned: [bx, by] });
        continue;
      }
      // Any constant shift gives the same loss; the max logit at θ keeps exp from overflowing nearby.
      const shift = tf.tidy(() => tf.max(this.model.forward(bx, this.forwardOptions), -1, true));
      // `cross_entropy(smoothing: ε)`: the same loss against the smoothed target rows (1 − ε)·y + ε/C.
      const smoothing = labelSmoothing(this.loss);
      const target = smoothing > 0 ? smoothTargets(by, smoothing) : by;
      out.push({ x: bx, target, perSample: (logits) => softmaxCrossEntropy(logits, target, shift), owned: [bx, by, target, shift] });
    }
    return out;
  }

  /** Runs a tfjs computation; a tfjs error (a parameter the loss does not reach) becomes a DyncRuntimeError. */
  private guard<T>(f: () => T): T {
    try {
      return f();
    } catch (error) {
      if (error instanceof DyncRuntimeError) throw error;
      const message = error instanceof Error ? error.message : String(error);
      throw new DyncRuntimeError("RUN040", `${this.probe} could not differentiate the loss${this.options.hvp === "exact" ? " twice" : ""}: ${message}`, this.options.hvp === "exact" ? 'try hvp: "difference"' : undefined);
    }
  }
}

/** Whether a dense plan's parameters are exactly the model's, in order (the vectors' layout is then the native one). */
function samePlanParams(layers: readonly DenseMlpLayer[], params: readonly Param[]): boolean {
  const planned = layers.flatMap((l) => [l.weight, ...(l.bias ? [l.bias] : []), ...(l.norm ? [l.norm.gamma, l.norm.beta] : [])]);
  return planned.length === params.length && planned.every((p, i) => p.variable === params[i]!.variable);
}

/** Rows per physical batch when none is given: S·rows ≤ 2¹⁶. */
function defaultBatch(seeds: number): number {
  return Math.max(1, Math.floor(DEFAULT_SEED_ROWS / seeds));
}

function dotSelf(v: Float64Array): number {
  let s = 0;
  for (const x of v) s += x * x;
  return s;
}

/**
 * Σ_c y_c · (logsumexp(z) − z_c) with logsumexp(z) = k + log Σ exp(z − k) for a constant k (any k gives the
 * same value; the max logit keeps exp from overflowing). tf.logSumExp is not used: its gradient reads exp's
 * saved output, whose second derivative tfjs gets wrong; the exp below is the differentiable one.
 */
function softmaxCrossEntropy(logits: tf.Tensor, target: tf.Tensor, shift: tf.Tensor): tf.Tensor {
  if (target.rank !== 3 || target.shape[2] !== logits.shape[2]) {
    throw new DyncRuntimeError("RUN040", `cross_entropy targets have shape [${target.shape}] but logits have shape [${logits.shape}]`);
  }
  const logNormalizer = tf.add(tf.squeeze(shift, [-1]), tf.log(tf.sum(differentiableExp(tf.sub(logits, shift)), -1)));
  return tf.sub(tf.mul(tf.sum(target, -1), logNormalizer), tf.sum(tf.mul(target, logits), -1));
}

/** exp whose gradient is dy·exp(x) recomputed from the saved input, so nested tf.grad sees it (tfjs's reads its saved output). */
const differentiableExp: (x: tf.Tensor) => tf.Tensor = (() => {
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
    save([x]);
    return { value: tf.exp(x), gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(dy, differentiableExp(saved[0]!)) };
  });
  return (x: tf.Tensor) => op(x) as tf.Tensor;
})();

function sliceRows(t: tf.Tensor, start: number, count: number): tf.Tensor {
  return tf.slice(t, [0, start, ...Array<number>(t.rank - 2).fill(0)], [-1, count, ...Array<number>(t.rank - 2).fill(-1)]);
}
