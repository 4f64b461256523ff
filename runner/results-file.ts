/**
 * results.json and results.csv: every `let` value (numbers, fits with their CI and r², truth values) and every
 * `expect` verdict of a run directory, with its dimensions, as data (docs/run-directory.md → results.json).
 * `dync run` and `dync merge` both write them through `writeResults`, so the two agree by construction.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ProfilePlan } from "../contract/program.js";
import { RESULT_LEAD_COLUMNS, SERIES_DIMS } from "../contract/results.js";
import type { ExpectOutcome } from "../runtime/analysis/profile.js";
import type { PowerLawFit } from "../runtime/analysis/power-law.js";
import type { Cell, Table } from "../runtime/analysis/table.js";
import { csvField, unwritable } from "../runtime/record/index.js";

export const RESULTS_JSON = "results.json";
export const RESULTS_CSV = "results.csv";

/** What results.json holds. */
export interface ResultsFile {
  readonly format: "dync-results/1";
  readonly experiment: string;
  readonly lets: readonly LetResult[];
  readonly expects: readonly ExpectOutcome[];
  /** Analyses that could not be evaluated, as in manifest.json → analysisErrors. */
  readonly analysisErrors: readonly string[];
}

/** One `let`: its dimensions and one row per combination of their values. */
export interface LetResult {
  readonly name: string;
  readonly line: number;
  readonly dims: readonly string[];
  readonly rows: readonly { readonly key: Readonly<Record<string, string | number | boolean>>; readonly value: number | boolean | FitResult }[];
}

/** A power-law fit as written: its numbers, without the points it was fitted to (those are in the metrics). */
export interface FitResult {
  readonly kind: "power_law";
  readonly alpha: number;
  readonly exponent: number;
  readonly coefficient: number;
  readonly r2: number;
  readonly stderr: number | null;
  readonly ci_low: number | null;
  readonly ci_high: number | null;
  readonly n: number;
}

/** The fields of a fit, in the order results.csv lists them (the names `.alpha` etc. use in the language). */
const FIT_FIELDS = ["alpha", "exponent", "coefficient", "r2", "stderr", "ci_low", "ci_high", "n"] as const;

/** Writes `dir`/results.json and `dir`/results.csv for an evaluated profile. */
export function writeResults(
  dir: string,
  experiment: string,
  sweepVars: readonly string[],
  plan: ProfilePlan,
  evaluation: { readonly analyses: ReadonlyMap<string, unknown>; readonly expects: readonly ExpectOutcome[]; readonly analysisErrors: readonly string[] },
): ResultsFile {
  const lets = plan.analyses.flatMap((spec): LetResult[] => {
    const table = evaluation.analyses.get(spec.name);
    return isTable(table) ? [{ name: spec.name, line: spec.line, dims: table.dims, rows: table.rows.map((r) => ({ key: r.key, value: cellValue(r.value) })) }] : [];
  });
  const results: ResultsFile = { format: "dync-results/1", experiment, lets, expects: evaluation.expects, analysisErrors: evaluation.analysisErrors };
  writeText(join(dir, RESULTS_JSON), `${jsonText(results)}\n`);
  writeText(join(dir, RESULTS_CSV), csvText(results, sweepVars));
  return results;
}

/** An injected evaluator (ProfileEvaluator) may return analyses of its own kind: only tables are written. */
function isTable(value: unknown): value is Table {
  return typeof value === "object" && value !== null && Array.isArray((value as Table).dims) && Array.isArray((value as Table).rows);
}

function cellValue(cell: Cell): number | boolean | FitResult {
  if (typeof cell !== "object") return cell;
  const fit: PowerLawFit = cell;
  return { kind: "power_law", alpha: fit.alpha, exponent: fit.exponent, coefficient: fit.coefficient, r2: fit.r2, stderr: fit.stderr, ci_low: fit.ciLow, ci_high: fit.ciHigh, n: fit.n };
}

// ── results.csv: one row per number ─────────────────────────────────────────

/** The columns before the dimensions (`value` comes after them). */
const LEAD = RESULT_LEAD_COLUMNS;

/**
 * Long format, like metrics.csv: `kind` (let | expect), `name` (the let's name, the expect's text), `line`,
 * `field` (`value`; a fit's alpha, exponent, …; an expect row's `holds` and its measured numbers), one
 * column per dimension any value has (sweep variables first, then `seeds`, `steps`, others), `value`.
 * A cell is empty where the value does not have that dimension; truth values are 1 and 0.
 */
function csvText(results: ResultsFile, sweepVars: readonly string[]): string {
  const dims = dimensionColumns(results, sweepVars);
  const lines = [[...LEAD, ...dims, "value"].join(",")];
  const emit = (kind: string, name: string, line: number, field: string, key: Readonly<Record<string, string | number | boolean>>, value: number | null) => {
    const cells = [kind, name, line, field, ...dims.map((d) => key[d]), value === null ? undefined : value];
    lines.push(cells.map(csvField).join(","));
  };
  for (const { name, line, rows } of results.lets) {
    for (const { key, value } of rows) {
      if (typeof value === "object") for (const f of FIT_FIELDS) emit("let", name, line, f, key, value[f]);
      else emit("let", name, line, "value", key, Number(value));
    }
  }
  for (const expect of results.expects) {
    const rows = expect.table?.rows ?? [{ key: {}, holds: expect.passed }];
    for (const row of rows) {
      emit("expect", expect.text, expect.line, "holds", row.key, Number(row.holds));
      for (const [field, value] of Object.entries(row.measured ?? {})) emit("expect", expect.text, expect.line, field, row.key, value);
    }
  }
  return `${lines.join("\n")}\n`;
}

function dimensionColumns(results: ResultsFile, sweepVars: readonly string[]): string[] {
  const seen = new Set<string>([...results.lets.flatMap((l) => l.dims), ...results.expects.flatMap((e) => e.table?.dims ?? [])]);
  const order = [...sweepVars, ...SERIES_DIMS];
  return [...order.filter((d) => seen.has(d)), ...[...seen].filter((d) => !order.includes(d))];
}

// ── results.json: numbers as metrics.jsonl writes them ──────────────────────

/** JSON with NaN as null and ±infinity as 1e999 / -1e999, as in metrics.jsonl. */
function jsonText(value: unknown): string {
  const marker = "\u0000dync-infinity:";
  const text = JSON.stringify(value, (_, v: unknown) => (typeof v === "number" && !Number.isFinite(v) && !Number.isNaN(v) ? `${marker}${v > 0 ? "" : "-"}` : v), 2);
  return text.replace(/"\\u0000dync-infinity:(-?)"/g, (_, sign: string) => `${sign}1e999`);
}

function writeText(path: string, text: string): void {
  try {
    writeFileSync(path, text);
  } catch (error) {
    throw unwritable(path, error);
  }
}
