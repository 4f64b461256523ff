/**
 * Inverted dropout with masks drawn in JS from each seed's own `Rng` stream (`new Rng(seed).fork("dropout")`),
 * so a seed's masks do not depend on which other seeds share its batch and are the same on every backend.
 */
import { tf } from "../tf.js";
import { DyncRuntimeError } from "../errors.js";
import { Rng, type RngState } from "../rng.js";

/** Per-seed mask streams for one model. */
export class DropoutStreams {
  private readonly streams: Rng[];

  constructor(seeds: readonly number[]) {
    this.streams = seeds.map((seed) => new Rng(seed).fork("dropout"));
  }

  /** Each seed's stream position (checkpoints: the masks after a resume are the masks that would have followed). */
  state(): RngState[] {
    return this.streams.map((rng) => rng.state());
  }

  restore(states: readonly RngState[]): void {
    if (states.length !== this.streams.length) throw new DyncRuntimeError("RUN032", `dropout: a checkpoint of ${states.length} seeds for a model of ${this.streams.length}`);
    this.streams.forEach((rng, s) => rng.restore(states[s]!));
  }

  /** A mask `[S, ...rest]` of 0 and 1/(1 − p): each entry kept with probability 1 − p. */
  mask(shape: readonly number[], p: number): tf.Tensor {
    const [S, ...rest] = shape;
    if (S !== this.streams.length) {
      throw new DyncRuntimeError("RUN040", `dropout: input has ${S} seeds, the model ${this.streams.length}`);
    }
    const perSeed = rest.reduce((a, b) => a * b, 1);
    const keep = 1 / (1 - p);
    const values = new Float32Array(S * perSeed);
    const u = new Float64Array(perSeed);
    this.streams.forEach((rng, s) => {
      rng.uniforms(u);
      for (let i = 0; i < perSeed; i++) values[s * perSeed + i] = u[i]! < p ? 0 : keep;
    });
    return tf.tensor(values, [...shape]);
  }
}

/** Check a dropout probability. */
export function checkDropout(p: number): number {
  if (!(p >= 0 && p < 1)) throw new DyncRuntimeError("RUN040", `dropout probability must be in [0, 1), got ${p}`);
  return p;
}

/** x times a fresh mask when training with p > 0; x itself otherwise. */
export function applyDropout(streams: DropoutStreams, x: tf.Tensor, p: number, training: boolean): tf.Tensor {
  if (!training || p === 0) return x;
  const mask = streams.mask(x.shape, p);
  const out = tf.mul(x, mask);
  mask.dispose();
  return out;
}
