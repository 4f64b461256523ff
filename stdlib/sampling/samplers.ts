/**
 * The pair samplers (schemas: ./entries.ts). Each draws a `PairIndices` for one seed's copy of a data set
 * from a random stream; ./draw.ts gives each seed its stream (forked by the probe's name) once per run.
 */
import { DyncRuntimeError } from "../../runtime/errors.js";
import type { Rng } from "../../runtime/rng.js";
import type { ProbeArgs } from "../probes/define.js";
import { argsFromSpec, withDefaults, validateArgs } from "../registry/validate.js";
import type { Entry } from "../registry/types.js";
import * as entries from "./entries.js";
import { nearestRows, type Order } from "./nearest.js";
import { classLabels, lattice, lineOrder, type SampleRows } from "./rows.js";

/** Pairs of row indices into one data set: pair k is rows (i[k], j[k]). */
export interface PairIndices {
  readonly i: Int32Array;
  readonly j: Int32Array;
}

export interface SamplerDefinition {
  readonly entry: Entry;
  /** The pairs a lowered spec (`{ kind, …args }`) draws on `rows`; RUN040 for bad arguments or unsuitable data. */
  draw(spec: Readonly<Record<string, unknown>>, rows: SampleRows, rng: Rng): PairIndices;
}

type Draw<E extends Entry> = (args: ProbeArgs<E>, rows: SampleRows, rng: Rng, who: string) => PairIndices;

/** A sampler's implementation, its arguments typed and defaulted by its entry and checked against it. */
export function defineSampler<const E extends Entry & { readonly kind: "sampler" }>(entry: E, draw: Draw<E>): SamplerDefinition {
  return {
    entry,
    draw(spec, rows, rng) {
      const given = argsFromSpec(entry, spec);
      const problems = validateArgs(entry, given);
      if (problems.length > 0) throw new DyncRuntimeError("RUN040", `pair sampler ${entry.name}: ${problems.map((p) => p.message).join("; ")}`);
      return draw(withDefaults(entry, given) as unknown as ProbeArgs<E>, rows, rng, `pair sampler \`${entry.name}\``);
    },
  };
}

/** Room for `count` pairs. */
function pairArrays(count: number): { i: Int32Array; j: Int32Array } {
  return { i: new Int32Array(count), j: new Int32Array(count) };
}

/** Two distinct uniform picks from [0, m). */
function distinctTwo(rng: Rng, m: number): [number, number] {
  const a = rng.int(m);
  const b = rng.int(m - 1);
  return [a, b >= a ? b + 1 : b];
}

function needAtMost(who: string, what: string, value: number, limit: number, data: string, hint?: string): void {
  if (value > limit) throw new DyncRuntimeError("RUN040", `${who}: ${what} is ${value}, but data set "${data}" allows at most ${limit}`, hint);
}

export const patchesSampler = defineSampler(entries.patches, ({ size, count, per }, rows, rng, who) => {
  const { H, W, rowAt } = lattice(rows, who);
  needAtMost(who, "`size`", size, Math.min(H, W), rows.name, `its grid is ${H} × ${W}`);
  const out = pairArrays(count * per);
  for (let p = 0, k = 0; p < count; p++) {
    const top = rng.int(H - size + 1);
    const left = rng.int(W - size + 1);
    const cell = (q: number) => rowAt[(top + Math.floor(q / size)) * W + left + (q % size)]!;
    for (let t = 0; t < per; t++, k++) {
      const [a, b] = distinctTwo(rng, size * size);
      out.i[k] = cell(a);
      out.j[k] = cell(b);
    }
  }
  return out;
});

/** The two corner regions of one side of N cells: [0, lowEnd) and [highStart, highEnd) (see QUADRANT_FRACTIONS). */
export function quadrantBounds(N: number): { lowEnd: number; highStart: number; highEnd: number } {
  const f = entries.QUADRANT_FRACTIONS;
  return { lowEnd: Math.floor(f.lowEnd * N), highStart: Math.ceil(f.highStart * N), highEnd: Math.floor(f.highEnd * N) };
}

export const oppositeQuadrantsSampler = defineSampler(entries.oppositeQuadrants, ({ n }, rows, rng, who) => {
  const { H, W, rowAt } = lattice(rows, who);
  const [bh, bw] = [quadrantBounds(H), quadrantBounds(W)];
  if (bh.lowEnd < 1 || bw.lowEnd < 1 || bh.highEnd <= bh.highStart || bw.highEnd <= bw.highStart) {
    throw new DyncRuntimeError("RUN040", `${who}: the grid of data set "${rows.name}" (${H} × ${W}) is too small for two separated corner regions`, "use a grid of at least 4 × 4");
  }
  const out = pairArrays(n);
  for (let k = 0; k < n; k++) {
    out.i[k] = rowAt[rng.int(bh.lowEnd) * W + rng.int(bw.lowEnd)]!;
    out.j[k] = rowAt[(bh.highStart + rng.int(bh.highEnd - bh.highStart)) * W + bw.highStart + rng.int(bw.highEnd - bw.highStart)]!;
  }
  return out;
});

export const windowsSampler = defineSampler(entries.windows, ({ size, count, per }, rows, rng, who) => {
  const order = lineOrder(rows, who);
  needAtMost(who, "`size`", size, rows.n, rows.name, `it has ${rows.n} rows`);
  const out = pairArrays(count * per);
  for (let w = 0, k = 0; w < count; w++) {
    const start = rng.int(rows.n - size + 1);
    for (let t = 0; t < per; t++, k++) {
      const [a, b] = distinctTwo(rng, size);
      out.i[k] = order[start + a]!;
      out.j[k] = order[start + b]!;
    }
  }
  return out;
});

export const betweenSampler = defineSampler(entries.between, ({ a, b, n }, rows, rng, who) => {
  needAtMost(who, "the end of `a`", a[1], rows.n, rows.name, `it has rows 0 … ${rows.n - 1}`);
  needAtMost(who, "the end of `b`", b[1], rows.n, rows.name, `it has rows 0 … ${rows.n - 1}`);
  const out = pairArrays(n);
  for (let k = 0; k < n; k++) {
    out.i[k] = a[0] + rng.int(a[1] - a[0]);
    out.j[k] = b[0] + rng.int(b[1] - b[0]);
  }
  return out;
});

export const randomPairsSampler = defineSampler(entries.randomPairs, ({ n }, rows, rng, who) => {
  if (rows.n < 2) throw new DyncRuntimeError("RUN040", `${who}: data set "${rows.name}" has fewer than two rows`);
  const out = pairArrays(n);
  for (let k = 0; k < n; k++) [out.i[k], out.j[k]] = distinctTwo(rng, rows.n);
  return out;
});

/** `count` distinct rows of [0, n), uniformly (a partial Fisher–Yates shuffle). */
export function distinctRows(rng: Rng, n: number, count: number): Int32Array {
  const pool = Int32Array.from({ length: n }, (_, i) => i);
  for (let t = 0; t < count; t++) {
    const pick = t + rng.int(n - t);
    [pool[t], pool[pick]] = [pool[pick]!, pool[t]!];
  }
  return pool.slice(0, count);
}

/** Anchors and their k nearest or farthest partners, as pairs (anchor, partner) in anchor order, closest (farthest) first. */
function neighbourPairs(rows: SampleRows, rng: Rng, who: string, k: number, anchorCount: number, order: Order, eligible?: (anchor: number, row: number) => boolean): PairIndices {
  needAtMost(who, "`anchors`", anchorCount, rows.n, rows.name, `it has ${rows.n} rows`);
  const anchors = distinctRows(rng, rows.n, anchorCount);
  const partners = nearestRows(rows, anchors, k, order, eligible);
  const out = pairArrays(anchorCount * k);
  anchors.forEach((anchor, a) => {
    const mine = partners[a]!;
    if (mine.length < k) {
      throw new DyncRuntimeError("RUN040", `${who}: row ${anchor} of data set "${rows.name}" has only ${mine.length} eligible partners, fewer than k = ${k}`, "use a smaller `k`");
    }
    out.i.fill(anchor, a * k, (a + 1) * k);
    out.j.set(mine, a * k);
  });
  return out;
}

export const knnSampler = defineSampler(entries.knn, ({ k, anchors, class: cls }, rows, rng, who) => {
  if (cls === "any") return neighbourPairs(rows, rng, who, k, anchors, "nearest");
  const labels = classLabels(rows, `${who} with \`class: ${cls}\``);
  const same = cls === "same";
  return neighbourPairs(rows, rng, who, k, anchors, "nearest", (anchor, row) => (labels[anchor] === labels[row]) === same);
});

export const farthestSampler = defineSampler(entries.farthest, ({ k, anchors }, rows, rng, who) => neighbourPairs(rows, rng, who, k, anchors, "farthest"));

export const samplerImplementations: readonly SamplerDefinition[] = [
  patchesSampler,
  oppositeQuadrantsSampler,
  windowsSampler,
  betweenSampler,
  knnSampler,
  farthestSampler,
  randomPairsSampler,
];

const byName: ReadonlyMap<string, SamplerDefinition> = new Map(samplerImplementations.map((s) => [s.entry.name, s]));

/** The sampler a lowered spec names; RUN040 for an unknown one. */
export function samplerFor(spec: unknown): SamplerDefinition {
  const kind = typeof spec === "object" && spec !== null ? (spec as { kind?: unknown }).kind : undefined;
  const found = typeof kind === "string" ? byName.get(kind) : undefined;
  if (!found) throw new DyncRuntimeError("RUN040", `unknown pair sampler ${JSON.stringify(kind ?? spec)} (known: ${[...byName.keys()].join(", ")})`);
  return found;
}
