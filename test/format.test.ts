import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { main } from "../cli/cli.js";
import { formatProgram, LINE_WIDTH } from "../compiler/format.js";
import { parse } from "../grammar/parse.js";

const SKETCHES = "test/fixtures/sketches";
const FORMAT = "test/fixtures/format";

/** Every example: real programs, with multi-statement profiles, data and model blocks and comments in them. */
const examplePaths = readdirSync("examples").filter((f) => f.endsWith(".dyn")).map((f) => join("examples", f));
/** Every fixture: the language sketches, the formatter's inputs and its golden outputs, and the examples. */
const fixtures = [
  ...readdirSync(SKETCHES).filter((f) => f.endsWith(".dyn")).map((f) => join(SKETCHES, f)),
  ...readdirSync(FORMAT).filter((f) => f.endsWith(".dyn")).map((f) => join(FORMAT, f)),
  ...examplePaths,
];
const goldenInputs = readdirSync(FORMAT).filter((f) => f.endsWith(".dyn") && !f.endsWith(".expected.dyn"));

function fmt(text: string, path = "<test>"): string {
  const parsed = parse(text, path);
  expect(parsed.diagnostics.filter((d) => d.severity === "error"), `${path} must parse cleanly`).toEqual([]);
  return formatProgram(parsed.program, parsed.source);
}

/** A parse tree with every `span` removed and comments reduced to their text: what formatting must keep. */
function shape(text: string): unknown {
  const { program } = parse(text);
  return { items: stripSpans(program.items), comments: program.comments.map((c) => c.text) };
}

function stripSpans(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripSpans);
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (k !== "span") out[k] = stripSpans(v);
  return out;
}

/** Comment tokens as the lexer sees them, independent of the parser's comment list. */
function commentCount(text: string): number {
  return parse(text).program.comments.length;
}

describe("formatProgram on every fixture", () => {
  it("finds the fixtures", () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(10);
    expect(goldenInputs.length).toBeGreaterThanOrEqual(4);
  });

  for (const file of fixtures) {
    describe(file, () => {
      const input = readFileSync(file, "utf8");
      const once = fmt(input, file);

      it("is idempotent", () => {
        expect(fmt(once, file)).toBe(once);
      });
      it("re-parses without diagnostics", () => {
        expect(parse(once, file).diagnostics).toEqual([]);
      });
      it("re-parses to the same tree (up to spans) with the same comments in the same order", () => {
        expect(shape(once)).toEqual(shape(input));
      });
      it("keeps every comment", () => {
        expect(commentCount(once)).toBe(commentCount(input));
      });
      it("ends in exactly one newline, no trailing spaces outside comments, no tabs", () => {
        expect(once.endsWith("\n") && !once.endsWith("\n\n")).toBe(true);
        const withoutComments = once.replace(/ *(\/\/[^\n]*|\/\*[^]*?\*\/)/g, "");
        expect(withoutComments).not.toMatch(/[ \t]+\n/);
        expect(withoutComments).not.toMatch(/\t/);
      });
      it("never has two blank lines in a row", () => {
        expect(once).not.toMatch(/\n\n\n/);
      });
    });
  }
});

describe("golden files", () => {
  for (const name of goldenInputs) {
    const expectedPath = join(FORMAT, name.replace(/\.dyn$/, ".expected.dyn"));
    it(`${name} formats to ${expectedPath}`, () => {
      const input = readFileSync(join(FORMAT, name), "utf8");
      expect(fmt(input)).toBe(readFileSync(expectedPath, "utf8"));
    });
  }
});

describe("examples", () => {
  // The examples are what a researcher copies first: they are written in the canonical layout, so that
  // `dync fmt -w` on a copy changes only what the researcher changed.
  const examples = readdirSync("examples").filter((f) => f.endsWith(".dyn"));
  it("finds the examples", () => expect(examples.length).toBeGreaterThanOrEqual(10));
  for (const name of examples) {
    it(`examples/${name} is fmt-clean`, () => {
      const text = readFileSync(join("examples", name), "utf8");
      expect(fmt(text, `examples/${name}`)).toBe(text);
    });
  }
});

describe("layout is a function of the tokens (without comments and blank lines)", () => {
  // Re-join each sketch's tokens with random white space (never an empty line): the output must not
  // change. A deterministic LCG keeps the test reproducible.
  let state = 12345;
  const random = () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const gap = () => [" ", "  ", "\n", " \n   ", "\t"][Math.floor(random() * 5)]!;

  for (const file of readdirSync(SKETCHES).filter((f) => f.endsWith(".dyn"))) {
    it(file, () => {
      const { tokens } = parse(readFileSync(join(SKETCHES, file), "utf8"));
      const canonical = fmt(tokens.map((t) => t.image).join(" "));
      for (let trial = 0; trial < 5; trial++) {
        const shuffled = tokens.map((t) => t.image + gap()).join("");
        expect(fmt(shuffled)).toBe(canonical);
      }
    });
  }

  // The examples' profiles, data and model blocks re-joined on one line with random spaces and tabs come
  // out in the examples' own layout (a new line is not free in them: `[96]` or `-x` on a line of its own
  // would start a new statement).
  const inLine = () => [" ", "  ", "\t", " \t "][Math.floor(random() * 4)]!;
  for (const path of examplePaths) {
    it(path, () => {
      const text = readFileSync(path, "utf8");
      const { tokens } = parse(text);
      const withoutComments = fmt(tokens.map((t) => t.image).join(" "));
      expect(shape(withoutComments)).toEqual({ ...(shape(text) as object), comments: [] });
      for (let trial = 0; trial < 3; trial++) expect(fmt(tokens.map((t) => t.image + inLine()).join(""))).toBe(withoutComments);
    });
  }
});

describe("comments anywhere", () => {
  // Insert block comments, line comments and own-line comments at random token boundaries of every
  // fixture: the output must keep the tree and every comment (in order), and be stable.
  let state = 7;
  const random = () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;

  for (const file of fixtures) {
    it(file, () => {
      const text = readFileSync(file, "utf8");
      const { tokens } = parse(text);
      let checked = 0;
      for (let trial = 0; trial < 8; trial++) {
        let out = "";
        let last = 0;
        tokens.forEach((t, n) => {
          out += text.slice(last, t.startOffset);
          const r = random();
          if (r < 0.05) out += ` /* c${n} */ `;
          else if (r < 0.08) out += ` // l${n}\n`;
          else if (r < 0.09) out += `\n\n/* own${n} */\n`;
          out += t.image;
          last = t.startOffset + t.image.length;
        });
        out += text.slice(last);
        const once = fmt(out);
        expect(shape(once)).toEqual(shape(out));
        expect(fmt(once)).toBe(once);
        checked++;
      }
      expect(checked).toBe(8);
    });
  }
});

describe("style rules", () => {
  const inExperiment = (body: string) => fmt(`experiment e {\n${body}\n}\n`);
  const line1 = (body: string) => inExperiment(body).split("\n")[1]!.trim();

  it("spaces binary operators; `^` tight only between atoms (signed or tight-power exponents count)", () => {
    expect(line1("let a = x ^ 2 + y*3 - z / 4")).toBe("let a = x^2 + y * 3 - z / 4");
    expect(line1("let a = width ^ - 1")).toBe("let a = width^-1");
    expect(line1("let a = 2^k^2")).toBe("let a = 2^k^2");
    expect(line1("let a = (a+b) ^ (c)")).toBe("let a = (a + b)^(c)");
    expect(line1("let a = 2 ^ (k) + 1")).toBe("let a = 2^(k) + 1");
    // An exponent that is not an atom: spaced.
    expect(line1("let a = 2 ^ - - k")).toBe("let a = 2 ^ - -k");
    expect(line1("let a = 50% ^ 2")).toBe("let a = 50% ^ 2");
  });

  it("prints ranges tight between atoms, spaced otherwise", () => {
    expect(line1("let r = 5 .. 70 step 5")).toBe("let r = 5..70 step 5");
    expect(line1("let r = -1..1")).toBe("let r = -1..1");
    expect(line1("let r = 1..n+1")).toBe("let r = 1 .. n + 1");
  });

  it("prints calls, named arguments, indexing and units canonically", () => {
    expect(line1("plot loglog ( a vs b , color : act )")).toBe("plot loglog(a vs b, color: act)");
    expect(line1("expect a [ act = silu ] in [ 0.7 , 1.3 ]")).toBe("expect a[act = silu] in [0.7, 1.3]");
    expect(line1("train 10k   steps,batch full")).toBe("train 10k steps, batch full");
    expect(line1("expect max(s after 50 %) within 10 % of 2")).toBe("expect max(s after 50%) within 10% of 2");
    expect(line1("probe p = f(n) every 1 steps")).toBe("probe p = f(n) every 1 step");
    expect(line1("probe p = f(n) every epochs")).toBe("probe p = f(n) every epoch");
    // In a range's upper bound a singular `step` would start the range's step: the plural stays.
    expect(line1("let r = 0..1 steps")).toBe("let r = 0 .. 1 steps");
    expect(line1("let r = 0..f(1 steps) step 1 steps")).toBe("let r = 0..f(1 steps) step 1 step");
  });

  it("keeps numbers as written and re-escapes strings", () => {
    expect(line1("let a = [1e-3, 50k, 2M, 0.50, 1E+2]")).toBe("let a = [1e-3, 50k, 2M, 0.50, 1E+2]");
    expect(fmt('import "a\\u{41}\\tb\\"c"')).toBe('import "aA\\tb\\"c"\n');
  });

  it("keeps one-element tuples' comma and drops trailing commas elsewhere when flat", () => {
    expect(line1("let t = (1,)")).toBe("let t = (1,)");
    expect(line1("let t = f(a, b,)")).toBe("let t = f(a, b)");
    expect(line1("let t = [a, b,]")).toBe("let t = [a, b]");
  });

  it("puts a short data block, model block or profile on one line, a long one one item per line", () => {
    expect(line1("data train { x ~ uniform(-2, 2) [1024]\n y = x^2 }")).toBe("data train { x ~ uniform(-2, 2) [1024]; y = x^2 }");
    expect(line1("profile quick {\n seeds 8\n train 2k steps\n}")).toBe("profile quick { seeds 8; train 2k steps }");
    expect(inExperiment("data d { a = 1; b = 2; c = 3 }")).toBe("experiment e {\n  data d {\n    a = 1\n    b = 2\n    c = 3\n  }\n}\n");
  });

  it("breaks a call longer than the line width one argument per line with a trailing comma", () => {
    const args = Array.from({ length: 12 }, (_, i) => `argument_${i}: ${i}`).join(", ");
    const out = inExperiment(`model net = mlp(${args})`);
    expect(out).toBe(
      `experiment e {\n  model net = mlp(\n${Array.from({ length: 12 }, (_, i) => `    argument_${i}: ${i},\n`).join("")}  )\n}\n`,
    );
    for (const l of out.split("\n")) expect(l.length).toBeLessThanOrEqual(LINE_WIDTH);
  });

  it("keeps at most one blank line and puts one between top-level blocks", () => {
    expect(fmt("let a = 1\n\n\n\nlet b = 2\nlet c = 3\n")).toBe("let a = 1\n\nlet b = 2\nlet c = 3\n");
    expect(fmt("let a = 1\nexperiment e { seeds 1 }\nexperiment f { seeds 2 }")).toBe(
      "let a = 1\n\nexperiment e {\n  seeds 1\n}\n\nexperiment f {\n  seeds 2\n}\n",
    );
    expect(fmt("")).toBe("");
    expect(fmt("\n\n// only a comment\n\n")).toBe("// only a comment\n");
  });

  it("turns CRLF and CR line ends into LF, keeping blank lines and comments", () => {
    const crlf = "experiment e {\r\n  seeds 1 // c\r\n\r\n\r\n  train 2 steps\r\n}\r\n";
    const expected = "experiment e {\n  seeds 1 // c\n\n  train 2 steps\n}\n";
    expect(fmt(crlf)).toBe(expected);
    expect(fmt(crlf.replace(/\r\n/g, "\r"))).toBe(expected);
  });

  it("hoists a comment inside an expression before its statement instead of dropping it", () => {
    const out = inExperiment("  plot line(a, /* why a */ color: b) // after");
    expect(out).toBe("experiment e {\n  /* why a */\n  plot line(a, color: b) // after\n}\n");
  });

  it("separates model layers with `;` where a new line alone would continue the previous layer", () => {
    const out = inExperiment("model m { a = dense(3); (b); c; [1]; d; -1; e; steps = 2; f; g }");
    expect(out).toContain("    a = dense(3);\n    (b)\n    c;\n    [1]\n    d;\n    -1\n    e;\n    steps = 2\n    f\n    g\n");
  });
});

describe("dync fmt", async () => {
  let dir: string;
  let stdout: string;
  let stderr: string;
  /** A stand-in for a process stream that only collects what is written. */
  const fake = <T>(sink: (s: string) => void) => ({ write: (s: string) => (sink(s), true), isTTY: false }) as unknown as T;
  const run = (...args: string[]) => {
    stdout = "";
    stderr = "";
    return main(args, fake<typeof process.stdout>((s) => (stdout += s)), fake<typeof process.stderr>((s) => (stderr += s)));
  };
  const ugly = "experiment e{seeds 8;train 2k   steps}\n";
  const pretty = "experiment e {\n  seeds 8\n  train 2k steps\n}\n";

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "dync-fmt-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("prints the formatted file and leaves it alone", async () => {
    const file = join(dir, "a.dyn");
    writeFileSync(file, ugly);
    expect(await run("fmt", file)).toBe(0);
    expect(stdout).toBe(pretty);
    expect(readFileSync(file, "utf8")).toBe(ugly);
  });

  it("-w and --write rewrite the file in place", async () => {
    for (const flag of ["-w", "--write"]) {
      const file = join(dir, "a.dyn");
      writeFileSync(file, ugly);
      expect(await run("fmt", flag, file)).toBe(0);
      expect(stdout).toBe("");
      expect(readFileSync(file, "utf8")).toBe(pretty);
    }
  });

  it("--check exits 1 naming an unformatted file and 0 on a formatted one", async () => {
    const bad = join(dir, "bad.dyn");
    const good = join(dir, "good.dyn");
    writeFileSync(bad, ugly);
    writeFileSync(good, pretty);
    expect(await run("fmt", "--check", bad)).toBe(1);
    expect(stdout).toContain(`${bad}: not formatted`);
    expect(readFileSync(bad, "utf8")).toBe(ugly);
    expect(await run("fmt", "--check", good)).toBe(0);
    expect(stdout).toBe("");
  });

  it("does not rewrite a file with syntax errors and exits 1 with its diagnostics", async () => {
    const file = join(dir, "broken.dyn");
    const broken = "experiment e {\n  seeds = = 3\n  train 2k   steps\n}\n";
    writeFileSync(file, broken);
    expect(await run("fmt", "-w", file)).toBe(1);
    expect(stdout).toMatch(/DYN\d{4}/);
    expect(readFileSync(file, "utf8")).toBe(broken);
  });
});
