/**
 * Seed-batched optimizers with PyTorch update semantics.
 *
 * Parameters are `[S, ...]` variables and every update rule is elementwise, so each seed keeps its own
 * optimizer state (its own momentum buffer, its own Adam moments) inside one `[S, ...]` state variable,
 * and S seeds train exactly as S separate runs would. The learning rate is passed to every `step` so a
 * schedule can drive it; bias corrections and other scalars are computed in JS float64.
 */
import { tf } from "./tf.js";
import { DyncRuntimeError } from "./errors.js";
import { fdlibmPow } from "../numerics/fdlibm-exp.js";
import { simdAdamUpdate, simdSgdUpdate } from "./kernels/ops.js";
import { type FusedOptimizerRule, nativeOptimizerStep } from "./kernels/native-fused.js";
import type { Param } from "../contract/model.js";
import { ADAMW_WEIGHT_DECAY } from "../contract/training-specs.js";
import type { SgdSpec, AdamSpec, AdamWSpec, SignSgdSpec, OptimizerSpec, OptimizerStat } from "../contract/training-specs.js";
export type { SgdSpec, AdamSpec, AdamWSpec, SignSgdSpec, OptimizerSpec } from "../contract/training-specs.js";

/** A seed-batched optimizer over a fixed list of `[S, ...]` parameter variables. */
export interface Optimizer {
  readonly spec: OptimizerSpec;
  readonly params: readonly tf.Variable[];
  /** Optimizer state (momentum buffers, moments), `[S, ...]` like the parameters. */
  readonly state: readonly tf.Variable[];
  /** Number of updates applied so far. */
  readonly updates: number;
  /**
   * One update: `grads[i]` is the gradient of `params[i]`, `lr` this update's learning rate. Where the
   * optional `alive` mask (`[S]` bool) is false the seed's parameters are left unchanged (diverged seeds).
   * Pass the same mask tensor while it does not change (its broadcast copies are cached); do not
   * dispose it before the next step with a different mask or `dispose()`.
   */
  step(grads: readonly tf.Tensor[], lr: number, alive?: tf.Tensor): void;
  /**
   * A statistic of the most recent update, per seed (NaN before the first update), for the statistics this
   * optimizer reports (contract/training-specs.ts `OPTIMIZER_STATS`); undefined for any other.
   */
  statistic?(name: OptimizerStat): Float64Array | undefined;
  /**
   * The next `lrs.length` updates (no seed masked) in the fused native kernels' terms, with the state slots per
   * parameter, for a caller that computes them in one call (runtime/train/loop.ts); undefined where the rule has
   * no native form. Nothing changes until `acceptFused`.
   */
  fusedPlan?(lrs: readonly number[]): { readonly rules: FusedOptimizerRule[]; readonly slots: readonly (readonly tf.Variable[])[] } | undefined;
  /** Take `count` updates computed from `fusedPlan`: assign (and dispose) the new parameters and slots. */
  acceptFused?(params: readonly tf.Tensor[], slots: readonly (readonly tf.Tensor[])[], count: number): void;
  /** Continue counting from `updates` (a checkpoint; its `state` variables are assigned by the caller). */
  resumeAt(updates: number): void;
  dispose(): void;
}

/** Build the optimizer `spec` over `params` (Model params or bare variables, seed axis first). */
export function createOptimizer(spec: OptimizerSpec, params: readonly (Param | tf.Variable)[]): Optimizer {
  const variables = params.map((p) => (p instanceof tf.Variable ? p : p.variable));
  if (variables.length === 0) throw new DyncRuntimeError("RUN040", "an optimizer needs at least one parameter");
  validateSpec(spec);
  switch (spec.kind) {
    case "gd":
    case "sgd":
      return new SgdOptimizer(spec, variables);
    case "adam":
    case "adamw":
      return new AdamOptimizer(spec, variables);
    case "sign_sgd":
      return new SignSgdOptimizer(spec, variables);
  }
}

/** Shared bookkeeping: state slots per parameter, masking and the update loop. */
abstract class SeedBatchedOptimizer<S extends OptimizerSpec> implements Optimizer {
  updates = 0;
  protected readonly slots: tf.Variable[][];
  private masks: tf.Tensor[] | undefined;
  private maskSource: tf.Tensor | undefined;

  constructor(
    readonly spec: S,
    readonly params: readonly tf.Variable[],
    slotsPerParam: number,
  ) {
    this.slots = params.map((p) =>
      Array.from({ length: slotsPerParam }, () => tf.tidy(() => tf.variable(tf.zerosLike(p), false))),
    );
  }

  get state(): readonly tf.Variable[] {
    return this.slots.flat();
  }

  step(grads: readonly tf.Tensor[], lr: number, alive?: tf.Tensor): void {
    if (grads.length !== this.params.length) {
      throw new DyncRuntimeError("RUN040", `optimizer got ${grads.length} gradients for ${this.params.length} parameters`);
    }
    if (!Number.isFinite(lr)) throw new DyncRuntimeError("RUN040", `learning rate must be finite, got ${lr}`);
    if (!alive && this.nativeStep(grads, lr)) {
      this.updates++;
      return;
    }
    const masks = alive ? this.fullMasks(alive) : undefined;
    this.params.forEach((theta, i) => {
      tf.tidy(() => {
        const g = this.decouplesWeightDecay ? grads[i]! : this.withWeightDecay(theta, grads[i]!);
        const next = this.update(theta, g, this.slots[i]!, lr);
        theta.assign(masks ? tf.where(masks[i]!, next, theta) : next);
      });
    });
    this.updates++;
  }

  /**
   * The whole update as one native call (native/dync_fused.c) where the native path serves and the rule has a
   * native form; bitwise the per-parameter update below (same float32 operations in the same order), without a
   * tfjs kernel dispatch per parameter. Masked steps (diverged seeds) take the per-parameter path.
   */
  private nativeStep(grads: readonly tf.Tensor[], lr: number): boolean {
    const rule = this.nativeRule(lr, this.updates);
    if (!rule) return false;
    const updated = nativeOptimizerStep(this.params, grads, this.slots, rule);
    if (!updated) return false;
    this.assignUpdated(updated.map(([theta]) => theta!), updated.map(([, ...slots]) => slots));
    return true;
  }

  fusedPlan(lrs: readonly number[]): { rules: FusedOptimizerRule[]; slots: readonly (readonly tf.Variable[])[] } | undefined {
    const rules = lrs.map((lr, k) => this.nativeRule(lr, this.updates + k));
    if (rules.some((r) => r === undefined)) return undefined;
    return { rules: rules as FusedOptimizerRule[], slots: this.slots };
  }

  acceptFused(params: readonly tf.Tensor[], slots: readonly (readonly tf.Tensor[])[], count: number): void {
    this.assignUpdated(params, slots);
    this.updates += count;
  }

  private assignUpdated(params: readonly tf.Tensor[], slots: readonly (readonly tf.Tensor[])[]): void {
    params.forEach((theta, i) => {
      this.params[i]!.assign(theta);
      theta.dispose();
      slots[i]!.forEach((slot, k) => {
        this.slots[i]![k]!.assign(slot);
        slot.dispose();
      });
    });
  }

  /** The rule of the update after `updates` earlier ones in the native kernel's terms, or undefined where it has none (then the taped path runs). */
  protected nativeRule(lr: number, updates: number): FusedOptimizerRule | undefined {
    void lr;
    void updates;
    return undefined;
  }

  resumeAt(updates: number): void {
    if (!Number.isInteger(updates) || updates < 0) throw new DyncRuntimeError("RUN032", `a checkpoint's optimizer update count must be a whole number ≥ 0, got ${updates}`);
    this.updates = updates;
  }

  dispose(): void {
    for (const v of this.state) v.dispose();
    this.dropMasks();
  }

  /**
   * The mask broadcast to each parameter's shape, cached while the same `alive` tensor is passed: a
   * broadcasting tf.where costs ~8x a same-shape one on wasm, and the mask changes only on divergence.
   */
  private fullMasks(alive: tf.Tensor): tf.Tensor[] {
    if (this.maskSource !== alive) {
      this.dropMasks();
      this.masks = this.params.map((p) => tf.tidy(() => tf.keep(tf.broadcastTo(seedMask(alive, p.rank), p.shape))));
      this.maskSource = alive;
    }
    return this.masks!;
  }

  private dropMasks(): void {
    if (this.masks) tf.dispose(this.masks);
    this.masks = undefined;
    this.maskSource = undefined;
  }

  /** Whether `update` applies weight decay itself (AdamW) instead of as an L2 term in the gradient. */
  protected get decouplesWeightDecay(): boolean {
    return false;
  }

  /** Returns the new parameter value and assigns the new state slots. */
  protected abstract update(theta: tf.Tensor, g: tf.Tensor, slots: tf.Variable[], lr: number): tf.Tensor;

  private withWeightDecay(theta: tf.Tensor, g: tf.Tensor): tf.Tensor {
    const wd = this.spec.weight_decay ?? 0;
    return wd === 0 ? g : tf.add(g, tf.mul(theta, wd));
  }
}

class SgdOptimizer extends SeedBatchedOptimizer<SgdSpec> {
  constructor(spec: SgdSpec, params: readonly tf.Variable[]) {
    super(spec, params, (spec.momentum ?? 0) === 0 ? 0 : 1);
  }

  protected override nativeRule(lr: number, updates: number): FusedOptimizerRule {
    const mu = this.spec.momentum ?? 0;
    const weightDecay = this.spec.weight_decay ?? 0;
    if (mu === 0) return { kind: "sgd", lr, weightDecay };
    const { dampening = 0, nesterov = false } = this.spec;
    return { kind: "momentum", lr, weightDecay, momentum: mu, dampening, nesterov, first: updates === 0 };
  }

  protected update(theta: tf.Tensor, g: tf.Tensor, slots: tf.Variable[], lr: number): tf.Tensor {
    const mu = this.spec.momentum ?? 0;
    if (mu === 0) return simdSgdUpdate(theta, g, lr) ?? tf.sub(theta, tf.mul(g, lr));
    const buf = slots[0]!;
    // torch initialises the buffer with the first gradient itself (no dampening on the first step).
    const nextBuf = this.updates === 0 ? g : tf.add(tf.mul(buf, mu), tf.mul(g, 1 - (this.spec.dampening ?? 0)));
    buf.assign(nextBuf);
    const direction = this.spec.nesterov ? tf.add(g, tf.mul(nextBuf, mu)) : nextBuf;
    return tf.sub(theta, tf.mul(direction, lr));
  }
}

/** Adam, and AdamW: the same moments and step, AdamW shrinking θ by lr·weight_decay before the step (torch.optim.AdamW). */
class AdamOptimizer extends SeedBatchedOptimizer<AdamSpec | AdamWSpec> {
  constructor(spec: AdamSpec | AdamWSpec, params: readonly tf.Variable[]) {
    super(spec, params, 2);
  }

  protected override get decouplesWeightDecay(): boolean {
    return this.spec.kind === "adamw";
  }

  protected override nativeRule(lr: number, updates: number): FusedOptimizerRule {
    const { beta1 = 0.9, beta2 = 0.999, eps = 1e-8 } = this.spec;
    const decay = this.spec.kind === "adamw" ? lr * (this.spec.weight_decay ?? ADAMW_WEIGHT_DECAY) : 0;
    const t = updates + 1;
    return {
      kind: "adam",
      weightDecay: this.spec.kind === "adamw" ? 0 : (this.spec.weight_decay ?? 0),
      beta1,
      beta2,
      eps,
      stepSize: lr / (1 - fdlibmPow(beta1, t)), // fdlibm, not `**`: the same step on every Node version
      c2: Math.sqrt(1 - fdlibmPow(beta2, t)),
      thetaFactor: decay === 0 ? 1 : 1 - decay,
    };
  }

  protected update(theta0: tf.Tensor, g: tf.Tensor, slots: tf.Variable[], lr: number): tf.Tensor {
    const { beta1 = 0.9, beta2 = 0.999, eps = 1e-8 } = this.spec;
    const decay = this.spec.kind === "adamw" ? lr * (this.spec.weight_decay ?? ADAMW_WEIGHT_DECAY) : 0;
    const theta = decay === 0 ? theta0 : tf.mul(theta0, 1 - decay);
    const [m, v] = slots as [tf.Variable, tf.Variable];
    const t = this.updates + 1;
    const stepSize = lr / (1 - fdlibmPow(beta1, t));
    const c2 = Math.sqrt(1 - fdlibmPow(beta2, t));
    const fused = simdAdamUpdate(theta, g, m, v, {
      beta1,
      oneMinusBeta1: 1 - beta1,
      beta2,
      oneMinusBeta2: 1 - beta2,
      c2,
      eps,
      step: stepSize,
    });
    if (fused) {
      m.assign(fused[1]);
      v.assign(fused[2]);
      return fused[0];
    }
    const nextM = tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1));
    const nextV = tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2));
    m.assign(nextM);
    v.assign(nextV);
    // torch: denom = sqrt(v)/sqrt(1 − β₂ᵗ) + ε; θ −= lr/(1 − β₁ᵗ) · m/denom (corrections in float64). On
    // wasm the same float32 operations run as one SIMD kernel above.
    const denom = tf.add(tf.div(tf.sqrt(nextV), c2), eps);
    return tf.sub(theta, tf.mul(tf.div(nextM, denom), stepSize));
  }
}

/** Sign-threshold SGD; also reports the fraction of coordinates above the threshold (`optimizer_stat(above_threshold)`, P12). */
export class SignSgdOptimizer extends SeedBatchedOptimizer<SignSgdSpec> {
  constructor(spec: SignSgdSpec, params: readonly tf.Variable[]) {
    super(spec, params, 1);
  }

  protected update(theta: tf.Tensor, g: tf.Tensor, slots: tf.Variable[], lr: number): tf.Tensor {
    const { momentum = 0.9, dampening = 0.9, threshold, sign_lr: signLr } = this.spec;
    const buf = slots[0]!;
    const m = tf.add(tf.mul(buf, momentum), tf.mul(g, 1 - dampening));
    buf.assign(m);
    const scale = this.spec.lr === 0 ? 1 : lr / this.spec.lr;
    const above = tf.greater(tf.abs(m), threshold);
    const delta = tf.where(above, tf.mul(tf.sign(m), signLr * scale), tf.mul(m, lr));
    return tf.sub(theta, delta);
  }

  statistic(name: OptimizerStat): Float64Array | undefined {
    if (name !== "above_threshold") return undefined;
    if (this.updates === 0) return new Float64Array(this.params[0]!.shape[0]!).fill(NaN);
    return this.fractionAboveThreshold();
  }

  /** Per seed, the fraction of all parameter coordinates whose momentum exceeds the threshold now
   * (i.e. that took a sign step in the last update). Reads back from the backend. */
  fractionAboveThreshold(): Float64Array {
    const counts = tf.tidy(() =>
      // Counted in int32, exact (float32 sums stop counting exactly at 2^24 coordinates).
      tf.addN(this.slots.map(([buf]) => tf.sum(tf.cast(tf.greater(tf.abs(flatPerSeed(buf!)), this.spec.threshold), "int32"), 1))),
    );
    const total = this.params.reduce((n, p) => n + p.size / p.shape[0]!, 0);
    const values = counts.dataSync();
    counts.dispose();
    return Float64Array.from(values, (c) => c / total);
  }
}

/** `[S]` bool → `[S, 1, …, 1]` of the given rank, to broadcast over one parameter. */
function seedMask(alive: tf.Tensor, rank: number): tf.Tensor {
  return tf.reshape(alive, [alive.shape[0]!, ...Array<number>(Math.max(rank - 1, 0)).fill(1)]);
}

function flatPerSeed(t: tf.Tensor): tf.Tensor2D {
  return tf.reshape(t, [t.shape[0]!, -1]);
}

function validateSpec(spec: OptimizerSpec): void {
  const bad = (what: string, value: unknown) =>
    new DyncRuntimeError("RUN040", `${spec.kind}: ${what}, got ${String(value)}`);
  if (!(Number.isFinite(spec.lr) && spec.lr >= 0)) throw bad("lr must be a finite number ≥ 0", spec.lr);
  const wd = spec.weight_decay ?? 0;
  if (!(Number.isFinite(wd) && wd >= 0)) throw bad("weight_decay must be ≥ 0", wd);
  if (spec.kind === "gd" || spec.kind === "sgd") {
    const mu = spec.momentum ?? 0;
    if (!(mu >= 0 && mu < 1)) throw bad("momentum must be in [0, 1)", mu);
    const damp = spec.dampening ?? 0;
    if (!(damp >= 0 && damp <= 1)) throw bad("dampening must be in [0, 1]", damp);
    if (spec.nesterov && (mu === 0 || damp !== 0)) {
      throw bad("nesterov needs momentum > 0 and dampening 0 (as in PyTorch); momentum/dampening", `${mu}/${damp}`);
    }
  } else if (spec.kind === "adam" || spec.kind === "adamw") {
    const { beta1 = 0.9, beta2 = 0.999, eps = 1e-8 } = spec;
    if (!(beta1 >= 0 && beta1 < 1)) throw bad("beta1 must be in [0, 1)", beta1);
    if (!(beta2 >= 0 && beta2 < 1)) throw bad("beta2 must be in [0, 1)", beta2);
    if (!(eps > 0)) throw bad("eps must be > 0", eps);
  } else if (spec.kind === "sign_sgd") {
    const { momentum = 0.9, dampening = 0.9 } = spec;
    if (!(momentum >= 0 && momentum < 1)) throw bad("momentum must be in [0, 1)", momentum);
    if (!(dampening >= 0 && dampening <= 1)) throw bad("dampening must be in [0, 1]", dampening);
    if (!(spec.threshold >= 0)) throw bad("threshold must be ≥ 0", spec.threshold);
    if (!(Number.isFinite(spec.sign_lr) && spec.sign_lr >= 0)) throw bad("sign_lr must be ≥ 0", spec.sign_lr);
  } else {
    throw new DyncRuntimeError("RUN040", `unknown optimizer "${(spec as { kind: string }).kind}" (known: gd, sgd, adam, adamw, sign_sgd)`);
  }
}
