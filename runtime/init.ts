/**
 * Parameter initialization, sampled in JS from `Rng` streams so every backend gets the same numbers.
 *
 * Seed batching: the values of seed `s` come from `new Rng(s).fork("init").fork(paramName)`, so a model of
 * S seeds holds exactly the weights that S one-seed models would hold, whatever the batch, and adding a
 * layer or a bias never changes the draws of another parameter.
 *
 * Fans follow PyTorch: a dense layer has fan_in = inputs and fan_out = outputs; a conv layer multiplies both
 * by the kernel area. m̄ = (m_in + m_out)/2.
 */
import { DyncRuntimeError } from "./errors.js";
import { Rng } from "./rng.js";
import { fdlibmPow } from "../numerics/fdlibm-exp.js";
import type { FanBase, InitDist, LayerInit, InitSchemeName } from "../contract/model-specs.js";
export type { FanBase, InitDist, LayerInit, InitSchemeName } from "../contract/model-specs.js";

/** Fans of a layer (for conv: channels times kernel area). */
export interface Fans {
  readonly fanIn: number;
  readonly fanOut: number;
}

/**
 * The layer init of a named scheme. PyTorch's default draws the bias like the weight; the Glorot and He
 * schemes (Keras convention) start biases at zero.
 */
export function namedScheme(name: InitSchemeName): LayerInit {
  switch (name) {
    case "torch_default":
      return { weight: { kind: "torch_default" }, bias: { kind: "torch_default" } };
    case "glorot_uniform":
    case "glorot_normal":
    case "he_uniform":
    case "he_normal":
      return { weight: { kind: name }, bias: { kind: "zeros" } };
    default:
      throw new DyncRuntimeError(
        "RUN040",
        `unknown init scheme "${String(name)}"`,
        "use torch_default, glorot_uniform, glorot_normal, he_uniform or he_normal",
      );
  }
}

/** The value of m_in, m_out or m̄ for a layer. */
export function fanValue(base: FanBase, fans: Fans): number {
  if (base === "m_in") return fans.fanIn;
  if (base === "m_out") return fans.fanOut;
  return (fans.fanIn + fans.fanOut) / 2;
}

/** A sampler of one scalar, resolved from a distribution and a layer's fans; `std`/`bound` for tests and records. */
export interface ResolvedDist {
  readonly family: "constant" | "uniform" | "normal";
  /** constant: the value; uniform: low; normal: mean. */
  readonly a: number;
  /** uniform: high; normal: standard deviation; constant: unused (0). */
  readonly b: number;
}

/** Turn a distribution into concrete numbers for a layer with the given fans. */
export function resolveDist(dist: InitDist, fans: Fans): ResolvedDist {
  checkFans(fans);
  const sym = (bound: number): ResolvedDist => ({ family: "uniform", a: -bound, b: bound });
  const normal = (std: number, mean = 0): ResolvedDist => ({ family: "normal", a: mean, b: std });
  switch (dist.kind) {
    case "zeros":
      return { family: "constant", a: 0, b: 0 };
    case "constant":
      return { family: "constant", a: finite(dist.value, "constant value"), b: 0 };
    case "torch_default":
      return sym(1 / Math.sqrt(fans.fanIn));
    case "glorot_uniform":
      return sym(Math.sqrt(6 / (fans.fanIn + fans.fanOut)));
    case "glorot_normal":
      return normal(Math.sqrt(2 / (fans.fanIn + fans.fanOut)));
    case "he_uniform":
      return sym(Math.sqrt(6 / fans.fanIn));
    case "he_normal":
      return normal(Math.sqrt(2 / fans.fanIn));
    case "normal":
      return normal(nonNegative(dist.std, "normal std"), finite(dist.mean ?? 0, "normal mean"));
    case "uniform":
      if (!(dist.low <= dist.high)) {
        throw new DyncRuntimeError("RUN040", `uniform init needs low <= high, got [${dist.low}, ${dist.high}]`);
      }
      return { family: "uniform", a: finite(dist.low, "uniform low"), b: finite(dist.high, "uniform high") };
    case "fan_normal":
      return normal(powerScale(dist, fans));
    case "fan_uniform":
      return sym(powerScale(dist, fans));
    case "values":
      throw new DyncRuntimeError("RUN040", "values(…) sets a whole parameter tensor; it is not a distribution of single numbers", "use it in `init net.hidden[0].weight ~ values([[…]])`");
    default:
      throw new DyncRuntimeError("RUN040", `unknown init distribution ${JSON.stringify(dist)}`);
  }
}

function powerScale(dist: { fan: FanBase; power: number; coef?: number }, fans: Fans): number {
  const scale = (dist.coef ?? 1) * fdlibmPow(fanValue(dist.fan, fans), dist.power); // not `**`: engine-dependent last bits
  return nonNegative(scale, `${dist.fan}^${dist.power} scale`);
}

/** Draw `count` values of a resolved distribution from `rng`. */
export function sampleResolved(resolved: ResolvedDist, count: number, rng: Rng): Float32Array {
  const out = new Float32Array(count);
  const { family, a, b } = resolved;
  if (family === "constant") return out.fill(a);
  if (family === "uniform") rng.uniforms(out, 0, count, a, b); // = uniformIn(a, b) per value
  else rng.normals(out, 0, count, b, a); // = a + b·normal() per value
  return out;
}

/** The stream one parameter of one seed draws from: `new Rng(seed).fork("init").fork(paramName)`. */
export function initStream(seed: number, paramName: string): Rng {
  return new Rng(seed).fork("init").fork(paramName);
}

/**
 * Values for a seed-batched parameter `[S, ...shape]`: seed i of `seeds` fills its own contiguous block
 * from its own stream, so batched and one-by-one runs agree exactly.
 */
export function sampleParam(
  dist: InitDist,
  fans: Fans,
  seeds: readonly number[],
  paramName: string,
  perSeedCount: number,
): Float32Array {
  if (dist.kind === "values") return repeatValues(dist, fans, seeds.length, paramName, perSeedCount);
  const resolved = resolveDist(dist, fans);
  const out = new Float32Array(seeds.length * perSeedCount);
  seeds.forEach((seed, i) => {
    out.set(sampleResolved(resolved, perSeedCount, initStream(seed, paramName)), i * perSeedCount);
  });
  return out;
}

/**
 * A hand-given tensor copied into every seed's block. The shape must match the parameter: a dense weight
 * [fan_in, fan_out] (a matrix written as one list per input), a bias [fan_out]; otherwise RUN040.
 */
function repeatValues(dist: Extract<InitDist, { kind: "values" }>, fans: Fans, seedCount: number, paramName: string, perSeedCount: number): Float32Array {
  const given = dist.shape.reduce((a, b) => a * b, 1);
  if (dist.values.length !== given) {
    throw new DyncRuntimeError("RUN040", `init values(…) for ${paramName}: the rows of a matrix must all have the same length (${dist.values.length} values for shape [${dist.shape.join(", ")}])`);
  }
  const expected = perSeedCount === fans.fanIn * fans.fanOut && dist.shape.length === 2 ? [fans.fanIn, fans.fanOut] : undefined;
  const shapeDiffers = expected !== undefined && (dist.shape[0] !== expected[0] || dist.shape[1] !== expected[1]);
  if (given !== perSeedCount || shapeDiffers) {
    const want = paramName.endsWith(".weight") && perSeedCount === fans.fanIn * fans.fanOut ? `[${fans.fanIn}, ${fans.fanOut}] (in × out)` : `${perSeedCount} value${perSeedCount === 1 ? "" : "s"}`;
    throw new DyncRuntimeError("RUN040", `init values(…) for ${paramName}: got shape [${dist.shape.join(", ")}], the parameter needs ${want}`);
  }
  for (const v of dist.values) finite(v, `value of ${paramName}`);
  const out = new Float32Array(seedCount * perSeedCount);
  for (let s = 0; s < seedCount; s++) out.set(dist.values, s * perSeedCount);
  return out;
}

/** The scales of the two-layer phase diagram (Luo et al. 2021) for width m. */
export interface PhaseScales {
  /** The output is multiplied by 1/α. */
  readonly alpha: number;
  /** Std of the output weights aₖ ~ N(0, β₁²). */
  readonly beta1: number;
  /** Std of the input weights and biases wₖ ~ N(0, β₂² I) (bias folded into w). */
  readonly beta2: number;
}

/**
 * (γ, γ') → (α, β₁, β₂) with β₁β₂/α = m^−γ and β₁/β₂ = m^−γ'. One more condition fixes the triple: by
 * default α = m^γ (so β₁β₂ = 1, giving the notes' β₁ = β₂ = 1, α = m^γ at γ' = 0); pass `alpha` to choose
 * another, then β₁ = √(α m^−γ m^−γ'), β₂ = √(α m^−γ m^γ').
 */
export function phaseScales(gamma: number, gammaPrime: number, m: number, alpha?: number): PhaseScales {
  if (!(Number.isInteger(m) && m >= 1)) throw new DyncRuntimeError("RUN040", `phase init needs a width m >= 1, got ${m}`);
  finite(gamma, "gamma");
  finite(gammaPrime, "gamma_prime");
  const a = alpha ?? fdlibmPow(m, gamma); // fdlibm, not `**`: the same scales on every Node version
  if (!(a > 0 && Number.isFinite(a))) throw new DyncRuntimeError("RUN040", `phase init needs alpha > 0, got ${a}`);
  const product = a * fdlibmPow(m, -gamma); // β₁β₂
  const ratio = fdlibmPow(m, -gammaPrime); // β₁/β₂
  return { alpha: a, beta1: Math.sqrt(product * ratio), beta2: Math.sqrt(product / ratio) };
}

/**
 * Layer inits of the phase scheme for a two-layer net: the hidden layer's weight and bias ~ N(0, β₂²), the
 * output weight ~ N(0, β₁²), the output bias (absent in the paper's model) zero; the model multiplies its
 * output by 1/α.
 */
export function phaseLayerInits(scales: PhaseScales): { hidden: LayerInit; out: LayerInit; outputScale: number } {
  const w = { kind: "normal", std: scales.beta2 } as const;
  return {
    hidden: { weight: w, bias: w },
    out: { weight: { kind: "normal", std: scales.beta1 }, bias: { kind: "zeros" } },
    outputScale: 1 / scales.alpha,
  };
}

function checkFans(fans: Fans): void {
  if (!(Number.isInteger(fans.fanIn) && fans.fanIn >= 1 && Number.isInteger(fans.fanOut) && fans.fanOut >= 1)) {
    throw new DyncRuntimeError("RUN040", `a layer needs positive integer fans, got in ${fans.fanIn}, out ${fans.fanOut}`);
  }
}

function finite(value: number, what: string): number {
  if (!Number.isFinite(value)) throw new DyncRuntimeError("RUN040", `init ${what} must be a finite number, got ${value}`);
  return value;
}

function nonNegative(value: number, what: string): number {
  if (!(Number.isFinite(value) && value >= 0)) {
    throw new DyncRuntimeError("RUN040", `init ${what} must be a finite number >= 0, got ${value}`);
  }
  return value;
}
