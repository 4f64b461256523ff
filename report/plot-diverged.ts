/**
 * Points a plot cannot draw because their run diverged (their value is NaN or infinite and a diverged run
 * matches their key). They are not dropped silently: the subtitle names the runs, and line and scatter
 * plots draw a cross at the top of the panel at each such point's x (on a steps axis, at the first step
 * of each series), in vermillion, so a sweep point that diverged is visibly there.
 */
import type { DivergenceIndex, DivergedRun } from "../runtime/analysis/divergence.js";
import { describeDiverged } from "../runtime/analysis/divergence.js";
import { EPOCHS, STEPS, keyId, type Key } from "../runtime/analysis/table.js";
import type { Dim } from "../contract/program.js";
import { onlyLayer, valueLabel, type Datum } from "./plot-common.js";

/** Okabe–Ito vermillion: distinct from the blue lines and readable for colour-blind readers. */
export const DIVERGED_COLOR = "#D55E00";

/** Splits items into those that may be drawn and those not drawable because their run diverged. */
export function splitDiverged<T>(
  items: readonly T[],
  item: (t: T) => { key: Key; values: readonly number[] },
  dims: readonly Dim[],
  divergence: DivergenceIndex | undefined,
): { kept: T[]; diverged: { item: T; key: Key }[]; runs: DivergedRun[] } {
  const kept: T[] = [];
  const diverged: { item: T; key: Key }[] = [];
  const runs = new Map<string, DivergedRun>();
  for (const t of items) {
    const { key, values } = item(t);
    const matching = divergence && values.some((v) => !Number.isFinite(v)) ? divergence.matching(key, dims) : [];
    if (matching.length === 0) {
      kept.push(t);
      continue;
    }
    diverged.push({ item: t, key });
    for (const run of matching) runs.set(run.id, run);
  }
  return { kept, diverged, runs: [...runs.values()] };
}

/** The subtitle line naming the diverged runs whose points are not drawn. */
export function divergedNote(count: number, runs: readonly DivergedRun[], marked: boolean): string {
  return `${marked ? "× " : ""}${count} NaN value${count === 1 ? "" : "s"} not drawn: ${describeDiverged(runs)}`;
}

/**
 * One marker datum per diverged point (per series only the first on a steps axis, where every later step is
 * NaN too), at its x; `series` gives the colour/facet fields of the point's series. Points whose x cannot
 * be drawn (NaN, or ≤ 0 on a log axis) get none.
 */
export function divergedMarkers(
  points: readonly { key: Key; x: number | string }[],
  xDim: Dim | null,
  logX: boolean,
  series: (key: Key) => Datum,
): Datum[] {
  const out: Datum[] = [];
  const seen = new Set<string>();
  for (const { key, x } of points) {
    if (typeof x === "number" && (!Number.isFinite(x) || (logX && x <= 0))) continue;
    const fields = series(key);
    const id = xDim === STEPS || xDim === EPOCHS ? keyId(fields as Key, Object.keys(fields)) : `${keyId(fields as Key, Object.keys(fields))}${valueLabel(x)}`;
    if (seen.has(id)) continue;
    seen.add(id);
    out.push({ _layer: "diverged", ...fields, x });
  }
  return out;
}

/** The marker layer: a cross at the top of the panel at each diverged point's x. */
export function divergedLayer(x: Record<string, unknown>): Record<string, unknown> {
  return {
    name: "diverged",
    transform: onlyLayer("diverged"),
    mark: { type: "point", shape: "cross", angle: 45, size: 90, filled: true, color: DIVERGED_COLOR, opacity: 1 },
    encoding: { x, y: { value: 8 } },
  };
}
