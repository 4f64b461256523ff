/**
 * Ticket decomposition of a two-layer net (Liu & Tegmark, Fig 12): pair the hidden neurons as symmetric
 * pairs (w, b)/(−w, b), refit each pair's output weights to the target by least squares, and measure how
 * good and how independent the resulting "tickets" are. All in float64.
 */
import { hypot2 } from "../../numerics/hypot.js";
import { leastSquares } from "../../numerics/linalg.js";
import { DyncRuntimeError } from "../../runtime/errors.js";
import { evaluateNet, meanSquaredError, neuronCurve, type Scalar, type TwoLayerNet } from "./two-layer.js";

/** Cost of pairing neuron i with neuron j: (wᵢ + wⱼ)² + (bᵢ − bⱼ)², zero for an exact mirror pair. */
export function pairCost(w: ArrayLike<number>, b: ArrayLike<number>, i: number, j: number): number {
  return (w[i]! + w[j]!) ** 2 + (b[i]! - b[j]!) ** 2;
}

/**
 * A low-cost matching of the neurons into pairs: greedy by increasing cost, then 2-opt exchanges between
 * pairs until none lowers the total. (An exact min-cost perfect matching on a general graph needs the
 * blossom algorithm; greedy + 2-opt finds every exact mirror pair and is what the figures need.) With an odd
 * count one neuron stays unpaired.
 */
export function matchSymmetricPairs(w: ArrayLike<number>, b: ArrayLike<number>): [number, number][] {
  const n = w.length;
  const candidates: { i: number; j: number; cost: number }[] = [];
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) candidates.push({ i, j, cost: pairCost(w, b, i, j) });
  candidates.sort((p, q) => p.cost - q.cost || p.i - q.i || p.j - q.j);
  const used = new Uint8Array(n);
  const pairs: [number, number][] = [];
  for (const { i, j } of candidates) {
    if (used[i] || used[j]) continue;
    used[i] = used[j] = 1;
    pairs.push([i, j]);
  }
  improveByExchanges(pairs, w, b);
  return pairs.map(([i, j]) => (i < j ? [i, j] : [j, i]) as [number, number]).sort((p, q) => p[0] - q[0]);
}

function improveByExchanges(pairs: [number, number][], w: ArrayLike<number>, b: ArrayLike<number>): void {
  const cost = (i: number, j: number) => pairCost(w, b, i, j);
  for (let round = 0; round < 100; round++) {
    let improved = false;
    for (let p = 0; p < pairs.length; p++) {
      for (let q = p + 1; q < pairs.length; q++) {
        const [a, b1] = pairs[p]!;
        const [c, d] = pairs[q]!;
        const now = cost(a, b1) + cost(c, d);
        if (cost(a, c) + cost(b1, d) < now - 1e-15) [pairs[p], pairs[q], improved] = [[a, c], [b1, d], true];
        else if (cost(a, d) + cost(b1, c) < now - 1e-15) [pairs[p], pairs[q], improved] = [[a, d], [b1, c], true];
      }
    }
    if (!improved) return;
  }
}

/**
 * Float32's unit roundoff 2⁻²⁴: the relative error of each activation σ(wx + b) as a trained (float32) net
 * computes it.
 */
export const FLOAT32_UNIT_ROUNDOFF = 2 ** -24;

/**
 * Default `max_cond`: a refit whose (column-equilibrated) condition number κ exceeds 1/u₃₂ = 2²⁴ ≈ 1.7e7 is
 * numerically dependent at the precision the net computes in. Perturbing each column by its float32 rounding
 * (relative u₃₂) moves the least-squares coefficients by up to κ·u₃₂ relative, i.e. by 100% or more: the fit
 * then rests on differences between the neurons' curves below float32 resolution, which the trained net
 * cannot represent (collapsed neurons with |w| ≲ 1e-4 refit to x² through their Taylor terms with output
 * weights ~1/w², the fake exact tickets of wide nets). Float64 rounding would allow κ up to ~1e15.
 */
export const DEFAULT_MAX_COND = 1 / FLOAT32_UNIT_ROUNDOFF;

/**
 * Which pairs a decomposition leaves out as numerically meaningless for a float32 net: κ above `maxCond`
 * (the coefficients are undetermined at float32 precision) and, with `float32`, pairs whose refit loss more
 * than doubles when their activations are rounded to float32 (the loss is undetermined at float32
 * precision: a float64 refit cancelling output weights of 1e5…1e11 to reach a loss no float32 net computes,
 * as two collapsed neurons with pre-activations ~1e-5 do, though κ is only ~1e5 for them).
 */
export interface PairScreen {
  readonly maxCond: number;
  readonly float32: boolean;
}

export const DEFAULT_SCREEN: PairScreen = { maxCond: DEFAULT_MAX_COND, float32: true };
/** Every pair kept: the float64 refit itself, e.g. to study its floor (test/lottery/distill.test.ts). */
export const NO_SCREEN: PairScreen = { maxCond: Infinity, float32: false };

/** One ticket: a neuron pair refit to the target. */
export interface Ticket {
  readonly neurons: readonly [number, number];
  readonly cost: number;
  /** Refit output weights (vᵢ, vⱼ) and bias c. */
  readonly coef: readonly number[];
  /** 1 − SS_res/SS_tot of the refit. */
  readonly r2: number;
  /** Mean squared error of the refit, |eₖ|². */
  readonly mse: number;
  /** eₖ(x) = fit − target at every grid point. */
  readonly error: Float64Array;
  /**
   * Condition number of the design [σ(wᵢx+bᵢ), σ(wⱼx+bⱼ), 1] with each column scaled to unit norm (∞ for a
   * zero column). Scaling makes it a property of the columns' directions: the float32 rounding of a column is
   * relative to its size, so this κ is the one that bounds the coefficients' sensitivity to it.
   */
  readonly cond: number;
  /** Mean squared error of the same refit on the activations rounded to float32 (what a float32 forward pass gives). */
  readonly float32Mse: number;
}

/** Least-squares fit of the target on [σ(wᵢx + bᵢ), σ(wⱼx + bⱼ), 1] over the grid: the ticket of pair (i, j). */
export function fitTicket(net: TwoLayerNet, pair: readonly [number, number], xs: Float64Array, target: Float64Array): Ticket {
  const [i, j] = pair;
  const m = xs.length;
  if (m < 3) throw new DyncRuntimeError("RUN040", `least squares needs columns of ${m} rows and at most ${m} columns, got 3 of lengths ${m}, ${m}, ${m}`);
  const columns = [neuronCurve(net.act, net.w[i]!, net.b[i]!, xs), neuronCurve(net.act, net.w[j]!, net.b[j]!, xs), new Float64Array(m).fill(1)];
  const norms = columns.map(euclidean);
  // A zero column (a dead neuron) is kept as it is: the solver gives it coefficient 0, the pair counts as
  // ill-conditioned.
  const fit = leastSquares(columns.map((c, k) => (norms[k]! > 0 ? c.map((v) => v / norms[k]!) : c)), target);
  const error = fit.residual.map((r) => -r);
  const mse = meanSquaredError(error, new Float64Array(error.length));
  const coef = fit.coef.map((a, k) => (norms[k]! > 0 ? a / norms[k]! : 0));
  const cond = norms.every((x) => x > 0) ? fit.cond : Infinity;
  const rounded = leastSquares(
    columns.map((c) => c.map(Math.fround)),
    target,
  ).residual;
  const float32Mse = meanSquaredError(rounded, new Float64Array(m));
  return { neurons: pair, cost: pairCost(net.w, net.b, i, j), coef, r2: 1 - mse / variance(target), mse, error, cond, float32Mse };
}

function euclidean(c: Float64Array): number {
  let s = 0;
  for (const v of c) s = hypot2(s, v); // not Math.hypot: its result is engine-defined
  return s;
}

function variance(y: Float64Array): number {
  let mean = 0;
  for (const v of y) mean += v;
  mean /= y.length;
  let s = 0;
  for (const v of y) s += (v - mean) ** 2;
  return s / y.length;
}

/** What a ticket decomposition of one net measures. */
export interface Decomposition {
  /** The pairs the screen keeps, refit: every statistic below is over these. */
  readonly tickets: Ticket[];
  /** Pairs the screen left out as ill-conditioned at float32 precision (`PairScreen`). */
  readonly illConditioned: number;
  /** Loss of the whole net against the target on the grid (float64). */
  readonly loss: number;
  /** Ensemble bound (Σₖ 1/|eₖ|²)⁻¹ over the tickets with r2 ≥ minR2. */
  readonly bound: number;
  /** Cosine similarity of the error curves eₖ of the tickets with r2 ≥ minR2 (K×K). */
  readonly correlation: number[][];
  /** Participation ratio (Σλ)²/Σλ² = K²/Σ Cₖₗ² of that correlation matrix: effectively independent tickets. */
  readonly nEff: number;
  /** Tickets with r2 ≥ minR2. */
  readonly good: number;
  /** Mean R² of the tickets with r2 ≥ minR2 (NaN when there are none): how good the good tickets are. */
  readonly meanGoodR2: number;
  /** The error curves eₖ of the tickets with r2 ≥ minR2. */
  readonly goodErrors: Float64Array[];
}

/** How the tickets of a decomposition combine, against what the first layer allows (`ensembleMeasures`). */
export interface EnsembleMeasures {
  /**
   * The lowest loss of a weighted average Σ aₖfₖ (Σ aₖ = 1) of the good tickets' refits fₖ, i.e. 1/(1ᵀG⁻¹1)
   * with Gₖₗ = mean(eₖeₗ): the ensemble of these tickets with their error correlations taken into account.
   * Equals `bound` when the errors are orthogonal; lower when they partly cancel.
   */
  readonly ensembleLoss: number;
  /** The least-squares loss of the whole output layer (v₁…v_N, c) refit on the grid: the best any output layer does with this first layer. */
  readonly refitLoss: number;
  /** Share of the good tickets' error energy Σ‖eₖ‖² in the odd part (eₖ(x) − eₖ(−x))/2; NaN unless the grid is symmetric about 0. */
  readonly oddShare: number;
}

/**
 * Pair, refit and compare the tickets of a net on the grid xs against target(x). Pairs whose refit has a
 * refit is ill-conditioned at float32 precision (`PairScreen`, default: κ > 1/u₃₂ or a loss that more than
 * doubles on float32-rounded activations) are counted and left out.
 */
export function decompose(net: TwoLayerNet, xs: Float64Array, target: Scalar, minR2: number, screen: PairScreen = DEFAULT_SCREEN): Decomposition {
  const y = xs.map(target);
  const pairs = matchSymmetricPairs(net.w, net.b).map((pair) => fitTicket(net, pair, xs, y));
  const tickets = pairs.filter((t) => t.cond <= screen.maxCond && !(screen.float32 && t.float32Mse > 2 * t.mse));
  const loss = meanSquaredError(evaluateNet(net, xs), y);
  const good = tickets.filter((t) => t.r2 >= minR2);
  const bound = good.length ? 1 / good.reduce((s, t) => s + 1 / t.mse, 0) : NaN;
  const correlation = good.map((a) => good.map((b) => cosine(a.error, b.error)));
  let sumSquares = 0;
  for (const row of correlation) for (const c of row) sumSquares += c * c;
  const nEff = good.length ? good.length ** 2 / sumSquares : NaN;
  const meanGoodR2 = good.length ? good.reduce((s, t) => s + t.r2, 0) / good.length : NaN;
  return { tickets, illConditioned: pairs.length - tickets.length, loss, bound, correlation, nEff, good: good.length, meanGoodR2, goodErrors: good.map((t) => t.error) };
}

/** The ensemble measures of a decomposition `d` of `net` on the grid xs against target(x). */
export function ensembleMeasures(net: TwoLayerNet, d: Decomposition, xs: Float64Array, target: Scalar): EnsembleMeasures {
  return { ensembleLoss: bestWeightedAverage(d.goodErrors), refitLoss: outputLayerRefit(net, xs, xs.map(target)), oddShare: oddShare(d.goodErrors, xs) };
}

/**
 * min ‖Σ aₖeₖ‖²/m over Σ aₖ = 1 for error curves eₖ (NaN for none): with a_K = 1 − Σ_{k<K} aₖ this is the
 * unconstrained least squares of −e_K on the columns eₖ − e_K. (Solving the normal equations 1/(1ᵀG⁻¹1)
 * instead would square the condition number of nearly parallel errors.)
 */
export function bestWeightedAverage(errors: readonly Float64Array[]): number {
  const last = errors[errors.length - 1];
  if (!last) return NaN;
  if (errors.length === 1) return meanSquaredError(last, new Float64Array(last.length));
  const columns = errors.slice(0, -1).map((e) => e.map((x, i) => x - last[i]!));
  const { residual } = leastSquares(columns, last.map((x) => -x));
  return meanSquaredError(residual, new Float64Array(residual.length));
}

/**
 * Loss of the least-squares refit of the target on every neuron's curve and a constant; NaN unless there
 * are fewer columns than grid points: a square system fits exactly in exact arithmetic, so its residual
 * would measure only rounding (at N = 1000 on 1001 points it came out anywhere from 1e-14 to 8e8).
 */
function outputLayerRefit(net: TwoLayerNet, xs: Float64Array, y: Float64Array): number {
  const columns = [...Array.from(net.w, (w, i) => neuronCurve(net.act, w, net.b[i]!, xs)), new Float64Array(xs.length).fill(1)];
  if (columns.length >= xs.length) return NaN;
  const { residual } = leastSquares(columns, y);
  return meanSquaredError(residual, new Float64Array(residual.length));
}

/** Σₖ‖odd part of eₖ‖² / Σₖ‖eₖ‖², the odd part taken by mirroring the grid (xs[m−1−i] = −xs[i]). */
export function oddShare(errors: readonly Float64Array[], xs: Float64Array): number {
  const m = xs.length;
  const symmetric = xs.every((x, i) => Math.abs(x + xs[m - 1 - i]!) <= 1e-12 * Math.max(1, Math.abs(x)));
  if (!symmetric || errors.length === 0) return NaN;
  let odd = 0;
  let total = 0;
  for (const e of errors) {
    for (let i = 0; i < m; i++) {
      odd += ((e[i]! - e[m - 1 - i]!) / 2) ** 2;
      total += e[i]! ** 2;
    }
  }
  return total > 0 ? odd / total : NaN;
}

/** a·b / (|a||b|); NaN when either is zero. */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i]! * b[i]!;
    aa += a[i]! * a[i]!;
    bb += b[i]! * b[i]!;
  }
  return ab / Math.sqrt(aa * bb);
}
