/**
 * Resource caps: inputs that used to exhaust memory, the stack or minutes of CPU in the checker now get a
 * coded diagnostic with a span, quickly. Each case names the defect it reproduces.
 */
import { describe, expect, it } from "vitest";
import { checkSource } from "../../compiler/check/index.js";
import { formatProgram } from "../../compiler/format.js";
import { parse } from "../../grammar/parse.js";
import { MAX_EXPR_DEPTH } from "../../grammar/limits.js";

const experiment = (sweeps: string, data = "x ~ uniform(-2, 2) [32]; y = x^2", width = "4", lr = "1e-2") => `experiment r {
  ${sweeps}
  seeds 1
  data train { ${data} }
  model net = mlp(hidden: [${width}], act: tanh)
  loss mse
  optimizer adam(lr: ${lr})
  train 30 steps, batch full
}
`;

/** The errors of `text`, as `code text-under-span`, with every span inside the file. */
function errors(text: string): string[] {
  const { diagnostics } = checkSource(text, "limits.dyn");
  for (const d of diagnostics) {
    expect(d.span.start).toBeGreaterThanOrEqual(0);
    expect(d.span.end).toBeLessThanOrEqual(text.length);
  }
  return diagnostics.filter((d) => d.severity === "error").map((d) => `${d.code} ${text.slice(d.span.start, d.span.end).slice(0, 40)}`);
}

function timed<T>(f: () => T): { value: T; ms: number } {
  const t0 = performance.now();
  const value = f();
  return { value, ms: performance.now() - t0 };
}

describe("resource caps in the checker", () => {
  it("list repetition `[1] * 1e9` (was: V8 out of memory)", () => {
    expect(errors(experiment("sweep w in [1] * 1e9"))).toEqual(["DYN3001 [1] * 1e9"]);
  });

  it("doubling lists through lets counts nested values", () => {
    const text = `let a = [[0] * 1000] * 1000\nlet b = a + a\n${experiment("sweep w in [len(b)]")}`;
    expect(errors(text)).toEqual(["DYN3001 [[0] * 1000] * 1000"]);
  });

  it("a 3000 × 3000 sweep is refused before expanding it (was: > 150 s)", () => {
    const { value, ms } = timed(() => errors(experiment("sweep a in 1..3000\n  sweep b in 1..3000")));
    expect(value).toEqual(["DYN3002 sweep a in 1..3000\n  sweep b in 1..3000"]);
    expect(ms).toBeLessThan(5000);
  });

  it("a 100 × 100 sweep is still planned", () => {
    expect(errors(experiment("sweep a in 1..100\n  sweep b in 1..100"))).toEqual([]);
  });

  for (const [what, expr] of [
    ["3,000 `+` terms", Array(3000).fill("1").join(" + ")],
    ["3,000 `[0]` indexings", `[[1]]${"[0]".repeat(3000)}`],
    ["3,000 calls", `f${"(1)".repeat(3000)}`],
  ] as const) {
    it(`a flat chain of ${what} (was: stack overflow, exit 70)`, () => {
      const text = `experiment r {\n  let z = ${expr}\n}\n`;
      const found = errors(text);
      expect(found.some((e) => e.startsWith("DYN1110 let z = ") || e.startsWith("DYN1107"))).toBe(true);
    });
  }

  it(`a chain under the depth limit (${MAX_EXPR_DEPTH}) still checks and formats`, () => {
    const text = `${experiment("sweep w in [1]")}`.replace("seeds 1", `seeds ${Array(240).fill("1").join(" * ")}`);
    expect(errors(text)).toEqual([]);
    const parsed = parse(text);
    expect(formatProgram(parsed.program, parsed.source)).toContain("seeds 1 * 1 * 1");
  });

  it("absurd sizes: `width: 1e12` (was: accepted, failed at run time)", () => {
    expect(errors(experiment("sweep w in [1]", undefined, "1e12"))).toEqual(["DYN3003 mlp(hidden: [1e12], act: tanh)"]);
  });

  it("absurd sizes: a data set of 1e12 samples", () => {
    expect(errors(experiment("sweep w in [1]", "x ~ uniform(-2, 2) [1e12]; y = x^2"))[0]).toMatch(/^DYN3004 data train/);
  });

  it("a number literal that overflows: `lr: 1e309`", () => {
    expect(errors(experiment("sweep w in [1]", undefined, "4", "1e309"))[0]).toBe("DYN1111 1e309");
  });
});

describe("repeated commas (was: accepted, and `fmt` dropped them)", () => {
  it("`[10,,,,,]` is one error spanning the extra commas", () => {
    expect(errors("experiment r {\n  sweep w in [10,,,,,]\n}\n").filter((e) => e.startsWith("DYN1109"))).toEqual(["DYN1109 ,,,,"]);
  });
  it("`f(1,,2)` in arguments", () => {
    expect(errors("experiment r {\n  let q = max(1,,2)\n}\n").filter((e) => e.startsWith("DYN1109"))).toEqual(["DYN1109 ,"]);
  });
  it("one trailing comma stays legal", () => {
    expect(errors(experiment("sweep w in [10, 20,]").replace("[4]", "[w]")).filter((e) => e.startsWith("DYN1109"))).toEqual([]);
  });
});
