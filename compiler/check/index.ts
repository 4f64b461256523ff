/**
 * The checker: a parsed file (and what it imports) → checked experiments with their run plans, plus
 * every name, type, shape and plan diagnostic. Parse errors stop nothing: whatever parsed is checked.
 */
import { existsSync, realpathSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import type * as A from "../../grammar/ast.js";
import { parse, type ParseResult } from "../../grammar/parse.js";
import { diagnostic, sortDiagnostics, type Diagnostic } from "../../diagnostics/diagnostic.js";
import type { SourceFile } from "../../diagnostics/source.js";
import { readSource } from "../read-source.js";
import { ExperimentChecker, type CheckedExperiment, type ProfileOverrides, type TopLevel } from "./experiment.js";
import { applyOverrides, COMMAND_LINE, parseOverrides } from "./overrides.js";

export type { CheckedExperiment, CheckedProfile, Setting, TargetEntry } from "./experiment.js";

export interface CheckResult {
  readonly experiments: readonly CheckedExperiment[];
  readonly diagnostics: readonly Diagnostic[];
  /** Every source read (the file and its imports), for rendering code frames. */
  readonly sources: ReadonlyMap<string, SourceFile>;
}

export interface CheckOptions {
  /**
   * Command-line overrides (`width=16`, `optimizer.lr=0.01`; compiler/check/overrides.ts), applied after
   * the profile `profile` names, to it only. Their spans are in the source `command line`.
   */
  readonly overrides?: { readonly profile: string; readonly args: readonly string[] };
}

/** Parse and check `text` as the file `path`. */
export function checkSource(text: string, path: string, options: CheckOptions = {}): CheckResult {
  return checkParsed(parse(text, path), options);
}

export function checkParsed(parsed: ParseResult, options: CheckOptions = {}): CheckResult {
  const diagnostics: Diagnostic[] = [...parsed.diagnostics];
  const sources = new Map<string, SourceFile>([[parsed.source.path, parsed.source]]);
  const imports: ImportContext = { root: projectRoot(parsed.source.path), visiting: new Set([resolve(parsed.source.path)]) };
  const top = collectTopLevel(parsed, diagnostics, sources, imports);
  const overrides = options.overrides?.args.length ? parseOverrides(options.overrides.args) : undefined;
  if (overrides) {
    diagnostics.push(...overrides.diagnostics);
    sources.set(COMMAND_LINE, overrides.source);
  }
  const profileOverrides: ProfileOverrides | undefined = overrides && {
    profile: options.overrides!.profile,
    apply: (effective, exp) => applyOverrides(overrides, effective, exp, top, diagnostics),
  };
  const checker = new ExperimentChecker(parsed.source, top, diagnostics, overrides ? new Map([[COMMAND_LINE, overrides.source]]) : new Map());
  const experiments: CheckedExperiment[] = [];
  const names = new Map<string, A.Identifier>();
  for (const item of parsed.program.items) {
    if (item.kind !== "Experiment") continue;
    const first = names.get(item.name.name);
    if (first) diagnostics.push(diagnostic("DYN2022", item.name.span, { name: item.name.name }, { related: [{ message: "first defined here", span: first.span }] }));
    names.set(item.name.name, item.name);
    experiments.push(checker.check(item, profileOverrides));
  }
  return { experiments, diagnostics: dedupe(diagnostics), sources };
}

/** Top-level lets, data and models of the file and of everything it imports (depth first). */
function collectTopLevel(parsed: ParseResult, diagnostics: Diagnostic[], sources: Map<string, SourceFile>, imports: ImportContext): TopLevel {
  const lets = new Map<string, A.Expr>();
  const data: A.DataStmt[] = [];
  const models: A.ModelStmt[] = [];
  const merge = (other: TopLevel) => {
    for (const [k, v] of other.lets) lets.set(k, v);
    data.push(...other.data);
    models.push(...other.models);
  };
  for (const item of parsed.program.items) {
    if (item.kind === "Import") merge(importFile(item, parsed.source.path, diagnostics, sources, imports));
    else if (item.kind === "Let") lets.set(item.name.name, item.value);
    else if (item.kind === "Data") data.push(item);
    else if (item.kind === "Model") models.push(item);
  }
  return { lets, data, models };
}

interface ImportContext {
  /** The directory imports must stay inside (see projectRoot). */
  readonly root: string;
  /** Files being imported (for cycles). */
  readonly visiting: Set<string>;
}

/** Files that mark the top of a project: imports may reach anywhere below the nearest one. */
const PROJECT_MARKERS = [".git", "package.json", "dync.json"];

/** The nearest directory above `file` holding a project marker, else the file's own directory. */
export function projectRoot(file: string): string {
  const own = dirname(resolve(file));
  for (let dir = own; ; dir = dirname(dir)) {
    if (PROJECT_MARKERS.some((m) => existsSync(join(dir, m)))) return realOrSelf(dir);
    if (dirname(dir) === dir) return realOrSelf(own);
  }
}

function realOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** Why `path` may not be imported, or undefined when it may: only `.dyn` files inside the project. */
function importRefusal(path: string, root: string): string | undefined {
  if (!path.endsWith(".dyn")) return "only `.dyn` files can be imported";
  const rel = relative(root, realOrSelf(path));
  if (rel.startsWith("..") || isAbsolute(rel)) return `it is outside the project directory \`${root}\``;
  return undefined;
}

function importFile(item: A.ImportStmt, from: string, diagnostics: Diagnostic[], sources: Map<string, SourceFile>, imports: ImportContext): TopLevel {
  const empty: TopLevel = { lets: new Map(), data: [], models: [] };
  const { visiting } = imports;
  const path = resolve(dirname(from), item.path.value);
  const refusal = importRefusal(path, imports.root);
  if (refusal) {
    diagnostics.push(diagnostic("DYN4011", item.path.span, { path: item.path.value, reason: refusal }));
    return empty;
  }
  if (visiting.has(path)) {
    diagnostics.push(diagnostic("DYN2041", item.path.span, { problem: `\`${item.path.value}\` imports itself (an import cycle)` }));
    return empty;
  }
  const read = readSource(path);
  if (!read.ok) {
    diagnostics.push(diagnostic("DYN4001", item.path.span, { path: item.path.value, reason: read.diagnostic.message }));
    return empty;
  }
  const parsed = parse(read.text, path);
  sources.set(path, parsed.source);
  diagnostics.push(...parsed.diagnostics);
  visiting.add(path);
  const top = collectTopLevel(parsed, diagnostics, sources, imports);
  visiting.delete(path);
  return top;
}

/** Sweep points re-check the same statements: report each problem once. */
function dedupe(ds: readonly Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return sortDiagnostics(ds).filter((d) => {
    const key = `${d.span.file}:${d.span.start}:${d.span.end}:${d.code}:${d.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
