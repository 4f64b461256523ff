/**
 * The language server driven as an editor drives it: a spawned `dync lsp` process (see lsp-client.ts),
 * LSP JSON-RPC over stdio. Answers are checked against independent sources: `dync check --format json`
 * for diagnostics, the registry for completion and hover, the `dync fmt` printer for formatting.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../cli/cli.js";
import { formatProgram } from "../../compiler/format.js";
import { parse } from "../../grammar/parse.js";
import { reservedWordList, softWordList } from "../../grammar/tokens.js";
import { registry } from "../../stdlib/registry/index.js";
import { LspClient, positionOf, type Pos } from "./lsp-client.js";

let client: LspClient;
const uriOf = (path: string) => pathToFileURL(resolve(path)).href;
const QUICKSTART = "examples/quickstart.dyn";
const quickText = readFileSync(QUICKSTART, "utf8");
const names = (kind: Parameters<typeof registry.ofKind>[0]) => registry.ofKind(kind).map((e) => e.name);

beforeAll(async () => {
  client = await LspClient.start();
}, 30_000);

afterAll(() => client?.kill());

/** `dync check --format json FILE`, in process: the CLI's own diagnostics. */
async function cliDiagnostics(file: string): Promise<{ code: string; severity: string; message: string; file: string; range: { start: { line: number; col: number }; end: { line: number; col: number } } }[]> {
  let out = "";
  await main(["check", "--format", "json", file], { write: (t: string) => (out += t), isTTY: false }, { write: () => true });
  return out.trim() === "" ? [] : out.trim().split("\n").map((l) => JSON.parse(l));
}

describe("lifecycle", () => {
  it("initialize announces every feature", () => {
    const caps = (client.initializeResult as { capabilities: Record<string, unknown> }).capabilities;
    expect(caps).toMatchObject({ hoverProvider: true, definitionProvider: true, documentFormattingProvider: true, documentSymbolProvider: true, textDocumentSync: 2 });
    expect((caps["completionProvider"] as { triggerCharacters: string[] }).triggerCharacters).toContain(":");
  });
});

describe("diagnostics", () => {
  const fixtures = ["test/fixtures/invalid", "test/fixtures/semantic"].flatMap((dir) =>
    readdirSync(dir).filter((f) => f.endsWith(".dyn")).map((f) => join(dir, f)),
  );

  it(`match \`dync check\` (codes, severities, messages, 0-based ranges) on ${fixtures.length} broken fixtures`, async () => {
    expect(fixtures.length).toBeGreaterThan(50);
    const severity = { error: 1, warning: 2, info: 3 } as const;
    for (const file of fixtures) {
      const published = await client.open(uriOf(file), readFileSync(file, "utf8"));
      const all = await cliDiagnostics(file);
      const cli = all.filter((d) => d.file === file);
      // Problems inside imported files are shown on the import, prefixed with where they are.
      for (const d of all.filter((x) => x.file !== file)) {
        expect(published.diagnostics.map((p) => `${p.code} ${p.message}`), file).toContain(`${d.code} in ${d.file}:${d.range.start.line}:${d.range.start.col}: ${d.message}`);
      }
      const got = published.diagnostics.filter((d) => !d.message.startsWith("in /")).map((d) => ({ code: d.code, severity: d.severity, message: d.message.split("\nhint: ")[0], range: d.range }));
      const want = cli.map((d) => ({
        code: d.code,
        severity: severity[d.severity as keyof typeof severity],
        message: d.message,
        range: { start: { line: d.range.start.line - 1, character: d.range.start.col - 1 }, end: { line: d.range.end.line - 1, character: d.range.end.col - 1 } },
      }));
      expect(got, file).toEqual(want);
    }
  });

  it("follow edits: an error appears when typed, disappears when fixed", async () => {
    const uri = "file:///tmp/dync-lsp-edit.dyn";
    expect((await client.open(uri, quickText)).diagnostics).toEqual([]);
    const at = positionOf(quickText, "1e-2)");
    const broken = await client.change(uri, [{ range: { start: at, end: { line: at.line, character: at.character + 4 } }, text: "1e-" }]);
    expect(broken.diagnostics.map((d) => d.code)).toContain("DYN1003");
    expect(broken.diagnostics.find((d) => d.code === "DYN1003")!.range.start).toEqual(at);
    const fixed = await client.change(uri, [{ range: { start: at, end: { line: at.line, character: at.character + 3 } }, text: "1e-3" }]);
    expect(fixed.diagnostics).toEqual([]);
    const unknown = await client.change(uri, [{ text: quickText.replace("optimizer adam(", "optimizer adma(") }]);
    const d = unknown.diagnostics.find((x) => x.source === "dync" && /adma/.test(x.message))!;
    expect(d.range.start).toEqual(positionOf(quickText, "adam("));
  });

  it("columns are UTF-16 code units, as LSP counts them", async () => {
    const text = 'let s = "😀é" 3x\n';
    const published = await client.open("file:///tmp/dync-lsp-utf16.dyn", text);
    const bad = published.diagnostics.find((d) => d.code === "DYN1003")!;
    expect(bad.range.start).toEqual({ line: 0, character: text.indexOf("3x") });
    expect(text.indexOf("3x")).toBe(14); // `let s = "` 9, 😀 two code units, `é" ` 3
  });
});

describe("completion", () => {
  const doc = (name: string, text: string) => ({ uri: `file:///tmp/dync-lsp-${name}.dyn`, text });
  async function labelsAfter(text: string, needle: string, delta = needle.length): Promise<string[]> {
    const { uri } = doc(needle.replace(/\W/g, "_") + String(text.length), text);
    await client.open(uri, text);
    return client.labels(uri, positionOf(text, needle, delta));
  }

  it("offers the optimizers after `optimizer `, and nothing else", async () => {
    const labels = await labelsAfter("experiment e {\n  optimizer \n}\n", "optimizer ");
    expect(labels.sort()).toEqual(names("optimizer").sort());
  });

  it("offers losses, schedules, regularizers, plots and distributions where each belongs", async () => {
    const text = "experiment e {\n  loss \n  schedule \n  regularize \n  plot \n  data d { x ~  }\n}\n";
    await client.open("file:///tmp/dync-lsp-kinds.dyn", text);
    const at = (needle: string, delta: number) => client.labels("file:///tmp/dync-lsp-kinds.dyn", positionOf(text, needle, delta));
    expect((await at("loss ", 5)).sort()).toEqual(names("loss").sort());
    expect((await at("schedule ", 9)).sort()).toEqual(names("schedule").sort());
    expect((await at("regularize ", 11)).sort()).toEqual(names("regularizer").sort());
    expect(await at("plot ", 5)).toEqual(expect.arrayContaining(names("plot")));
    expect((await at("~ ", 2)).sort()).toEqual(names("distribution").sort());
  });

  it("offers activations after `act: `, even in a half-typed call", async () => {
    const labels = await labelsAfter("experiment e {\n  model net = mlp(hidden: [4], act: ", "act: ");
    expect(labels).toEqual(expect.arrayContaining(names("activation")));
    expect(labels).not.toContain("adam");
  });

  it("offers pair samplers after `pairs: `, and shows a sampler's doc on hover", async () => {
    const text = "experiment e {\n  probe h = hamming(net, train, pairs: windows(size: 50)) at end\n}\n";
    const uri = "file:///tmp/dync-lsp-samplers.dyn";
    await client.open(uri, text);
    const labels = await client.labels(uri, positionOf(text, "pairs: ", 7));
    expect(labels).toEqual(expect.arrayContaining(names("sampler")));
    expect(labels).not.toContain("fourier");
    const hover = (await client.hover(uri, positionOf(text, "windows", 2)))?.contents.value ?? "";
    expect(hover).toContain(registry.get("sampler", "windows")!.doc);
    expect(hover).toContain("`per`");
  });

  it("offers the called entry's parameter names inside a call, minus those given", async () => {
    const labels = await labelsAfter("experiment e {\n  optimizer adam(lr: 1e-2, )\n}\n", ", ", 2);
    const params = registry.get("optimizer", "adam")!.params.map((p) => `${p.name}:`);
    expect(labels).toEqual(expect.arrayContaining(params.filter((p) => p !== "lr:")));
    expect(labels).not.toContain("lr:");
  });

  it("offers choices, and names of the right kind for references", async () => {
    const text = "experiment e {\n  data tr = mnist(split: )\n  data te = grid(x in [0, 1], n: 5) -> x\n  model net = mlp()\n  probe p = loss(net, ) every 10 steps\n}\n";
    const uri = "file:///tmp/dync-lsp-values.dyn";
    await client.open(uri, text);
    const split = registry.get("data", "mnist")!.params.find((p) => p.name === "split")!;
    expect(split.type.t).toBe("choice");
    expect(await client.labels(uri, positionOf(text, "split: ", 7))).toEqual([...(split.type as unknown as { options: string[] }).options]);
    const lossProbe = registry.get("probe", "loss")!;
    const dataParam = lossProbe.params[1]!;
    expect(dataParam.type).toEqual({ t: "ref", of: "data" });
    const labels = await client.labels(uri, positionOf(text, "(net, ", 6));
    expect(labels).toEqual(expect.arrayContaining(["tr", "te"]));
  });

  it("offers statement keywords by block, from the grammar", async () => {
    const text = "\nexperiment e {\n  \n  data d {  }\n}\n";
    const uri = "file:///tmp/dync-lsp-keywords.dyn";
    await client.open(uri, text);
    const top = await client.labels(uri, { line: 0, character: 0 });
    expect(top.sort()).toEqual(["data", "experiment", "import", "let", "model"]);
    const body = await client.labels(uri, { line: 2, character: 2 });
    for (const kw of ["let", "sweep", "seeds", "data", "model", "init", "loss", "regularize", "optimizer", "schedule", "train", "probe", "expect", "plot", "profile"]) expect(body).toContain(kw);
    expect(body).not.toContain("experiment");
    const keywords = new Set([...reservedWordList, ...softWordList]);
    expect(body.every((l) => keywords.has(l))).toBe(true);
  });

  it("offers units and cadences mid-statement, and defined names in expressions", async () => {
    const text = "experiment e {\n  let lr = 0.1\n  train 3k \n  probe q = weight_norm(net) \n  expect \n}\n";
    const uri = "file:///tmp/dync-lsp-mid.dyn";
    await client.open(uri, text);
    expect(await client.labels(uri, positionOf(text, "3k ", 3))).toEqual(expect.arrayContaining(["steps", "epochs"]));
    expect(await client.labels(uri, positionOf(text, "(net) ", 6))).toEqual(expect.arrayContaining(["every", "at"]));
    const expectLabels = await client.labels(uri, positionOf(text, "expect ", 7));
    expect(expectLabels).toEqual(expect.arrayContaining(["lr", "q", ...names("analysis")]));
  });

  it("offers nothing inside comments and strings", async () => {
    const text = '// optimizer \nimport "opt \n';
    const uri = "file:///tmp/dync-lsp-comment.dyn";
    await client.open(uri, text);
    expect(await client.labels(uri, positionOf(text, "optimizer ", 10))).toEqual([]);
    expect(await client.labels(uri, positionOf(text, '"opt ', 5))).toEqual([]);
  });
});

describe("hover", () => {
  const uri = uriOf(QUICKSTART);
  beforeAll(async () => {
    await client.open(uri, quickText);
  });
  const hoverText = async (p: Pos) => (await client.hover(uri, p))?.contents.value ?? "";

  it("shows a registry entry's doc, every parameter with type and default, and its paper", async () => {
    const text = await hoverText(positionOf(quickText, "adam", 2));
    const adam = registry.get("optimizer", "adam")!;
    expect(text).toContain(adam.doc);
    for (const p of adam.params) expect(text).toContain(`\`${p.name}\``);
    expect(text).toContain("default `0.001`");
    expect(text).toContain(adam.cites!.text);
  });

  it("resolves by context: `loss` the probe, `mse` the loss, `silu` the activation", async () => {
    expect(await hoverText(positionOf(quickText, "loss(net", 1))).toContain(registry.get("probe", "loss")!.doc);
    expect(await hoverText(positionOf(quickText, "mse", 1))).toContain(registry.get("loss", "mse")!.doc);
    expect(await hoverText(positionOf(quickText, "silu", 1))).toContain(registry.get("activation", "silu")!.doc);
    expect(await client.hover(uri, positionOf(quickText, "loss mse", 1))).toBeNull(); // the statement keyword
  });

  it("shows a parameter's doc on its name", async () => {
    const text = await hoverText(positionOf(quickText, "factor:", 1));
    const factor = registry.get("schedule", "step_decay")!.params.find((p) => p.name === "factor")!;
    expect(text).toContain(factor.doc);
    expect(text).toContain("step_decay");
  });

  it("shows a defined name's definition line", async () => {
    const text = await hoverText(positionOf(quickText, "final_loss[width = 64] < 1e-2", 1));
    expect(text).toContain("let final_loss = median(last(test_loss)) over seeds");
    expect(text).toContain("line 19");
  });
});

describe("go to definition", () => {
  const uri = uriOf(QUICKSTART);
  const lineOf = (needle: string) => positionOf(quickText, needle).line;
  it("finds probes, data, models, lets and sweep variables", async () => {
    await client.open(uri, quickText);
    const cases: [use: Pos, defLine: number, name: string][] = [
      [positionOf(quickText, "test_loss, color", 2), lineOf("probe test_loss"), "test_loss"],
      [positionOf(quickText, "test) every", 1), lineOf("data test"), "test"],
      [positionOf(quickText, "net, test", 1), lineOf("model net"), "net"],
      [positionOf(quickText, "final_loss[width = 4]", 3), lineOf("let final_loss"), "final_loss"],
      [positionOf(quickText, "width = 4]", 0), lineOf("sweep width"), "width"],
      [positionOf(quickText, "x^2 }", 0), lineOf("x ~ uniform"), "x"],
    ];
    for (const [use, line, name] of cases) {
      const def = await client.definition(uri, use);
      expect(def, name).not.toBeNull();
      expect(def!.uri).toBe(uri);
      expect(def!.range.start.line, name).toBe(line);
      const lineText = quickText.split("\n")[line]!;
      expect(lineText.slice(def!.range.start.character, def!.range.end.character)).toBe(name);
    }
    expect(await client.definition(uri, positionOf(quickText, "adam"))).toBeNull();
    expect(await client.definition(uri, positionOf(quickText, "lr:"))).toBeNull();
  });

  it("finds names defined in an imported file, and hovers them", async () => {
    const dir = mkdtempSync(join(tmpdir(), "dync-lsp-"));
    const common = "// shared settings\nlet base_lr = 0.05\ndata shared = grid(x in [0, 1], n: 11) -> x\n";
    writeFileSync(join(dir, "common.dyn"), common);
    const text = 'import "common.dyn"\nexperiment e {\n  optimizer gd(lr: base_lr)\n}\n';
    const mainUri = pathToFileURL(join(dir, "main.dyn")).href;
    await client.open(mainUri, text);
    const def = await client.definition(mainUri, positionOf(text, "base_lr)", 2));
    expect(def).toEqual({ uri: pathToFileURL(join(dir, "common.dyn")).href, range: { start: { line: 1, character: 4 }, end: { line: 1, character: 11 } } });
    expect((await client.hover(mainUri, positionOf(text, "base_lr)", 2)))!.contents.value).toContain("let base_lr = 0.05");
    // a number parameter: lets and sweep variables are offered, a data set is not
    const labels = await client.labels(mainUri, positionOf(text, "base_lr)"));
    expect(labels).toContain("base_lr");
    expect(labels).not.toContain("shared");
  });
});

describe("formatting and symbols", () => {
  it("formats with the `dync fmt` printer", async () => {
    const messy = "experiment   e{\nseeds 3\n  loss   mse\n    optimizer adam( lr:1e-2 )\n}";
    const uri = "file:///tmp/dync-lsp-fmt.dyn";
    await client.open(uri, messy);
    const edits = await client.formatting(uri);
    const parsed = parse(messy, "x.dyn");
    expect(edits).toHaveLength(1);
    expect(edits![0]!.newText).toBe(formatProgram(parsed.program, parsed.source));
    expect(edits![0]!.range).toEqual({ start: { line: 0, character: 0 }, end: { line: 4, character: 1 } });
    await client.change(uri, [{ text: edits![0]!.newText }]);
    expect(await client.formatting(uri)).toEqual([]);
  });

  it("leaves a document with syntax errors alone", async () => {
    const uri = "file:///tmp/dync-lsp-fmt-broken.dyn";
    await client.open(uri, "experiment e {\n  optimizer adam(lr: \n");
    expect(await client.formatting(uri)).toEqual([]);
  });

  it("outlines experiments with their sweeps, data, models, probes, lets and profiles", async () => {
    const uri = uriOf(QUICKSTART);
    await client.open(uri, quickText);
    const symbols = (await client.documentSymbols(uri))!;
    expect(symbols.map((s) => s.name)).toEqual(["quickstart"]);
    const children = symbols[0]!.children as { name: string; detail: string }[];
    expect(children.map((c) => `${c.detail} ${c.name}`)).toEqual([
      "sweep width", "data train", "data test", "model net", "probe test_loss", "probe weights", "let final_loss", "profile quick",
    ]);
  });
});

describe("broken and half-typed documents", () => {
  const halfTyped = [
    "experiment",
    "experiment e {",
    "experiment e {\n  model net = mlp(hidden: [",
    "experiment e {\n  optimizer adam(lr: 1e-2,",
    "experiment e {\n  data d { x ~ uniform(",
    'import "nowhere.dyn"\nexperiment e { probe p = loss(',
    "let = \nexperiment { } }} ))) [[ \"open",
    "/* unterminated comment\nexperiment e {",
    "experiment e { sweep (a, b) in zip([1], [2]); train 1e steps; expect a within of }",
  ];
  it("every request answers on every prefix of half-typed texts", async () => {
    const uri = "file:///tmp/dync-lsp-half.dyn";
    await client.open(uri, "");
    for (const text of halfTyped) {
      for (let cut = 0; cut <= text.length; cut += 3) {
        const part = text.slice(0, cut);
        const published = await client.change(uri, [{ text: part }]);
        expect(Array.isArray(published.diagnostics)).toBe(true);
        const end = positionOf(part + "\u0000", "\u0000");
        const [completion, hover, definition, formatting, symbols] = await Promise.all([
          client.completion(uri, end),
          client.hover(uri, { line: end.line, character: Math.max(0, end.character - 1) }),
          client.definition(uri, { line: end.line, character: Math.max(0, end.character - 1) }),
          client.formatting(uri),
          client.documentSymbols(uri),
        ]);
        expect(completion === null || Array.isArray(completion)).toBe(true);
        expect(hover === null || typeof hover.contents.value === "string").toBe(true);
        expect(definition === null || typeof definition.uri === "string").toBe(true);
        expect(Array.isArray(formatting)).toBe(true);
        expect(Array.isArray(symbols)).toBe(true);
      }
    }
    expect(client.logs.filter((l) => l.type === 1)).toEqual([]);
  });

  it("shuts down cleanly with exit code 0", async () => {
    expect(await client.stop()).toBe(0);
    expect(client.stderr).toBe("");
  });
});
