/**
 * `weights(net, name)`: a parameter tensor per seed and measurement, written as .npy. Run through the built
 * CLI (build first), each file checked against the run's own `param(…, stat: sum)` row for the same seed and
 * step (summed in float64 from the same tensor, recorded through the scalar path), its shape against the
 * layer's, and, when python3 has numpy, loaded by numpy as a researcher would.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readNpy } from "../../runtime/npy.js";

const ROOT = resolve(import.meta.dirname, "..", "..");
const scratch = mkdtempSync(join(tmpdir(), "dync-weights-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const SOURCE = `experiment wt {
  seeds 2
  data train = grid(x in [-1, 1], n: 16) -> x^2
  model net = mlp(hidden: [5], act: tanh)
  optimizer adamw(lr: 1e-2)
  train 20 steps, batch full
  probe w = weights(net, "hidden0") every 10 steps
  probe b = weights(net, "hidden0.bias") at end
  probe s = param(net, "hidden0", stat: sum) every 10 steps
}
`;

describe("weights(net, name) every N steps", () => {
  const out = join(scratch, "run");
  writeFileSync(join(scratch, "wt.dyn"), SOURCE);
  const p = spawnSync(process.execPath, [join(ROOT, "dist", "cli", "bin.js"), "run", "wt.dyn", "--backend", "cpu", "--jobs", "1", "--quiet", "--out", out], { cwd: scratch, encoding: "utf8", env: { ...process.env, DYNC_CACHE_DIR: join(scratch, "cache") } });
  const rows = () => readFileSync(join(out, "metrics.csv"), "utf8").trim().split("\n").slice(1).map((l) => l.split(","));

  it("writes one [fan_in, fan_out] file per seed and step, whose sum is the param(…, sum) of that seed and step", () => {
    expect(p.status, p.stderr).toBe(0);
    const sums = new Map(rows().filter((r) => r[4] === "s").map((r) => [`${r[1]}/${r[2]}`, Number(r[5])]));
    const files = rows().filter((r) => r[4] === "w");
    expect(files.map((r) => `${r[1]}/${r[2]}`)).toEqual(["0/0", "1/0", "0/10", "1/10", "0/20", "1/20"]);
    for (const r of files) {
      const array = readNpy(join(out, r[6]!));
      expect(array.shape).toEqual([1, 5]);
      const sum = Array.from(array.data as Float32Array).reduce((a, v) => a + v, 0);
      expect(sum).toBeCloseTo(sums.get(`${r[1]}/${r[2]}`)!, 12);
    }
    // Training moved the weights between measurements.
    expect(sums.get("0/0")).not.toBe(sums.get("0/20"));
    const bias = rows().filter((r) => r[4] === "b");
    expect(bias.map((r) => readNpy(join(out, r[6]!)).shape)).toEqual([[5], [5]]);
  });

  const numpy = spawnSync("python3", ["-c", "import numpy"]).status === 0;
  it.skipIf(!numpy && !process.env["CI"])("numpy loads them: float32, the same shape and values", () => {
    const file = rows().find((r) => r[4] === "w" && r[2] === "10")![6]!;
    const script = "import numpy as np, sys; a = np.load(sys.argv[1]); print(a.dtype, a.shape, repr(a.astype(float).ravel().tolist()))";
    const py = spawnSync("python3", ["-c", script, join(out, file)], { encoding: "utf8" });
    expect(py.status, py.stderr).toBe(0);
    const ours = Array.from(readNpy(join(out, file)).data as Float32Array);
    expect(py.stdout.trim()).toBe(`float32 (1, 5) [${ours.map((v) => pyRepr(v)).join(", ")}]`);
  });
});

/** Python's repr of a float64 (shortest round-trip digits), as JavaScript's String gives them. */
function pyRepr(v: number): string {
  const s = String(v);
  if (/e/.test(s)) return s.replace(/e([+-])(\d)$/, "e$10$2");
  return Number.isInteger(v) ? `${v}.0` : s;
}
