/**
 * Fuzz: random edits of the examples and sketches, sent as incremental didChange notifications as an
 * editor sends them while someone types, with a request of every kind at a random position after each.
 * The server must answer every request, publish diagnostics for the final version, log no internal error,
 * and still be alive to shut down cleanly.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { checkSource } from "../../compiler/check/index.js";
import { LspClient, positionAtOffset } from "./lsp-client.js";

const SOURCES = [
  ...readdirSync("examples").filter((f) => f.endsWith(".dyn")).map((f) => join("examples", f)),
  ...readdirSync("test/fixtures/sketches").filter((f) => f.endsWith(".dyn")).map((f) => join("test/fixtures/sketches", f)),
];
/** Fragments people type, plus characters the lexer rejects and brackets that unbalance everything. */
const SNIPPETS = ["(", ")", "{", "}", "[", "]", ":", ",", "~", "=", "->", "..", "%", '"', "/*", "*/", "//", "\n", " ", "1e", "3x", "50k", "act: ", "optimizer ", "loss(", "let ", "every ", "at first(", "sweep (a, b) in ", "@", "#", "é😀", "\r\n", "experiment z {", "data d { x ~ ", "model m = mlp(", "import \"x.dyn\"\n"];
/** Replay or extend a run with DYNC_FUZZ_SEED / DYNC_FUZZ_EDITS. */
const EDITS_PER_FILE = Number(process.env["DYNC_FUZZ_EDITS"] ?? Math.max(10, Math.floor(240 / SOURCES.length)));
const SEED = Number(process.env["DYNC_FUZZ_SEED"] ?? 20240611);

/** mulberry32: a small seeded generator, so a failing run can be replayed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let client: LspClient | undefined;
afterAll(() => client?.kill());

it(`survives ${EDITS_PER_FILE} random edits of each of ${SOURCES.length} files, answering every request`, async () => {
  client = await LspClient.start();
  const random = rng(SEED);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
  let requests = 0;
  for (const [n, file] of SOURCES.entries()) {
    const uri = `file:///tmp/dync-fuzz-${n}.dyn`;
    let text = readFileSync(file, "utf8");
    await client.open(uri, text);
    let version = 1;
    for (let e = 0; e < EDITS_PER_FILE; e++) {
      // Editors never address the middle of a `\r\n`; LSP positions cannot express it.
      const outsideCrlf = (o: number) => (text[o - 1] === "\r" && text[o] === "\n" ? o - 1 : o);
      const start = outsideCrlf(Math.floor(random() * (text.length + 1)));
      const end = outsideCrlf(Math.min(text.length, start + (random() < 0.5 ? 0 : Math.floor(random() * 40))));
      const insert = random() < 0.8 ? pick(SNIPPETS) : "";
      const range = { start: positionAtOffset(text, start), end: positionAtOffset(text, end) };
      text = text.slice(0, start) + insert + text.slice(end);
      version = await client.changeNoWait(uri, [{ range, text: insert }]);
      const at = positionAtOffset(text, outsideCrlf(Math.floor(random() * (text.length + 1))));
      const answers = await Promise.all([
        client.completion(uri, at),
        client.hover(uri, at),
        client.definition(uri, at),
        e % 5 === 0 ? client.formatting(uri) : Promise.resolve([]),
        e % 5 === 0 ? client.documentSymbols(uri) : Promise.resolve([]),
      ]);
      requests += answers.length;
      expect(answers[0] === null || Array.isArray(answers[0])).toBe(true);
    }
    // The final version's diagnostics arrive and equal the checker's on our copy of the text, which
    // also shows the server applied every incremental edit exactly as we did.
    const final = await client.diagnosticsFor(uri, version);
    const path = `/tmp/dync-fuzz-${n}.dyn`;
    const want = checkSource(text, path).diagnostics.filter((d) => d.span.file === path).map((d) => `${d.code} ${d.span.line - 1}:${d.span.col - 1}`);
    expect(final.diagnostics.filter((d) => !d.message.startsWith("in /")).map((d) => `${d.code} ${d.range.start.line}:${d.range.start.character}`), file).toEqual(want);
  }
  expect(requests).toBe(SOURCES.length * EDITS_PER_FILE * 5);
  expect(client.logs.filter((l) => l.type === 1)).toEqual([]);
  expect(await client.stop()).toBe(0);
  expect(client.stderr).toBe("");
}, 60_000);
