/**
 * Language-server latency on a 2,000-line document, measured as an editor sees it: a spawned `dync lsp`,
 * LSP JSON-RPC over stdio, wall time from sending a request to receiving its answer (median and 95th
 * percentile of many requests). Target: completion and hover under 100 ms.
 *
 *   npx tsx bench/lsp-bench.ts [LINES]
 *
 * Set DYNC_BIN=dist/cli/bin.js to time the built server (after `npm run build`); otherwise the
 * server runs from the sources through tsx (start-up differs, request latency does not).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { LspClient, positionOf, type Pos } from "../test/editor/lsp-client.js";

const LINES = Number(process.argv[2] ?? 2000);
const RUNS = 40;

/** The examples and sketches, repeated with renamed experiments until the document has LINES lines. */
function bigDocument(): string {
  const files = [
    ...readdirSync("examples").filter((f) => f.endsWith(".dyn")).map((f) => join("examples", f)),
    ...readdirSync("test/fixtures/sketches").filter((f) => f.endsWith(".dyn")).map((f) => join("test/fixtures/sketches", f)),
  ].map((f) => readFileSync(f, "utf8"));
  let text = "";
  for (let i = 0; text.split("\n").length < LINES; i++) text += files[i % files.length]!.replace(/experiment (\w+)/, `experiment $1_${i}`) + "\n";
  return text;
}

function stats(ms: number[]): string {
  const s = [...ms].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return `median ${q(0.5).toFixed(1)} ms, p95 ${q(0.95).toFixed(1)} ms, max ${s[s.length - 1]!.toFixed(1)} ms (n=${s.length})`;
}

async function time(run: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await run();
    out.push(performance.now() - t0);
  }
  return out;
}

const client = await LspClient.start({ debounceMs: 150 }, process.env["DYNC_BIN"]);
const base = bigDocument();
// The last experiment is where the cursor works: near the end, so every scan covers the whole file.
const tail = "experiment bench {\n  data train = grid(x in [-1, 1], n: 101) -> x^2\n  model net = mlp(hidden: [16], act: silu)\n  optimizer adam(lr: 1e-2, )\n  loss mse\n  train 1k steps\n  probe tl = loss(net, train) every 10 steps\n  \n}\n";
const text = base + tail;
const uri = "file:///tmp/dync-bench.dyn";
const lines = text.split("\n").length;
let t0 = performance.now();
await client.open(uri, text);
console.log(`document: ${lines} lines, ${text.length} characters`);
console.log(`first diagnostics (parse + check, 150 ms debounce included): ${(performance.now() - t0).toFixed(0)} ms`);

const at = (needle: string, delta: number): Pos => positionOf(text, needle, delta, 0);
const cases: [string, () => Promise<unknown>][] = [
  ["completion after `optimizer ` (optimizers)", () => client.completion(uri, at("optimizer adam(lr: 1e-2, )", 10))],
  ["completion inside `adam(lr: 1e-2, ` (parameter names)", () => client.completion(uri, at("1e-2, )", 6))],
  ["completion after `act: ` (activations)", () => client.completion(uri, at("act: silu)\n  optimizer adam(lr: 1e-2, )", 5))],
  ["completion at a statement start (keywords)", () => client.completion(uri, at("every 10 steps\n  \n", 17))],
  ["hover on `adam` (registry entry)", () => client.hover(uri, at("adam(lr: 1e-2, )", 1))],
  ["hover on `train` in `loss(net, train)` (definition line)", () => client.hover(uri, at("train) every 10 steps\n  \n", 1))],
  ["go to definition of `net`", () => client.definition(uri, at("net, train) every 10 steps\n  \n", 1))],
];
for (const [name, run] of cases) console.log(`${name}: ${stats(await time(run))}`);

// Typing: each keystroke is a didChange followed at once by a completion request, so the answer
// includes lexing the new version (the parse and check run later, debounced).
const typeAt = at("every 10 steps\n  \n", 17);
let typed = "";
const typing = await time(async () => {
  typed += "a";
  await client.changeNoWait(uri, [{ range: { start: { ...typeAt, character: typeAt.character + typed.length - 1 }, end: { ...typeAt, character: typeAt.character + typed.length - 1 } }, text: "a" }]);
  await client.completion(uri, { ...typeAt, character: typeAt.character + typed.length });
});
console.log(`completion right after a keystroke (didChange + completion): ${stats(typing)}`);
const hoverTyping = await time(async () => {
  await client.changeNoWait(uri, [{ range: { start: typeAt, end: typeAt }, text: " " }]);
  await client.hover(uri, at("adam(lr: 1e-2, )", 1));
});
console.log(`hover right after a keystroke (didChange + hover): ${stats(hoverTyping)}`);

t0 = performance.now();
const version = await client.changeNoWait(uri, [{ range: { start: typeAt, end: typeAt }, text: "x" }]);
await client.diagnosticsFor(uri, version);
console.log(`diagnostics after a keystroke (150 ms debounce + parse + check): ${(performance.now() - t0).toFixed(0)} ms`);
await client.stop();
