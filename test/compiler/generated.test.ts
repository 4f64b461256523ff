/**
 * Generated TypeScript: golden modules for every example and three valid programs, a type-check of every
 * generated module against the runtime's real types (one shared ts-morph project, so only the first
 * check pays the start-up), and injection safety: strings, paths and comments full of quotes, backticks,
 * `${…}`, `*\/`, line separators and `</script>` come back exactly from the evaluated module and run
 * nothing.
 *
 * Regenerate the goldens with `UPDATE_GOLDENS=1 npx vitest run test/compiler/generated.test.ts` and read
 * the diff.
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import { ts } from "ts-morph";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkSource } from "../../compiler/check/index.js";
import { emitModule } from "../../compiler/emit/emit.js";
import { toJavaScript, typeCheck } from "../../compiler/emit/typescript.js";
import { expandPlan } from "../../contract/plan.js";
import type { ExperimentProgram } from "../../contract/program.js";
import { ROOT } from "./paths.js";

const UPDATE = process.env["UPDATE_GOLDENS"] === "1";
const GENERATED = join(ROOT, "test", "fixtures", "generated");
const VALID = "test/fixtures/semantic/valid";

/** Goldens: name → `.dyn` path relative to the repository root. */
/** Every example (the generated program a researcher reads first) plus valid programs covering the rest. */
const GOLDENS: Record<string, string> = {
  ...Object.fromEntries(
    readdirSync(join(ROOT, "examples"))
      .filter((f) => f.endsWith(".dyn"))
      .map((f) => [f.replace(/\.dyn$/, ""), `examples/${f}`]),
  ),
  imports: `${VALID}/imports.dyn`,
  cadences: `${VALID}/cadences.dyn`,
  "models-and-inits": `${VALID}/models-and-inits.dyn`,
  "layer-list": `${VALID}/layer-list.dyn`,
  groups: `${VALID}/groups.dyn`,
};

/** Check and emit a `.dyn` file given relative to the repository root, as `dync compile` run there does. */
async function emit(file: string): Promise<string> {
  const source = readFileSync(join(ROOT, file), "utf8");
  const checked = checkSource(source, file);
  expect(checked.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return emitModule(checked.experiments, { file, source });
}

let cwd: string;
beforeAll(() => {
  // Relative paths (imports, display paths) resolve from the repository root, as for a user working there.
  cwd = process.cwd();
  process.chdir(ROOT);
});
afterAll(() => process.chdir(cwd));

describe("golden generated modules", () => {
  for (const [name, file] of Object.entries(GOLDENS)) {
    it(`${file} → test/fixtures/generated/${name}.ts`, async () => {
      const code = await emit(file);
      const golden = join(GENERATED, `${name}.ts`);
      if (UPDATE) {
        mkdirSync(GENERATED, { recursive: true });
        writeFileSync(golden, code);
      }
      expect(code).toBe(readFileSync(golden, "utf8"));
    });
  }
});

describe("every generated module type-checks against the runtime", () => {
  const examples = readdirSync(join(ROOT, "examples")).filter((f) => f.endsWith(".dyn")).sort().map((f) => `examples/${f}`);
  const files = [...examples, ...readdirSync(join(ROOT, VALID)).filter((f) => f.endsWith(".dyn")).sort().map((f) => `${VALID}/${f}`)];
  for (const file of files) {
    it(file, async () => {
      const problems = typeCheck(await emit(file));
      expect(problems.map((p) => `${p.line}: ${p.message}`)).toEqual([]);
    });
  }
});

/**
 * Two path variants: the comment-closing `*\/` is the payload most likely to break generated comments, so
 * a failure with it is reported separately from the rest.
 */
const PATH_VARIANTS: Record<string, string[]> = {
  "a path with quotes, backticks, ${…}, a newline, U+2028 and </script>": [`q"s'b\`$\{process.exit(1)}`, "\n\u2028<", "script> evil.dyn"],
  "a path that also contains */": [`q"s'b\`$\{process.exit(1)}*`, "\n\u2028<", "script> evil.dyn"],
};

for (const [variant, segments] of Object.entries(PATH_VARIANTS)) describe(`injection safety: ${variant}`, () => {
  // Every payload a string literal, a comment or a path could smuggle code through.
  const nasty = [`"`, `'`, "`", "${process.exit(1)}", "${globalThis.__dyncInjected = 1}", "*/", "\n", "\u2028", "\u2029", "</script>", `"); globalThis.__dyncInjected = 2; ("`, "\\"];
  /** The `.dyn` string-literal spelling of a JS string (the language's escapes: \\ \" \n \u{…}). */
  const dynString = (s: string) =>
    `"${[...s].map((c) => (c === "\\" ? "\\\\" : c === '"' ? '\\"' : c === "\n" ? "\\n" : c.charCodeAt(0) >= 0x2028 && c.charCodeAt(0) <= 0x2029 ? `\\u{${c.charCodeAt(0).toString(16)}}` : c)).join("")}"`;
  const dirs = [nasty.join(""), `a${nasty.slice(0, 6).join("b")}z`, "plain"];
  // Comments hold the raw characters (a `//` comment cannot hold a newline, so that payload goes in a block comment).
  const source = [
    `// ${nasty.filter((s) => s !== "\n" && s !== "\u2028" && s !== "\u2029").join(" ")}`,
    `/* ${nasty.filter((s) => s !== "*/").join(" ")} */`,
    "experiment evil {",
    `  sweep dir in [${dirs.map(dynString).join(", ")}]`,
    "  data train = mnist(dir: dir, limit: 100)",
    "  data curve = grid(x in [-1, 1], n: 11) -> x^2 + 1 // a target, `${process.exit(1)}` */",
    "  model net = mlp(hidden: [8])",
    "  optimizer sgd(lr: 0.1)",
    "  train 10 steps, batch full",
    "  probe acc = accuracy(net, train) at end",
    "}",
    "",
  ].join("\n");

  let dir: string;
  let file: string;
  let code: string;
  let program: ExperimentProgram;
  let runMainCalls: number;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "dync-inject-"));
    // The path itself carries the payloads; `*/` and `</script>` need a `/`, so they span directories.
    const nested = join(dir, ...segments);
    mkdirSync(join(nested, ".."), { recursive: true });
    writeFileSync(nested, source);
    file = relative(ROOT, nested);
    const checked = checkSource(source, nested);
    expect(checked.diagnostics.map((d) => `${d.code} ${d.message}`)).toEqual([]);
    code = await emitModule(checked.experiments, { file, source });

    // Evaluate the module as JavaScript with the runtime replaced by a stub that records any call.
    writeFileSync(
      join(dir, "runtime-stub.mjs"),
      [
        "export const calls = { runMain: 0 };",
        "export async function runMain() { calls.runMain++; return 0; }",
        "export const pointwise = (f) => f;",
        "export const targetMath = { pow: (x, y) => x ** y };", // `^` in a target is m.pow
        "",
      ].join("\n"),
    );
    const js = toJavaScript(code);
    expect(js).toContain(`from "dync/runtime"`);
    writeFileSync(join(dir, "generated.mjs"), js.replace(`from "dync/runtime"`, `from "./runtime-stub.mjs"`));
    const mod = (await import(pathToFileURL(join(dir, "generated.mjs")).href)) as { experiments: ExperimentProgram[] };
    const stub = (await import(pathToFileURL(join(dir, "runtime-stub.mjs")).href)) as { calls: { runMain: number } };
    program = mod.experiments[0]!;
    runMainCalls = stub.calls.runMain;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("the path really contains every payload that fits in a path", () => {
    for (const s of [`"`, `'`, "`", "${process.exit(1)}", "\n", "\u2028", "</script>"]) expect(file).toContain(s);
    if (segments[0]!.endsWith("*")) expect(file).toContain("*/");
  });

  it("the generated module type-checks", () => {
    expect(typeCheck(code).map((p) => `${p.line}: ${p.message}`)).toEqual([]);
  });

  it("evaluating it runs no injected code and does not start the experiment", () => {
    expect((globalThis as { __dyncInjected?: unknown }).__dyncInjected).toBeUndefined();
    expect(runMainCalls).toBe(0);
  });

  it("the source, the file path and every string come back exactly", () => {
    expect(program.source).toBe(source);
    expect(program.file).toBe(file);
    const runs = expandPlan(program.profiles["default"]!).runs;
    expect(runs.map((r) => (r.data["train"] as { dir: string | null }).dir)).toEqual(dirs);
    expect(runs.map((r) => r.point["dir"])).toEqual(dirs);
    expect(runs.map((r) => r.id)).toEqual(dirs.map((d) => `dir=${d}`));
  });

  it("the target function still computes x² + 1", () => {
    const target = program.targets["target0"] as unknown as (x: number) => number;
    expect([target(0), target(3), target(-0.5)]).toEqual([1, 10, 1.25]);
  });

  it("no comment ends early: payloads appear only inside comments and string literals", () => {
    // Scan the module as TypeScript does; any code token (not trivia, not a string) holding a payload
    // would mean a comment or a literal was closed early.
    const scanner = ts.createScanner(ts.ScriptTarget.ES2022, false, ts.LanguageVariant.Standard, code);
    const leaked: string[] = [];
    for (let kind = scanner.scan(); kind !== ts.SyntaxKind.EndOfFileToken; kind = scanner.scan()) {
      const text = scanner.getTokenText();
      if (kind === ts.SyntaxKind.StringLiteral || kind === ts.SyntaxKind.SingleLineCommentTrivia || kind === ts.SyntaxKind.MultiLineCommentTrivia) continue;
      // `process.argv`/`process.exitCode` belong to the entry point; `exit`, the injected global and any
      // template literal do not.
      const payload = ["exit", "__dyncInjected", "globalThis", "script"].includes(text) || kind === ts.SyntaxKind.NoSubstitutionTemplateLiteral || kind === ts.SyntaxKind.TemplateHead;
      if (payload) leaked.push(`${ts.SyntaxKind[kind]} ${JSON.stringify(text)}`);
    }
    expect(leaked).toEqual([]);
  });
});
