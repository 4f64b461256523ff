/**
 * The bar (Lazzari & Liu 2023, P2 and P11 at initialization): a 2 → 512×4 → 3 ReLU coordinate MLP
 * with PyTorch's default init on a 128 × 128 grid; dync's region count and dead-ReLU count (wasm backend,
 * float32) must equal the same computation in numpy (float64 on the exported float32 weights: z = h·W + b
 * per layer, patterns z > 0, np.unique over the packed rows). The weights and inputs go to numpy as .npy
 * files. Runs where a python3 with numpy is installed (CI: python3-numpy).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { selectBackend } from "../../runtime/backend.js";
import { writeNpy } from "../../runtime/npy.js";
import { mlp } from "../../runtime/nn/index.js";
import { EvalData } from "../../stdlib/probes/eval-data.js";
import { activationPatterns, deadUnits, regionIds } from "../../stdlib/regions/patterns.js";

function findNumpyPython(): string | undefined {
  for (const exe of ["/usr/bin/python3", "python3"]) {
    if (spawnSync(exe, ["-c", "import numpy"], { encoding: "utf8" }).status === 0) return exe;
  }
  return undefined;
}
const python = findNumpyPython();

const SIDE = 128;

const NUMPY = `
import json, sys, numpy as np
d = sys.argv[1]
h = np.load(d + "/x.npy").astype(np.float64)
dead, patterns = 0, []
for k in range(4):
    z = h @ np.load(d + f"/w{k}.npy").astype(np.float64) + np.load(d + f"/b{k}.npy").astype(np.float64)
    on = z > 0
    dead += int((~on.any(axis=0)).sum())
    patterns.append(on)
    h = np.maximum(z, 0)
packed = np.packbits(np.concatenate(patterns, axis=1), axis=1)
print(json.dumps({"regions": int(np.unique(packed, axis=0).shape[0]), "dead": dead,
                  "first_layer_regions": int(np.unique(np.packbits(patterns[0], axis=1), axis=0).shape[0])}))
`;

describe.skipIf(!python)("region and dead-ReLU counts at init agree with numpy (4×512 ReLU, torch_default, 128 × 128 grid)", () => {
  const root = mkdtempSync(join(tmpdir(), "dync-regions-numpy-"));
  beforeAll(async () => {
    await selectBackend("wasm");
  });
  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
  });

  for (const [lo, hi] of [[0, 1], [-1, 1]] as const) {
    it(`coordinates in [${lo}, ${hi}]`, () => {
      const n = SIDE * SIDE;
      const x = new Float32Array(2 * n);
      for (let r = 0; r < SIDE; r++) for (let c = 0; c < SIDE; c++) x.set([lo + ((hi - lo) * c) / (SIDE - 1), lo + ((hi - lo) * r) / (SIDE - 1)], 2 * (r * SIDE + c));
      const net = mlp({ inDim: 2, hidden: [512, 512, 512, 512], outDim: 3, act: "relu", init: "torch_default", seeds: [0] });
      const data = new EvalData([{ name: "grid", n, xShape: [2], x, yDim: 1, y: new Float32Array(n) }], 1);
      try {
        const dir = mkdtempSync(join(root, "case-"));
        writeNpy(join(dir, "x.npy"), x, [n, 2]);
        net.layers.filter((l) => l.role === "hidden").forEach((l, k) => {
          writeNpy(join(dir, `w${k}.npy`), l.weight!.variable.dataSync() as Float32Array, [l.fanIn, l.fanOut]);
          writeNpy(join(dir, `b${k}.npy`), l.bias!.variable.dataSync() as Float32Array, [l.fanOut]);
        });
        const run = spawnSync(python!, ["-c", NUMPY, dir], { encoding: "utf8" });
        expect(run.stderr).toBe("");
        const numpy = JSON.parse(run.stdout) as { regions: number; dead: number; first_layer_regions: number };
        const [all] = activationPatterns(net, data, null, null);
        const [first] = activationPatterns(net, data, [0], null);
        expect({ regions: regionIds(all!).count, dead: deadUnits(all!), first_layer_regions: regionIds(first!).count }).toEqual(numpy);
        // Measured (seed 0): [0, 1]: 15,129 regions, 614 dead, 5,217 first-layer regions; [−1, 1]: 16,344, 304,
        // 11,513 (the paper, 512² images, 5-image mean: 632 and 329 dead of 2,048).
        expect(numpy.dead).toBeGreaterThan(lo === 0 ? 500 : 200);
      } finally {
        data.dispose();
        net.dispose();
      }
    }, 120_000);
  }
});
