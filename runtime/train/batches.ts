/**
 * Which samples each update sees. Pure JS: the order depends only on the seed (its `batches` stream),
 * never on the model, the optimizer or the backend, so runs that differ only in their optimizer see one
 * minibatch sequence.
 */
import { DyncRuntimeError } from "../errors.js";
import { Rng, type RngState } from "../rng.js";
import type { BatchSpec, DurationSpec } from "../../contract/training-specs.js";
export type { BatchSpec, DurationSpec } from "../../contract/training-specs.js";

export interface TrainingPlan {
  /** Samples per update (the last batch of an epoch may be smaller when `size` does not divide n). */
  readonly batchSize: number;
  readonly stepsPerEpoch: number;
  readonly totalSteps: number;
}

/** Steps per epoch and total steps for `n` samples. A batch larger than n is one batch of n (as PyTorch). */
export function trainingPlan(n: number, batch: BatchSpec, duration: DurationSpec): TrainingPlan {
  if (!Number.isInteger(n) || n < 1) throw planError(`the training data must have at least one sample, got ${n}`);
  const batchSize = batch === "full" ? n : Math.min(requireCount("batch size", batch.size, 1), n);
  const stepsPerEpoch = Math.ceil(n / batchSize);
  const totalSteps =
    "steps" in duration
      ? requireCount("training steps", duration.steps, 0)
      : requireCount("training epochs", duration.epochs, 0) * stepsPerEpoch;
  return { batchSize, stepsPerEpoch, totalSteps };
}

/** Where a sampler stands between updates: the next step, each seed's stream and its current epoch's order. */
export interface SamplerState {
  readonly nextStep: number;
  readonly rngs: readonly RngState[];
  readonly orders: readonly Int32Array[];
}

/** The sample indices of every update, per seed. */
export class BatchSampler {
  private readonly rngs: Rng[];
  private readonly orders: Int32Array[];
  readonly plan: TrainingPlan;
  private nextStep = 0;

  constructor(
    readonly n: number,
    readonly batch: BatchSpec,
    readonly seeds: readonly number[],
    duration: DurationSpec,
  ) {
    this.plan = trainingPlan(n, batch, duration);
    this.rngs = seeds.map((seed) => new Rng(seed).fork("batches"));
    this.orders = this.rngs.map((rng) => (batch === "full" ? identity(n) : rng.permutation(n)));
  }

  get isFull(): boolean {
    return this.batch === "full";
  }

  state(): SamplerState {
    return { nextStep: this.nextStep, rngs: this.rngs.map((rng) => rng.state()), orders: this.orders.map((o) => o.slice()) };
  }

  /** Continue where `state()` stood: the next update draws what it would have drawn then. */
  restore(state: SamplerState): void {
    if (state.rngs.length !== this.rngs.length || state.orders.some((o) => o.length !== this.n)) {
      throw new DyncRuntimeError("RUN032", `a checkpoint's batch order is for ${state.rngs.length} seeds of ${state.orders[0]?.length} samples, the run has ${this.rngs.length} of ${this.n}`);
    }
    this.nextStep = state.nextStep;
    this.rngs.forEach((rng, s) => rng.restore(state.rngs[s]!));
    state.orders.forEach((order, s) => (this.orders[s] = Int32Array.from(order)));
  }

  /**
   * Indices for update `step`, one array per seed. Steps must be requested in increasing order: a new
   * epoch draws each seed's next permutation from its own stream.
   */
  indicesAt(step: number): Int32Array[] {
    if (step !== this.nextStep) throw planError(`batches must be drawn in order: asked for step ${step}, next is ${this.nextStep}`);
    this.nextStep++;
    const { batchSize, stepsPerEpoch } = this.plan;
    const within = step % stepsPerEpoch;
    if (within === 0 && step > 0 && this.batch !== "full" && (this.batch.shuffle ?? "every_epoch") === "every_epoch") {
      this.rngs.forEach((rng, s) => (this.orders[s] = rng.permutation(this.n)));
    }
    const start = within * batchSize;
    const end = Math.min(start + batchSize, this.n);
    return this.orders.map((order) => order.subarray(start, end));
  }
}

function identity(n: number): Int32Array {
  // a plain loop: Int32Array.from with a callback took ~0.1 s for 1000 seeds × 256 samples (benchmark case (d))
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  return order;
}

function requireCount(what: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) throw planError(`${what} must be a whole number ≥ ${min}, got ${value}`);
  return value;
}

function planError(message: string): DyncRuntimeError {
  return new DyncRuntimeError("RUN040", message);
}
