/**
 * One hostile document must not stop the language server's diagnostics for the others: each of these
 * used to exhaust memory or the stack, run for minutes, or block on a device or FIFO inside the shared
 * diagnostics worker. Every document gets its coded diagnostic, and a plain document opened after them
 * still gets its diagnostics promptly.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { LspClient } from "../editor/lsp-client.js";

const dir = mkdtempSync(join(tmpdir(), "dync-hostile-lsp-"));
const fifo = join(dir, "pipe.dyn");
execFileSync("mkfifo", [fifo]);

const experiment = (body: string) => `experiment r {\n  ${body}\n  seeds 1\n  data train { x ~ uniform(-2, 2) [32]; y = x^2 }\n  model net = mlp(hidden: [4])\n  loss mse\n  optimizer adam(lr: 1e-2)\n  train 30 steps, batch full\n}\n`;

const HOSTILE: readonly [string, string, string][] = [
  ["repeat", experiment("sweep w in [1] * 1e9"), "DYN3001"],
  ["cross", experiment("sweep a in 1..3000\n  sweep b in 1..3000"), "DYN3002"],
  ["chain", experiment(`let z = ${Array(3000).fill("1").join(" + ")}`), "DYN1110"],
  ["index", experiment(`let z = [[1]]${"[0]".repeat(3000)}`), "DYN1110"],
  ["width", experiment("sweep w in [1]").replace("hidden: [4]", "hidden: [1e12]"), "DYN3003"],
  ["devzero", `import "/dev/zero"\n${experiment("sweep w in [1]")}`, "DYN4011"],
  ["fifo", `import "pipe.dyn"\n${experiment("sweep w in [1]")}`, "DYN4001"],
];

let client: LspClient | undefined;
afterAll(() => {
  client?.kill();
  rmSync(dir, { recursive: true, force: true });
});

it("keeps serving every document while others are hostile", async () => {
  client = await LspClient.start();
  const opened = HOSTILE.map(([name, text]) => client!.open(`file://${dir}/${name}.dyn`, text));
  const plainText = readFileSync("examples/quickstart.dyn", "utf8").replace("seeds 8", "seeds 8 8");
  const plain = client.open(`file://${dir}/plain.dyn`, plainText);
  const t0 = performance.now();
  const answers = await Promise.all(opened);
  for (const [k, [name, , code]] of HOSTILE.entries()) expect(answers[k]!.diagnostics.map((d) => d.code), name).toContain(code);
  expect((await plain).diagnostics.map((d) => d.code)).toContain("DYN1102");
  expect(performance.now() - t0).toBeLessThan(20_000);
  expect(client.logs.filter((l) => l.type === 1)).toEqual([]);
  expect(await client.stop()).toBe(0);
}, 60_000);
