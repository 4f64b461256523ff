/**
 * The lottery-ticket probes (Liu & Tegmark, arXiv 2310.02258): ticket decomposition, per-ticket and
 * per-neuron values, parameter-space PCA across seeds, and distillation of the best ticket. Each reads the
 * trained parameters once and computes in float64 JS numbers.
 */
import type { ProbeContext } from "../../runtime/train/index.js";
import { defineProbe } from "../probes/define.js";
import * as entries from "./entries.js";
import { symmetricEigen } from "../../numerics/linalg.js";
import { decompose, DEFAULT_SCREEN, ensembleMeasures, type Decomposition, type EnsembleMeasures, type PairScreen } from "./tickets.js";
import { grid, twoLayerNets, unaryTarget, type Scalar, type TwoLayerNet } from "./two-layer.js";

/** The grid and target a ticket probe fits on: `domain`, `n` points, `target` by name. */
function fitGrid(args: { readonly domain: readonly [number, number]; readonly n: number; readonly target: string }): { xs: Float64Array; target: Scalar } {
  return { xs: grid(args.domain[0], args.domain[1], args.n), target: unaryTarget(args.target) };
}

/** The pair screen a probe's `max_cond` and `float32_check` ask for. */
function screenOf(args: { readonly max_cond: number; readonly float32_check: boolean }): PairScreen {
  return { maxCond: args.max_cond, float32: args.float32_check };
}

/** Per seed index: f(net) for the seeds this call measures, NaN for the others. */
function perSeed<T>(ctx: ProbeContext, nets: TwoLayerNet[], f: (net: TwoLayerNet) => T): (T | undefined)[] {
  const out: (T | undefined)[] = new Array(nets.length).fill(undefined);
  for (const s of ctx.seedIndices) out[s] = f(nets[s]!);
  return out;
}

/** Per-seed records of numbers as fields `names` (NaN for seeds not measured). */
function fields<F extends string>(values: (Record<F, number> | undefined)[], names: readonly F[]): { readonly kind: "fields"; readonly fields: Record<F, Float64Array> } {
  return { kind: "fields", fields: Object.fromEntries(names.map((n) => [n, Float64Array.from(values, (v) => v?.[n] ?? NaN)])) as Record<F, Float64Array> };
}

const second = (f: Scalar, x: number): number => {
  const h = 1e-4; // central difference in float64: error ~h²·f⁗ ≈ 1e-9, far below what is reported
  return (f(x + h) - 2 * f(x) + f(x - h)) / (h * h);
};

/** Summary of one decomposition; the Taylor terms use the trained (not refit) weights of the best ticket. */
export function ticketSummary(net: TwoLayerNet, d: Decomposition, e: EnsembleMeasures): Record<TicketField, number> {
  const best = [...d.tickets].sort((a, b) => a.mse - b.mse)[0];
  let taylorConst = NaN;
  let taylorX2 = NaN;
  if (best) {
    const [i, j] = best.neurons;
    taylorConst = net.act(net.b[i]!) * net.v[i]! + net.act(net.b[j]!) * net.v[j]! + net.c;
    taylorX2 = (net.v[i]! * second(net.act, net.b[i]!) * net.w[i]! ** 2 + net.v[j]! * second(net.act, net.b[j]!) * net.w[j]! ** 2) / 2;
  }
  return {
    loss: d.loss,
    bound: d.bound,
    n_eff: d.nEff,
    tickets: d.good,
    mean_r2: d.meanGoodR2,
    best_loss: best?.mse ?? NaN,
    pair_cost: d.tickets.length ? d.tickets.reduce((s, t) => s + t.cost, 0) / d.tickets.length : NaN,
    taylor_const: taylorConst,
    taylor_x2: taylorX2,
    ensemble_loss: e.ensembleLoss,
    refit_loss: e.refitLoss,
    odd_share: e.oddShare,
    ill_conditioned: d.illConditioned,
  };
}

type TicketField = (typeof entries.ticketsEntry.result.fields)[number];

/** `tickets(net, …)`: ticket decomposition summary per seed. */
export const ticketsProbe = defineProbe(entries.ticketsEntry, {
  measure: (args, ctx) => {
    const { xs, target } = fitGrid(args);
    const nets = twoLayerNets(args.model);
    const summary = (net: TwoLayerNet) => {
      const d = decompose(net, xs, target, args.min_r2, screenOf(args));
      return ticketSummary(net, d, ensembleMeasures(net, d, xs, target));
    };
    return fields(perSeed(ctx, nets, summary), entries.ticketsEntry.result.fields);
  },
});

/** `ticket_r2(net, …)`: every ticket's R² and MSE, sorted by decreasing R², indexed by `ticket`. */
export const ticketR2Probe = defineProbe(entries.ticketR2, { measure: (args, ctx) => {
  const { xs, target } = fitGrid(args);
  const nets = twoLayerNets(args.model);
  const sorted = perSeed(ctx, nets, (net) => [...decompose(net, xs, target, args.min_r2, screenOf(args)).tickets].sort((a, b) => b.r2 - a.r2));
  return {
    kind: "indexed" as const,
    dim: "ticket" as const,
    fields: {
      r2: sorted.map((ts) => ts && Float64Array.from(ts, (t) => t.r2)),
      mse: sorted.map((ts) => ts && Float64Array.from(ts, (t) => t.mse)),
    },
  };
} });

/**
 * Neuron k's curve on the grid xs: pre-activation, activation and contribution to the output. A net with no
 * neuron k (narrower than k + 1, e.g. the width-1 nets of a width sweep asked for `neuron: 1`) has no such
 * curve: x is the grid, the other values NaN, as for a seed that was not measured.
 */
export function neuronCurveValues(net: TwoLayerNet, k: number, xs: Float64Array): { x: Float64Array; pre: Float64Array; post: Float64Array; out: Float64Array } {
  if (k >= net.w.length) {
    const none = () => new Float64Array(xs.length).fill(NaN);
    return { x: Float64Array.from(xs), pre: none(), post: none(), out: none() };
  }
  const pre = xs.map((x) => net.w[k]! * x + net.b[k]!);
  const post = pre.map(net.act);
  return { x: Float64Array.from(xs), pre, post, out: post.map((p) => net.v[k]! * p) };
}

/**
 * `neuron_curve(net, neuron: k)`: neuron k's x, pre, post and out at every grid point, indexed by `point`.
 * One `neuron` serves a whole width sweep, so a sweep point whose nets are narrower records NaN curves
 * instead of failing the run (RUN040 is for settings no sweep point can carry out).
 */
export const neuronCurveProbe = defineProbe(entries.neuronCurveEntry, {
  measure: ({ model, neuron, domain, n }, ctx) => {
    const nets = twoLayerNets(model);
    const xs = grid(domain[0], domain[1], n);
    const curves = perSeed(ctx, nets, (net) => neuronCurveValues(net, neuron, xs));
    const pick = (key: "x" | "pre" | "post" | "out") => curves.map((c) => c?.[key]);
    return { kind: "indexed" as const, dim: "point" as const, fields: { x: pick("x"), pre: pick("pre"), post: pick("post"), out: pick("out") } };
  },
});

/** `neurons(net)`: each hidden neuron's (w, b, v), indexed by `neuron`. */
export const neuronsProbe = defineProbe(entries.neuronsEntry, { measure: ({ model }, ctx) => {
  const nets = twoLayerNets(model);
  const pick = (key: "w" | "b" | "v") => perSeed(ctx, nets, (net) => Float64Array.from(net[key]));
  return { kind: "indexed" as const, dim: "neuron" as const, fields: { w: pick("w"), b: pick("b"), v: pick("v") } };
} });

/**
 * Share of the variance of `b` explained by the means of b in `bins` equal-count bins of `key` (sorted):
 * 1 − Σ_bins Σ (b − mean_bin)² / Σ (b − mean)². Bins are cut at ranks, so ties in `key` may split.
 */
export function binnedR2(key: ArrayLike<number>, b: ArrayLike<number>, bins: number): number {
  const n = b.length;
  const k = Math.min(bins, Math.floor(n / 2));
  if (k < 1) return NaN;
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => key[i]! - key[j]!);
  let mean = 0;
  for (let i = 0; i < n; i++) mean += b[i]! / n;
  let total = 0;
  for (let i = 0; i < n; i++) total += (b[i]! - mean) ** 2;
  let within = 0;
  for (let bin = 0; bin < k; bin++) {
    const members = order.slice(Math.floor((bin * n) / k), Math.floor(((bin + 1) * n) / k));
    const m = members.reduce((s, i) => s + b[i]!, 0) / members.length;
    within += members.reduce((s, i) => s + (b[i]! - m) ** 2, 0);
  }
  return total > 0 ? 1 - within / total : NaN;
}

/** `wb_curve(net, bins)`: how much of b the bins of |w| and of w explain (Fig 2a's even curve). */
export const wbCurveProbe = defineProbe(entries.wbCurveEntry, {
  measure: ({ model, bins }, ctx) => {
    const nets = twoLayerNets(model);
    const curve = (net: TwoLayerNet) => ({ r2_abs: binnedR2(net.w.map(Math.abs), net.b, bins), r2_signed: binnedR2(net.w, net.b, bins) });
    return fields(perSeed(ctx, nets, curve), entries.wbCurveEntry.result.fields);
  },
});

type DistillField = (typeof entries.distillEntry.result.fields)[number];

/**
 * The best ticket of a net distilled to width 2: its trained first layer kept, (v₁, v₂, c) refit by least
 * squares in float64 on the float64 grid, among the pairs the screen keeps (well conditioned at float32 precision);
 * also the pair's mean |w| and mean b. For a mirror pair the refit
 * loss is bounded below by the pair's x⁴ Taylor term, ≈ (σ⁗(b) / (12 σ″(b)))² · w⁴ · Var⊥(x⁴), so how low
 * distillation goes is set by the trained (w, b), not by the refit's precision.
 */
export function distillBestTicket(net: TwoLayerNet, xs: Float64Array, target: Scalar, screen: PairScreen = DEFAULT_SCREEN): Record<DistillField, number> {
  const best = [...decompose(net, xs, target, -Infinity, screen).tickets].sort((a, b) => a.mse - b.mse)[0];
  if (!best) return { loss: NaN, cond: NaN, r2: NaN, w: NaN, b: NaN };
  const [i, j] = best.neurons;
  return { loss: best.mse, cond: best.cond, r2: best.r2, w: (Math.abs(net.w[i]!) + Math.abs(net.w[j]!)) / 2, b: (net.b[i]! + net.b[j]!) / 2 };
}

/** `distill(net, …)`: the best ticket as a width-2 net with (v, c) refit by least squares in float64. */
export const distillProbe = defineProbe(entries.distillEntry, {
  measure: (args, ctx) => {
    const { xs, target } = fitGrid(args);
    const nets = twoLayerNets(args.model);
    return fields(perSeed(ctx, nets, (net) => distillBestTicket(net, xs, target, screenOf(args))), entries.distillEntry.result.fields);
  },
});

/** A net's parameters as one vector, in the paper's order (w₁…w_N, b₁…b_N, v₁…v_N, c). */
export function parameterVector(net: TwoLayerNet): number[] {
  return [...net.w, ...net.b, ...net.v, net.c];
}

/**
 * PCA of the seeds' parameter vectors (a seeds × (3N+1) matrix, centred): each seed's coordinates on PC1
 * and PC2, and the fraction of variance each explains (the same for every seed). Seeds with non-finite
 * parameters (diverged) are left out and get NaN. Each component's sign is fixed so that its largest
 * entry is positive, so results do not depend on the eigensolver.
 */
export function parameterPca(vectors: readonly (readonly number[] | undefined)[]): { pc1: Float64Array; pc2: Float64Array; var1: number; var2: number } {
  const rows = vectors.map((v, s) => ({ v, s })).filter((r): r is { v: readonly number[]; s: number } => r.v !== undefined && r.v.every(Number.isFinite));
  const pc1 = new Float64Array(vectors.length).fill(NaN);
  const pc2 = new Float64Array(vectors.length).fill(NaN);
  if (rows.length < 2) return { pc1, pc2, var1: NaN, var2: NaN };
  const P = rows[0]!.v.length;
  const mean = new Array<number>(P).fill(0);
  for (const r of rows) for (let k = 0; k < P; k++) mean[k]! += r.v[k]! / rows.length;
  const centred = rows.map((r) => r.v.map((x, k) => x - mean[k]!));
  const cov = Array.from({ length: P }, (_, i) => Array.from({ length: P }, (_, j) => centred.reduce((s, c) => s + c[i]! * c[j]!, 0) / (rows.length - 1)));
  const { values, vectors: eig } = symmetricEigen(cov);
  const total = values.reduce((s, x) => s + Math.max(x, 0), 0);
  const axes = [0, 1].map((k) => orient(eig[k] ?? new Array<number>(P).fill(0)));
  rows.forEach((r, i) => {
    pc1[r.s] = dot(centred[i]!, axes[0]!);
    pc2[r.s] = P > 1 ? dot(centred[i]!, axes[1]!) : 0;
  });
  return { pc1, pc2, var1: (values[0] ?? NaN) / total, var2: (values[1] ?? 0) / total };
}

function orient(v: number[]): number[] {
  let big = 0;
  for (const x of v) if (Math.abs(x) > Math.abs(big)) big = x;
  return big < 0 ? v.map((x) => -x) : v;
}

function dot(a: readonly number[], b: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** `param_pca(net)`: cross-seed PCA of the parameter vectors (fields pc1, pc2, var1, var2). */
export const paramPcaProbe = defineProbe(entries.paramPca, { measure: ({ model }, ctx) => {
  const nets = twoLayerNets(model);
  const vectors = perSeed(ctx, nets, parameterVector);
  const { pc1, pc2, var1, var2 } = parameterPca(vectors);
  const measured = new Set(ctx.seedIndices);
  const only = (x: Float64Array | number) => Float64Array.from({ length: nets.length }, (_, s) => (measured.has(s) ? (typeof x === "number" ? x : x[s]!) : NaN));
  return { kind: "fields" as const, fields: { pc1: only(pc1), pc2: only(pc2), var1: only(var1), var2: only(var2) } };
} });
