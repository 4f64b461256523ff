/**
 * The spectral-bias paper's regression data through the whole path: `image(file: …)` (a shipped photograph,
 * relative to the `.dyn` file, shrunk with `size:`) and `sinusoids(…)` as the checker lowers them, as the
 * runner builds them, and an RGB image trained and recorded by `outputs` with three output columns.
 * Truth is computed here another way: block means of the decoded PNG in float64, the signal summed
 * directly with phases drawn straight from the seed's task stream.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { checkSource } from "../../compiler/check/index.js";
import { compileFile } from "../../compiler/compile.js";
import { describePlan } from "../../cli/commands/plan.js";
import type { DataSpec, ExperimentProgram, MlpModelSpec, RunSpec } from "../../contract/program.js";
import { Rng } from "../../runtime/rng.js";
import { buildRunData } from "../../runner/data.js";
import type { runExperiment } from "../../runner/experiment.js";
import { decodePng, type SinusoidsDataset } from "../../stdlib/data/index.js";
import { ROOT } from "../compiler/paths.js";

const ASTRONAUT = join(ROOT, "examples", "data", "astronaut-256.png");
/** A program whose `.dyn` file sits in examples/, so `data/astronaut-256.png` resolves as it would there. */
const program = { targets: {}, file: join(ROOT, "examples", "photo.dyn") } as unknown as ExperimentProgram;
const context = (seeds: readonly number[]) => ({ program, seeds, dataRoot: "/nonexistent" });

function check(data: string, model = "mlp(hidden: [8])", path = join(ROOT, "examples", "photo.dyn")) {
  const source = `experiment e {\n  data train = ${data}\n  model net = ${model}\n  loss mse\n  optimizer adam(lr: 1e-3)\n  train 1 steps, batch full\n}\n`;
  return checkSource(source, path);
}

function firstRun(data: string, model?: string): RunSpec {
  const result = check(data, model);
  expect(result.diagnostics.filter((d) => d.severity === "error").map((d) => d.message)).toEqual([]);
  return result.experiments[0]!.profiles["default"]!.runs[0]!;
}

function errors(data: string): string[] {
  return check(data).diagnostics.filter((d) => d.severity === "error").map((d) => `${d.code}: ${d.message}`);
}

describe("image(file: …) in the checker", () => {
  it("lowers with defaults; three outputs (RGB), or one with channels: gray; inputs named by the bindings", () => {
    const run = firstRun('image(file: "data/astronaut-256.png", size: 16)');
    expect(run.data["train"]).toEqual({ source: "image", file: "data/astronaut-256.png", axes: null, size: 16, channels: "rgb", normalize: "unit", perSeed: false });
    expect([(run.model as MlpModelSpec).inDim, (run.model as MlpModelSpec).outDim]).toEqual([2, 3]);
    const gray = firstRun('image(file: "data/astronaut-256.png", u in [-1, 1], v in [-1, 1), channels: gray, size: [32, 16])');
    expect((gray.data["train"] as Extract<DataSpec, { source: "image" }>).axes).toEqual([
      { name: "u", lo: -1, hi: 1, closedHi: true },
      { name: "v", lo: -1, hi: 1, closedHi: false },
    ]);
    expect((gray.model as MlpModelSpec).outDim).toBe(1);
  });

  it("dync plan knows the size with `size:` (epochs become steps) and not without it", () => {
    const plan = (data: string) => {
      const result = checkSource(`experiment e {\n  data train = ${data}\n  model net = mlp(hidden: [8])\n  loss mse\n  optimizer adam(lr: 1e-3)\n  train 2 epochs, batch 1024\n}\n`, join(ROOT, "examples", "photo.dyn"));
      const profile = result.experiments[0]!.profiles["default"]!;
      return describePlan("e", "default", profile.seeds, profile.runs);
    };
    // 128 × 128 = 16,384 pixels in batches of 1,024: 16 steps an epoch, 32 in all; three outputs per seed: 2·8 + 8 + 8·3 + 3 = 51 parameters.
    expect(plan('image(file: "data/astronaut-256.png", size: 128)')).toMatch(/run\s+51\s+1024\s+32\b[^]*inputs: x, y/);
    expect(plan('image(file: "data/astronaut-256.png")')).toMatch(/run\s+51\s+1024\s+\?/);
  });

  it("refuses one coordinate binding, a size of three numbers, and a target function", () => {
    expect(errors('image(file: "a.png", x in [0, 1])').join("\n")).toMatch(/an image has two coordinates/);
    expect(errors('image(file: "a.png", size: [8, 8, 8])').join("\n")).toMatch(/`size` is one number \(a square\) or `\[width, height\]`/);
    expect(check('image(file: "a.png") -> x').diagnostics.map((d) => d.message).join("\n")).toMatch(/`image` brings its own targets/);
  });
});

describe("image(file: …) built by the runner", () => {
  it("resolves the file against the .dyn file's directory and box-filters 256×256 to 16×16 (16×16 block means)", () => {
    const spec = { source: "image", file: "data/astronaut-256.png", axes: null, size: 16, channels: "rgb", normalize: "unit", perSeed: false } as DataSpec;
    const data = buildRunData({ train: spec }, context([0, 1])).get("train")!;
    expect(data.length).toBe(1); // one data set for every seed
    const image = data[0]!;
    expect([image.n, image.yDim, image.xShape, image.inputNames]).toEqual([256, 3, [2], ["x", "y"]]);
    const png = decodePng(readFileSync(ASTRONAUT), ASTRONAUT);
    let worst = 0;
    for (let r = 0; r < 16; r++) {
      for (let c = 0; c < 16; c++) {
        for (let k = 0; k < 3; k++) {
          let sum = 0;
          for (let dr = 0; dr < 16; dr++) for (let dc = 0; dc < 16; dc++) sum += png.rgb[3 * ((16 * r + dr) * 256 + 16 * c + dc) + k]!;
          worst = Math.max(worst, Math.abs(image.y[3 * (16 * r + c) + k]! - sum / 256));
        }
        // x = c/15 across; y = (15 − r)/15: the top row is y = 1.
        expect([image.x[2 * (16 * r + c)], image.x[2 * (16 * r + c) + 1]]).toEqual([Math.fround(c / 15), Math.fround((15 - r) / 15)]);
      }
    }
    expect(worst).toBeLessThan(1e-6);
  });

  it.skipIf(!hasPython)("agrees with a PNG decoder and 4×4 block means written in Python's standard library (zlib, the five row filters)", () => {
    const spec = { source: "image", file: "data/astronaut-256.png", axes: null, size: 64, channels: "rgb", normalize: "unit", perSeed: false } as DataSpec;
    const image = buildRunData({ train: spec }, context([0])).get("train")![0]!;
    const run = spawnSync("python3", ["-c", PYTHON_BLOCK_MEANS, ASTRONAUT, "4"], { encoding: "utf8" });
    expect(run.stderr).toBe("");
    const reference = run.stdout.trim().split(/\s+/).map(Number);
    expect(reference.length).toBe(64 * 64 * 3);
    let worst = 0;
    reference.forEach((v, k) => (worst = Math.max(worst, Math.abs(v - image.y[k]!))));
    expect(worst).toBeLessThan(1e-6);
  });

  it("a missing file is RUN010 naming the resolved path", () => {
    const spec = { source: "image", file: "data/nope.png", axes: null, size: null, channels: "rgb", normalize: "unit", perSeed: false } as DataSpec;
    expect(() => buildRunData({ train: spec }, context([0]))).toThrow(/examples\/data\/nope\.png does not exist; expected a PNG file/);
  });
});

const hasPython = spawnSync("python3", ["-c", "import zlib"], { encoding: "utf8" }).status === 0;

/**
 * An independent 8-bit RGB/RGBA PNG decoder (non-interlaced) in Python's standard library, printing the
 * means of f×f blocks of the red, green and blue values / 255, row-major, channel fastest.
 */
const PYTHON_BLOCK_MEANS = `
import sys, struct, zlib
data = open(sys.argv[1], "rb").read(); f = int(sys.argv[2])
pos, idat = 8, b""
while True:
    n, kind = struct.unpack(">I4s", data[pos:pos + 8]); body = data[pos + 8:pos + 8 + n]; pos += 12 + n
    if kind == b"IHDR": w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
    elif kind == b"IDAT": idat += body
    elif kind == b"IEND": break
assert depth == 8 and ctype in (2, 6)
bpp = 3 if ctype == 2 else 4; stride = w * bpp; raw = zlib.decompress(idat); rows = []; prev = bytearray(stride)
for r in range(h):
    ft = raw[r * (stride + 1)]; line = bytearray(raw[r * (stride + 1) + 1:(r + 1) * (stride + 1)])
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0; b = prev[i]; c = prev[i - bpp] if i >= bpp else 0
        if ft == 1: p = a
        elif ft == 2: p = b
        elif ft == 3: p = (a + b) // 2
        elif ft == 4:
            q = a + b - c; pa, pb, pc = abs(q - a), abs(q - b), abs(q - c)
            p = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
        else: p = 0
        line[i] = (line[i] + p) & 255
    rows.append(line); prev = line
out = []
for R in range(h // f):
    for C in range(w // f):
        for k in range(3):
            s = sum(rows[R * f + dr][(C * f + dc) * bpp + k] for dr in range(f) for dc in range(f))
            out.append(repr(s / (255 * f * f)))
print(" ".join(out))
`;

/** The phases of seed `seed` as the task stream defines them: φ_k ~ U[0, 1) from taskRng(seed, "sinusoids").fork("phases"). */
function phasesFromStream(seed: number, count: number): number[] {
  const rng = new Rng(seed).fork("data").fork("task").fork("sinusoids").fork("phases");
  return Array.from({ length: count }, () => rng.uniform());
}

describe("sinusoids(frequencies, phases: random)", () => {
  const frequencies = Array.from({ length: 14 }, (_, k) => 5 * (k + 1)); // the paper's 5, 10, …, 70
  const sinusoids = (n: number, phases: "random" | number[] = "random"): DataSpec => ({ source: "sinusoids", frequencies, amplitudes: null, phases, n, axes: null, perSeed: true });

  it("is the paper's signal on t = arange(0, 1, 1/N), phases per seed from its task stream (direct float64 sum)", () => {
    const data = buildRunData({ train: sinusoids(2048) }, context([0, 7])).get("train")!;
    expect(data.length).toBe(2);
    for (const [s, seed] of [0, 7].entries()) {
      const d = data[s] as SinusoidsDataset;
      const phases = phasesFromStream(seed, 14);
      expect([...d.phases]).toEqual(phases);
      let worst = 0;
      for (let i = 0; i < 2048; i++) {
        const t = i / 2048;
        expect(d.x[i]).toBe(t); // exact in float32: a multiple of 2^-11
        const y = frequencies.reduce((sum, f, k) => sum + Math.sin(2 * Math.PI * f * t + 2 * Math.PI * phases[k]!), 0);
        worst = Math.max(worst, Math.abs(d.y[i]! - y));
      }
      expect(worst).toBeLessThan(2e-6); // float32 storage of values up to ~10
    }
    expect((data[0] as SinusoidsDataset).phases).not.toEqual((data[1] as SinusoidsDataset).phases);
  });

  it("every data set of one seed has the same phases (a finer test grid is the same signal); fixed phases are the same for every seed", () => {
    const data = buildRunData({ train: sinusoids(256), test: sinusoids(1024) }, context([3]));
    const [train, test] = [data.get("train")![0] as SinusoidsDataset, data.get("test")![0] as SinusoidsDataset];
    expect([...train.phases]).toEqual([...test.phases]);
    expect(train.y[10]).toBeCloseTo(test.y[40]!, 5); // t = 10/256 = 40/1024
    const fixed = frequencies.map((_, k) => k / 14);
    const both = buildRunData({ train: sinusoids(64, fixed) }, context([0, 1])).get("train")!;
    expect([...(both[0] as SinusoidsDataset).phases]).toEqual(fixed);
    expect([...both[0]!.y]).toEqual([...both[1]!.y]);
  });

  it("the checker lowers it with the paper's defaults and refuses phases of the wrong length", () => {
    const run = firstRun("sinusoids(frequencies: [5, 10, 15])");
    expect(run.data["train"]).toEqual({ source: "sinusoids", frequencies: [5, 10, 15], amplitudes: null, phases: "random", n: 2048, axes: null, perSeed: true });
    expect(firstRun("sinusoids(frequencies: [5], t in [0, 1), n: 8, phases: [0.25])").data["train"]).toMatchObject({ axes: [{ name: "t", lo: 0, hi: 1, closedHi: false }], phases: [0.25] });
    expect(errors("sinusoids(frequencies: [5, 10], phases: [0.5])").join("\n")).toMatch(/`phases` has one value per frequency/);
  });
});

describe("an RGB photograph trained and recorded (compiled program on dist/)", () => {
  const dir = mkdtempSync(join(tmpdir(), "dync-image-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("outputs records three output and target columns over the pixel grid; plot image draws them as RGB", async () => {
    const path = join(dir, "photo.dyn");
    writeFileSync(path, `experiment photo {
  seeds 2
  data train = image(file: ${JSON.stringify(ASTRONAUT)}, x in [-1, 1], y in [-1, 1], size: 8)
  model net = mlp(hidden: [16], act: relu, encode: fourier(L: 2))
  loss mse
  optimizer adam(lr: 1e-2)
  train 20 steps, batch full
  probe f = outputs(net, train) at [start, end]
  plot image(f.output, f.output1, f.output2, at: end)
}
`);
    const runtime = pathToFileURL(join(ROOT, "dist", "runner", "index.js")).href;
    const compiled = await compileFile(path, { runtimeImport: runtime });
    if (!compiled.ok) throw new Error(compiled.diagnostics.map((d) => d.message).join("\n"));
    writeFileSync(join(dir, "photo.mjs"), compiled.js);
    const mod = (await import(pathToFileURL(join(dir, "photo.mjs")).href)) as { experiments: ExperimentProgram[] };
    const dist = (await import(runtime)) as { runExperiment: typeof runExperiment };
    const program = mod.experiments[0]!;
    expect(program.profiles["default"]!.plots[0]).toMatchObject({ kind: "image", colors: "rgb" });
    const outcome = await dist.runExperiment(program, { outDir: join(dir, "run"), quiet: true, backend: "cpu", stdout: { write: () => true }, stderr: { write: () => true } });
    expect(outcome.status).toBe("ok");
    const fields = new Set(outcome.results.rows.map((r) => r.probe));
    for (const f of ["f.x0", "f.x1", "f.output", "f.output1", "f.output2", "f.target", "f.target1", "f.target2"]) expect(fields.has(f)).toBe(true);
    expect(fields.has("f.output3")).toBe(false);
    // The recorded targets are the photograph's channels: the mean of the red column is the image's mean red.
    const png = decodePng(readFileSync(ASTRONAUT), ASTRONAUT);
    let red = 0;
    for (let p = 0; p < 256 * 256; p++) red += png.rgb[3 * p]!;
    const recorded = outcome.results.rows.filter((r) => r.probe === "f.target" && r.seed === 0 && r.step === 0);
    expect(recorded.length).toBe(64); // one row per point of the 8×8 grid
    expect(recorded.reduce((a, r) => a + r.value, 0) / 64).toBeCloseTo(red / (256 * 256), 5);
    // Each output channel was measured at every point, at the start and the end, for both seeds.
    for (const f of ["f.output", "f.output1", "f.output2"]) expect(outcome.results.rows.filter((r) => r.probe === f).length).toBe(64 * 2 * 2);
  }, 60_000);
});
