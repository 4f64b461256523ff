/**
 * The pipeline behind `dync compile` and `dync run`: read → parse → check → emit TypeScript →
 * type-check → JavaScript. Stops after checking when there are errors.
 */
import { relative } from "node:path";
import { checkSource, type CheckOptions, type CheckResult } from "./check/index.js";
import { hasErrors } from "../diagnostics/diagnostic.js";
import { emitModule } from "./emit/emit.js";
import { toJavaScript, typeCheck, type TypeProblem } from "./emit/typescript.js";
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

export type CompileResult =
  | { readonly ok: false; readonly check?: CheckResult; readonly diagnostics: readonly Diagnostic[] }
  | { readonly ok: true; readonly check: CheckResult; readonly ts: string; readonly js: string; readonly typeProblems: readonly TypeProblem[] };

export async function compileFile(path: string, options: CompileOptions = {}): Promise<CompileResult> {
  const read = readSource(path);
  if (!read.ok) return { ok: false, diagnostics: [read.diagnostic] };
  const check = checkSource(read.text, path, options.overrides ? { overrides: options.overrides } : {});
  if (hasErrors(check.diagnostics)) return { ok: false, check, diagnostics: check.diagnostics };
  const displayPath = relative(process.cwd(), path) || path;
  const overrides = options.overrides?.args.length ? { overrides: options.overrides } : {};
  const ts = await emitModule(check.experiments, { file: displayPath, source: read.text, ...overrides, ...(options.runtimeImport ? { runtimeImport: options.runtimeImport } : {}) });
  const typeProblems = options.typeCheck ? typeCheck(ts) : [];
  return { ok: true, check, ts, js: toJavaScript(ts), typeProblems };
}
