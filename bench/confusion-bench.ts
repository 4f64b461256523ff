/**
 * Cost of one gradient-confusion measurement at the spectral-bias paper's scale: `pairGradientCosines` on a
 * 4×512 ReLU MLP (torch_default init, 3 outputs, mse) over a 512×512 coordinate grid (262,144 rows), with
 * local pairs (random pairs inside 50×50 patches, as the paper's local sampler) and global pairs (uniform
 * random rows), for coordinates and for a fourier(L: 8) encoding.
 *
 *   npx tsx bench/confusion-bench.ts [PAIRS] [BACKEND] [SEEDS]     (defaults 50000 wasm 1)
 *
 * Prints the wall and CPU time of each call (after one small warm-up call; on a shared machine the CPU time is
 * the figure to read: the wasm backend runs on one thread) and the distinct rows it ran forward/backward.
 */
import { selectBackend } from "../runtime/backend.js";
import type { LayerSpec } from "../contract/program.js";
import { Sequential } from "../runtime/nn/sequential.js";
import { Rng } from "../runtime/rng.js";
import { EvalData } from "../stdlib/probes/eval-data.js";
import { type PairIndices, pairGradientCosines } from "../stdlib/confusion/pair-gradients.js";

const PAIRS = Number(process.argv[2] ?? 50000);
const BACKEND = (process.argv[3] ?? "wasm") as "wasm" | "cpu";
const SEEDS = Number(process.argv[4] ?? 1);
const SIDE = 512;

function grid(): EvalData {
  const n = SIDE * SIDE;
  const x = new Float32Array(2 * n);
  const y = new Float32Array(3 * n);
  for (let r = 0; r < SIDE; r++) {
    for (let c = 0; c < SIDE; c++) {
      const k = r * SIDE + c;
      [x[2 * k], x[2 * k + 1]] = [c / (SIDE - 1), r / (SIDE - 1)];
      for (let o = 0; o < 3; o++) y[3 * k + o] = 0.5 + 0.5 * Math.sin((o + 1) * 7 * x[2 * k]!) * Math.cos(5 * x[2 * k + 1]!);
    }
  }
  return new EvalData([{ name: "image", n, xShape: [2], x, yDim: 3, y }], SEEDS);
}

/** `count` pairs: 500 per random 50×50 patch (local), or uniform over the image (global). */
function pairs(count: number, local: boolean, seed: number): PairIndices {
  const r = new Rng(seed);
  const i = new Int32Array(count);
  const j = new Int32Array(count);
  let [r0, c0] = [0, 0];
  for (let k = 0; k < count; k++) {
    if (!local) {
      [i[k], j[k]] = [Math.floor(r.uniform() * SIDE * SIDE), Math.floor(r.uniform() * SIDE * SIDE)];
      continue;
    }
    if (k % 500 === 0) [r0, c0] = [Math.floor(r.uniform() * (SIDE - 50)), Math.floor(r.uniform() * (SIDE - 50))];
    const at = () => (r0 + Math.floor(r.uniform() * 50)) * SIDE + c0 + Math.floor(r.uniform() * 50);
    [i[k], j[k]] = [at(), at()];
  }
  return { i, j };
}

function distinctRows(p: PairIndices): number {
  return new Set([...p.i, ...p.j]).size;
}

async function main(): Promise<void> {
  const info = await selectBackend(BACKEND);
  const data = grid();
  for (const encoding of [null, 8]) {
    const layers: LayerSpec[] = [
      ...(encoding ? [{ name: "enc", kind: "encoding" as const, encoding: { kind: "fourier" as const, L: encoding } }] : []),
      ...[0, 1, 2, 3].map((k) => ({ name: `h${k}`, kind: "dense" as const, width: 512, act: "relu" as const, bias: true })),
      { name: "out", kind: "dense", width: 3, act: null, bias: true },
    ];
    const model = new Sequential({ inShape: [2], layers, seeds: Array.from({ length: SEEDS }, (_, s) => s + 1) });
    pairGradientCosines(model, data, "mse", model.layers.map(() => pairs(100, false, 9)).slice(0, SEEDS));
    for (const local of [true, false]) {
      const sets = Array.from({ length: SEEDS }, (_, s) => pairs(PAIRS, local, 100 + s));
      const [start, cpuStart] = [performance.now(), process.cpuUsage()];
      const cos = pairGradientCosines(model, data, "mse", sets);
      const ms = performance.now() - start;
      const cpu = process.cpuUsage(cpuStart);
      const mean = cos[0]!.reduce((a, b) => a + b, 0) / cos[0]!.length;
      console.log(
        `${info.name} seeds=${SEEDS} ${encoding ? `fourier(L: ${encoding})` : "coordinates"} ${local ? "local" : "global"}: ${PAIRS} pairs, ` +
          `${distinctRows(sets[0]!)} distinct rows per seed: ${(ms / 1000).toFixed(1)} s wall, ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s CPU (mean cosine ${mean.toFixed(3)})`,
      );
    }
    model.dispose();
  }
  data.dispose();
}

await main();
