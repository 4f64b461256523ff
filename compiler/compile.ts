/**
 * The pipeline behind `dync compile` and `dync run`: read → parse → check → emit TypeScript →
 * type-check → JavaScript. Stops after checking when there are errors.
 *
 * The emitter (ts-morph, prettier) and TypeScript take seconds to load, so they are imported only when
 * code is generated: `dync run` checks every time (fresh diagnostics) but, on a program-cache hit, never
 * generates, and then never loads them (cli/program-cache.ts).
 */
import { dirname, relative, resolve } from "node:path";
import { checkSource, type CheckOptions, type CheckResult } from "./check/index.js";
import { hasErrors } from "../diagnostics/diagnostic.js";
import type { TypeProblem } from "./emit/typescript.js";
import { readSource } from "./read-source.js";
import type { Diagnostic } from "../diagnostics/diagnostic.js";

export interface CompileOptions {
  /** Module specifier the generated code imports the runtime from. */
  readonly runtimeImport?: string;
  /** Type-check the generated TypeScript (slower; `dync compile` does, `dync run` need not). */
  readonly typeCheck?: boolean;
  /** Command-line `key=value` overrides of one profile (CheckOptions); the program records them. */
  readonly overrides?: CheckOptions["overrides"];
}

/** A `.dyn` file read and checked, before any code is generated. */
export type CheckedFile =
  | { readonly ok: false; readonly check?: CheckResult; readonly diagnostics: readonly Diagnostic[] }
  | { readonly ok: true; readonly check: CheckResult; readonly source: string; readonly displayPath: string; readonly sourceDir: string };

export type CompileResult =
  | { readonly ok: false; readonly check?: CheckResult; readonly diagnostics: readonly Diagnostic[] }
  | { readonly ok: true; readonly check: CheckResult; readonly ts: string; readonly js: string; readonly typeProblems: readonly TypeProblem[] };

/** Read and check `path` with the overrides of `options` (no emitter loaded). */
export function checkFile(path: string, options: Pick<CompileOptions, "overrides"> = {}): CheckedFile {
  const read = readSource(path);
  if (!read.ok) return { ok: false, diagnostics: [read.diagnostic] };
  const check = checkSource(read.text, path, options.overrides ? { overrides: options.overrides } : {});
  if (hasErrors(check.diagnostics)) return { ok: false, check, diagnostics: check.diagnostics };
  // The path as the program shows it: relative, so the output does not depend on where the checkout is.
  // Its directory absolute: the program's data files resolve against it wherever the program runs from.
  return { ok: true, check, source: read.text, displayPath: relative(process.cwd(), path) || path, sourceDir: dirname(resolve(path)) };
}

/** Generate the program of a file checked with the same `options`: TypeScript, and the JavaScript that runs. */
export async function generateProgram(checked: Extract<CheckedFile, { ok: true }>, options: CompileOptions = {}): Promise<{ ts: string; js: string; typeProblems: readonly TypeProblem[] }> {
  const [{ emitModule }, { toJavaScript, typeCheck }] = await Promise.all([import("./emit/emit.js"), import("./emit/typescript.js")]);
  const overrides = options.overrides?.args.length ? { overrides: options.overrides } : {};
  const ts = await emitModule(checked.check.experiments, { file: checked.displayPath, sourceDir: checked.sourceDir, source: checked.source, ...overrides, ...(options.runtimeImport ? { runtimeImport: options.runtimeImport } : {}) });
  const typeProblems = options.typeCheck ? typeCheck(ts, options.runtimeImport) : [];
  return { ts, js: toJavaScript(ts), typeProblems };
}

export async function compileFile(path: string, options: CompileOptions = {}): Promise<CompileResult> {
  const checked = checkFile(path, options);
  if (!checked.ok) return checked;
  return { ok: true, check: checked.check, ...(await generateProgram(checked, options)) };
}
