/**
 * Robustness of the front end under seeded (deterministic) random mutations of every sketch: token
 * deletions, insertions of random tokens, swaps, duplications, truncations and byte garbage. For every
 * mutant `parse` must not throw, every diagnostic must carry a code from the message table, a span inside
 * the text whose line/col agree with its offsets, and a non-empty message; rendering must not throw.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { messages } from "../../diagnostics/messages.js";
import { renderDiagnostic } from "../../diagnostics/render.js";
import { parse } from "../../grammar/parse.js";
import { Rng } from "../../runtime/rng.js";
import { positionOf } from "./positions.js";

const SKETCHES = join(dirname(fileURLToPath(import.meta.url)), "..", "fixtures", "sketches");
const MUTANTS_PER_SKETCH = 600;

/** Token texts a mutation may insert: every kind of token, plus things that are not tokens at all. */
const INSERTS = [
  "experiment", "let", "import", "sweep", "seeds", "data", "model", "init", "loss", "regularize", "optimizer",
  "schedule", "train", "probe", "expect", "plot", "profile", "batch", "shuffle", "first", "step", "steps", "epoch",
  "epochs", "in", "within", "of", "over", "by", "after", "before", "during", "vs", "and", "or", "not", "every", "at",
  "true", "false", "x", "net", "hidden", "0", "1.5", "1e-3", "50k", "2M", "3x", "1e", "1.2.3", "10kk", '"s"', '"\\q"',
  '"open', "/*", "*/", "//", "->", "..", "==", "!=", "<=", ">=", "<", ">", "=", "~", "+", "-", "*", "/", "^", "%",
  ".", ",", ":", ";", "{", "}", "(", ")", "[", "]", "@", "$", "\\", "#", "'", "\u00a0", "\u200b", "🔥", "\r", "\n",
  "\t", "\u0000", "\ud800", "\ufffd",
];

interface Piece {
  readonly start: number;
  readonly end: number;
}

/** Token positions of a clean text, as the parser saw them. */
function tokenPieces(text: string): Piece[] {
  return parse(text).tokens.map((t) => ({ start: t.startOffset, end: t.startOffset + t.image.length }));
}

function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[rng.int(items.length)]!;
}

function garbage(rng: Rng): string {
  const n = 1 + rng.int(12);
  let s = "";
  for (let i = 0; i < n; i++) {
    const r = rng.uniform();
    // Mostly ASCII (including control characters), sometimes any BMP unit, including lone surrogates.
    s += String.fromCharCode(r < 0.8 ? rng.int(128) : rng.int(0x10000));
  }
  return s;
}

/** One random edit of `text`, described for failure messages. */
function mutateOnce(rng: Rng, text: string, pieces: readonly Piece[]): { text: string; what: string } {
  const at = pieces.length ? pick(rng, pieces) : { start: 0, end: 0 };
  switch (rng.int(7)) {
    case 0:
      return { text: text.slice(0, at.start) + text.slice(at.end), what: `delete token at ${at.start}` };
    case 1: {
      const ins = pick(rng, INSERTS);
      const pos = rng.uniform() < 0.5 ? at.start : at.end;
      const sep = rng.uniform() < 0.5 ? " " : "";
      return { text: text.slice(0, pos) + sep + ins + sep + text.slice(pos), what: `insert ${JSON.stringify(ins)} at ${pos}` };
    }
    case 2: {
      const i = pieces.indexOf(at);
      const next = pieces[i + 1];
      if (!next) return { text, what: "swap at end (no-op)" };
      const a = text.slice(at.start, at.end);
      const b = text.slice(next.start, next.end);
      return {
        text: text.slice(0, at.start) + b + text.slice(at.end, next.start) + a + text.slice(next.end),
        what: `swap tokens at ${at.start}`,
      };
    }
    case 3: {
      const len = 1 + rng.int(40);
      const from = rng.int(text.length + 1);
      const chunk = text.slice(from, from + len);
      return { text: text.slice(0, from) + chunk + text.slice(from), what: `duplicate ${len} chars at ${from}` };
    }
    case 4: {
      const cut = rng.int(text.length + 1);
      return { text: text.slice(0, cut), what: `truncate at ${cut}` };
    }
    case 5: {
      const pos = rng.int(text.length + 1);
      return { text: text.slice(0, pos) + garbage(rng) + text.slice(pos), what: `garbage at ${pos}` };
    }
    default: {
      const pos = rng.int(text.length + 1);
      return { text: text.slice(0, pos) + text.slice(pos + 1 + rng.int(20)), what: `delete chars at ${pos}` };
    }
  }
}

/** Fail with the mutant's description when `ok` is false (cheaper than `expect` in a hot loop). */
function ensure(ok: boolean, what: string): void {
  if (!ok) expect.fail(what);
}

/** All the invariants a parse of any text must satisfy; returns the number of diagnostics. */
function checkInvariants(text: string, what: string): number {
  // (That a Program comes back even when an error runs into the end of the file is pinned down in
  // recovery.test.ts; here the diagnostics are the subject.)
  const result = parse(text, "mutant.dyn");
  for (const d of result.diagnostics) {
    const where = `${what}: ${d.code} ${d.message}`;
    ensure(d.code in messages, `${where}: code not in the message table`);
    ensure(d.severity === messages[d.code].severity, `${where}: severity differs from the table`);
    ensure(d.message.trim().length > 0, `${where}: empty message`);
    ensure(!/\{\w+\}|undefined|NaN|\[object/.test(d.message), `${where}: unfilled placeholder`);
    const { start, end } = d.span;
    ensure(0 <= start && start <= end && end <= text.length, `${where}: span ${start}..${end} outside 0..${text.length}`);
    const s = positionOf(text, start);
    const e = positionOf(text, end);
    const got = [d.span.line, d.span.col, d.span.endLine, d.span.endCol].join(":");
    ensure(got === [s.line, s.col, e.line, e.col].join(":"), `${where}: line/col ${got} disagree with offsets ${start}..${end}`);
    const rendered = renderDiagnostic(d, result.source);
    ensure(rendered.startsWith(`mutant.dyn:${d.span.line}:${d.span.col}: error ${d.code}: `), `${where}: header of ${rendered}`);
    ensure(rendered.length < 5000, `${where}: rendered ${rendered.length} characters`);
  }
  return result.diagnostics.length;
}

describe("fuzzing the parser with mutated sketches", () => {
  const sketches = readdirSync(SKETCHES).filter((f) => f.endsWith(".dyn")).sort();

  for (const [index, file] of sketches.entries()) {
    it(`${file}: ${MUTANTS_PER_SKETCH} mutants`, () => {
      const original = readFileSync(join(SKETCHES, file), "utf8");
      // Token positions of the original; after earlier edits of a mutant they are merely random offsets.
      const pieces = tokenPieces(original);
      const rng = new Rng(20240 + index).fork("fuzz");
      let withErrors = 0;
      for (let m = 0; m < MUTANTS_PER_SKETCH; m++) {
        let text = original;
        const steps: string[] = [];
        const edits = 1 + rng.int(4);
        for (let k = 0; k < edits; k++) {
          const edit = mutateOnce(rng, text, k === 0 ? pieces : pieces.filter((p) => p.end <= text.length));
          text = edit.text;
          steps.push(edit.what);
        }
        if (checkInvariants(text, `${file} mutant ${m} [${steps.join("; ")}]`) > 0) withErrors++;
      }
      // The mutations must really exercise the error paths, not mostly leave the sketch valid.
      expect(withErrors).toBeGreaterThan(MUTANTS_PER_SKETCH / 2);
    });
  }

  it("the total is at least 3,000 mutants", () => {
    expect(sketches.length * MUTANTS_PER_SKETCH).toBeGreaterThanOrEqual(3000);
  });

  it("pathological inputs", () => {
    const cases: [string, string][] = [
      ["empty", ""],
      ["only white space", " \t\r\n\u00a0\ufeff"],
      ["lone CR", "experiment e {\rtrain\r"],
      ["only openers", "(((([[[[{{{{".repeat(50)],
      ["only closers", ")))]]]}}}".repeat(50)],
      ["deep unary", `let a = ${"- ".repeat(5000)}1`],
      ["deep not", `let a = ${"not ".repeat(5000)}true`],
      ["deep exponent", `let a = 2${" ^ 2".repeat(3000)}`],
      ["long sum", `let a = 1${" + 1".repeat(20000)}`],
      ["deep brackets", `let a = ${"[".repeat(10000)}1${"]".repeat(10000)}`],
      ["deep blocks", `${"experiment e { ".repeat(500)}${"}".repeat(500)}`],
      ["lone surrogates", "let a = \ud800 + \udfff"],
      ["every keyword", INSERTS.join(" ")],
    ];
    for (const [name, text] of cases) checkInvariants(text, name);
  });
});
