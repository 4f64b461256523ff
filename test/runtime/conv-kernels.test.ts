/**
 * im2col/col2im kernels (runtime/kernels/conv-kernels.ts, native/dync_conv.c) on every path that serves them:
 * cpu (JS loops), wasm with the JS loops (native switched off), wasm with the native addons (OpenBLAS products
 * and C im2col/col2im; skipped with the reason when not built, a failure under CI=true).
 *  - patches equal the index formula, and col2im is im2col's adjoint (⟨im2col x, y⟩ = ⟨x, col2im y⟩, float64);
 *  - conv2d through the kernels equals the product route it replaced (values exactly: both copy the same
 *    floats into the same product; gradients within float32 rounding), strides 1 and 2, same and valid
 *    padding, several channel counts, two seeds;
 *  - on the native path conv2d is one kernel (im2col and OpenBLAS in tiles of patch rows, native/dync_conv.c) with
 *    kernels for its gradients: the product-route comparison covers it, plus a case with more patch rows than a tile;
 *  - on the native path a conv with ReLU is that one kernel with max(0, ·) inside (`conv2dRelu`, Sequential's conv
 *    layers with `act: relu` when no taps are asked for): equal to conv2d followed by relu;
 *  - Hessian-vector products of small CNNs (conv → tanh → max or average pool → dense; two conv layers, tanh or ReLU) by
 *    nested tf.grads equal the float64 finite-difference Hessian of a hand-written forward pass times v,
 *    per seed (what the sharpness probe needs).
 */
import * as tf from "@tensorflow/tfjs-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LayerSpec } from "../../contract/program.js";
import { selectBackend } from "../../runtime/backend.js";
import { col2imKernel, im2colKernel, type PatchGeometry } from "../../runtime/kernels/conv-kernels.js";
import { nativeMatMulUnavailableReason, setNativeMatMulEnabled } from "../../runtime/kernels/native.js";
import { nativeConvAddon } from "../../runtime/kernels/native-conv.js";
import { relu } from "../../runtime/nn/activations.js";
import { conv2d, conv2dRelu, convOutputSize, type ConvGeometry, setProductPatches } from "../../runtime/nn/conv.js";
import { sequential } from "../../runtime/nn/sequential.js";
import { Rng } from "../../runtime/rng.js";

const inCi = process.env["CI"] === "true";

function random(shape: number[], rng: Rng): tf.Tensor {
  return tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal()), shape);
}
const maxAbs = (t: tf.Tensor) => tf.max(tf.abs(t)).dataSync()[0]!;

function patchGeometry([h, w, c]: number[], g: ConvGeometry): PatchGeometry {
  const rows = convOutputSize(h!, g);
  const cols = convOutputSize(w!, g);
  return { kernel: g.kernel, stride: g.stride, padTop: rows.padBefore, padLeft: cols.padBefore, h: h!, w: w!, c: c!, ho: rows.out, wo: cols.out };
}

const GEOMETRIES: ConvGeometry[] = [
  { kernel: 3, stride: 1, padding: "same" },
  { kernel: 3, stride: 1, padding: "valid" },
  { kernel: 3, stride: 2, padding: "same" },
  { kernel: 2, stride: 2, padding: "valid" },
  { kernel: 4, stride: 2, padding: "same" },
];

/** The three ways the kernels run; each sets up its backend and native switch before the tests of its block. */
const PATHS = [
  { name: "cpu", backend: "cpu", native: false },
  { name: "wasm, JS loops", backend: "wasm", native: false },
  { name: "wasm, native addons", backend: "wasm", native: true },
] as const;

// ---- Hessian-vector products of small CNNs against a float64 reference ----

interface CnnCase {
  readonly name: string;
  readonly inShape: [number, number, number];
  readonly layers: LayerSpec[];
}

const conv = (name: string, filters: number, kernel: number, stride: number, padding: "same" | "valid", act: "tanh" | "relu" = "tanh"): LayerSpec => ({ name, kind: "conv", filters, kernel, stride, padding, act, bias: true });

const CNNS: CnnCase[] = [
  {
    name: "conv 3×3 same (2→3, tanh) → max pool 2 → dense 1",
    inShape: [6, 6, 2],
    layers: [conv("c0", 3, 3, 1, "same"), { name: "p", kind: "pool", op: "max", size: 2 }, { name: "f", kind: "flatten" }, { name: "out", kind: "dense", width: 1, act: null, bias: true }],
  },
  {
    name: "conv 3×3 stride 2 same (2→3) → conv 2×2 valid (3→2) → average pool 2 → dense 1",
    inShape: [7, 7, 2],
    layers: [conv("c0", 3, 3, 2, "same"), conv("c1", 2, 2, 1, "valid"), { name: "p", kind: "pool", op: "avg", size: 2 }, { name: "f", kind: "flatten" }, { name: "out", kind: "dense", width: 1, act: null, bias: true }],
  },
  {
    // on the native path both convs run as DyncConv2d with the ReLU inside (the mask read from the saved output)
    name: "conv 3×3 stride 2 same (2→4, relu) → conv 3×3 same (4→3, relu) → dense 1",
    inShape: [7, 7, 2],
    layers: [conv("c0", 4, 3, 2, "same", "relu"), conv("c1", 3, 3, 1, "same", "relu"), { name: "f", kind: "flatten" }, { name: "out", kind: "dense", width: 1, act: null, bias: true }],
  },
];

const SAMPLES = 3;

/** Images [B, H, W, C] as float64 arrays, HWC row-major, and what each layer does to them, in float64. */
interface Image {
  h: number;
  w: number;
  c: number;
  v: Float64Array[];
}

function convF64(x: Image, weight: Float64Array, bias: Float64Array, spec: Extract<LayerSpec, { kind: "conv" }>): Image {
  const g = { kernel: spec.kernel, stride: spec.stride, padding: spec.padding };
  const rows = convOutputSize(x.h, g);
  const cols = convOutputSize(x.w, g);
  const F = spec.filters;
  const v = x.v.map((img) => {
    const out = new Float64Array(rows.out * cols.out * F);
    for (let i = 0; i < rows.out; i++)
      for (let j = 0; j < cols.out; j++)
        for (let f = 0; f < F; f++) {
          let z = bias[f]!;
          for (let a = 0; a < spec.kernel; a++)
            for (let b = 0; b < spec.kernel; b++) {
              const [r, q] = [spec.stride * i + a - rows.padBefore, spec.stride * j + b - cols.padBefore];
              if (r < 0 || r >= x.h || q < 0 || q >= x.w) continue;
              for (let c = 0; c < x.c; c++) z += img[(r * x.w + q) * x.c + c]! * weight[((a * spec.kernel + b) * x.c + c) * F + f]!;
            }
          out[(i * cols.out + j) * F + f] = spec.act === "relu" ? Math.max(0, z) : Math.tanh(z);
        }
    return out;
  });
  return { h: rows.out, w: cols.out, c: F, v };
}

function poolF64(x: Image, op: "max" | "avg", size: number): Image {
  const [ho, wo] = [Math.floor(x.h / size), Math.floor(x.w / size)];
  const v = x.v.map((img) => {
    const out = new Float64Array(ho * wo * x.c);
    for (let i = 0; i < ho; i++)
      for (let j = 0; j < wo; j++)
        for (let c = 0; c < x.c; c++) {
          const window: number[] = [];
          for (let a = 0; a < size; a++) for (let b = 0; b < size; b++) window.push(img[((size * i + a) * x.w + size * j + b) * x.c + c]!);
          out[(i * wo + j) * x.c + c] = op === "max" ? Math.max(...window) : window.reduce((s, t) => s + t, 0) / window.length;
        }
    return out;
  });
  return { h: ho, w: wo, c: x.c, v };
}

/** ½·mean squared error of one seed's net in float64; θ is that seed's parameters in `model.params` order. */
function lossF64(net: CnnCase, theta: Float64Array, xs: Float64Array[], ys: number[]): number {
  let x: Image = { h: net.inShape[0], w: net.inShape[1], c: net.inShape[2], v: xs };
  let at = 0;
  const take = (n: number) => theta.subarray(at, (at += n));
  let outputs: number[] = [];
  for (const spec of net.layers) {
    if (spec.kind === "conv") {
      const weight = take(spec.kernel * spec.kernel * x.c * spec.filters);
      x = convF64(x, weight, take(spec.filters), spec);
    } else if (spec.kind === "pool") {
      x = poolF64(x, spec.op, spec.size);
    } else if (spec.kind === "dense") {
      const fanIn = x.h * x.w * x.c;
      const weight = take(fanIn);
      const bias = take(1)[0]!;
      outputs = x.v.map((img) => img.reduce((s, t, k) => s + t * weight[k]!, bias));
    }
  }
  return outputs.reduce((s, out, n) => s + 0.5 * (out - ys[n]!) ** 2, 0) / outputs.length;
}

/**
 * (H·v)_i of the float64 loss by central differences along e_i and v/|v| (4 losses per entry), times |v|. The
 * step is small enough that no max-pool window changes its maximum within the stencil (the net is smooth there).
 */
function hvpF64(f: (theta: Float64Array) => number, theta: Float64Array, v: Float64Array): Float64Array {
  const h = 1e-5;
  const norm = Math.hypot(...v);
  const at = (i: number, di: number, dv: number) => {
    const t = Float64Array.from(theta, (ti, k) => ti + (dv * v[k]!) / norm);
    t[i]! += di;
    return f(t);
  };
  return Float64Array.from(theta, (_, i) => ((at(i, h, h) - at(i, h, -h) - at(i, -h, h) + at(i, -h, -h)) / (4 * h * h)) * norm);
}

function checkHvp(net: CnnCase): void {
  const S = 2;
  const model = sequential({ inShape: net.inShape, layers: net.layers, seeds: [4, 9] });
  const rng = new Rng(3).fork(net.name);
  const d = net.inShape.reduce((a, b) => a * b, 1);
  const xs = Array.from({ length: S * SAMPLES * d }, () => rng.uniformIn(-1, 1));
  const ys = Array.from({ length: S * SAMPLES }, () => rng.uniformIn(-1, 1));
  const vars = model.params.map((p) => p.variable);
  const vParts = vars.map((p) => random(p.shape, rng));
  const x = tf.tensor(xs, [S, SAMPLES, ...net.inShape]);
  const y = tf.tensor(ys, [S, SAMPLES, 1]);
  // Σ over seeds of each seed's ½·MSE: each seed's block of H·v is its own net's.
  const loss = () => tf.mul(tf.sum(tf.mean(tf.square(tf.sub(model.forward(x, { training: true }), y)), [1, 2])), 0.5) as tf.Scalar;
  const hv = tf.tidy(() =>
    tf.grads(() => {
      const g = tf.grads(loss)(vars);
      return tf.addN(g.map((gi, i) => tf.sum(tf.mul(gi, vParts[i]!))));
    })(vars),
  );
  for (let s = 0; s < S; s++) {
    const seedBlock = (t: tf.Tensor) => Array.from(t.dataSync().subarray((s * t.size) / S, ((s + 1) * t.size) / S));
    const theta = Float64Array.from(vars.flatMap(seedBlock));
    const v = Float64Array.from(vParts.flatMap(seedBlock));
    const mine = hv.flatMap(seedBlock);
    const seedXs = Array.from({ length: SAMPLES }, (_, n) => Float64Array.from(xs.slice((s * SAMPLES + n) * d, (s * SAMPLES + n + 1) * d)));
    const expected = hvpF64((t) => lossF64(net, t, seedXs, ys.slice(s * SAMPLES, (s + 1) * SAMPLES)), theta, v);
    const scale = Math.max(...expected.map(Math.abs));
    expect(scale).toBeGreaterThan(1e-2);
    const worst = Math.max(...expected.map((e, i) => Math.abs(mine[i]! - e)));
    expect(worst, `seed ${s}: worst |Δ| ${worst} of scale ${scale}`).toBeLessThan(2e-4 * scale + 1e-6);
  }
  tf.dispose([...hv, ...vParts, x, y]);
  model.dispose();
}

for (const path of PATHS) {
  describe(`conv kernels on ${path.name}`, () => {
    let skip: string | undefined;
    beforeAll(async () => {
      await selectBackend(path.backend);
      setNativeMatMulEnabled(path.native);
      if (path.native) {
        const reason = nativeMatMulUnavailableReason();
        skip = reason ?? (nativeConvAddon() ? undefined : "dist/native/dync_conv.node is not built (`npm run native`)");
        if (skip && inCi) throw new Error(`native path required under CI: ${skip}`);
      }
    });
    afterAll(() => setNativeMatMulEnabled(true));

    /** Whether this block's path serves (the native block needs the addons). */
    const serves = (): boolean => {
      if (skip) console.warn(`skipped (${path.name}): ${skip}`);
      return skip === undefined;
    };

    for (const g of GEOMETRIES) {
      const label = `${g.kernel}×${g.kernel} stride ${g.stride} ${g.padding}`;

      it(`${label}: patches follow the index formula, col2im is the adjoint of im2col`, () => {
        if (!serves()) return;
        const rng = new Rng(g.kernel * 10 + g.stride).fork("patches");
        const [N, H, W, C] = [3, 7, 6, 3];
        const pg = patchGeometry([H, W, C], g);
        const x = random([N, H, W, C], rng);
        const patches = im2colKernel(x as tf.Tensor4D, pg);
        expect(patches.shape).toEqual([N, pg.ho, pg.wo, g.kernel * g.kernel * C]);
        const xs = x.dataSync();
        const ps = patches.dataSync();
        const expected = new Float32Array(ps.length);
        let o = 0;
        for (let n = 0; n < N; n++)
          for (let i = 0; i < pg.ho; i++)
            for (let j = 0; j < pg.wo; j++)
              for (let a = 0; a < g.kernel; a++)
                for (let b = 0; b < g.kernel; b++)
                  for (let c = 0; c < C; c++, o++) {
                    const [r, q] = [g.stride * i + a - pg.padTop, g.stride * j + b - pg.padLeft];
                    expected[o] = r >= 0 && r < H && q >= 0 && q < W ? xs[((n * H + r) * W + q) * C + c]! : 0;
                  }
        expect(Array.from(ps)).toEqual(Array.from(expected));
        const y = random(patches.shape, rng);
        const back = col2imKernel(y as tf.Tensor4D, pg);
        expect(back.shape).toEqual([N, H, W, C]);
        const dot = (u: ArrayLike<number>, v: ArrayLike<number>) => Array.from(u).reduce((s, ui, k) => s + ui * v[k]!, 0);
        const left = dot(ps, y.dataSync());
        expect(Math.abs(left - dot(xs, back.dataSync()))).toBeLessThan(1e-4 * Math.max(1, Math.abs(left)));
        tf.dispose([x, patches, y, back]);
      });

      for (const [cin, cout] of [
        [1, 2],
        [3, 5],
        [4, 3],
      ] as const) {
        it(`${label}, ${cin}→${cout} channels, 2 seeds: conv2d equals the product route (values, gradients of x, w, b)`, () => {
          if (!serves()) return;
          tf.tidy(() => {
            const rng = new Rng(cin * 7 + cout).fork(label);
            const [S, B, H, W] = [2, 3, 7, 8];
            const x = random([S, B, H, W, cin], rng);
            const w = random([S, g.kernel, g.kernel, cin, cout], rng);
            const b = random([S, cout], rng);
            const weights = random([S, B, ...conv2d(x, w, b, g).shape.slice(2)], rng);
            const loss = (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(tf.tanh(conv2d(xx, ww, bb, g)), weights));
            const run = (products: boolean) => {
              setProductPatches(products);
              try {
                const value = conv2d(x, w, b, g);
                const grads = tf.grads(loss)([x, w, b]);
                return [value, ...grads];
              } finally {
                setProductPatches(false);
              }
            };
            const [value, ...grads] = run(false);
            const [refValue, ...refGrads] = run(true);
            expect(Array.from(value!.dataSync())).toEqual(Array.from(refValue!.dataSync()));
            grads.forEach((gr, i) => expect(maxAbs(tf.sub(gr, refGrads[i]!))).toBeLessThan(1e-5 * Math.max(1, maxAbs(refGrads[i]!))));
          });
        });
      }
    }

    it("3×3 same, 256→4 channels, 2 seeds (patch rows > one native tile of 113 rows): conv2d equals the product route", () => {
      if (!serves()) return;
      tf.tidy(() => {
        const g: ConvGeometry = { kernel: 3, stride: 1, padding: "same" };
        const rng = new Rng(256).fork("tiles");
        const [S, B, H, W, cin, cout] = [2, 2, 8, 9, 256, 4]; // 144 patch rows of 2304 features per seed
        const x = random([S, B, H, W, cin], rng);
        const w = random([S, 3, 3, cin, cout], rng);
        const b = random([S, cout], rng);
        const weights = random([S, B, H, W, cout], rng);
        const loss = (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(tf.tanh(conv2d(xx, ww, bb, g)), weights));
        const run = (products: boolean) => {
          setProductPatches(products);
          try {
            return [conv2d(x, w, b, g), ...tf.grads(loss)([x, w, b])];
          } finally {
            setProductPatches(false);
          }
        };
        const mine = run(false);
        const reference = run(true);
        // sums of up to 2304 float32 terms, in another order (tile by tile): ~1e-5 of the scale; a wrong tile is O(1)
        mine.forEach((t, i) => expect(maxAbs(tf.sub(t, reference[i]!))).toBeLessThan(1e-4 * Math.max(1, maxAbs(reference[i]!))));
      });
    });

    it("conv2dRelu: on the native path relu(conv2d) as one kernel (values, gradients of x, w, b); undefined elsewhere", () => {
      if (!serves()) return;
      tf.tidy(() => {
        const g: ConvGeometry = { kernel: 3, stride: 2, padding: "same" };
        const rng = new Rng(5).fork("conv relu");
        const [S, B, H, W, cin, cout] = [2, 3, 9, 8, 3, 5];
        const x = random([S, B, H, W, cin], rng);
        const w = random([S, 3, 3, cin, cout], rng);
        const b = random([S, cout], rng);
        const fused = conv2dRelu(x, w, b, g);
        if (!path.native) {
          expect(fused).toBeUndefined();
          return;
        }
        const weights = random(fused!.shape, rng);
        const lossOf = (f: (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => tf.Tensor) => (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) =>
          tf.sum(tf.mul(tf.square(f(xx, ww, bb)), weights));
        const separate = (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => relu(conv2d(xx, ww, bb, g));
        const mine = [fused!, ...tf.grads(lossOf((xx, ww, bb) => conv2dRelu(xx, ww, bb, g)!))([x, w, b])];
        // the same ops with a separate ReLU: equal bit for bit (the same products, the same mask)
        const unfused = [separate(x, w, b), ...tf.grads(lossOf(separate))([x, w, b])];
        mine.forEach((t, i) => expect(Array.from(t.dataSync())).toEqual(Array.from(unfused[i]!.dataSync())));
        // the product route (im2col, bmm, tfjs's Relu): values exactly, gradients within float32 rounding
        setProductPatches(true);
        try {
          const reference = [separate(x, w, b), ...tf.grads(lossOf(separate))([x, w, b])];
          expect(Array.from(mine[0]!.dataSync())).toEqual(Array.from(reference[0]!.dataSync()));
          expect(maxAbs(mine[0]!)).toBeGreaterThan(0);
          expect(Array.from(mine[0]!.dataSync()).filter((v) => v === 0).length).toBeGreaterThan(mine[0]!.size / 4);
          mine.slice(1).forEach((t, i) => expect(maxAbs(tf.sub(t, reference[i + 1]!))).toBeLessThan(1e-5 * Math.max(1, maxAbs(reference[i + 1]!))));
        } finally {
          setProductPatches(false);
        }
      });
    });

    it("conv2d and conv2dRelu refuse a weight for another seed count or channel count (RUN040)", () => {
      if (!serves()) return;
      tf.tidy(() => {
        const g: ConvGeometry = { kernel: 3, stride: 1, padding: "same" };
        const x = tf.zeros([1, 2, 5, 5, 3]);
        for (const w of [tf.zeros([2, 3, 3, 3, 4]), tf.zeros([1, 3, 3, 2, 4])]) {
          expect(() => conv2d(x, w, undefined, g)).toThrow(/does not fit weight/);
          if (path.native) expect(() => conv2dRelu(x, w, undefined, g)).toThrow(/does not fit weight/);
        }
      });
    });

    it("a Sequential conv layer with act relu: one kernel without taps (no separate Relu on the native path), the same values as with taps", async () => {
      if (!serves()) return;
      const layers: LayerSpec[] = [conv("c0", 4, 3, 2, "same", "relu"), { name: "f", kind: "flatten" }, { name: "out", kind: "dense", width: 2, act: null, bias: true }];
      const model = sequential({ inShape: [6, 6, 3], layers, seeds: [1, 2] });
      const x = random([2, 3, 6, 6, 3], new Rng(8).fork("seq relu"));
      const profile = await tf.profile(() => model.forward(x, { training: true }));
      const names = profile.kernels.map((k) => k.name);
      expect(names.includes("Relu")).toBe(!path.native);
      const taps = { pre: new Map<string, tf.Tensor>(), post: new Map<string, tf.Tensor>() };
      const plain = model.forward(x, { training: true });
      const tapped = model.forward(x, { training: true, taps });
      expect(taps.pre.has("c0")).toBe(true);
      expect(Array.from(plain.dataSync())).toEqual(Array.from(tapped.dataSync()));
      tf.dispose([x, plain, tapped, ...taps.pre.values(), ...taps.post.values()]);
      model.dispose();
    });

    for (const net of CNNS) {
      it(`HVP of ${net.name}, 2 seeds: nested tf.grads equals the float64 finite-difference Hessian times v`, () => {
        if (!serves()) return;
        checkHvp(net);
      });
    }
  });
}

describe("native/dync_conv.c checks its arguments", () => {
  it("rejects buffers too small for the geometry, misaligned offsets, non-integers and a zero stride", async () => {
    await selectBackend("wasm");
    setNativeMatMulEnabled(true);
    const addon = nativeConvAddon();
    if (!addon) {
      if (inCi) throw new Error("native path required under CI: dync_conv.node not loaded");
      console.warn(`skipped: ${nativeMatMulUnavailableReason() ?? "dist/native/dync_conv.node is not built"}`);
      return;
    }
    const image = new ArrayBuffer(4 * 2 * 4 * 4 * 3); // n 2, 4×4×3
    const patches = new ArrayBuffer(4 * 2 * 2 * 2 * 27); // 2×2 outputs of 3·3·3 features
    const geometry = [2, 3, 2, 1, 1, 4, 4, 3, 2, 2] as const; // n, kernel, stride, padTop, padLeft, h, w, c, ho, wo
    addon.im2col(image, 0, patches, 0, ...geometry);
    expect(() => addon.im2col(image, 4, patches, 0, ...geometry)).toThrow(RangeError);
    expect(() => addon.im2col(image, 0, patches, 2, ...geometry)).toThrow(/misaligned/);
    expect(() => addon.col2im(image, 0, patches, 0, ...geometry)).toThrow(RangeError); // patches read from the smaller buffer
    expect(() => addon.im2col(image, 0, patches, 0, 2, 3, 0, 1, 1, 4, 4, 3, 2, 2)).toThrow(/stride/);
    expect(() => addon.im2col(image, 0.5, patches, 0, ...geometry)).toThrow(/integer/);
    // conv(op, heap, a, b, bias, out, seeds, n, kernel, stride, padTop, padLeft, h, w, c, ho, wo, cout): x 2×4×4×3 at 0,
    // w [27, 2] after it, y [2·2·2, 2] after that
    const heap = new ArrayBuffer(4 * (96 + 54 + 16 + 2));
    const shape = [1, 2, 3, 2, 1, 1, 4, 4, 3, 2, 2, 2] as const;
    addon.conv(0, heap, 0, 4 * 96, 4 * 166, 4 * 150, ...shape);
    expect(() => addon.conv(0, heap, 0, 4 * 96, -1, 4 * 153, ...shape)).toThrow(RangeError); // y runs past the end
    expect(() => addon.conv(1, heap, 4 * 150, 4 * 96, 4 * 166, 0, ...shape)).toThrow(/only the forward op takes a bias/);
    expect(() => addon.conv(4 as 0, heap, 0, 4 * 96, -1, 4 * 150, ...shape)).toThrow(/op 0..3/);
    expect(() => addon.conv(2, heap, 0, 4 * 150, -1, 4 * 96, 2, 2, 3, 2, 1, 1, 4, 4, 3, 2, 2, 2)).toThrow(RangeError); // 2 seeds do not fit
  });

  it("op 3 is the forward (op 0) followed by max(0, ·), value for value", async () => {
    await selectBackend("wasm");
    setNativeMatMulEnabled(true);
    const addon = nativeConvAddon();
    if (!addon) {
      if (inCi) throw new Error("native path required under CI: dync_conv.node not loaded");
      return;
    }
    // x 2×4×4×3 at 0, w [27, 2] at 96, bias at 150, y of op 0 at 152, y of op 3 at 168
    const heap = new ArrayBuffer(4 * 184);
    const values = new Float32Array(heap);
    const rng = new Rng(17).fork("relu op");
    for (let i = 0; i < 152; i++) values[i] = rng.normal();
    const shape = [1, 2, 3, 2, 1, 1, 4, 4, 3, 2, 2, 2] as const;
    addon.conv(0, heap, 0, 4 * 96, 4 * 150, 4 * 152, ...shape);
    addon.conv(3, heap, 0, 4 * 96, 4 * 150, 4 * 168, ...shape);
    const plain = Array.from(values.subarray(152, 168));
    expect(plain.some((v) => v < 0) && plain.some((v) => v > 0)).toBe(true);
    expect(Array.from(values.subarray(168, 184))).toEqual(plain.map((v) => Math.max(0, v)));
  });
});
