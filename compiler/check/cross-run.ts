/**
 * Cross-run references in probe arguments (`along: h[opt = gd]`: probe `h` of the run at sweep point
 * `opt = gd`, the other sweep variables as in the reading run). Per run, `selectProducer` turns the selection
 * into the producing run's whole point, lowered as `{ ref, from }` (contract/handoff.ts). Over a profile's
 * runs, `checkCrossRuns` checks what only the runs together say: the producer's probe is measured at one point
 * of training (DYN2076), its model has the reader's parameters (DYN2077), and no runs read each other's
 * values in a cycle (DYN2075).
 */
import type * as A from "../../grammar/ast.js";
import type { ProbeSpec, RunSpec, SweepValue } from "../../contract/program.js";
import { crossRunUses, runAt, runCycle } from "../../contract/handoff.js";
import { layerGeometry, modelLayers } from "../../contract/layer-list.js";
import { diagnostic, type Diagnostic } from "../../diagnostics/diagnostic.js";
import type { Span } from "../../diagnostics/source.js";
import type { Value } from "./values.js";
import type { Env } from "./evaluate.js";
import { describePoints, selectorValue, sweepText, type ProbePoints } from "./probe-points.js";

/** The producing run's point for selection `items` read in the run at `point`, or a problem (DYN2058). */
export function selectProducer(
  items: readonly A.IndexItem[],
  point: ReadonlyMap<string, Value>,
  axes: readonly (readonly Map<string, Value>[])[],
  env: Env,
): { from: Record<string, SweepValue> } | { problem: string; span?: Span } {
  const wanted = new Map<string, SweepValue>();
  for (const item of items) {
    if (item.kind !== "Selector") return { problem: "another run is selected by sweep variable, like `h[opt = gd]`", span: item.span };
    const value = selectorValue(item.value, env);
    if (value === undefined) return { problem: "a selector value is a number, a string or a name", span: item.value.span };
    if (!axes.some((axis) => axis[0]?.has(item.name.name))) return { problem: `\`${item.name.name}\` is not a sweep variable of this profile`, span: item.name.span };
    wanted.set(item.name.name, value);
  }
  const chosen = new Map(point);
  for (const axis of axes) {
    const vars = [...(axis[0]?.keys() ?? [])];
    if (!vars.some((v) => wanted.has(v))) continue;
    const matches = axis.filter((p) => vars.every((v) => !wanted.has(v) || sweepText(p.get(v)!) === wanted.get(v)));
    const said = vars.filter((v) => wanted.has(v)).map((v) => `${v} = ${String(wanted.get(v))}`).join(", ");
    if (matches.length === 0) return { problem: `no run of the sweep has ${said} (values: ${axis.map((p) => vars.map((v) => sweepText(p.get(v)!)).join(", ")).join("; ")})` };
    if (matches.length > 1) return { problem: `${matches.length} runs have ${said}; name the other variables of that sweep too` };
    for (const [k, v] of matches[0]!) chosen.set(k, v);
  }
  return { from: Object.fromEntries([...chosen].map(([k, v]) => [k, sweepText(v)])) };
}

/** Where each cross-run argument is written, by `probe.param`, for the diagnostics over all runs. */
export type CrossRunSpans = Map<string, Span>;

/** DYN2075 (a cycle), DYN2076 (producer measured at several points), DYN2077 (other parameters), DYN2079 (the producer does not measure it) over a profile's runs. */
export function checkCrossRuns(runs: readonly RunSpec[], spans: CrossRunSpans, points: ProbePoints, report: (d: Diagnostic) => void): boolean {
  let ok = true;
  for (const run of runs) {
    for (const use of crossRunUses(run)) {
      const span = spans.get(`${use.probe}.${use.param}`);
      const from = fromOf(run, use.probe, use.param);
      const producer = from && runAt(runs, from);
      if (!span || !producer) continue;
      const spec = producer.probes.find((p) => p.name === use.ref);
      const limited = points.get(use.ref);
      if (!spec && limited) {
        report(diagnostic("DYN2079", span, { what: `\`${use.param}\` of probe \`${use.probe}\``, name: use.ref, run: producer.id, points: describePoints(limited) }));
        ok = false;
        continue;
      }
      // A value read `at` a point is the measurement at that point, however often the probe is measured.
      if (spec && !use.at && !singlePoint(spec)) {
        report(diagnostic("DYN2076", span, { name: use.ref, run: producer.id }));
        ok = false;
      }
      const mine = parameterShapes(run);
      const theirs = parameterShapes(producer);
      if (mine !== theirs) {
        report(diagnostic("DYN2077", span, { name: use.ref, run: producer.id, theirs, mine, reader: run.id }));
        ok = false;
      }
    }
  }
  const cycle = runCycle(runs);
  if (cycle) {
    const first = runs.find((r) => r.id === cycle[0]);
    const use = first && crossRunUses(first)[0];
    const span = use && spans.get(`${use.probe}.${use.param}`);
    if (span) report(diagnostic("DYN2075", span, { cycle: cycle.join(" → ") }));
    ok = false;
  }
  return ok;
}

function fromOf(run: RunSpec, probe: string, param: string): Readonly<Record<string, SweepValue>> | undefined {
  const value = run.probes.find((p) => p.name === probe)?.args[param] as { from?: Record<string, SweepValue> } | undefined;
  return value?.from;
}

/** One call, at one step per seed: one `at` point, or `at first(…)`. */
function singlePoint(spec: ProbeSpec): boolean {
  if (spec.cadences.length !== 1) return false;
  const c = spec.cadences[0]!;
  return c.kind === "on" || (c.kind === "at" && c.points.length === 1);
}

/** The model's parameter count per layer, as text (`784×100+100, …`), to compare two runs' models. */
function parameterShapes(run: RunSpec): string {
  const { layers, inShape } = modelLayers(run.model);
  const geometry = layerGeometry(layers, inShape);
  if (!Array.isArray(geometry)) return JSON.stringify(run.model);
  return geometry.map((l) => String(l.params)).join(" + ");
}
