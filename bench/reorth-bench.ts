/**
 * Lanczos's float64 reorthogonalisation (numerics/lanczos.ts `VectorKernels`) on each strategy: the JS loops, the
 * wasm SIMD kernels (runtime/kernels/wasm-lanczos.ts) and the native addon (native-lanczos.ts). What case (h) does:
 * 60 steps at 40,801 parameters, step j orthogonalising a fresh w against j basis vectors (two classical
 * Gram–Schmidt passes). CPU time of this process per 60 steps (user + system), the strategies alternated A B C A B C,
 * median of the repetitions, and the largest difference of each result from the JS one.
 *
 *   npx tsx bench/reorth-bench.ts [dim] [steps] [reps]      (needs `npm run native` for the native row)
 */
import { jsVectorKernels, orthogonalizeTwice, type VectorKernels } from "../numerics/lanczos.js";
import { selectBackend } from "../runtime/backend.js";
import { nativeVectorKernels } from "../runtime/kernels/native-lanczos.js";
import { wasmVectorKernels } from "../runtime/kernels/wasm-lanczos.js";
import { Rng } from "../runtime/rng.js";

const [dim, steps, reps] = [Number(process.argv[2] ?? 40801), Number(process.argv[3] ?? 60), Number(process.argv[4] ?? 7)];
await selectBackend("wasm");
const strategies = Object.entries({ js: jsVectorKernels, wasm: wasmVectorKernels(), native: nativeVectorKernels() }).filter(
  (entry): entry is [string, VectorKernels] => entry[1] !== undefined,
);

const rng = new Rng(1);
const basisVectors: Float64Array[] = [];
for (let j = 0; j < steps; j++) {
  const v = Float64Array.from({ length: dim }, () => rng.normal());
  orthogonalizeTwice(v, basisVectors);
  const size = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  basisVectors.push(v.map((x) => x / size));
}
const products = Array.from({ length: steps }, () => Float64Array.from({ length: dim }, () => rng.normal()));

/** CPU ms of a Lanczos run's reorthogonalisations: step j against the first j + 1 vectors; the last result. */
function run(kernels: VectorKernels): { ms: number; last: Float64Array } {
  const basis = kernels.basis(dim);
  let last = new Float64Array(0);
  const start = process.cpuUsage();
  for (let j = 0; j < steps; j++) {
    basis.push(basisVectors[j]!);
    last = Float64Array.from(products[j]!);
    basis.orthogonalizeTwice(last);
  }
  const used = process.cpuUsage(start);
  return { ms: (used.user + used.system) / 1000, last };
}

const times = new Map(strategies.map(([name]) => [name, [] as number[]]));
const results = new Map<string, Float64Array>();
for (let r = 0; r <= reps; r++) {
  for (const [name, kernels] of strategies) {
    const { ms, last } = run(kernels);
    if (r > 0) times.get(name)!.push(ms); // repetition 0 warms up
    results.set(name, last);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const js = results.get("js")!;
console.log(`${steps} steps at dim ${dim}, CPU ms per run (median of ${reps}, alternated)`);
for (const [name] of strategies) {
  const gap = Math.max(...results.get(name)!.map((x, i) => Math.abs(x - js[i]!)));
  console.log(`${name.padEnd(7)} ${median(times.get(name)!).toFixed(1).padStart(8)} ms   max |x − x_js| ${gap.toExponential(1)}`);
}
