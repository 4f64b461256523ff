/**
 * `.dyn` names as identifiers of generated TypeScript. A `.dyn` name is `[A-Za-z_][A-Za-z0-9_]*`; it is
 * used as is unless JavaScript or the generated module gives it a meaning, in which case it gets a `$`
 * suffix. No `.dyn` name contains `$`, so a mangled name can never collide with another name.
 */

/** Reserved words (ES2022, strict mode, TypeScript) and the literals: not usable as bindings. */
const RESERVED = [
  "break", "case", "catch", "class", "const", "continue", "debugger", "default", "delete", "do", "else", "enum",
  "export", "extends", "false", "finally", "for", "function", "if", "import", "in", "instanceof", "new", "null",
  "return", "super", "switch", "this", "throw", "true", "try", "typeof", "var", "void", "while", "with", "yield",
  "let", "static", "implements", "interface", "package", "private", "protected", "public", "await", "eval",
  "arguments", "type", "declare", "namespace", "module", "abstract", "any", "as", "async",
];

/**
 * Globals generated code reads: a binding of the same name would silently change it (`x * Infinity`
 * with an input named `Infinity` computed `x * x`).
 */
const GLOBALS = ["undefined", "NaN", "Infinity", "globalThis", "Math", "process", "Object", "Number", "Array", "JSON", "Symbol", "require", "exports", "__dirname", "__filename"];

/** Names the generated module itself binds: imports, types, the entry point's locals, target helpers. */
const MODULE_NAMES = [
  "runMain", "runExperiments", "pointwise", "pointwiseWithDraws", "TargetDraws", "ExperimentProgram", "RunBase", "RunPatch", "AnalysisSpec",
  "ExpectSpec", "PlotSpec", "isMainThread", "pathToFileURL", "experiments", "program", "status", "m", "draw",
];

const UNSAFE: ReadonlySet<string> = new Set([...RESERVED, ...GLOBALS, ...MODULE_NAMES]);

/** `name` as a TypeScript identifier that neither breaks nor changes the generated module. */
export function jsIdentifier(name: string): string {
  return UNSAFE.has(name) ? `${name}$` : name;
}
