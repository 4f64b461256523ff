/**
 * The two-layer linear model of Rosenfeld & Risteski (ICLR 2024, Section 3.3): f(x, x_o) = c·(bᵀx + b_oᵀx_o)
 * with x ∈ R^{d1} the ordinary input and x_o ∈ R^{d2} the opposing-signal input, fed as one input row
 * [x, x_o] of width d1 + d2. Parameters (seed-batched): `b.weight` `[S, d1, 1]`, `b_o.weight` `[S, d2, 1]`,
 * `c.scale` `[S, 1, 1]`. Init as in the paper: c = 1, b and b_o uniformly random directions with
 * ‖b‖² = d1/(d1 + d2) and ‖b_o‖² = d2/(d1 + d2), drawn from `new Rng(seed).fork("init").fork(param name)`.
 */
import { tf } from "../tf.js";
import { DyncRuntimeError } from "../errors.js";
import { initStream } from "../init.js";
import { hypotOf } from "../../numerics/hypot.js";
import type { LayerView, Model, Param } from "../../contract/model.js";
import { createParam } from "../params.js";
import { bmm } from "./bmm.js";
import { type NnForwardOptions, resolveSeeds, type SeedList } from "./mlp.js";

export interface OpposingLinearOptions {
  readonly d1: number;
  readonly d2: number;
  readonly seeds: SeedList;
}

/** A vector of `n` entries with a uniformly random direction and Euclidean norm `norm`. */
function randomDirection(n: number, norm: number, seed: number, name: string): Float32Array {
  const rng = initStream(seed, name);
  const v = new Float64Array(n);
  rng.normals(v);
  const length = hypotOf(v); // not Math.hypot: engine-defined last bits
  return Float32Array.from(v, (x) => (x / length) * norm);
}

/** The model c·(bᵀx + b_oᵀx_o), seed-batched; layers `b`, `b_o`, `c`. */
export class OpposingLinear implements Model {
  readonly seeds: number;
  readonly seedValues: readonly number[];
  /** d1 + d2: the width of an input row [x, x_o]. */
  readonly inDim: number;
  readonly outDim = 1;
  readonly layerNames = ["b", "b_o", "c"] as const;
  readonly params: readonly Param[];
  readonly layers: readonly LayerView[];
  readonly state: readonly tf.Variable[] = [];
  readonly b: Param;
  readonly bo: Param;
  readonly c: Param;

  constructor(readonly options: OpposingLinearOptions) {
    const { d1, d2 } = options;
    if (!(Number.isInteger(d1) && d1 >= 1 && Number.isInteger(d2) && d2 >= 1)) {
      throw new DyncRuntimeError("RUN040", `the opposing-signals model needs integer d1, d2 >= 1, got ${d1}, ${d2}`);
    }
    this.seedValues = resolveSeeds(options.seeds);
    this.seeds = this.seedValues.length;
    this.inDim = d1 + d2;
    const S = this.seeds;
    const stack = (n: number, norm: number, name: string) => {
      const out = new Float32Array(S * n);
      this.seedValues.forEach((seed, s) => out.set(randomDirection(n, norm, seed, name), s * n));
      return out;
    };
    this.b = createParam("b", "weight", stack(d1, Math.sqrt(d1 / (d1 + d2)), "b.weight"), [S, d1, 1]);
    this.bo = createParam("b_o", "weight", stack(d2, Math.sqrt(d2 / (d1 + d2)), "b_o.weight"), [S, d2, 1]);
    this.c = createParam("c", "scale", new Float32Array(S).fill(1), [S, 1, 1]);
    this.params = [this.b, this.bo, this.c];
    // Two parallel linear maps of the two input parts, summed, then the scalar c.
    this.layers = [
      { name: "b", kind: "dense", role: "other", weight: this.b, fanIn: d1, fanOut: 1, activation: null },
      { name: "b_o", kind: "dense", role: "other", weight: this.bo, fanIn: d2, fanOut: 1, activation: null },
      { name: "c", kind: "scale", role: "out", weight: this.c, fanIn: 1, fanOut: 1, activation: null },
    ];
  }

  /** `[S, B, d1 + d2]` → `[S, B, 1]`. Taps: `out` pre = bᵀx + b_oᵀx_o, post = f. */
  forward(x: tf.Tensor, options: NnForwardOptions): tf.Tensor {
    const { d1, d2 } = this.options;
    if (x.rank !== 3 || x.shape[0] !== this.seeds || x.shape[2] !== d1 + d2) {
      throw new DyncRuntimeError("RUN040", `input must be [seeds=${this.seeds}, batch, d1+d2=${d1 + d2}], got [${x.shape.join(", ")}]`);
    }
    const [S, B] = x.shape as [number, number];
    const signal = bmm(tf.slice(x, [0, 0, 0], [S, B, d1]) as tf.Tensor3D, this.b.variable as tf.Tensor3D);
    const outlier = bmm(tf.slice(x, [0, 0, d1], [S, B, d2]) as tf.Tensor3D, this.bo.variable as tf.Tensor3D);
    const pre = tf.add(signal, outlier);
    const y = tf.mul(pre, this.c.variable);
    options.taps?.pre.set("out", pre);
    options.taps?.post.set("out", y);
    return y;
  }

  dispose(): void {
    for (const p of this.params) p.variable.dispose();
  }
}

/** Build the opposing-signals two-layer linear model. */
export function opposingLinear(options: OpposingLinearOptions): OpposingLinear {
  return new OpposingLinear(options);
}
