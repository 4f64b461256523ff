/**
 * Signals while native products run: oneDNN before 3.11.1 points rsp into the heap inside its JIT sgemm kernels,
 * so a signal handled on that thread corrupted the heap (oneDNN issue 4845; native/dync_gemm.h blocks signals
 * around every product). A child process multiplies on the native path while this one sends it SIGUSR2 every
 * millisecond or two; the child counts the signals in a JS handler, checks every product against the first
 * (the same operands give the same bits), and must exit 0. Before the mask, a second SIGTERM during a product
 * aborted dync in 2–3 of 8 tries ("malloc(): unaligned tcache chunk detected"). Runs on the compiled runtime
 * (dist/, built by pretest). Skipped without the native addon, except under CI=true.
 */
import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { selectBackend } from "../../runtime/backend.js";
import { nativeMatMulUnavailableReason } from "../../runtime/kernels/native.js";

await selectBackend("wasm");
const reason = nativeMatMulUnavailableReason();
const ROOT = resolve(import.meta.dirname, "../..");

const CHILD = `
import * as tf from "@tensorflow/tfjs-core";
import { selectBackend } from "./dist/runtime/backend.js";
import { nativeMatMulInfo } from "./dist/runtime/kernels/native.js";
import { bmm } from "./dist/runtime/nn/bmm.js";
await selectBackend("wasm");
if (nativeMatMulInfo().path !== "native") throw new Error("the native path does not serve");
let signals = 0;
process.on("SIGUSR2", () => signals++);
console.log("ready");
const a = tf.randomNormal([2, 384, 512], 0, 1, "float32", 1);
const b = tf.randomNormal([2, 512, 448], 0, 1, "float32", 2);
const first = bmm(a, b).dataSync().slice();
// A count of products and of signals, not a time window: on a loaded machine a window held too few products.
const deadline = Date.now() + 40_000;
let products = 0;
while ((products < 30 || signals < 200) && Date.now() < deadline) {
  const got = tf.tidy(() => bmm(a, b).dataSync());
  if (!got.every((v, i) => Object.is(v, first[i]))) throw new Error("a product differs from the first");
  products++;
  await new Promise((r) => setImmediate(r)); // let the SIGUSR2 handler run
}
console.log(JSON.stringify({ signals, products, gemm: nativeMatMulInfo().gemm }));
// Exit only once the storm has stopped: a SIGUSR2 landing while Node tears down its handlers would end the child.
process.stdin.resume();
await new Promise((r) => process.stdin.once("end", r));
`;

describe.skipIf(reason !== undefined && process.env["CI"] !== "true")(`native products under a storm of signals${reason ? ` (${reason})` : ""}`, () => {
  it("neither corrupt memory nor change a result", async () => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", CHILD], { cwd: ROOT });
    let stdout = "";
    let stderr = "";
    let ready: () => void;
    const isReady = new Promise<void>((done) => (ready = done));
    let storm: NodeJS.Timeout | undefined;
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      if (/^ready$/m.test(stdout)) ready();
      if (/^\{.*\}$/m.test(stdout)) {
        clearInterval(storm);
        child.stdin.end();
      }
    });
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<[number | null, string | null]>((done) => child.on("exit", (code, signal) => done([code, signal])));
    await isReady; // the handler is installed: before it, SIGUSR2 would end the child
    storm = setInterval(() => child.kill("SIGUSR2"), 1);
    const [code, signal] = await exited;
    clearInterval(storm);
    expect({ code, signal, stderr: stderr.slice(-500) }).toEqual({ code: 0, signal: null, stderr: expect.any(String) });
    const report = JSON.parse(/^\{.*\}$/m.exec(stdout)![0]) as { signals: number; products: number };
    expect(report.signals).toBeGreaterThanOrEqual(200);
    expect(report.products).toBeGreaterThanOrEqual(30);
  }, 60_000);
});
