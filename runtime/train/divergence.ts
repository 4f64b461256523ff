/**
 * Divergence tracking on the backend. Each step folds "is this seed's loss finite" into an `alive` mask and
 * records the first non-finite step per seed, without reading anything back; the loop reads the small
 * `[S]` result only when it checks (see the divergence policy in loop.ts).
 */
import { tf } from "../tf.js";
import { simdObserveLoss } from "../kernels/ops.js";

/** A seed whose loss became NaN or ±Inf. */
export interface DivergedSeed {
  /** Position in the seed batch. */
  readonly seedIndex: number;
  /** The seed value (what `.dyn` calls the seed). */
  readonly seed: number;
  /** The step (update index) whose loss was first non-finite. */
  readonly step: number;
}

/** The tracker's state between steps (read back for a checkpoint). */
export interface DivergenceState {
  readonly alive: Uint8Array;
  readonly firstBad: Int32Array;
  readonly reported: readonly number[];
}

export class DivergenceTracker {
  /** `[S]` bool: false once a seed's loss has been non-finite. */
  alive: tf.Tensor1D;
  private firstBad: tf.Tensor1D;
  private readonly reported = new Set<number>();

  constructor(readonly seeds: readonly number[]) {
    this.alive = tf.keep(tf.ones([seeds.length], "bool")) as tf.Tensor1D;
    this.firstBad = tf.keep(tf.fill([seeds.length], -1, "int32")) as tf.Tensor1D;
  }

  /** Fold the per-seed loss of update `step` into the mask (on the backend, no read-back). */
  observe(perSeedLoss: tf.Tensor, step: number): void {
    const fused = simdObserveLoss(perSeedLoss, this.alive, this.firstBad, step)?.map((t) => tf.keep(t));
    const [alive, firstBad] = fused ?? tf.tidy(() => {
      const finite = tf.isFinite(perSeedLoss);
      const newlyBad = tf.logicalAnd(this.alive, tf.logicalNot(finite));
      return [
        tf.keep(tf.logicalAnd(this.alive, finite)) as tf.Tensor1D,
        tf.keep(tf.where(newlyBad, tf.fill([this.seeds.length], step, "int32"), this.firstBad)) as tf.Tensor1D,
      ];
    });
    tf.dispose([this.alive, this.firstBad]);
    this.alive = alive;
    this.firstBad = firstBad;
  }

  /**
   * Fold the per-seed losses of updates `firstStep`, `firstStep` + 1, … (`[K, S]`, one row per update) as K
   * calls of `observe` would. For updates trained in one fused call; reads the small tensors back (on the
   * backends the fused call serves, wasm, a read is a copy from its heap).
   */
  observeSteps(perSeedLosses: tf.Tensor2D, firstStep: number): void {
    const [K, S] = perSeedLosses.shape;
    const losses = perSeedLosses.dataSync();
    const alive = Uint8Array.from(this.alive.dataSync());
    const firstBad = Int32Array.from(this.firstBad.dataSync());
    for (let k = 0; k < K; k++) {
      for (let s = 0; s < S; s++) {
        if (alive[s] && !Number.isFinite(losses[k * S + s]!)) {
          alive[s] = 0;
          firstBad[s] = firstStep + k;
        }
      }
    }
    tf.dispose([this.alive, this.firstBad]);
    this.alive = tf.keep(tf.tensor1d(Array.from(alive, Boolean), "bool"));
    this.firstBad = tf.keep(tf.tensor1d(firstBad, "int32"));
  }

  /** Read back and return the seeds found diverged since the last check. */
  check(): DivergedSeed[] {
    const steps = this.firstBad.dataSync();
    const out: DivergedSeed[] = [];
    steps.forEach((step, s) => {
      if (step >= 0 && !this.reported.has(s)) {
        this.reported.add(s);
        out.push({ seedIndex: s, seed: this.seeds[s]!, step });
      }
    });
    return out;
  }

  state(): DivergenceState {
    return { alive: Uint8Array.from(this.alive.dataSync()), firstBad: Int32Array.from(this.firstBad.dataSync()), reported: [...this.reported] };
  }

  restore(state: DivergenceState): void {
    tf.dispose([this.alive, this.firstBad]);
    this.alive = tf.keep(tf.tensor1d(Array.from(state.alive, Boolean), "bool"));
    this.firstBad = tf.keep(tf.tensor1d(state.firstBad, "int32"));
    this.reported.clear();
    for (const s of state.reported) this.reported.add(s);
  }

  /** Whether every seed has been reported diverged. */
  get allDiverged(): boolean {
    return this.reported.size === this.seeds.length;
  }

  dispose(): void {
    tf.dispose([this.alive, this.firstBad]);
  }
}
