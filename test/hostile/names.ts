/**
 * Names that mean something to JavaScript, for property tests of every place a `.dyn` name reaches:
 * the checker's tables, generated TypeScript, run ids and report.html.
 */
import { reservedWordList } from "../../grammar/tokens.js";

/** ECMAScript reserved words, strict-mode and TypeScript-contextual ones, and literals. */
const JS_RESERVED = [
  "break", "case", "catch", "class", "const", "continue", "debugger", "default", "delete", "do", "else", "enum",
  "export", "extends", "false", "finally", "for", "function", "if", "import", "in", "instanceof", "new", "null",
  "return", "super", "switch", "this", "throw", "true", "try", "typeof", "var", "void", "while", "with", "yield",
  "let", "static", "implements", "interface", "package", "private", "protected", "public", "await", "async",
  "eval", "arguments", "as", "any", "declare", "get", "set", "type", "namespace", "module", "readonly", "of",
  "number", "string", "never", "unknown", "keyof", "infer", "is", "asserts", "satisfies", "accessor", "out",
];

/** Every property an object literal inherits. */
export const PROTOTYPE = Object.getOwnPropertyNames(Object.prototype);

/** Globals and names generated code or its runtime import use. */
const GLOBALS = [
  "Infinity", "NaN", "undefined", "globalThis", "Math", "Object", "Array", "JSON", "Number", "String", "Symbol",
  "process", "require", "exports", "__dirname", "__filename", "isMainThread", "pathToFileURL", "runMain", "runExperiments",
  "pointwise", "pointwiseWithDraws", "TargetDraws", "ExperimentProgram", "experiments", "program", "status", "m",
  "draw", "e", "pi", "inf",
];

/** Names that `.dyn` itself reserves: they may fail, but only with a syntax diagnostic. */
export const DYN_RESERVED: ReadonlySet<string> = new Set(reservedWordList);

export const HOSTILE_NAMES: readonly string[] = [...new Set([...JS_RESERVED, ...PROTOTYPE, ...GLOBALS])];

/** A small program with a placeholder in each naming position; `program({ exp: "eval" })` names one. */
export const POSITIONS = ["exp", "sweep", "data", "input", "model", "probe", "let", "profile"] as const;
export type Position = (typeof POSITIONS)[number];

export function program(names: Partial<Record<Position, string>>): string {
  const n = (p: Position) => names[p] ?? `${p}_plain`;
  return `experiment ${n("exp")} {
  sweep ${n("sweep")} in [3, 5]
  seeds 2
  data train { ${n("input")} ~ uniform(-2, 2) [32]; y = ${n("input")} * 0.5 + ${n("input")}^2 }
  data ${n("data")} = grid(${n("input")} in [-2, 2], n: 41) -> ${n("input")}^2
  model ${n("model")} = mlp(hidden: [${n("sweep")}], act: tanh)
  loss mse
  optimizer adam(lr: 1e-2)
  train 30 steps, batch full
  probe ${n("probe")} = loss(${n("model")}, ${n("data")}) every 10 steps
  let ${n("let")} = median(last(${n("probe")})) over seeds
  expect ${n("let")}[${n("sweep")} = 5] < 100
  plot line(${n("probe")}, color: ${n("sweep")})
  profile ${n("profile")} { seeds 1; train 20 steps }
}
`;
}

/** `source` with one more single-valued sweep variable per name (`sweep valueOf in [1]`), after `seeds`. */
export function withSweeps(source: string, names: readonly string[]): string {
  return source.replace(/^( {2}seeds .*\n)/m, (seeds) => seeds + names.map((n) => `  sweep ${n} in [1]\n`).join(""));
}
