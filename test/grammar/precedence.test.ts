/**
 * Operator precedence and associativity, checked pairwise against the documented table (loosest first):
 *   `~` `vs` (non-assoc) < `or` < `and` < `not` < comparisons, `in`, `within … of` (non-assoc)
 *   < `over` `by` (right operand: a postfix expression) < `after` `before` `during` < `..` (with `step`)
 *   < `+ -` < `* /` < unary `- +` < `^` (right-assoc, exponent may be negated) < postfix.
 * The expected trees are built from that table, not from the parser.
 */
import { describe, expect, it } from "vitest";
import { parse } from "../../grammar/parse.js";
import { expr } from "./helpers.js";

interface Level {
  readonly ops: readonly string[];
  readonly assoc: "left" | "right" | "none";
}

/** The binary levels of the table, loosest first (prefix `not`, unary minus and `over`/`by` are tested apart). */
const LEVELS: readonly Level[] = [
  { ops: ["~", "vs"], assoc: "none" },
  { ops: ["or"], assoc: "left" },
  { ops: ["and"], assoc: "left" },
  { ops: ["==", "!=", "<", "<=", ">", ">=", "in"], assoc: "none" },
  { ops: ["after", "before", "during"], assoc: "left" },
  { ops: [".."], assoc: "none" },
  { ops: ["+", "-"], assoc: "left" },
  { ops: ["*", "/"], assoc: "left" },
  { ops: ["^"], assoc: "right" },
];

/** The printed tree of `l op r` in ast-print's notation. */
function node(op: string, l: string, r: string): string {
  return op === ".." ? `(${l}..${r})` : `(${l} ${op} ${r})`;
}

/** Source text of `a op b` (ranges are written without spaces, as people do). */
function src(op: string, l: string, r: string): string {
  return op === ".." ? `${l}..${r}` : `${l} ${op} ${r}`;
}

/** Whether parsing `let v = text` reports a syntax error. */
function rejects(text: string): boolean {
  return parse(`let v = ${text}`).diagnostics.length > 0;
}

describe("pairs of binary operators from different levels", () => {
  const cases: { text: string; tree: string }[] = [];
  LEVELS.forEach((loose, i) =>
    LEVELS.slice(i + 1).forEach((tight) => {
      for (const lo of loose.ops) {
        for (const hi of tight.ops) {
          // The tighter operator binds first whichever side it is on.
          cases.push({ text: `${src(lo, "a", "")}${src(hi, "b", "c")}`, tree: node(lo, "a", node(hi, "b", "c")) });
          cases.push({ text: src(lo, src(hi, "a", "b"), "c"), tree: node(lo, node(hi, "a", "b"), "c") });
        }
      }
    }),
  );

  it(`covers every pair (${cases.length} cases)`, () => {
    expect(cases.length).toBeGreaterThan(300);
    for (const c of cases) expect(expr(c.text), c.text).toBe(c.tree);
  });
});

describe("associativity within a level", () => {
  for (const level of LEVELS) {
    it(`${level.ops.join(" ")}: ${level.assoc}`, () => {
      for (const x of level.ops) {
        for (const y of level.ops) {
          const text = src(y, src(x, "a", "b"), "c");
          if (level.assoc === "left") expect(expr(text), text).toBe(node(y, node(x, "a", "b"), "c"));
          else if (level.assoc === "right") expect(expr(text), text).toBe(node(x, "a", node(y, "b", "c")));
          else expect(rejects(text), `${text} must be rejected (non-associative)`).toBe(true);
        }
      }
    });
  }

  it("1 < 2 < 3 is rejected and 1 < 2 alone is fine", () => {
    expect(rejects("1 < 2 < 3")).toBe(true);
    expect(expr("1 < 2")).toBe("(1 < 2)");
  });
});

describe("within … of sits at the comparison level", () => {
  it("its operands are tighter than comparisons and it is looser than arithmetic", () => {
    expect(expr("a within b of c")).toBe("(a within b of c)");
    expect(expr("a + 1 within 10% of 2 / lr")).toBe("((a + 1) within (10%) of (2 / lr))");
    expect(expr("max(sharp after 50%) within 15% of 2/lr")).toBe("(max((sharp after (50%))) within (15%) of (2 / lr))");
    expect(expr("a within b of c and d")).toBe("((a within b of c) and d)");
    expect(expr("a or b within c of d")).toBe("(a or (b within c of d))");
    expect(expr("a within b over seeds of c")).toBe("(a within (b over seeds) of c)");
    expect(expr("a after 10 within b of c")).toBe("((a after 10) within b of c)");
  });

  it("is non-associative with itself and with comparisons", () => {
    expect(rejects("a within b of c within d of e")).toBe(true);
    expect(rejects("a within b of c < d")).toBe(true);
    expect(rejects("a < b within c of d")).toBe(true);
    expect(rejects("a within b")).toBe(true);
  });
});

describe("not", () => {
  it("is looser than comparisons and tighter than and/or/~", () => {
    expect(expr("not a < b")).toBe("(not (a < b))");
    expect(expr("not a in b")).toBe("(not (a in b))");
    expect(expr("not a within b of c")).toBe("(not (a within b of c))");
    expect(expr("not a and b")).toBe("((not a) and b)");
    expect(expr("a and not b")).toBe("(a and (not b))");
    expect(expr("not a or b")).toBe("((not a) or b)");
    expect(expr("not a ~ b")).toBe("((not a) ~ b)");
    expect(expr("not not a")).toBe("(not (not a))");
    expect(expr("not a + b")).toBe("(not (a + b))");
  });

  it("cannot be an arithmetic operand without parentheses", () => {
    expect(rejects("a + not b")).toBe(true);
    expect(expr("a + (not b)")).toBe("(a + paren((not b)))");
  });
});

describe("over and by", () => {
  it("take the whole restriction on the left and one postfix expression on the right", () => {
    expect(expr("median(final_loss) over seeds")).toBe("(median(final_loss) over seeds)");
    expect(expr("a + b over seeds")).toBe("((a + b) over seeds)");
    expect(expr("a after b over c")).toBe("((a after b) over c)");
    expect(expr("a..b over c")).toBe("((a..b) over c)");
    expect(expr("-a over b")).toBe("((-a) over b)");
    expect(expr("a over seeds by act")).toBe("((a over seeds) by act)");
    expect(expr("a by act over seeds")).toBe("((a by act) over seeds)");
    expect(expr("a over net.hidden[0]")).toBe("(a over net.hidden[0])");
    expect(expr("a over group(x)")).toBe("(a over group(x))");
    expect(expr("a over (seeds, width)")).toBe("(a over tuple(seeds, width))");
  });

  it("are tighter than comparisons, and/or and ~", () => {
    expect(expr("mean(h) over seeds < mean(g) over seeds")).toBe("((mean(h) over seeds) < (mean(g) over seeds))");
    expect(expr("a over s in b")).toBe("((a over s) in b)");
    expect(expr("a over s and b")).toBe("((a over s) and b)");
    expect(expr("median(l) over seeds ~ width")).toBe("((median(l) over seeds) ~ width)");
    expect(expr("fit(y ~ x) by act")).toBe("(fit((y ~ x)) by act)");
  });

  it("reject a non-postfix right operand", () => {
    for (const text of ["a over b + c", "a over b ^ 2", "a over -b", "a over b after c", "a by b..c"]) {
      expect(rejects(text), text).toBe(true);
    }
  });
});

describe("unary minus and plus, and ^", () => {
  it("-x^2 is -(x^2); unary binds tighter than * and looser than ^", () => {
    expect(expr("-x^2")).toBe("(-(x ^ 2))");
    expect(expr("-a * b")).toBe("((-a) * b)");
    expect(expr("a * -b")).toBe("(a * (-b))");
    expect(expr("-a + b")).toBe("((-a) + b)");
    expect(expr("+a - -b")).toBe("((+a) - (-b))");
    expect(expr("- - a")).toBe("(-(-a))");
    expect(expr("-a..b")).toBe("((-a)..b)");
  });

  it("^ is right-associative and its exponent may be negated", () => {
    expect(expr("a ^ b ^ c")).toBe("(a ^ (b ^ c))");
    expect(expr("2^-1")).toBe("(2 ^ (-1))");
    expect(expr("m ^ -gamma")).toBe("(m ^ (-gamma))");
    expect(expr("a ^ -b ^ c")).toBe("(a ^ (-(b ^ c)))");
    expect(expr("width^-1 * 2")).toBe("((width ^ (-1)) * 2)");
    expect(expr("-2^-2^-1")).toBe("(-(2 ^ (-(2 ^ (-1)))))");
  });

  it("postfix binds tighter than unary minus and ^", () => {
    expect(expr("-f(x)")).toBe("(-f(x))");
    expect(expr("-a.b[0]")).toBe("(-a.b[0])");
    expect(expr("-x%")).toBe("(-(x%))");
    expect(expr("-10 steps")).toBe("(-(10 steps))");
    expect(expr("x ^ 2 steps")).toBe("(x ^ (2 steps))");
    expect(expr("a ^ f(b)[0]")).toBe("(a ^ f(b)[0])");
  });
});

describe("postfix chains", () => {
  it("calls, members, indexing, % and units apply left to right", () => {
    expect(expr("a.b(c)[d]%")).toBe("(a.b(c)[d]%)");
    expect(expr("f(x)(y)")).toBe("f(x)(y)");
    expect(expr("net.hidden[0].weight[*]")).toBe("net.hidden[0].weight[*]");
    expect(expr("2 * 10k steps")).toBe("(2 * (10k steps))");
    expect(expr("10 steps + 5 steps")).toBe("((10 steps) + (5 steps))");
    expect(expr("50% * x")).toBe("((50%) * x)");
    expect(expr("[128] * 4")).toBe("([128] * 4)");
  });
});

describe("ranges and step", () => {
  it("the range's operands are additive expressions", () => {
    expect(expr("a + 1..b - 1")).toBe("((a + 1)..(b - 1))");
    expect(expr("1..2 * n")).toBe("(1..(2 * n))");
    expect(rejects("1..2..3")).toBe(true);
  });

  it("inside the upper bound, `step` starts the range step rather than being a unit", () => {
    expect(expr("0..1 step 0.1")).toBe("(0..1 step 0.1)");
    expect(expr("5..70 step 5")).toBe("(5..70 step 5)");
    expect(expr("1..10 step 2 + 1")).toBe("(1..10 step (2 + 1))");
    expect(expr("0..10 step 2 steps")).toBe("(0..10 step (2 steps))");
    // Plural units still apply inside the bound, and `step` is a unit outside ranges.
    expect(expr("0..10 steps")).toBe("(0..(10 steps))");
    expect(expr("10 step")).toBe("(10 steps)");
    expect(expr("[0..1 step 0.5, 3 step]")).toBe("[(0..1 step 0.5), (3 steps)]");
    expect(expr("sum(k in 5..70 step 5: k)")).toBe("sum(k in (5..70 step 5): k)");
  });

  it("after/before/during take a range on the right and are looser than it", () => {
    expect(expr("a after 1..2")).toBe("(a after (1..2))");
    expect(expr("a..b during c")).toBe("((a..b) during c)");
  });
});

describe("~ and vs are loosest", () => {
  it("take whole boolean expressions on both sides", () => {
    expect(expr("a or b ~ c and d")).toBe("((a or b) ~ (c and d))");
    expect(expr("y ~ a * x ^ 2 + b")).toBe("(y ~ ((a * (x ^ 2)) + b))");
    expect(expr("loss vs width over seeds")).toBe("(loss vs (width over seeds))");
    expect(rejects("a ~ b vs c")).toBe(true);
  });
});
