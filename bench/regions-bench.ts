/**
 * Region counting at the spectral-bias paper's resolution (Lazzari & Liu 2023): a 2 → 512×4 → 3 ReLU
 * coordinate MLP (torch_default init) over a 512 × 512 grid on [0, 1]² (262,144 pixels, 2,048 hidden units):
 * times `activationPatterns` (forward passes + bit-packing, 64 MiB of patterns), `regionIds` (hash + exact
 * compare) and `deadUnits` separately, on one seed, wall clock and the process's CPU time (the wasm backend
 * runs on one thread, so CPU time is the one-core time when other work shares the machine).
 *
 *   npx tsx bench/regions-bench.ts [--backend wasm|cpu] [--side 512] [--width 512]
 */
import { selectBackend, type BackendRequest } from "../runtime/backend.js";
import { mlp } from "../runtime/nn/index.js";
import { EvalData } from "../stdlib/probes/eval-data.js";
import { activationPatterns, deadUnits, regionIds } from "../stdlib/regions/patterns.js";

function flag(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1]! : fallback;
}

const backend = await selectBackend(flag("backend", "wasm") as BackendRequest);
const side = Number(flag("side", "512"));
const width = Number(flag("width", "512"));
const n = side * side;
const x = new Float32Array(2 * n);
for (let r = 0; r < side; r++) for (let c = 0; c < side; c++) x.set([c / (side - 1), r / (side - 1)], 2 * (r * side + c));
const net = mlp({ inDim: 2, hidden: [width, width, width, width], outDim: 3, act: "relu", seeds: [0] });
const data = new EvalData([{ name: "grid", n, xShape: [2], x, yDim: 1, y: new Float32Array(n) }], 1);

const cpu0 = process.cpuUsage();
const t0 = performance.now();
const [p] = activationPatterns(net, data, null, null);
const t1 = performance.now();
const { count } = regionIds(p!);
const t2 = performance.now();
const dead = deadUnits(p!);
const t3 = performance.now();
const cpu = process.cpuUsage(cpu0);
console.log(JSON.stringify({
  backend: backend.name, simd: backend.simd ?? null, points: n, units: p!.units, patternMiB: p!.bits.byteLength / 2 ** 20,
  regions: count, dead, patternsSeconds: (t1 - t0) / 1e3, regionIdsSeconds: (t2 - t1) / 1e3, deadSeconds: (t3 - t2) / 1e3, totalSeconds: (t3 - t0) / 1e3,
  // CPU time of this process (user + system): the one-core figure when the machine is shared
  cpuSeconds: (cpu.user + cpu.system) / 1e6,
}));
data.dispose();
net.dispose();
