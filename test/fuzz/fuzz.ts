/**
 * A fuzzer for the whole front end (parse → check): programs from a small grammar-aware generator,
 * mutations of the examples and sketches, and byte-level garbage. A program passes when `checkSource`
 * returns (no exception escapes) and every diagnostic has a code from the table, a message, and a span
 * inside its file. `npm run fuzz` runs a long batch (tools/fuzz.ts); test/fuzz/fuzz.test.ts a short one.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { checkSource } from "../../compiler/check/index.js";
import { messages } from "../../diagnostics/messages.js";
import { Rng } from "../../runtime/rng.js";

const CORPUS = ["examples", "test/fixtures/sketches"].flatMap((dir) => readdirSync(dir).filter((f) => f.endsWith(".dyn")).map((f) => readFileSync(join(dir, f), "utf8")));

const NAMES = ["x", "y", "net", "train", "test", "width", "lr", "__proto__", "constructor", "Infinity", "eval", "a_target0", "default"];
const NUMBERS = ["0", "1", "-1", "0.5", "1e-3", "3k", "1e9", "1e309", "NaN", "inf", "2^40", "1e12"];
const CALLS = ["mlp(hidden: [W])", "adam(lr: N)", "sgd(lr: N, momentum: 0.9)", "uniform(N, N)", "normal(0, N)", "grid(x in [N, N], n: N)", "loss(net, train)", "linspace(N, N, N)", "logspace(N, N, N)", "[N] * N", "N..N", "zip([N], [N])"];
const STATEMENTS = [
  "sweep NAME in [N, N]", "sweep NAME in N..N", "seeds N", "data NAME { x ~ uniform(-1, 1) [N]; y = EXPR }", "data NAME = CALL -> EXPR",
  "model NAME = CALL", "loss mse", "optimizer CALL", "train N steps, batch full", "train N steps, batch N", "probe NAME = CALL every N steps",
  "let NAME = EXPR", "expect NAME < N", "plot line(NAME, color: NAME)", "profile NAME { seeds N; train N steps }", "import \"NAME.dyn\"",
];
const GARBAGE = ["", "{", "}", "(", ")", "[", "]", ",", ",,", ":", "=", "~", "->", "..", '"', "/*", "*/", "\u0000", "\ud800", "\u2028", "😀", "\r", "\t", "${", "`"];

function pick<T>(rng: Rng, xs: readonly T[]): T {
  return xs[rng.int(xs.length)]!;
}

function expr(rng: Rng, depth = 0): string {
  const r = rng.uniform();
  if (depth > 3 || r < 0.3) return pick(rng, NUMBERS);
  if (r < 0.5) return pick(rng, NAMES);
  if (r < 0.7) return `${expr(rng, depth + 1)} ${pick(rng, ["+", "-", "*", "/", "^", "<", "and"])} ${expr(rng, depth + 1)}`;
  if (r < 0.85) return fill(rng, pick(rng, CALLS), depth + 1);
  return `[${expr(rng, depth + 1)}, ${expr(rng, depth + 1)}]`;
}

function fill(rng: Rng, template: string, depth = 0): string {
  return template
    .replace(/NAME/g, () => pick(rng, NAMES))
    .replace(/EXPR/g, () => expr(rng, depth))
    .replace(/CALL/g, () => fill(rng, pick(rng, CALLS), depth + 1))
    .replace(/\bW\b/g, () => pick(rng, NUMBERS))
    .replace(/\bN\b/g, () => pick(rng, NUMBERS));
}

/** A program from the grammar: statements of every kind with hostile names and numbers. */
export function generated(rng: Rng): string {
  const body = Array.from({ length: 1 + rng.int(12) }, () => `  ${fill(rng, pick(rng, STATEMENTS))}`).join("\n");
  return `experiment ${pick(rng, NAMES)} {\n${body}\n}\n`;
}

/** An example or sketch with a few random edits: deletions, duplications, swaps, garbage insertions. */
export function mutated(rng: Rng): string {
  let text = pick(rng, CORPUS);
  for (let k = 1 + rng.int(4); k > 0; k--) {
    const at = rng.int(text.length + 1);
    const len = rng.int(30);
    const r = rng.uniform();
    if (r < 0.3) text = text.slice(0, at) + text.slice(at + len);
    else if (r < 0.5) text = text.slice(0, at) + text.slice(at, at + len).repeat(2) + text.slice(at + len);
    else if (r < 0.8) text = text.slice(0, at) + pick(rng, [...GARBAGE, ...NAMES, ...NUMBERS]) + text.slice(at);
    else text = text.slice(0, at) + fill(rng, pick(rng, STATEMENTS)) + "\n" + text.slice(at);
  }
  return text;
}

/** Random code units, mostly ASCII, sometimes any UTF-16 unit (lone surrogates included). */
export function garbage(rng: Rng): string {
  return Array.from({ length: rng.int(400) }, () => String.fromCharCode(rng.uniform() < 0.85 ? rng.int(128) : rng.int(0x10000))).join("");
}

export interface FuzzFailure {
  readonly kind: string;
  readonly index: number;
  readonly problem: string;
  readonly text: string;
}

/** Check `count` programs (a third of each kind) from `seed`; the failures, if any. */
export function fuzz(seed: number, count: number): FuzzFailure[] {
  const rng = new Rng(seed);
  const kinds = { generated, mutated, garbage } as const;
  const failures: FuzzFailure[] = [];
  for (let i = 0; i < count; i++) {
    const kind = (["generated", "mutated", "garbage"] as const)[i % 3]!;
    const text = kinds[kind](rng);
    const problem = checkOne(text);
    if (problem) failures.push({ kind, index: i, problem, text });
  }
  return failures;
}

function checkOne(text: string): string | undefined {
  try {
    const { diagnostics, sources } = checkSource(text, "/fuzz/input.dyn");
    for (const d of diagnostics) {
      if (!Object.hasOwn(messages, d.code) || !d.message) return `bad diagnostic ${d.code}: ${d.message}`;
      const file = sources.get(d.span.file);
      const length = file ? file.text.length : 0;
      if (!(d.span.start >= 0 && d.span.start <= d.span.end && d.span.end <= length)) return `${d.code} span ${d.span.start}-${d.span.end} outside ${d.span.file} (${length})`;
    }
    return undefined;
  } catch (error) {
    return `threw: ${(error as Error).stack?.split("\n").slice(0, 3).join(" | ")}`;
  }
}
