import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { decodeNpy, encodeNpy, npyHeader, readNpy, writeNpy, type NpyData } from "../../runtime/npy.js";
import { expectRuntimeError } from "./expect-runtime-error.js";

const root = mkdtempSync(join(tmpdir(), "dync-npy-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The first Python on the machine that imports numpy (pyenv's `python3` here; /usr/bin/python3 has none). */
function findNumpyPython(): string | undefined {
  for (const exe of ["python3", "/usr/bin/python3", "python"]) {
    const probe = spawnSync(exe, ["-c", "import numpy"], { encoding: "utf8" });
    if (probe.status === 0) return exe;
  }
  return undefined;
}
const python = findNumpyPython();

function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("latin1");
}

describe("npy header (format 1.0)", () => {
  it("matches the spec byte for byte for a float32 vector of 3 (hand-computed)", () => {
    // dict: 57 chars; numpy's growth room: 21 − len("3") = 20 spaces → 77; + "\n" → 78;
    // 6 magic + 2 version + 2 length + 78 = 88 → pad 40 spaces to reach 128 = 2·64. Header length field = 118.
    const header = npyHeader("<f4", [3]);
    expect(header.length).toBe(128);
    expect([...header.subarray(0, 8)]).toEqual([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
    expect(header[8]! + 256 * header[9]!).toBe(118);
    const dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }";
    expect(dict.length).toBe(57);
    expect(latin1(header.subarray(10))).toBe(dict + " ".repeat(20 + 40) + "\n");
  });

  it("spells shapes as Python tuples: (), (3,), (2, 3), (0,)", () => {
    const text = (descr: "<f4" | "<f8" | "<i4" | "|u1", shape: number[]) => latin1(npyHeader(descr, shape).subarray(10)).trimEnd();
    expect(text("<f8", [])).toBe("{'descr': '<f8', 'fortran_order': False, 'shape': (), }");
    expect(text("|u1", [3])).toBe("{'descr': '|u1', 'fortran_order': False, 'shape': (3,), }");
    expect(text("<i4", [2, 3])).toBe("{'descr': '<i4', 'fortran_order': False, 'shape': (2, 3), }");
    expect(text("<f4", [0])).toBe("{'descr': '<f4', 'fortran_order': False, 'shape': (0,), }");
    for (const shape of [[], [1], [12345678], [2, 3, 4], [1000, 1000]]) {
      const header = npyHeader("<f4", shape);
      expect(header.length % 64).toBe(0);
      expect(header[header.length - 1]).toBe(0x0a);
    }
  });
});

describe("npy round trip", () => {
  const cases: [string, NpyData, number[]][] = [
    ["float32 matrix", Float32Array.from([1.5, -2, 3.25, Math.PI, -0, 1e-30]), [2, 3]],
    ["float64 vector", Float64Array.from([1 / 3, -1e300, Number.MIN_VALUE, Infinity, NaN]), [5]],
    ["int32 3-D", Int32Array.from({ length: 24 }, (_, i) => (i - 12) * 100000), [2, 3, 4]],
    ["uint8 image", Uint8Array.from({ length: 12 }, (_, i) => i * 21), [2, 2, 3]],
    ["float64 scalar", Float64Array.from([42]), []],
    ["empty", new Float32Array(0), [0]],
  ];
  for (const [label, data, shape] of cases) {
    it(`${label} survives write and read`, () => {
      const path = join(root, `${label.replace(/ /g, "_")}.npy`);
      writeNpy(path, data, shape);
      const back = readNpy(path);
      expect(back.shape).toEqual(shape);
      expect(back.data.constructor).toBe(data.constructor);
      expect([...back.data]).toEqual([...data]);
      expect(readFileSync(path).length).toBe(npyHeader("<f4", shape).length + data.byteLength);
    });
  }

  it("shape defaults to 1-D; a shape that does not match the data is RUN040", () => {
    expect(decodeNpy(encodeNpy(Int32Array.from([1, 2, 3]))).shape).toEqual([3]);
    expectRuntimeError(() => encodeNpy(new Float32Array(5), [2, 3]), "RUN040", /6 elements but the data has 5/);
  });

  it("bad magic, truncated data, unsupported dtype or Fortran order are RUN011", () => {
    const good = encodeNpy(Float32Array.from([1, 2, 3]));
    expectRuntimeError(() => decodeNpy(Buffer.from("PK\x03\x04 not npy"), "x.npy"), "RUN011", /x\.npy: not a \.npy file/);
    expectRuntimeError(() => decodeNpy(good.subarray(0, good.length - 1), "t.npy"), "RUN011", /t\.npy: holds 11 data bytes; shape \(3\) of <f4 needs 12/);
    const swap = (from: string, to: string) => Buffer.from(latin1(good).replace(from, to), "latin1");
    expectRuntimeError(() => decodeNpy(swap("<f4", ">f4"), "b.npy"), "RUN011", /dtype >f4 is not supported/);
    expectRuntimeError(() => decodeNpy(swap("False", "True "), "f.npy"), "RUN011", /Fortran-ordered/);
  });

  it("an unwritable path is RUN030 with the OS reason", () => {
    writeFileSync(join(root, "a-file"), "x");
    expectRuntimeError(() => writeNpy(join(root, "a-file", "t.npy"), new Float32Array(1)), "RUN030", /a-file\/t\.npy: ENOTDIR/);
  });
});

describe.skipIf(!python)("numpy interoperability (needs a python3 with numpy)", () => {
  const arrays: Record<string, [NpyData, number[]]> = {
    f4: [Float32Array.from({ length: 12 }, (_, i) => Math.fround(Math.sin(i) * 1e3)), [3, 4]],
    f8: [Float64Array.from([1 / 3, -2.5e-300, 7]), [3]],
    i4: [Int32Array.from([-2147483648, 0, 2147483647, 5]), [2, 2]],
    u1: [Uint8Array.from([0, 1, 254, 255]), [4]],
    scalar: [Float64Array.from([2.5]), []],
  };

  it("numpy.load reads our files with the right dtype, shape and values, and np.save writes identical bytes", () => {
    for (const [name, [data, shape]] of Object.entries(arrays)) writeNpy(join(root, `${name}.npy`), data, shape);
    const script = `
import json, sys, io, numpy as np
out = {}
for name in ${JSON.stringify(Object.keys(arrays))}:
    path = sys.argv[1] + "/" + name + ".npy"
    a = np.load(path)
    buf = io.BytesIO(); np.save(buf, a)
    out[name] = {"dtype": a.dtype.str, "shape": list(a.shape), "values": a.ravel().tolist(),
                 "same_bytes": buf.getvalue() == open(path, "rb").read()}
print(json.dumps(out))
`;
    const run = spawnSync(python!, ["-c", script, root], { encoding: "utf8" });
    expect(run.stderr).toBe("");
    const result = JSON.parse(run.stdout) as Record<string, { dtype: string; shape: number[]; values: number[]; same_bytes: boolean }>;
    const dtypes: Record<string, string> = { f4: "<f4", f8: "<f8", i4: "<i4", u1: "|u1", scalar: "<f8" };
    for (const [name, [data, shape]] of Object.entries(arrays)) {
      expect(result[name]!.dtype).toBe(dtypes[name]);
      expect(result[name]!.shape).toEqual(shape);
      expect(result[name]!.values).toEqual([...data]);
      expect(result[name]!.same_bytes).toBe(true);
    }
  });

  it("reads what numpy.save writes (including a 2-byte-length v1.0 header and uint8)", () => {
    const script = `
import sys, numpy as np
np.save(sys.argv[1] + "/from_numpy_f4.npy", np.arange(24, dtype="<f4").reshape(2, 3, 4) / 8)
np.save(sys.argv[1] + "/from_numpy_u1.npy", np.array([[3, 200]], dtype=np.uint8))
`;
    const run = spawnSync(python!, ["-c", script, root], { encoding: "utf8" });
    expect(run.stderr).toBe("");
    const f4 = readNpy(join(root, "from_numpy_f4.npy"));
    expect(f4.shape).toEqual([2, 3, 4]);
    expect([...f4.data]).toEqual(Array.from({ length: 24 }, (_, i) => i / 8));
    const u1 = readNpy(join(root, "from_numpy_u1.npy"));
    expect(u1.data).toBeInstanceOf(Uint8Array);
    expect([...u1.data]).toEqual([3, 200]);
  });
});
