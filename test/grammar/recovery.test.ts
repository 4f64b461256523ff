/**
 * Error recovery: after a syntax error the parser still returns a Program holding every well-formed
 * statement, so the checker and editors see the rest of the file, and one run reports every error.
 */
import { describe, expect, it } from "vitest";
import { parse } from "../../grammar/parse.js";
import { printStmt } from "./ast-print.js";

function treeAndCodes(text: string): { items: string[]; codes: string[] } {
  const r = parse(text);
  return { items: r.program.items.map(printStmt), codes: r.diagnostics.map((d) => d.code) };
}

describe("a Program comes back whatever the input", () => {
  // parse.ts promises "the result always holds a (possibly partial) program". Errors that run into the end
  // of the file are the common case while typing in an editor.
  const endOfFile = ["let a = 1 +", "let a =", "let", "import", "experiment e { train", "experiment e {", "let a = (1", "let a = [1, 2"];
  for (const text of endOfFile) {
    it(`error at the end of the file: ${JSON.stringify(text)}`, () => {
      const r = parse(text);
      expect(r.diagnostics.length).toBeGreaterThan(0);
      expect(r.program.kind).toBe("Program");
      expect(Array.isArray(r.program.items)).toBe(true);
      expect(r.program.span).toMatchObject({ start: 0, end: text.length });
    });
  }
});

describe("well-formed statements survive a neighbour's error", () => {
  it("a misspelled statement keyword drops only its own statement", () => {
    expect(treeAndCodes("experiment e {\n  seeds 5\n  optimiser adam(lr: 1)\n  train 1k steps\n}\nexperiment f { seeds 3 }")).toEqual({
      items: ["experiment e { seeds 5; <error statement>; train (1k steps) }", "experiment f { seeds 3 }"],
      codes: ["DYN1102"],
    });
  });

  it("a statement in a data block leaves the block's other items", () => {
    expect(treeAndCodes("experiment e {\n  data train {\n    x ~ uniform(-1, 1) [10]\n    train 1k steps\n    y = x\n  }\n  loss mse\n}")).toEqual({
      items: ["experiment e { data train { x ~ uniform((-1), 1) [10]; <error statement>; y = x }; loss mse }"],
      codes: ["DYN1106"],
    });
  });

  it("a missing `in` is repaired and the sweep kept", () => {
    expect(treeAndCodes("experiment e { sweep width [1, 2]\n seeds 3 }")).toEqual({
      items: ["experiment e { sweep width in [1, 2]; seeds 3 }"],
      codes: ["DYN1101"],
    });
  });

  it("a top-level statement that belongs in an experiment does not hide the experiment", () => {
    expect(treeAndCodes("seeds 10\nexperiment e { seeds 3 }")).toEqual({
      items: ["<error statement>", "experiment e { seeds 3 }"],
      codes: ["DYN1105"],
    });
  });

  it("`train ;` is reported and the next clause still parses", () => {
    expect(treeAndCodes("experiment e { train ; loss mse }")).toEqual({ items: ["experiment e { loss mse }"], codes: ["DYN1102"] });
  });

  it("two independent errors are both reported", () => {
    const r = parse("experiment e {\n  optimizer adam(lr: )\n  train 1k steps\n  loss\n}\nlet = 2\n");
    expect(r.diagnostics.map((d) => [d.code, d.span.line])).toEqual([
      ["DYN1102", 2],
      ["DYN1102", 5],
      ["DYN1101", 6],
    ]);
  });
});

describe("limits", () => {
  it("10,000 nested parentheses are refused with DYN1107, not a stack overflow", () => {
    const r = parse(`let a = ${"(".repeat(10_000)}1${")".repeat(10_000)}\nlet b = 2`);
    expect(r.diagnostics.map((d) => d.code)).toEqual(["DYN1107"]);
    expect(r.program.items.map(printStmt)).toEqual(["let a = " + "paren(".repeat(64) + "0" + ")".repeat(64), "let b = 2"]);
  });

  it("10,000 unary minuses do not crash", () => {
    // Chains within the tree-depth limit parse; a thousand parse but are too deep for the passes after
    // the parser (DYN1110); far deeper ones exhaust the parser's stack and are reported as too deep.
    const shallow = parse(`let a = ${"- ".repeat(200)}1`);
    expect(shallow.diagnostics).toEqual([]);
    expect(parse(`let a = ${"- ".repeat(1000)}1`).diagnostics.map((d) => d.code)).toEqual(["DYN1110"]);
    const deep = parse(`let a = ${"- ".repeat(10_000)}1`);
    expect(deep.diagnostics.map((d) => d.code)).toEqual(["DYN1107"]);
  });
});
