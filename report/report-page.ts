/**
 * The report's HTML: one self-contained page (inline CSS and SVG, no scripts, no network) whose every piece
 * of recorded or user-written text is escaped. A Content-Security-Policy forbids scripts outright, so even
 * a mistake in escaping could not run one.
 */
import type { ExpectOutcome } from "../runtime/analysis/profile.js";
import type { Manifest } from "../runtime/record/manifest.js";
import { highlightDyn } from "./highlight.js";
import { escapeHtml, formatDuration, hrefOf, inlineSvg } from "./html.js";

/** A figure as the page shows it: the SVG, or why it could not be drawn. */
export interface FigureEntry {
  readonly name: string;
  /** The `plot` statement as written, and its line. */
  readonly text: string;
  readonly line: number;
  readonly svg: string | null;
  readonly files: readonly string[];
  readonly error: string | null;
}

export interface PageData {
  readonly manifest: Manifest;
  readonly profile: string;
  readonly source: { readonly file: string; readonly text: string } | null;
  readonly seeds: readonly number[];
  readonly totalSteps: Readonly<Record<string, number>>;
  readonly expects: readonly ExpectOutcome[] | null;
  readonly analysisErrors: readonly string[];
  readonly figures: readonly FigureEntry[];
  /** The runs a report of an unfinished (running or interrupted) run lacks; null when it finished. */
  readonly partial?: PartialRun | null;
  /** `dync report --watch`: the browser reloads the page this often (seconds) while the run trains. */
  readonly refreshSeconds?: number;
  /** Why there are no figures (no plan recorded), or null. */
  readonly figuresMissing: string | null;
  readonly tensors: readonly string[];
  /** Extra files to link (report-input.json). */
  readonly extraFiles: readonly string[];
  /** Recorded files that could not be read when rebuilding, one message each (their values are left out). */
  readonly unreadable?: readonly string[];
}

/** What a report of a run that has not finished lacks (report.ts `partialOf`). */
export interface PartialRun {
  readonly status: "running" | "interrupted";
  /** Runs of the plan (of the shard). */
  readonly planned: number;
  /** Runs not finished: in training, interrupted (with the manifest's message) or not started. */
  readonly missing: readonly { readonly run: string; readonly why: string }[];
  /** When metrics.jsonl or manifest.json was last written (ISO), if either exists. */
  readonly lastWritten: string | null;
}

/** The .npy links listed before the rest are summarised (a long run can write tens of thousands). */
const LISTED_TENSORS = 2000;
/** The resolved configuration is cut after this many characters (data given as point lists can be long). */
const CONFIG_CHARS = 200_000;

/** The complete report page. */
export function reportPage(d: PageData): string {
  const m = d.manifest;
  const title = `${m.experiment} — dync report`;
  const sections = [
    section("expects", "Expectations", expectsHtml(d)),
    section("plots", "Plots", figuresHtml(d)),
    section("plan", "Run plan", planHtml(d)),
    section("backend", "Backend and timings", backendHtml(m)),
    section("config", "Resolved configuration", configHtml(m)),
    section("source", "Source", sourceHtml(d)),
    section("files", "Files", filesHtml(d)),
  ];
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
${d.refreshSeconds && d.partial?.status === "running" ? `<meta http-equiv="refresh" content="${d.refreshSeconds}">\n` : ""}
<link rel="icon" href="data:,">
<title>${escapeHtml(title)}</title>
<style>${REPORT_CSS}</style>
</head>
<body>
<header>
<h1>${escapeHtml(m.experiment)} ${statusBadge(d)}</h1>
<p class="meta">${metaLine(d)}</p>
${partialHtml(d)}<nav>${["expects:Expectations", "plots:Plots", "plan:Run plan", "backend:Backend", "config:Configuration", "source:Source", "files:Files"].map((s) => { const [id, label] = s.split(":"); return `<a href="#${id}">${label}</a>`; }).join(" · ")}</nav>
</header>
<main>
${sections.join("\n")}
</main>
<footer>dync ${escapeHtml(m.versions?.dync ?? "")} · written ${escapeHtml(new Date().toISOString())}</footer>
</body>
</html>
`;
}

function section(id: string, heading: string, body: string): string {
  return `<section id="${id}">\n<h2>${escapeHtml(heading)}</h2>\n${body}\n</section>`;
}

function metaLine(d: PageData): string {
  const m = d.manifest;
  const parts = [
    d.source ? `<code>${escapeHtml(d.source.file)}</code>` : null,
    `profile <b>${escapeHtml(d.profile)}</b>`,
    `started ${escapeHtml(m.startedAt)}`,
    m.durationMs !== undefined ? `took ${escapeHtml(formatDuration(m.durationMs))}` : "not finished",
    m.message ? `<span class="bad">${escapeHtml(m.message)}</span>` : null,
  ];
  return parts.filter((p) => p !== null).join(" · ");
}

/**
 * The header's verdict: the manifest's status, except that a run that trained fine but whose expectations
 * fail is not shown as a green "ok" (the status says training finished; the badge says whether it held up).
 */
function statusBadge(d: PageData): string {
  const status = d.manifest.status;
  const failed = d.expects?.filter((e) => !e.passed).length ?? 0;
  if (status === "ok" && failed > 0) {
    return `<span class="status status-failed">${failed} of ${d.expects!.length} expectation${d.expects!.length === 1 ? "" : "s"} fail</span>`;
  }
  return `<span class="status status-${escapeHtml(status)}">${escapeHtml(status)}</span>`;
}

function expectsHtml(d: PageData): string {
  const errors = d.analysisErrors.length
    ? `<ul class="errors">${d.analysisErrors.map((e) => `<li>${escapeHtml(e)}</li>`).join("")}</ul>`
    : "";
  if (d.expects === null && d.partial?.status === "running") return `<p class="muted">Not evaluated yet: the expectations are evaluated when the run finishes.</p>${errors}`;
  if (d.expects === null) return `<p class="muted">No verdicts were recorded for this run.</p>${errors}`;
  if (d.expects.length === 0) return `<p class="muted">The experiment states no expectations.</p>${errors}`;
  const passed = d.expects.filter((e) => e.passed).length;
  const rows = d.expects
    .map((e) => `<tr class="${e.passed ? "pass" : "fail"}"><td class="verdict">${e.passed ? "✓ pass" : "✗ fail"}</td><td><code>expect ${escapeHtml(e.text)}</code><div class="line">line ${e.line}</div></td><td>${escapeHtml(e.detail)}</td></tr>`)
    .join("\n");
  return `<p><b>${passed} of ${d.expects.length}</b> expectations hold.</p>
<table class="expects"><thead><tr><th>verdict</th><th>expectation</th><th>measured</th></tr></thead><tbody>
${rows}
</tbody></table>${errors}`;
}

function figuresHtml(d: PageData): string {
  if (d.figuresMissing) return `<p class="muted">${escapeHtml(d.figuresMissing)}</p>`;
  if (d.figures.length === 0) return `<p class="muted">The experiment has no <code>plot</code> statements.</p>`;
  const unreadable = d.unreadable?.length
    ? `<p class="error">${d.unreadable.length} recorded file${d.unreadable.length === 1 ? "" : "s"} could not be read; the plots and analyses below leave ${d.unreadable.length === 1 ? "its" : "their"} values out:</p><ul class="errors">${d.unreadable.map((u) => `<li>${escapeHtml(u)}</li>`).join("")}</ul>\n`
    : "";
  return unreadable + d.figures
    .map((f, i) => {
      const body = f.svg ? `<div class="plot">${inlineSvg(f.svg, `fig${i + 1}`)}</div>` : `<p class="error">This plot could not be drawn: ${escapeHtml(f.error ?? "unknown reason")}</p>`;
      const links = f.files.map((file) => `<a href="${hrefOf(file)}">${escapeHtml(file.split("/").pop()!)}</a>`).join(" · ");
      return `<figure id="${escapeHtml(f.name)}">${body}<figcaption><code>${escapeHtml(f.text)}</code> <span class="line">line ${f.line}</span>${links ? ` · ${links}` : ""}</figcaption></figure>`;
    })
    .join("\n");
}

function planHtml(d: PageData): string {
  const m = d.manifest;
  const runs = m.runs;
  const axes = m.sweepAxes;
  const steps = (id: string) => (d.totalSteps[id] === undefined ? "—" : String(d.totalSteps[id]));
  const header = `<tr><th>run</th>${axes.map((a) => `<th>${escapeHtml(a)}</th>`).join("")}<th>seeds</th><th>steps</th><th>status</th><th>time</th></tr>`;
  const rows = runs
    .map((r) => {
      const time = r.startedAt && r.endedAt ? formatDuration(Date.parse(r.endedAt) - Date.parse(r.startedAt)) : "—";
      const message = r.message ? `<div class="bad">${escapeHtml(r.message)}</div>` : "";
      return `<tr><td><code>${escapeHtml(r.run)}</code></td>${axes.map((a) => `<td>${escapeHtml(String(r.sweep[a]))}</td>`).join("")}<td>${r.seeds.length}</td><td>${steps(r.run)}</td><td class="status-${escapeHtml(r.status)}">${escapeHtml(r.status)}${message}</td><td>${escapeHtml(time)}</td></tr>`;
    })
    .join("\n");
  const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? "" : "s"}`;
  return `<p>${plural(runs.length, "run")} × ${plural(d.seeds.length, "seed")} = <b>${runs.length * d.seeds.length}</b> networks; seeds ${escapeHtml(d.seeds.join(", "))}.</p>
${divergedHtml(runs)}<table><thead>${header}</thead><tbody>
${rows}
</tbody></table>`;
}

/** A run directory a signal stopped: say so above everything, as its analyses cover only part of the plan. */
/** The banner of a report of a run that has not finished: why, and which runs it lacks. */
function partialHtml(d: PageData): string {
  const p = d.partial;
  if (!p) return "";
  const finished = p.planned - p.missing.length;
  const runs = `${finished} of ${p.planned} run${p.planned === 1 ? "" : "s"} finished`;
  const missing = p.missing.length ? `<ul class="missing">${p.missing.map((r) => `<li><code>${escapeHtml(r.run)}</code>: ${escapeHtml(r.why)}</li>`).join("")}</ul>` : "";
  if (p.status === "interrupted") {
    return `<div class="partial" id="interrupted"><p class="bad"><b>Partial report: ${escapeHtml(d.manifest.message ?? "interrupted")}</b>. ${runs}. This report shows what was measured before: analyses, plots and expectations cover only those steps and runs.</p>${missing}</div>\n`;
  }
  const written = p.lastWritten ? `; its files were last written at ${escapeHtml(p.lastWritten)}` : "";
  return `<div class="partial" id="partial"><p class="bad"><b>Partial report: the run is still training</b> (or was killed before it could record its end${written}). ${runs}. Plots and analyses cover what was measured so far; the expectations are evaluated when it finishes.</p>${missing}</div>\n`;
}

/** The runs in which a seed diverged, each with its seeds and steps; empty when none did. */
function divergedHtml(runs: Manifest["runs"]): string {
  const diverged = runs.filter((r) => r.status === "diverged");
  if (diverged.length === 0) return "";
  const item = (r: Manifest["runs"][number]) => {
    const seeds = r.diverged?.length ? r.diverged.map((s) => `seed ${s.seed} at step ${s.step}`).join(", ") : (r.message ?? "");
    return `<li><code>${escapeHtml(r.run)}</code>: ${r.diverged?.length ?? "?"} of ${r.seeds.length} seeds — ${escapeHtml(seeds)}</li>`;
  };
  return `<div class="diverged" id="diverged"><p class="bad"><b>${diverged.length} of ${runs.length} run${runs.length === 1 ? "" : "s"} diverged</b> (the loss became NaN or infinite). Their seeds' measurements after that step are NaN: reductions over them are NaN (<code>nanmedian</code>, <code>nanmean</code>, <code>nanmin</code>, <code>nanmax</code> leave them out) and plots mark them ×.</p><ul>${diverged.map(item).join("")}</ul></div>
`;
}

function backendHtml(m: Manifest): string {
  const backend = Object.entries(m.backend ?? {}).map(([k, v]) => [k, backendValue(v)] as const);
  const versions = Object.entries(m.versions ?? {});
  const timings: [string, string][] = [
    ["started", m.startedAt],
    ["ended", m.endedAt ?? "— (interrupted or still running)"],
    ["duration", m.durationMs === undefined ? "—" : formatDuration(m.durationMs)],
  ];
  const table = (rows: readonly (readonly [string, string])[]) => `<table class="kv">${rows.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join("")}</table>`;
  return `<div class="columns"><div><h3>Backend</h3>${table(backend)}</div><div><h3>Versions</h3>${table(versions)}</div><div><h3>Timings</h3>${table(timings)}</div></div>`;
}

/**
 * A backend field as a person reads it: a list (`skipped`: why each backend tried first was not used) one
 * item a line, a flag yes/no, anything else as text; JSON only for what is none of these.
 */
function backendValue(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (typeof value === "number") return String(value);
  if (Array.isArray(value) && value.every((v) => typeof v === "string")) return value.length ? value.join("\n") : "none";
  return JSON.stringify(value);
}

function configHtml(m: Manifest): string {
  let text = JSON.stringify(m.config, null, 2) ?? "null";
  const cut = text.length > CONFIG_CHARS;
  if (cut) text = text.slice(0, CONFIG_CHARS);
  return `<details><summary>Every default filled in, as the compiler resolved it (${(text.length / 1024).toFixed(0)} KiB)</summary><pre class="config">${escapeHtml(text)}${cut ? "\n… (cut; see manifest.json)" : ""}</pre></details>`;
}

function sourceHtml(d: PageData): string {
  if (!d.source) return `<p class="muted">The source was not recorded.</p>`;
  const lines = highlightDyn(d.source.text).split("\n");
  const numbered = lines.map((l, i) => `<span class="ln">${i + 1}</span>${l}`).join("\n");
  return `<p><code>${escapeHtml(d.source.file)}</code></p><pre class="source">${numbered}</pre>`;
}

function filesHtml(d: PageData): string {
  const m = d.manifest;
  const files = [m.files?.metricsCsv ?? "metrics.csv", m.files?.metricsJsonl ?? "metrics.jsonl", "manifest.json", ...d.extraFiles];
  const main = files.map((f) => `<li><a href="${hrefOf(f)}">${escapeHtml(f)}</a></li>`).join("");
  const listed = d.tensors.slice(0, LISTED_TENSORS);
  const more = d.tensors.length - listed.length;
  const tensors = d.tensors.length
    ? `<details><summary>${d.tensors.length} tensor file${d.tensors.length === 1 ? "" : "s"} (.npy)</summary><ul class="tensors">${listed.map((f) => `<li><a href="${hrefOf(f)}">${escapeHtml(f)}</a></li>`).join("")}</ul>${more > 0 ? `<p class="muted">… and ${more} more under <a href="tensors/">tensors/</a></p>` : ""}</details>`
    : `<p class="muted">No tensors were recorded.</p>`;
  return `<ul>${main}</ul>${tensors}`;
}

export const REPORT_CSS = `
:root { --fg: #1b1b1b; --muted: #666; --line: #ddd; --pass: #0b6e3a; --fail: #b3261e; --bg-code: #f6f7f9; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 "Helvetica Neue", Helvetica, Arial, "DejaVu Sans", sans-serif; color: var(--fg); background: #fff; }
header, main, footer { max-width: 1180px; margin: 0 auto; padding: 0 24px; }
header { padding-top: 24px; border-bottom: 1px solid var(--line); padding-bottom: 12px; }
h1 { margin: 0 0 4px; font-size: 28px; }
h2 { margin: 32px 0 12px; font-size: 21px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 15px; margin: 8px 0; }
nav a { color: #0057a3; text-decoration: none; }
a { color: #0057a3; }
.meta, .muted, .line { color: var(--muted); }
.line { font-size: 12px; }
code, pre { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 13px; }
.status { font-size: 14px; vertical-align: middle; padding: 2px 8px; border-radius: 10px; background: #eee; }
.partial ul.missing { margin: 0.2em 0 0.8em; columns: 3 16em; }
.status-ok { color: var(--pass); } .status-failed, .status-diverged, .status-interrupted, .bad, .error { color: var(--fail); }
.status.status-ok { background: #e3f4ea; } .status.status-failed, .status.status-diverged, .status.status-interrupted { background: #fbe5e3; }
table { border-collapse: collapse; margin: 8px 0; }
th, td { text-align: left; padding: 5px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
table.expects td:last-child { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 13px; }
tr.pass .verdict { color: var(--pass); font-weight: bold; white-space: nowrap; }
tr.fail .verdict { color: var(--fail); font-weight: bold; white-space: nowrap; }
tr.fail { background: #fff6f5; }
ul.errors li { color: var(--fail); }
figure { margin: 16px 0 28px; }
.plot svg { max-width: 100%; height: auto; }
figcaption { font-size: 13px; color: var(--muted); }
.columns { display: flex; flex-wrap: wrap; gap: 24px; }
table.kv th { font-weight: normal; color: var(--muted); } table.kv td { white-space: pre-line; }
pre { background: var(--bg-code); padding: 12px; overflow-x: auto; border-radius: 4px; }
pre.source { line-height: 1.45; }
pre.source .ln { display: inline-block; width: 3em; color: #aaa; user-select: none; text-align: right; margin-right: 1em; }
.tok-keyword { color: #7a1fa2; font-weight: bold; } .tok-number { color: #0b6e99; } .tok-string { color: #a34a00; }
.tok-comment { color: #6a7a6a; font-style: italic; } .tok-constant { color: #0b6e99; font-weight: bold; }
ul.tensors { columns: 2; font-size: 13px; }
footer { color: var(--muted); font-size: 12px; padding: 24px; }
`;
