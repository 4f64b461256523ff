/**
 * Sum of sinusoids with random phases (spectral-bias notes, 1-D experiment):
 *   y(t) = Σ_k A_k · sin(2π f_k t + 2π φ_k),  φ_k ~ U[0, 1) drawn in the order of `frequencies`.
 * The paper uses f ∈ {5, 10, …, 70}, A_k = 1, on t = arange(0, 1, 1/2048).
 */
import type { Dataset } from "../../runtime/dataset.js";
import { fdlibmSin } from "../../numerics/fdlibm.js";
import type { Rng } from "../../runtime/rng.js";
import { grid1d, type GridAxis } from "./grid.js";
import { invalid } from "./inputs.js";
import { withTarget, type TargetFn } from "./target.js";

/** `count` phases φ ~ U[0, 1) (in cycles) from the stream's `phases` fork. */
export function randomPhases(rng: Rng, count: number): Float64Array {
  const phases = rng.fork("phases");
  const out = new Float64Array(count);
  phases.uniforms(out);
  return out;
}

export interface SinusoidsSpec {
  readonly frequencies: readonly number[];
  /** One amplitude per frequency; defaults to 1 each. */
  readonly amplitudes?: readonly number[];
  /** Phases in cycles, one per frequency. */
  readonly phases: ArrayLike<number>;
}

/** The target t ↦ Σ_k A_k sin(2π f_k t + 2π φ_k) of a one-input table. */
export function sinusoidsTarget(spec: SinusoidsSpec): TargetFn {
  const { frequencies } = spec;
  const amplitudes = spec.amplitudes ?? frequencies.map(() => 1);
  if (amplitudes.length !== frequencies.length || spec.phases.length !== frequencies.length) {
    invalid(`sum of sinusoids: ${frequencies.length} frequencies but ${amplitudes.length} amplitudes and ${spec.phases.length} phases`);
  }
  return (cols) => {
    if (cols.length !== 1) invalid(`a sum of sinusoids needs one input variable, got ${cols.length}`);
    const t = cols[0]!;
    const out = new Float64Array(t.length);
    for (let i = 0; i < t.length; i++) {
      let sum = 0;
      for (let k = 0; k < frequencies.length; k++) {
        // fdlibm's sin, not Math's: the same data on every Node version (numerics/fdlibm.ts)
        sum += amplitudes[k]! * fdlibmSin(2 * Math.PI * (frequencies[k]! * t[i]! + spec.phases[k]!));
      }
      out[i] = sum;
    }
    return out;
  };
}

export interface SinusoidsDataset extends Dataset {
  readonly frequencies: readonly number[];
  /** The drawn phases φ_k in cycles. */
  readonly phases: Float64Array;
}

/**
 * A grid with a sum-of-sinusoids target: phases given, or drawn from an `Rng`. Random phases are the task:
 * data sets that should share it (a training grid and a finer test grid) pass the same stream, e.g.
 * `taskRng(seed, "sinusoids")`, not each its own `dataRng(seed, name)`.
 */
export function sumOfSinusoids(
  phases: Rng | ArrayLike<number>,
  options: { name: string; axis: GridAxis; frequencies: readonly number[]; amplitudes?: readonly number[] },
): SinusoidsDataset {
  const drawn = "fork" in phases ? randomPhases(phases, options.frequencies.length) : Float64Array.from(phases);
  const spec = { frequencies: options.frequencies, ...(options.amplitudes ? { amplitudes: options.amplitudes } : {}), phases: drawn };
  const data = withTarget(options.name, grid1d(options.axis), sinusoidsTarget(spec));
  return { ...data, frequencies: [...options.frequencies], phases: drawn };
}
