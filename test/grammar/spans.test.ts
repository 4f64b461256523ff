/**
 * Source spans: every node's [start, end) slices exactly its own text, and line/col are 1-based and agree
 * with the offsets, also after CRLF line endings and tabs. Positions are recomputed here independently of
 * SourceFile by counting line breaks.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type * as A from "../../grammar/ast.js";
import type { Span } from "../../diagnostics/source.js";
import { parse } from "../../grammar/parse.js";
import { parseClean } from "./helpers.js";
import { positionOf } from "./positions.js";

const SKETCHES = join(dirname(fileURLToPath(import.meta.url)), "..", "fixtures", "sketches");

interface Located {
  readonly kind: string;
  readonly span: Span;
}

/** Every node below `root` (objects with a kind and a span), with its parent. */
function nodes(root: unknown, parent?: Located, out: { node: Located; parent?: Located }[] = []): { node: Located; parent?: Located }[] {
  if (Array.isArray(root)) {
    for (const r of root) nodes(r, parent, out);
  } else if (root && typeof root === "object") {
    const o = root as Record<string, unknown>;
    const self = typeof o["kind"] === "string" && o["span"] ? (o as unknown as Located) : undefined;
    if (self) out.push(parent ? { node: self, parent } : { node: self });
    for (const [k, v] of Object.entries(o)) if (k !== "span") nodes(v, self ?? parent, out);
  }
  return out;
}

/** The node of `kind` whose text is exactly `text` (the first in source order). */
function find(program: A.Program, text: string, kind: string, source: string): Located {
  const hit = nodes(program).find(({ node }) => node.kind === kind && source.slice(node.span.start, node.span.end) === text);
  if (!hit) {
    const sameKind = nodes(program).filter(({ node }) => node.kind === kind).map(({ node }) => source.slice(node.span.start, node.span.end));
    throw new Error(`no ${kind} spanning ${JSON.stringify(text)}; ${kind} nodes span: ${JSON.stringify(sameKind)}`);
  }
  return hit.node;
}

const PROGRAM = [
  "// header comment",
  "let m = 1000",
  "experiment lottery {",
  "  sweep width in [10, 20, 30]",
  "  data train { x ~ uniform(-2, 2) [1024]; y = x^2 }",
  "  data g = grid(x in [-1, 1], n: 201) -> sin(x) + sin(3*x)",
  "  model net = mlp(in: 1, hidden: [width], out: 1, act: silu)",
  "  init net.hidden[*] ~ normal(std: m ^ -gamma)",
  "  optimizer adam(lr: 1e-2)  // trailing comment",
  "  train 50k steps, batch full",
  "  probe sharp = sharpness(net, train) every 10 steps, at first(sharp > 2/lr)",
  '  let s = sum(k in 5..70 step 5: sin(2*pi*k*t)) + (a + b) * "q\\"s"',
  "  expect max(sharp after 50%) within 15% of 2/lr",
  "  expect alpha[act = silu] in [0.7, 1.3]",
  "  profile quick { seeds 16 }",
  "}",
].join("\n");

/** [node text, kind] pairs that must each be found with exactly that text. */
const EXPECTED: [string, string][] = [
  ["let m = 1000", "Let"],
  ["m", "Identifier"],
  ["width", "Identifier"],
  ["sweep width in [10, 20, 30]", "Sweep"],
  ["[10, 20, 30]", "List"],
  ["data train { x ~ uniform(-2, 2) [1024]; y = x^2 }", "Data"],
  ["x ~ uniform(-2, 2) [1024]", "Sample"],
  ["uniform(-2, 2)", "Call"],
  ["-2", "Unary"],
  ["y = x^2", "Assign"],
  ["x^2", "Binary"],
  ["data g = grid(x in [-1, 1], n: 201) -> sin(x) + sin(3*x)", "Data"],
  ["x in [-1, 1]", "Binding"],
  ["n: 201", "Named"],
  ["sin(x) + sin(3*x)", "Binary"],
  ["3*x", "Binary"],
  ["mlp(in: 1, hidden: [width], out: 1, act: silu)", "Call"],
  ["mlp", "Name"],
  ["init net.hidden[*] ~ normal(std: m ^ -gamma)", "Init"],
  ["net.hidden[*]", "Index"],
  ["net.hidden", "Member"],
  ["hidden", "Identifier"],
  ["*", "Wildcard"],
  ["m ^ -gamma", "Binary"],
  ["-gamma", "Unary"],
  ["optimizer adam(lr: 1e-2)", "Clause"],
  ["1e-2", "Number"],
  ["train 50k steps, batch full", "Train"],
  ["50k steps", "Quantity"],
  ["batch full", "TrainOption"],
  ["probe sharp = sharpness(net, train) every 10 steps, at first(sharp > 2/lr)", "Probe"],
  ["every 10 steps", "Every"],
  ["at first(sharp > 2/lr)", "AtFirst"],
  ["sharp > 2/lr", "Binary"],
  ["k in 5..70 step 5: sin(2*pi*k*t)", "Binding"],
  ["5..70 step 5", "Range"],
  ["(a + b)", "Paren"],
  ["(a + b) * \"q\\\"s\"", "Binary"],
  ['"q\\"s"', "String"],
  ["max(sharp after 50%) within 15% of 2/lr", "Within"],
  ["sharp after 50%", "Binary"],
  ["50%", "Quantity"],
  ["expect alpha[act = silu] in [0.7, 1.3]", "Expect"],
  ["act = silu", "Selector"],
  ["profile quick { seeds 16 }", "Profile"],
  ["seeds 16", "Seeds"],
  ["// trailing comment", "Comment"],
];

describe("spans slice exactly the node's text", () => {
  const variants: [string, string][] = [
    ["LF", PROGRAM],
    ["CRLF", PROGRAM.replace(/\n/g, "\r\n")],
    ["tabs", PROGRAM.replace(/^ {2}/gm, "\t")],
    ["CR only", PROGRAM.replace(/\n/g, "\r")],
  ];
  for (const [name, text] of variants) {
    it(`${name}: named nodes`, () => {
      const { program } = parseClean(text);
      for (const [want, kind] of EXPECTED) find(program, want, kind, text);
      // The whole experiment runs from its keyword to its closing brace.
      const experiment = program.items.find((s) => s.kind === "Experiment")!;
      expect(text.slice(experiment.span.start, experiment.span.end)).toBe(text.slice(text.indexOf("experiment"), text.lastIndexOf("}") + 1));
      expect(program.span).toMatchObject({ start: 0, end: text.length });
    });

    it(`${name}: line/col of every node agree with the offsets`, () => {
      const { program } = parseClean(text);
      const all = nodes(program);
      expect(all.length).toBeGreaterThan(150);
      for (const { node } of all) {
        const s = positionOf(text, node.span.start);
        const e = positionOf(text, node.span.end);
        expect({ line: node.span.line, col: node.span.col, endLine: node.span.endLine, endCol: node.span.endCol }, node.kind).toEqual({
          line: s.line,
          col: s.col,
          endLine: e.line,
          endCol: e.col,
        });
      }
    });
  }

  it("line/col are 1-based and tabs count as one column", () => {
    const text = "experiment e {\r\n\ttrain\t1k steps\r\n}";
    const { program } = parseClean(text);
    const train = (program.items[0] as A.ExperimentStmt).body[0]!;
    expect(train.span).toMatchObject({ line: 2, col: 2, endLine: 2, endCol: 16 });
    const experiment = program.items[0]!;
    expect(experiment.span).toMatchObject({ line: 1, col: 1, endLine: 3, endCol: 2 });
  });

  it("columns count UTF-16 units, so a name after an emoji string is two columns further", () => {
    const text = 'let s = "🔥" + x';
    const { program } = parseClean(text);
    const x = nodes(program).find(({ node }) => node.kind === "Name")!.node;
    expect(text.slice(x.span.start, x.span.end)).toBe("x");
    expect(x.span.col).toBe(16);
  });
});

describe("span invariants over every sketch", () => {
  for (const file of readdirSync(SKETCHES).filter((f) => f.endsWith(".dyn"))) {
    it(file, () => {
      const text = readFileSync(join(SKETCHES, file), "utf8");
      const { program } = parseClean(text);
      for (const { node, parent } of nodes(program)) {
        const slice = text.slice(node.span.start, node.span.end);
        expect(node.span.end, node.kind).toBeGreaterThan(node.span.start);
        // No span starts or ends in white space: it hugs its tokens (the Program spans the whole file).
        if (node.kind !== "Program") expect(slice, `${node.kind} ${JSON.stringify(slice)}`).toBe(slice.trim());
        // Children lie within their parent (the Program's comments included).
        if (parent) {
          expect(node.span.start, `${node.kind} in ${parent.kind}`).toBeGreaterThanOrEqual(parent.span.start);
          expect(node.span.end, `${node.kind} in ${parent.kind}`).toBeLessThanOrEqual(parent.span.end);
        }
        if (node.kind === "Name" || node.kind === "Identifier") expect(slice).toBe((node as unknown as { name: string }).name);
        if (node.kind === "Number") expect(slice).toBe((node as A.NumberLit).text);
      }
    });
  }
});

describe("diagnostic spans", () => {
  it("point at the offending token with 1-based line/col after CRLF and tabs", () => {
    const text = "experiment e {\r\n\ttrain\t;\r\n}";
    const { diagnostics } = parse(text);
    expect(diagnostics).toHaveLength(1);
    const d = diagnostics[0]!;
    expect(text.slice(d.span.start, d.span.end)).toBe(";");
    expect(d.span).toMatchObject({ line: 2, col: 8, ...{ endLine: 2, endCol: 9 } });
  });
});
