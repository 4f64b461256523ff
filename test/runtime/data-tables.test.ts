/**
 * One's own data: `csv(…)` and `npy(…)` (stdlib/data/tables.ts), built as the runner builds them (paths
 * relative to the program's `.dyn` file), from hand-written files and, when python3 has numpy, from files
 * numpy wrote. Every value is checked against the file's text; every malformed file against its message.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildDataset } from "../../runner/data.js";
import type { DataSpec, ExperimentProgram } from "../../contract/program.js";
import { encodeNpy } from "../../runtime/npy.js";
import { DyncRuntimeError } from "../../runtime/errors.js";
import { registry } from "../../stdlib/registry/index.js";
import { checkSource } from "../../compiler/check/index.js";

const dir = mkdtempSync(join(tmpdir(), "dync-tables-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const context = { program: { targets: {}, file: join(dir, "exp.dyn") } as unknown as ExperimentProgram, seeds: [0], dataRoot: "/nonexistent" };

function build(spec: Record<string, unknown>) {
  return buildDataset("own", { ...spec, perSeed: false } as unknown as DataSpec, 0, context);
}
function csv(file: string, x: string[], y: string[]) {
  return build({ source: "csv", file, x, y });
}
function npy(x: string, y: string, inputs = 1, outputs = 1) {
  return build({ source: "npy", x, y, inputs, outputs });
}
/** The RUN code and message a build throws. */
function failure(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof DyncRuntimeError) return `${error.code}: ${error.message}`;
    throw error;
  }
  throw new Error("expected a DyncRuntimeError");
}
const f32 = (values: number[]) => Array.from(Float32Array.from(values));

describe("csv(file, x: [cols], y: col)", () => {
  it("takes the named columns in the order asked, relative to the .dyn file; quotes, CRLF, blank lines and other columns are fine", () => {
    writeFileSync(join(dir, "t.csv"), 'id,u,"w",v\r\n0, 0.5,1e-1,-2\r\n\r\n1,"1.25",3,.5\n2,-0,+4,7E2\n');
    const d = csv("t.csv", ["v", "u"], ["w"]);
    expect(d.n).toBe(3);
    expect(d.xShape).toEqual([2]);
    expect(Array.from(d.x)).toEqual(f32([-2, 0.5, 0.5, 1.25, 700, -0]));
    expect(d.yDim).toBe(1);
    expect(Array.from(d.y)).toEqual(f32([0.1, 3, 4]));
    const two = csv("t.csv", ["u"], ["w", "id"]);
    expect(two.yDim).toBe(2);
    expect(Array.from(two.y)).toEqual([f32([0.1])[0], 0, 3, 1, 4, 2]);
  });

  it("names the file and line of a cell that is not a number, a short row, a missing column, a missing file", () => {
    writeFileSync(join(dir, "bad.csv"), "u,w\n1,2\n3,abc\n");
    expect(failure(() => csv("bad.csv", ["u"], ["w"]))).toBe(`RUN011: ${join(dir, "bad.csv")}:3: column "w" holds "abc", not a finite number`);
    writeFileSync(join(dir, "nan.csv"), "u,w\n1,nan\n");
    expect(failure(() => csv("nan.csv", ["u"], ["w"]))).toContain('nan.csv:2: column "w" holds "nan", not a finite number');
    writeFileSync(join(dir, "short.csv"), "u,w\n1,2\n\n3\n");
    expect(failure(() => csv("short.csv", ["u"], ["w"]))).toBe(`RUN011: ${join(dir, "short.csv")}:4: 1 cells, but the header has 2 columns`);
    expect(failure(() => csv("t.csv", ["u"], ["W"]))).toBe(`RUN011: ${join(dir, "t.csv")}:1: no column "W" in the header; its columns: "id", "u", "w", "v"`);
    expect(failure(() => csv("missing.csv", ["u"], ["w"]))).toBe(`RUN010: data file ${join(dir, "missing.csv")} does not exist; expected a CSV file`);
    writeFileSync(join(dir, "header-only.csv"), "u,w\n");
    expect(failure(() => csv("header-only.csv", ["u"], ["w"]))).toContain("has a header but no rows of data");
    writeFileSync(join(dir, "open-quote.csv"), 'u,w\n1,"2\n');
    expect(failure(() => csv("open-quote.csv", ["u"], ["w"]))).toContain("open-quote.csv:2: a quoted cell is not closed");
  });

  it("its entry states inputs and outputs from the columns named; the size only the file knows", () => {
    const schema = registry.get("data", "csv")!.data!;
    const spec = { source: "csv", file: "t.csv", x: ["u", "v"], y: ["w"] };
    expect(schema.shape(spec)).toEqual({ inputs: [], inDim: 2, outDim: 1, classes: false });
    expect(schema.size(spec)).toBeUndefined();
  });
});

describe("npy(x: X.npy, y: y.npy, inputs: d)", () => {
  it("reads (n, d) inputs and (n,) targets written by hand (float64 and int32), float32 in the data set", () => {
    writeFileSync(join(dir, "X.npy"), encodeNpy(Float64Array.from([1, 2, 3, 4, 5, 6.5]), [3, 2]));
    writeFileSync(join(dir, "y.npy"), encodeNpy(Int32Array.from([7, -8, 9]), [3]));
    const d = npy("X.npy", "y.npy", 2);
    expect(d).toMatchObject({ n: 3, xShape: [2], yDim: 1 });
    expect(Array.from(d.x)).toEqual([1, 2, 3, 4, 5, 6.5]);
    expect(Array.from(d.y)).toEqual([7, -8, 9]);
  });

  it("names the file and the shapes when they disagree with the call or with each other", () => {
    writeFileSync(join(dir, "y4.npy"), encodeNpy(Float32Array.from([1, 2, 3, 4]), [4]));
    writeFileSync(join(dir, "cube.npy"), encodeNpy(Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]), [2, 2, 2]));
    writeFileSync(join(dir, "nan.npy"), encodeNpy(Float32Array.from([1, NaN, 3]), [3]));
    expect(failure(() => npy("X.npy", "y.npy", 3))).toBe(`RUN011: ${join(dir, "X.npy")} has shape (3, 2): 2 values per row, but the call says inputs: 3; expected (n, 3)`);
    expect(failure(() => npy("X.npy", "y.npy", 2, 2))).toBe(`RUN011: ${join(dir, "y.npy")} has shape (3): 1 dimension, but the call says outputs: 2; expected (n, 2)`);
    expect(failure(() => npy("X.npy", "y4.npy", 2))).toBe(`RUN011: ${join(dir, "X.npy")} has 3 rows but ${join(dir, "y4.npy")} has 4; x and y need one row per sample each`);
    expect(failure(() => npy("cube.npy", "y.npy", 2))).toContain("has shape (2, 2, 2): 3 dimensions");
    expect(failure(() => npy("y4.npy", "nan.npy"))).toContain("nan.npy: row 1 holds NaN, not a finite number");
    expect(failure(() => npy("nope.npy", "y.npy"))).toBe(`RUN010: data file ${join(dir, "nope.npy")} does not exist; expected a .npy file (np.save)`);
  });

  const numpy = spawnSync("python3", ["-c", "import numpy"]).status === 0;
  it.skipIf(!numpy && !process.env["CI"])("reads what numpy.save writes: float64 (n, 3) inputs, int64 (n,) and float32 (n, 2) targets", () => {
    const script = [
      "import numpy as np, sys",
      "d = sys.argv[1]",
      "X = np.arange(12, dtype=np.float64).reshape(4, 3) / 8 - 0.5",
      "np.save(d + '/np-X.npy', X)",
      "np.save(d + '/np-y.npy', np.array([3, -1, 0, 2**40]))",
      "np.save(d + '/np-y2.npy', np.array([[1.5, 2], [3, 4], [5, 6], [7, 8]], dtype=np.float32))",
    ].join("\n");
    const p = spawnSync("python3", ["-c", script, dir], { encoding: "utf8" });
    expect(p.status, p.stderr).toBe(0);
    const d = npy("np-X.npy", "np-y.npy", 3);
    expect(d.n).toBe(4);
    expect(Array.from(d.x)).toEqual(Array.from({ length: 12 }, (_, k) => k / 8 - 0.5));
    expect(Array.from(d.y)).toEqual([3, -1, 0, 2 ** 40]);
    expect(Array.from(npy("np-X.npy", "np-y2.npy", 3, 2).y)).toEqual([1.5, 2, 3, 4, 5, 6, 7, 8]);
  });
});

describe("classes: K — integer labels as classification targets", () => {
  it("csv: whole-number labels become one-hot rows (yDim K), with the labels kept", () => {
    writeFileSync(join(dir, "cls.csv"), "u,c\n0.5,0\n1,2\n\n-1,1\n2,2\n");
    const d = build({ source: "csv", file: "cls.csv", x: ["u"], y: ["c"], classes: 3 });
    expect(d).toMatchObject({ n: 4, yDim: 3, numClasses: 3 });
    expect(Array.from(d.labels!)).toEqual([0, 2, 1, 2]);
    expect(Array.from(d.y)).toEqual([1, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 1]);
  });

  it("csv: a label that is not a whole number in [0, K) stops the run naming the file and line (RUN011)", () => {
    writeFileSync(join(dir, "half.csv"), "u,c\n0,1\n1,1.5\n");
    expect(failure(() => build({ source: "csv", file: "half.csv", x: ["u"], y: ["c"], classes: 3 }))).toBe(
      `RUN011: ${join(dir, "half.csv")}:3: column "c" holds 1.5, not a class label: with \`classes: 3\` every label is a whole number 0…2`,
    );
    writeFileSync(join(dir, "big.csv"), "u,c\n0,3\n");
    expect(failure(() => build({ source: "csv", file: "big.csv", x: ["u"], y: ["c"], classes: 3 }))).toContain('big.csv:2: column "c" holds 3, not a class label');
    writeFileSync(join(dir, "neg.csv"), "u,c\n0,-1\n");
    expect(failure(() => build({ source: "csv", file: "neg.csv", x: ["u"], y: ["c"], classes: 2 }))).toContain("holds -1, not a class label");
  });

  it("npy: (n,) integer labels become one-hot rows; a fractional one names the row", () => {
    writeFileSync(join(dir, "cx.npy"), encodeNpy(Float32Array.from([0, 1, 2]), [3, 1]));
    writeFileSync(join(dir, "cy.npy"), encodeNpy(Int32Array.from([1, 0, 1]), [3]));
    const d = build({ source: "npy", x: "cx.npy", y: "cy.npy", inputs: 1, outputs: 1, classes: 2 });
    expect(d).toMatchObject({ n: 3, yDim: 2, numClasses: 2 });
    expect(Array.from(d.y)).toEqual([0, 1, 1, 0, 0, 1]);
    writeFileSync(join(dir, "cyf.npy"), encodeNpy(Float64Array.from([1, 0.25, 1]), [3]));
    expect(failure(() => build({ source: "npy", x: "cx.npy", y: "cyf.npy", inputs: 1, outputs: 1, classes: 2 }))).toContain("cyf.npy: row 1 holds 0.25, not a class label");
  });

  it("the checker: outputs K, cross-entropy by default, accuracy allowed; more than one label column is DYN2014", () => {
    const schema = registry.get("data", "csv")!.data!;
    expect(schema.shape({ source: "csv", file: "t.csv", x: ["u", "v"], y: ["c"], classes: 4 })).toEqual({ inputs: [], inDim: 2, outDim: 4, classes: true });
    const source = (data: string) => `experiment e {\n  seeds 1\n  data train = ${data}\n  model net = mlp(hidden: [4], act: relu)\n  optimizer sgd(lr: 0.1)\n  train 10 steps, batch full\n  probe acc = accuracy(net, train) at end\n}\n`;
    const ok = checkSource(source(`csv("cls.csv", x: ["u"], y: "c", classes: 3)`), join(dir, "e.dyn"));
    expect(ok.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const run = ok.experiments[0]!.profiles["default"]!.runs[0]!;
    expect(run.loss).toBe("cross_entropy");
    expect(run.data["train"]).toMatchObject({ source: "csv", classes: 3 });
    const two = checkSource(source(`csv("cls.csv", x: ["u"], y: ["c", "u"], classes: 3)`), join(dir, "e.dyn"));
    expect(two.diagnostics.map((d) => `${d.code} ${d.message}`).join("\n")).toMatch(/DYN2014 .*`classes` needs one label column as `y`/);
    const npyTwo = checkSource(source(`npy(x: "cx.npy", y: "cy.npy", outputs: 2, classes: 3)`), join(dir, "e.dyn"));
    expect(npyTwo.diagnostics.map((d) => d.code)).toContain("DYN2014");
  });
});
