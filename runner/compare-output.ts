/**
 * `dync compare` output: a table for people (only what differs, with counts of what is the same), the whole
 * comparison as JSON, and an HTML page (the report's style) with the tables and, per probe, both
 * directories' training curves on one plot (colour: run, solid A, dashed B).
 */
import type { TopLevelSpec } from "vega-lite";
import { formatNumber } from "../runtime/analysis/numbers.js";
import { escapeHtml, inlineSvg } from "../report/html.js";
import { CONFIG as PLOT_CONFIG } from "../report/plot-common.js";
import { REPORT_CSS } from "../report/report-page.js";
import type { Comparison, CompareInput, Side } from "./compare.js";

/** The comparison as a table for a terminal. */
export function comparisonText(c: Comparison): string {
  const out: string[] = [];
  out.push(`A: ${c.a.dir}  (${c.a.experiment}, profile ${c.a.profile}, ${c.a.status})`);
  out.push(`B: ${c.b.dir}  (${c.b.experiment}, profile ${c.b.profile}, ${c.b.status})`);
  for (const note of c.notes) out.push(`note: ${note}`);
  const settings = c.settings.filter((s) => !s.same);
  out.push("", `settings: ${settings.length} differ, ${c.settings.length - settings.length} the same`);
  out.push(...table(["", "A", "B"], settings.map((s) => [s.field, cut(show(s.a)), cut(show(s.b))])));
  if (c.a.hasResults && c.b.hasResults) {
    const changed = c.expects.filter((e) => e.changed);
    out.push("", `expects: ${changed.length} changed verdict${changed.length === 1 ? "" : "s"}, ${c.expects.length - changed.length} the same`);
    out.push(...table(["", "A", "B"], c.expects.map((e) => [`${e.changed ? "* " : "  "}line ${e.line}: expect ${e.text}`, verdict(e.a), verdict(e.b)])));
    const lets = c.lets.filter((l) => !l.same);
    out.push("", `lets: ${lets.length} values differ, ${c.lets.length - lets.length} the same`);
    out.push(...table(["", "A", "B", "B − A"], lets.map((l) => [l.name, show(l.a), show(l.b), change(l.a, l.b)])));
  }
  const finals = c.finals.filter((f) => !f.same);
  out.push("", `final values (mean over seeds at the last measured step): ${finals.length} differ, ${c.finals.length - finals.length} the same`);
  out.push(...table(["run", "probe", "step", "A", "B", "B − A"], finals.map((f) => [f.run, f.probe, f.stepA === f.stepB ? show(f.stepA) : `${show(f.stepA)} / ${show(f.stepB)}`, show(f.a), show(f.b), change(f.a, f.b)])));
  return `${out.join("\n")}\n`;
}

/** The comparison as one JSON document (NaN as null, ±infinity as ±1e999, as in results.json). */
export function comparisonJson(c: Comparison): string {
  return `${JSON.stringify(c, (_, v: unknown) => (typeof v === "number" && !Number.isFinite(v) ? (Number.isNaN(v) ? null : v > 0 ? 1e999 : -1e999) : v))}\n`;
}

/** A self-contained HTML page: the tables and one plot per probe with both directories' curves. */
export async function comparisonHtml(c: Comparison, a: CompareInput, b: CompareInput): Promise<string> {
  const { renderSvg } = await import("../report/plots.js"); // Vega loads only for the page
  const figures: string[] = [];
  for (const [i, probe] of probesOf(a, b).entries()) {
    const svg = await renderSvg(curvesSpec(probe, a, b));
    figures.push(`<figure>${`<div class="plot">${inlineSvg(svg, `cmp${i + 1}`)}</div>`}</figure>`);
  }
  const rows = (cells: string[][]) => cells.map((r) => `<tr>${r.map((x) => `<td>${escapeHtml(x)}</td>`).join("")}</tr>`).join("\n");
  const tableHtml = (head: string[], body: string[][]) => (body.length ? `<table><thead><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join("")}</tr></thead><tbody>\n${rows(body)}\n</tbody></table>` : `<p class="muted">None differ.</p>`);
  const settings = c.settings.filter((s) => !s.same).map((s) => [s.field, show(s.a), show(s.b)]);
  const expects = c.expects.map((e) => [`line ${e.line}: expect ${e.text}`, verdict(e.a), verdict(e.b), e.changed ? "changed" : ""]);
  const lets = c.lets.filter((l) => !l.same).map((l) => [l.name, show(l.a), show(l.b), change(l.a, l.b)]);
  const finals = c.finals.filter((f) => !f.same).map((f) => [f.run, f.probe, show(f.stepA), show(f.stepB), show(f.a), show(f.b), change(f.a, f.b)]);
  const title = `compare ${c.a.experiment} — dync`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>${escapeHtml(title)}</title>
<style>${REPORT_CSS}</style>
</head>
<body>
<header>
<h1>Comparison of two run directories</h1>
<p class="meta"><b>A</b> <code>${escapeHtml(c.a.dir)}</code> (${escapeHtml(`${c.a.experiment}, profile ${c.a.profile}, ${c.a.status}`)})<br><b>B</b> <code>${escapeHtml(c.b.dir)}</code> (${escapeHtml(`${c.b.experiment}, profile ${c.b.profile}, ${c.b.status}`)})</p>
${c.notes.map((n) => `<p class="bad">${escapeHtml(n)}</p>`).join("\n")}
</header>
<main>
<section id="settings"><h2>Settings that differ</h2>${tableHtml(["setting", "A", "B"], settings)}</section>
<section id="expects"><h2>Expectations</h2>${tableHtml(["expectation", "A", "B", ""], expects)}</section>
<section id="lets"><h2>Analyses (let values) that differ</h2>${tableHtml(["value", "A", "B", "B − A"], lets)}</section>
<section id="finals"><h2>Final values that differ</h2><p class="muted">Mean over seeds at each run's last measured step.</p>${tableHtml(["run", "probe", "step A", "step B", "A", "B", "B − A"], finals)}</section>
<section id="plots"><h2>Training curves</h2><p class="muted">Mean over seeds; colour: run; solid: A, dashed: B.</p>
${figures.join("\n") || `<p class="muted">No scalar probes were recorded.</p>`}
</section>
</main>
</body>
</html>
`;
}

/** Every probe either side measured, in first-seen order. */
function probesOf(a: CompareInput, b: CompareInput): string[] {
  return [...new Set([...a.series.values(), ...b.series.values()].map((s) => s.probe))];
}

/** One probe's curves: x step, y the mean over seeds, colour the run, dashes the side. */
function curvesSpec(probe: string, a: CompareInput, b: CompareInput): TopLevelSpec {
  const data: Record<string, string | number>[] = [];
  for (const [side, input] of [["A", a], ["B", b]] as const) {
    for (const s of input.series.values()) {
      if (s.probe !== probe) continue;
      for (const p of s.points) if (p.value !== null && Number.isFinite(p.value)) data.push({ step: p.step, value: p.value, run: s.run, side, _tip: `${side} ${s.run}: ${probe} = ${formatNumber(p.value)} at step ${p.step}` });
    }
  }
  const values = data.map((d) => d["value"] as number);
  // A quantity falling over decades (a loss) reads on a log axis; one that crosses 0 cannot.
  const log = values.length > 0 && values.every((v) => v > 0) && Math.max(...values) / Math.min(...values) > 100;
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: { text: `${probe} vs step`, anchor: "start" },
    data: { values: data },
    config: PLOT_CONFIG,
    width: 760,
    height: 300,
    mark: { type: "line", strokeWidth: 1.8, point: data.length <= 200 },
    encoding: {
      x: { field: "step", type: "quantitative", title: "step" },
      y: { field: "value", type: "quantitative", title: probe, ...(log ? { scale: { type: "log" } } : {}) },
      color: { field: "run", type: "nominal", title: "run" },
      strokeDash: { field: "side", type: "nominal", title: "directory", sort: ["A", "B"], legend: { symbolType: "stroke" } },
      detail: { field: "side" },
      description: { field: "_tip" },
    },
  } as unknown as TopLevelSpec;
}

/** A long setting (a hash, a list) cut for the terminal; JSON and HTML keep it whole. */
function cut(text: string, max = 40): string {
  return [...text].length > max ? `${[...text].slice(0, max - 1).join("")}…` : text;
}

function verdict(v: boolean | undefined): string {
  return v === undefined ? "—" : v ? "holds" : "fails";
}

function show(v: Side): string {
  if (v === undefined) return "—";
  if (v === null) return "NaN";
  return typeof v === "number" ? formatNumber(v, 4) : String(v);
}

/** `+0.0004 (+2.4%)`: the difference, and relative to A when A is a nonzero number. */
function change(a: Side, b: Side): string {
  if (typeof a !== "number" || typeof b !== "number") return "";
  const d = b - a;
  const sign = d > 0 ? "+" : "";
  const relative = a !== 0 && Number.isFinite(d) ? ` (${sign}${formatNumber((100 * d) / Math.abs(a), 3)}%)` : "";
  return `${sign}${formatNumber(d, 3)}${relative}`;
}

/** Left-aligned columns separated by two spaces, with a header row when given. */
function table(head: readonly string[], rows: readonly (readonly string[])[]): string[] {
  if (rows.length === 0) return [];
  const all = [head, ...rows];
  const widths = head.map((_, i) => Math.max(...all.map((r) => [...(r[i] ?? "")].length)));
  return all.map((r) => `  ${r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]! + cell.length - [...cell].length))).join("  ")}`.trimEnd());
}
