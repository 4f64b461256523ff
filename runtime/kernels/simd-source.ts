/**
 * The source (WebAssembly text) of dync's own SIMD kernels for the tfjs wasm backend; `npm run kernels`
 * assembles it into `simd-wasm.ts`, and a test checks that the committed bytes are this text assembled.
 *
 * Why: tfjs-backend-wasm runs each elementwise op as its own kernel, its Tanh kernel is scalar (~30 ns
 * per element, against ~2 ns for its Sigmoid), a bias or weight gradient of a 1-wide layer becomes a
 * matrix-vector product that XNNPACK repacks on every call, its Transpose kernel walks N-d indices per
 * element, and a composite like SiLU's derivative is five passes over memory (docs/performance.md).
 * These kernels work in place on tfjs's own heap: the module imports the backend's WebAssembly.Memory, and
 * every pointer is a byte offset of a tensor in it; `n`, `rows`, `cols` count float32 elements.
 *
 * Accuracy (tested against float64 in test/runtime/simd-kernels.test.ts): exp is Cephes' expf (range
 * reduction by ln 2 in two parts, degree-6 polynomial), with the exponent rounded by a "magic bias";
 * tanh is Cephes' tanhf (odd polynomial below |x| = 0.625, (1 − e)/(1 + e) with e = exp(−2|x|) above),
 * exact at 0 and odd; 1 − tanh² is 4e/(1 + e)² above 0.625 and σ, 1 − σ are each e/(1 + e) or 1/(1 + e) with
 * e = exp(−|x|), so derivatives do not cancel in the tails. exp's argument is clamped at −87, so sigmoid(x)
 * for x < −87 is ~1e-38 instead of a smaller subnormal number.
 *
 * The elementwise kernels are generated: each loop body is the math written out inline (V8 in Node 20 does
 * not inline wasm calls) for two vectors per iteration (independent chains the CPU overlaps), then one
 * vector, then the last 1–3 elements lane by lane.
 */

/** A four-lane f32 constant. */
const f = (v: number | string) => `(v128.const f32x4 ${v} ${v} ${v} ${v})`;
const get = (name: string) => `(local.get $${name})`;
const set = (name: string, expr: string) => `(local.set $${name} ${expr})`;
const mul = (a: string, b: string) => `(f32x4.mul ${a} ${b})`;
const add = (a: string, b: string) => `(f32x4.add ${a} ${b})`;
const sub = (a: string, b: string) => `(f32x4.sub ${a} ${b})`;
const div = (a: string, b: string) => `(f32x4.div ${a} ${b})`;
const select = (ifTrue: string, ifFalse: string, mask: string) => `(v128.bitselect ${ifTrue} ${ifFalse} ${mask})`;

/** Straight-line code over the v128 locals it names (suffixed with its lane group, e.g. `e_0`). */
interface Snippet {
  readonly locals: readonly string[];
  readonly code: readonly string[];
}

const EXP_POLY = ["1.9875691500e-4", "1.3981999507e-3", "8.3334519073e-3", "4.1665795894e-2", "1.6666665459e-1", "5.0000001201e-1"];
const TANH_POLY = ["-5.70498872745e-3", "2.06390887954e-2", "-5.37397155531e-2", "1.33314422036e-1", "-3.33332819422e-1"];
const SIGN_BIT = "(v128.const i32x4 0x80000000 0x80000000 0x80000000 0x80000000)";

/**
 * out = e^(−a) for a ≥ 0 (or NaN), clamped at e^(−87): t = −a = n·ln2 + r, |r| ≤ ln2/2; n from the magic
 * bias 1.5·2²³ + 127 (z = t·log2(e) + bias holds n + 127 in its low mantissa bits, so z − bias is n and
 * bits(z) << 23 is 2ⁿ); e^r = 1 + r + r²·P(r) with Cephes' coefficients.
 */
function expNeg(k: string, a: string, out: string): Snippet {
  const [t, z, n, r, p] = ["t", "z", "n", "r", "p"].map((name) => `${name}${k}`) as [string, string, string, string, string];
  const code = [
    set(t, `(f32x4.max (f32x4.neg ${get(a)}) ${f(-87)})`),
    set(z, add(mul(get(t), f("1.44269504088896341")), f(12583039))),
    set(n, sub(get(z), f(12583039))),
    set(r, sub(sub(get(t), mul(get(n), f("0.693359375"))), mul(get(n), f("-2.12194440e-4")))),
    set(p, f(EXP_POLY[0]!)),
    ...EXP_POLY.slice(1).map((c) => set(p, add(mul(get(p), get(r)), f(c)))),
    set(out, mul(add(add(mul(get(p), mul(get(r), get(r))), get(r)), f(1)), `(i32x4.shl ${get(z)} (i32.const 23))`)),
  ];
  return { locals: [t, z, n, r, p], code };
}

/** tanh(x) and 1 − tanh²(x) into `tanh`, `sech2`. */
function tanhParts(k: string, x: string, tanh: string, sech2: string): Snippet {
  const [abs, small, z, p, e, d] = ["abs", "small", "zz", "tp", "e", "den"].map((name) => `${name}${k}`) as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const exp = expNeg(k, `twice${k}`, e);
  const code = [
    set(abs, `(f32x4.abs ${get(x)})`),
    set(small, `(f32x4.lt ${get(abs)} ${f(0.625)})`),
    set(z, mul(get(x), get(x))),
    set(p, f(TANH_POLY[0]!)),
    ...TANH_POLY.slice(1).map((c) => set(p, add(mul(get(p), get(z)), f(c)))),
    set(p, add(mul(mul(get(p), get(z)), get(x)), get(x))),
    set(`twice${k}`, add(get(abs), get(abs))),
    ...exp.code,
    set(d, add(f(1), get(e))),
    // |tanh| from the exp branch or the (signed) polynomial, then x's sign bit on top (tanh(−0) = −0)
    set(tanh, `(v128.or ${select(get(p), div(sub(f(1), get(e)), get(d)), get(small))} (v128.and ${get(x)} ${SIGN_BIT}))`),
    set(sech2, select(sub(f(1), mul(get(p), get(p))), div(mul(f(4), get(e)), mul(get(d), get(d))), get(small))),
  ];
  return { locals: [abs, small, z, p, e, d, `twice${k}`, ...exp.locals], code };
}

/** σ(x) and 1 − σ(x) into `sig`, `comp`: with e = e^(−|x|), s = 1/(1 + e), they are s and e·s (or swapped). */
function sigmoidParts(k: string, x: string, sig: string, comp: string): Snippet {
  const [abs, e, s, es, pos] = ["abs", "e", "s", "es", "pos"].map((name) => `${name}${k}`) as [string, string, string, string, string];
  const exp = expNeg(k, abs, e);
  const code = [
    set(abs, `(f32x4.abs ${get(x)})`),
    ...exp.code,
    set(s, div(f(1), add(f(1), get(e)))),
    set(es, mul(get(e), get(s))),
    set(pos, `(f32x4.ge ${get(x)} ${f(0)})`),
    set(sig, select(get(s), get(es), get(pos))),
    set(comp, select(get(es), get(s), get(pos))),
  ];
  return { locals: [abs, e, s, es, pos, ...exp.locals], code };
}

/**
 * An elementwise kernel: its array inputs (`x`, and `dy` for derivatives), outputs (default `out`), f32
 * scalar parameters (splatted into locals `<name>v`), and its body for lane group k, which computes the
 * locals `<output><k>` from the locals `<input><k>`. Exported as `(inputs…, outputs…, n, scalars…)`.
 */
interface ElementwiseKernel {
  readonly inputs: readonly string[];
  readonly outputs?: readonly string[];
  readonly scalars?: readonly string[];
  body(k: string): Snippet;
}

const withOut = (snippet: Snippet, k: string, extra: string[], result: string): Snippet => ({
  locals: [...snippet.locals, ...extra],
  code: [...snippet.code, set(`out${k}`, result)],
});

const ELEMENTWISE: Record<string, ElementwiseKernel> = {
  tanh: { inputs: ["x"], body: (k) => withOut(tanhParts(k, `x${k}`, `th${k}`, `sh${k}`), k, [`th${k}`, `sh${k}`], get(`th${k}`)) },
  tanh_grad: {
    inputs: ["x", "dy"],
    body: (k) => withOut(tanhParts(k, `x${k}`, `th${k}`, `sh${k}`), k, [`th${k}`, `sh${k}`], mul(get(`dy${k}`), get(`sh${k}`))),
  },
  sigmoid: {
    inputs: ["x"],
    body: (k) => withOut(sigmoidParts(k, `x${k}`, `sg${k}`, `cp${k}`), k, [`sg${k}`, `cp${k}`], get(`sg${k}`)),
  },
  sigmoid_grad: {
    inputs: ["x", "dy"],
    body: (k) =>
      withOut(sigmoidParts(k, `x${k}`, `sg${k}`, `cp${k}`), k, [`sg${k}`, `cp${k}`], mul(get(`dy${k}`), mul(get(`sg${k}`), get(`cp${k}`)))),
  },
  silu: {
    inputs: ["x"],
    body: (k) => withOut(sigmoidParts(k, `x${k}`, `sg${k}`, `cp${k}`), k, [`sg${k}`, `cp${k}`], mul(get(`x${k}`), get(`sg${k}`))),
  },
  // dy·(σ + x·σ(1 − σ))
  silu_grad: {
    inputs: ["x", "dy"],
    body: (k) =>
      withOut(
        sigmoidParts(k, `x${k}`, `sg${k}`, `cp${k}`),
        k,
        [`sg${k}`, `cp${k}`],
        mul(get(`dy${k}`), add(get(`sg${k}`), mul(get(`x${k}`), mul(get(`sg${k}`), get(`cp${k}`))))),
      ),
  },
  // θ − lr·g, the plain SGD update
  sgd: {
    inputs: ["theta", "g"],
    scalars: ["lr"],
    body: (k) => ({ locals: [], code: [set(`out${k}`, sub(get(`theta${k}`), mul(get(`g${k}`), get("lrv"))))] }),
  },
  // torch.optim.Adam, in runtime/optim.ts's operation order (so each rounding is the same as tfjs's ops):
  // m ← m·β₁ + g·(1 − β₁); v ← v·β₂ + g²·(1 − β₂); θ ← θ − (m / (√v / c₂ + ε))·step
  adam: {
    inputs: ["theta", "g", "m", "v"],
    outputs: ["theta_out", "m_out", "v_out"],
    scalars: ["beta1", "one_minus_beta1", "beta2", "one_minus_beta2", "c2", "eps", "step"],
    body: (k) => ({
      locals: [],
      code: [
        set(`m_out${k}`, add(mul(get(`m${k}`), get("beta1v")), mul(get(`g${k}`), get("one_minus_beta1v")))),
        set(`v_out${k}`, add(mul(get(`v${k}`), get("beta2v")), mul(mul(get(`g${k}`), get(`g${k}`)), get("one_minus_beta2v")))),
        set(
          `theta_out${k}`,
          sub(get(`theta${k}`), mul(div(get(`m_out${k}`), add(div(`(f32x4.sqrt ${get(`v_out${k}`)})`, get("c2v")), get("epsv"))), get("stepv"))),
        ),
      ],
    }),
  },
  // dy where x > 0, 0 where x ≤ 0, NaN where x is NaN (as tfjs's dy·step(x))
  relu_grad: {
    inputs: ["x", "dy"],
    body: (k) => ({
      locals: [],
      code: [
        set(
          `out${k}`,
          select(get(`x${k}`), `(v128.and ${get(`dy${k}`)} (f32x4.gt ${get(`x${k}`)} ${f(0)}))`, `(f32x4.ne ${get(`x${k}`)} ${get(`x${k}`)})`),
        ),
      ],
    }),
  },
};

/** An activation and its derivative at `pre<k>`, into `h<k>` and `d<k>` (the fused network kernel). */
const ACTIVATION_AND_DERIVATIVE: Record<string, (k: string) => Snippet> = {
  identity: (k) => ({ locals: [], code: [set(`h${k}`, get(`pre${k}`)), set(`d${k}`, f(1))] }),
  relu: (k) => ({
    locals: [],
    code: [
      set(`h${k}`, `(f32x4.max ${get(`pre${k}`)} ${f(0)})`),
      set(`d${k}`, `(v128.and (f32x4.gt ${get(`pre${k}`)} ${f(0)}) ${f(1)})`),
    ],
  }),
  // max(x, αx) for 0 ≤ α < 1, derivative 1 above 0 and α at and below (as runtime/nn/activations.ts)
  leaky_relu: (k) => ({
    locals: [`pos${k}`],
    code: [
      set(`pos${k}`, `(f32x4.gt ${get(`pre${k}`)} ${f(0)})`),
      set(`h${k}`, select(get(`pre${k}`), mul(get(`pre${k}`), get("alphav")), get(`pos${k}`))),
      set(`d${k}`, select(f(1), get("alphav"), get(`pos${k}`))),
    ],
  }),
  tanh: (k) => {
    const parts = tanhParts(k, `pre${k}`, `h${k}`, `d${k}`);
    return { locals: parts.locals, code: parts.code };
  },
  sigmoid: (k) => {
    const parts = sigmoidParts(k, `pre${k}`, `h${k}`, `cp${k}`);
    return { locals: [...parts.locals, `cp${k}`], code: [...parts.code, set(`d${k}`, mul(get(`h${k}`), get(`cp${k}`)))] };
  },
  silu: (k) => {
    const parts = sigmoidParts(k, `pre${k}`, `sg${k}`, `cp${k}`);
    return {
      locals: [...parts.locals, `sg${k}`, `cp${k}`],
      code: [
        ...parts.code,
        set(`h${k}`, mul(get(`pre${k}`), get(`sg${k}`))),
        set(`d${k}`, add(get(`sg${k}`), mul(get(`pre${k}`), mul(get(`sg${k}`), get(`cp${k}`))))),
      ],
    };
  },
};

/**
 * Loss and gradient of a seed-batched 1→W→1 network (`mlp(in: 1, hidden: [W], out: 1)`, biases on) under
 * (half) mean squared error, in one pass per seed. Samples are the vector lanes: blocks of eight (two
 * vectors, independent chains the CPU overlaps, each weight and accumulator touched once per block), then
 * four, then a masked partial vector. The forward half keeps each neuron's activation and derivative for
 * the block in scratch; the backward half adds the block's gradient terms into per-neuron accumulator
 * vectors, summed across lanes once per seed. Replaces ~25 tfjs kernels per step (and their passes over
 * [S, B, W] memory) for the networks of the condensation, frequency-principle and lottery-ticket experiments.
 *
 * Shapes (float32, contiguous): x, y [S, B]; w1, b1, w2 [S, W]; b2 [S]; outputs per_sample [S, B], per_seed
 * [S], dw1, db1, dw2 [S, W], db2 [S]. f = scale·(Σ_j act(x·w1_j + b1_j)·w2_j + b2); per-sample loss
 * half·(f − y)²; per-seed loss = mean over B; `gscale` = dLoss/df per unit residual × scale (2/B or 1/B, × scale).
 * Scratch: 7·W vectors (h and d of two vectors, and the accumulators of dw1, db1, dw2).
 */
function scalarNetKernel(act: string): string {
  const vectors = (count: number) => Array.from({ length: count }, (_, i) => `_${i}`);
  const bodies = vectors(2).map((k) => ACTIVATION_AND_DERIVATIVE[act]!(k));
  const perVector = ["xv", "yv", "mask", "fv", "res", "g", "pre", "h", "d", "dpre"];
  const v128Locals = new Set(["seedacc", "db2acc", "alphav", "w1j", "b1j", "w2j", "acc"]);
  for (const [i, k] of vectors(2).entries()) {
    for (const name of perVector) v128Locals.add(`${name}${k}`);
    for (const local of bodies[i]!.locals) v128Locals.add(local);
  }
  const at = (base: string, index: string) => `(i32.add ${get(base)} (i32.shl ${get(index)} (i32.const 2)))`;
  const splatLoad = (base: string, index: string) => `(f32x4.splat (f32.load ${at(base, index)}))`;
  const hsum = (v: string) =>
    `(f32.add (f32.add (f32x4.extract_lane 0 ${v}) (f32x4.extract_lane 1 ${v})) (f32.add (f32x4.extract_lane 2 ${v}) (f32x4.extract_lane 3 ${v})))`;
  /** Scratch slot of neuron j: [h_0, d_0, h_1, d_1] (64 bytes), then the accumulators [dw1, db1, dw2] (48 bytes). */
  const slot = `(i32.add ${get("hd")} (i32.shl ${get("j")} (i32.const 6)))`;
  const acc = (region: number) => `(i32.add ${get("accs")} (i32.shl (i32.add (i32.mul ${get("j")} (i32.const 3)) (i32.const ${region})) (i32.const 4)))`;
  const accumulate = (region: number, terms: string[]) =>
    `(v128.store ${acc(region)} ${terms.reduce((sum, term) => add(sum, term), `(v128.load ${acc(region)})`)})`;

  /** One block of `count` vectors at sample b: `partial` = the last, masked vector. */
  const block = (count: number, partial: boolean) => {
    const ks = vectors(count);
    const loads = ks.flatMap((k, i) =>
      partial
        ? [
            set(`xv${k}`, `(call $load_partial ${at("x", "b")} ${get("rest")})`),
            set(`yv${k}`, `(call $load_partial ${at("y", "b")} ${get("rest")})`),
            set(`mask${k}`, `(i32x4.lt_s (v128.const i32x4 0 1 2 3) (i32x4.splat ${get("rest")}))`),
          ]
        : [
            set(`xv${k}`, `(v128.load offset=${16 * i} ${at("x", "b")})`),
            set(`yv${k}`, `(v128.load offset=${16 * i} ${at("y", "b")})`),
            set(`mask${k}`, "(v128.const i32x4 -1 -1 -1 -1)"),
          ],
    );
    const storeLoss = (k: string, i: number) =>
      partial
        ? `(call $store_partial ${at("per_sample", "b")} ${get(`h${k}`)} ${get("rest")})`
        : `(v128.store offset=${16 * i} ${at("per_sample", "b")} ${get(`h${k}`)})`;
    return [
      ...loads,
      ...ks.map((k) => set(`fv${k}`, f(0))),
      `(local.set $j (i32.const 0))`,
      `(block $fwd_done (loop $fwd`,
      `  (br_if $fwd_done (i32.ge_u ${get("j")} ${get("width")}))`,
      set("w1j", splatLoad("w1", "j")),
      set("b1j", splatLoad("b1", "j")),
      set("w2j", splatLoad("w2", "j")),
      ...ks.flatMap((k, i) => [
        set(`pre${k}`, add(mul(get(`xv${k}`), get("w1j")), get("b1j"))),
        ...bodies[i]!.code,
        `(v128.store offset=${32 * i} ${slot} ${get(`h${k}`)})`,
        `(v128.store offset=${32 * i + 16} ${slot} ${get(`d${k}`)})`,
        set(`fv${k}`, add(get(`fv${k}`), mul(get(`h${k}`), get("w2j")))),
      ]),
      `  (local.set $j (i32.add ${get("j")} (i32.const 1)))`,
      `  (br $fwd)))`,
      ...ks.flatMap((k, i) => [
        set(`fv${k}`, mul(add(get(`fv${k}`), "(f32x4.splat (local.get $b2s))"), "(f32x4.splat (local.get $scale))")),
        set(`res${k}`, `(v128.and ${sub(get(`fv${k}`), get(`yv${k}`))} ${get(`mask${k}`)})`),
        set(`h${k}`, mul(mul(get(`res${k}`), get(`res${k}`)), "(f32x4.splat (local.get $half))")),
        storeLoss(k, i),
        set("seedacc", add(get("seedacc"), get(`h${k}`))),
        set(`g${k}`, mul(get(`res${k}`), "(f32x4.splat (local.get $gscale))")),
        set("db2acc", add(get("db2acc"), get(`g${k}`))),
      ]),
      `(local.set $j (i32.const 0))`,
      `(block $bwd_done (loop $bwd`,
      `  (br_if $bwd_done (i32.ge_u ${get("j")} ${get("width")}))`,
      set("w2j", splatLoad("w2", "j")),
      ...ks.flatMap((k, i) => [
        set(`h${k}`, `(v128.load offset=${32 * i} ${slot})`),
        set(`d${k}`, `(v128.load offset=${32 * i + 16} ${slot})`),
        set(`dpre${k}`, mul(mul(get(`g${k}`), get("w2j")), get(`d${k}`))),
      ]),
      accumulate(0, ks.map((k) => mul(get(`dpre${k}`), get(`xv${k}`)))),
      accumulate(1, ks.map((k) => get(`dpre${k}`))),
      accumulate(2, ks.map((k) => mul(get(`g${k}`), get(`h${k}`)))),
      `  (local.set $j (i32.add ${get("j")} (i32.const 1)))`,
      `  (br $bwd)))`,
      `(local.set $b (i32.add ${get("b")} (i32.const ${4 * count})))`,
    ].join("\n          ");
  };

  return String.raw`
  (func (export "scalar_net_${act}")
    (param $x i32) (param $y i32) (param $w1 i32) (param $b1 i32) (param $w2 i32) (param $b2 i32)
    (param $seeds i32) (param $batch i32) (param $width i32)
    (param $alpha f32) (param $scale f32) (param $half f32) (param $gscale f32) (param $inv_batch f32)
    (param $per_sample i32) (param $per_seed i32) (param $dw1 i32) (param $db1 i32) (param $dw2 i32) (param $db2 i32) (param $scratch i32)
    (local $s i32) (local $b i32) (local $j i32) (local $rest i32) (local $hd i32) (local $accs i32) (local $b2s f32)
    ${[...v128Locals].map((l) => `(local $${l} v128)`).join(" ")}
    (local.set $alphav (f32x4.splat (local.get $alpha)))
    (local.set $hd (local.get $scratch))
    (local.set $accs (i32.add (local.get $scratch) (i32.shl (local.get $width) (i32.const 6))))
    (block $seeds_done (loop $seed
      (br_if $seeds_done (i32.ge_u (local.get $s) (local.get $seeds)))
      (memory.fill (local.get $accs) (i32.const 0) (i32.mul (local.get $width) (i32.const 48)))
      (local.set $seedacc ${f(0)})
      (local.set $db2acc ${f(0)})
      (local.set $b2s (f32.load (i32.add (local.get $b2) (i32.shl (local.get $s) (i32.const 2)))))
      (local.set $b (i32.const 0))
      (block $samples_done (loop $sample
        (local.set $rest (i32.sub (local.get $batch) (local.get $b)))
        (if (i32.ge_s (local.get $rest) (i32.const 8))
          (then
          ${block(2, false)}
            (br $sample)))
        (if (i32.ge_s (local.get $rest) (i32.const 4))
          (then
          ${block(1, false)}
            (br $sample)))
        (br_if $samples_done (i32.le_s (local.get $rest) (i32.const 0)))
          ${block(1, true)}
        ))
      ;; this seed's sums across lanes
      (f32.store (i32.add (local.get $per_seed) (i32.shl (local.get $s) (i32.const 2))) (f32.mul ${hsum(get("seedacc"))} (local.get $inv_batch)))
      (f32.store (i32.add (local.get $db2) (i32.shl (local.get $s) (i32.const 2))) ${hsum(get("db2acc"))})
      (local.set $j (i32.const 0))
      (block $sum_done (loop $sum
        (br_if $sum_done (i32.ge_u (local.get $j) (local.get $width)))
        (f32.store ${at("dw1", "j")} ${hsum(`(v128.load ${acc(0)})`)})
        (f32.store ${at("db1", "j")} ${hsum(`(v128.load ${acc(1)})`)})
        (f32.store ${at("dw2", "j")} ${hsum(`(v128.load ${acc(2)})`)})
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $sum)))
      ;; next seed: every per-seed pointer moves on
      (local.set $x (i32.add (local.get $x) (i32.shl (local.get $batch) (i32.const 2))))
      (local.set $y (i32.add (local.get $y) (i32.shl (local.get $batch) (i32.const 2))))
      (local.set $per_sample (i32.add (local.get $per_sample) (i32.shl (local.get $batch) (i32.const 2))))
      ${["w1", "b1", "w2", "dw1", "db1", "dw2"].map((p) => `(local.set $${p} (i32.add (local.get $${p}) (i32.shl (local.get $width) (i32.const 2))))`).join("\n      ")}
      (local.set $s (i32.add (local.get $s) (i32.const 1)))
      (br $seed)))
  )`;
}

/** The activations the fused network kernel has (each its own export, `scalar_net_<act>`). */
export const SCALAR_NET_ACTIVATIONS = Object.keys(ACTIVATION_AND_DERIVATIVE);

/** Lane groups per iteration of the main loop. */
const UNROLL = 2;

/** `out[i] = kernel(x[i] (, dy[i]))` for i < n. */
function elementwiseLoop(name: string, kernel: ElementwiseKernel): string {
  const outputs = kernel.outputs ?? ["out"];
  const scalars = kernel.scalars ?? [];
  const groups = Array.from({ length: UNROLL }, (_, i) => `_${i}`);
  const bodies = groups.map((k) => kernel.body(k));
  const locals = new Set<string>(scalars.map((scalar) => `${scalar}v`));
  for (const [i, k] of groups.entries()) {
    for (const array of [...kernel.inputs, ...outputs]) locals.add(`${array}${k}`);
    for (const local of bodies[i]!.locals) locals.add(local);
  }
  const pointers = [...kernel.inputs, ...outputs].map((array) => `${array}_ptr`);
  const first = pointers[0]!;
  const setI32 = (p: string, bytes: number) => `(local.set $${p} (i32.add (local.get $${p}) (i32.const ${bytes})))`;
  const load = (k: string, offset: number) => kernel.inputs.map((input) => set(`${input}${k}`, `(v128.load offset=${offset} ${get(`${input}_ptr`)})`));
  const store = (k: string, offset: number) => outputs.map((o) => `(v128.store offset=${offset} ${get(`${o}_ptr`)} ${get(`${o}${k}`)})`);
  const step = (bytes: number) => pointers.map((p) => setI32(p, bytes));
  return [
    `  (func (export "${name}") ${pointers.map((p) => `(param $${p} i32)`).join(" ")} (param $n i32) ${scalars.map((c) => `(param $${c} f32)`).join(" ")}`,
    `    (local $end i32) (local $rest i32)`,
    `    ${[...locals].map((l) => `(local $${l} v128)`).join(" ")}`,
    ...scalars.map((c) => `    (local.set $${c}v (f32x4.splat (local.get $${c})))`),
    `    (local.set $end (i32.add ${get(first)} (i32.shl (i32.and ${get("n")} (i32.const ${-4 * UNROLL})) (i32.const 2))))`,
    `    (block $done (loop $next`,
    `      (br_if $done (i32.ge_u ${get(first)} ${get("end")}))`,
    ...groups.flatMap((k, i) => load(k, 16 * i)),
    ...bodies.flatMap((b) => b.code),
    ...groups.flatMap((k, i) => store(k, 16 * i)),
    ...step(16 * UNROLL),
    `      (br $next)))`,
    `    (local.set $rest (i32.and ${get("n")} (i32.const ${4 * UNROLL - 1})))`,
    `    (if (i32.ge_u ${get("rest")} (i32.const 4)) (then`,
    ...load("_0", 0),
    ...bodies[0]!.code,
    ...store("_0", 0),
    ...step(16),
    `      (local.set $rest (i32.sub ${get("rest")} (i32.const 4)))))`,
    `    (if ${get("rest")} (then`,
    ...kernel.inputs.map((input) => set(`${input}_0`, `(call $load_partial ${get(`${input}_ptr`)} ${get("rest")})`)),
    ...bodies[0]!.code,
    ...outputs.map((o) => `      (call $store_partial ${get(`${o}_ptr`)} ${get(`${o}_0`)} ${get("rest")})`),
    `    ))`,
    `  )`,
  ].join("\n");
}

/** Loads and stores of the 1–3 elements past the last full vector, lane by lane. */
const LANE_HELPERS = String.raw`
  (func $load_partial (param $p i32) (param $k i32) (result v128)
    (local $v v128)
    (local.set $v (v128.load32_zero (local.get $p)))
    (if (i32.gt_u (local.get $k) (i32.const 1))
      (then (local.set $v (v128.load32_lane offset=4 1 (local.get $p) (local.get $v)))))
    (if (i32.gt_u (local.get $k) (i32.const 2))
      (then (local.set $v (v128.load32_lane offset=8 2 (local.get $p) (local.get $v)))))
    (local.get $v))

  (func $store_partial (param $p i32) (param $v v128) (param $k i32)
    (v128.store32_lane 0 (local.get $p) (local.get $v))
    (if (i32.gt_u (local.get $k) (i32.const 1))
      (then (v128.store32_lane offset=4 1 (local.get $p) (local.get $v))))
    (if (i32.gt_u (local.get $k) (i32.const 2))
      (then (v128.store32_lane offset=8 2 (local.get $p) (local.get $v)))))`;

/**
 * y[b, c] = Σ_r w[b, r]·x[b, r, c] (`weighted`: a row vector times a matrix, [S,1,M]×[S,M,N]) or Σ_r x[b, r, c]
 * (the bias gradient): rows added into the output row, which stays in L1.
 */
function rowCombination(name: string, weighted: boolean): string {
  const term = (load: string) => (weighted ? `(f32x4.mul ${load} (local.get $wv))` : load);
  const scalarTerm = (load: string) => (weighted ? `(f32.mul ${load} (local.get $ws))` : load);
  return String.raw`
  (func (export "${name}") ${weighted ? "(param $w i32) " : ""}(param $x i32) (param $y i32) (param $batches i32) (param $rows i32) (param $cols i32)
    (local $b i32) (local $r i32) (local $c i32) (local $vec_cols i32) (local $row i32) (local $out i32) (local $ws f32) (local $wv v128)
    (local.set $vec_cols (i32.and (local.get $cols) (i32.const -4)))
    (local.set $b (i32.const 0))
    (block $batches_done
      (loop $batch
        (br_if $batches_done (i32.ge_u (local.get $b) (local.get $batches)))
        (local.set $out (i32.add (local.get $y) (i32.shl (i32.mul (local.get $b) (local.get $cols)) (i32.const 2))))
        (memory.fill (local.get $out) (i32.const 0) (i32.shl (local.get $cols) (i32.const 2)))
        (local.set $r (i32.const 0))
        (block $rows_done
          (loop $row_loop
            (br_if $rows_done (i32.ge_u (local.get $r) (local.get $rows)))
            (local.set $row (i32.add (local.get $x)
              (i32.shl (i32.mul (i32.add (i32.mul (local.get $b) (local.get $rows)) (local.get $r)) (local.get $cols)) (i32.const 2))))
            ${weighted ? String.raw`(local.set $ws (f32.load (i32.add (local.get $w) (i32.shl (i32.add (i32.mul (local.get $b) (local.get $rows)) (local.get $r)) (i32.const 2)))))
            (local.set $wv (f32x4.splat (local.get $ws)))` : ""}
            (local.set $c (i32.const 0))
            (block $vec_done
              (loop $vec
                (br_if $vec_done (i32.ge_u (local.get $c) (local.get $vec_cols)))
                (v128.store (i32.add (local.get $out) (i32.shl (local.get $c) (i32.const 2)))
                  (f32x4.add
                    (v128.load (i32.add (local.get $out) (i32.shl (local.get $c) (i32.const 2))))
                    ${term("(v128.load (i32.add (local.get $row) (i32.shl (local.get $c) (i32.const 2))))")}))
                (local.set $c (i32.add (local.get $c) (i32.const 4)))
                (br $vec)))
            (block $tail_done
              (loop $tail
                (br_if $tail_done (i32.ge_u (local.get $c) (local.get $cols)))
                (f32.store (i32.add (local.get $out) (i32.shl (local.get $c) (i32.const 2)))
                  (f32.add
                    (f32.load (i32.add (local.get $out) (i32.shl (local.get $c) (i32.const 2))))
                    ${scalarTerm("(f32.load (i32.add (local.get $row) (i32.shl (local.get $c) (i32.const 2))))")}))
                (local.set $c (i32.add (local.get $c) (i32.const 1)))
                (br $tail)))
            (local.set $r (i32.add (local.get $r) (i32.const 1)))
            (br $row_loop)))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $batch))))`;
}

/**
 * y[b, m] = Σ_k a[b, m, k]·v[b, k] (a matrix times a column vector, [S,M,K]×[S,K,1]): four lanes of partial
 * sums along k, added across lanes at the end of each row, then the last K mod 4 terms.
 */
const MATVEC = String.raw`
  (func (export "matvec") (param $a i32) (param $v i32) (param $y i32) (param $batches i32) (param $rows i32) (param $inner i32)
    (local $b i32) (local $m i32) (local $k i32) (local $vec_inner i32) (local $row i32) (local $vb i32) (local $acc v128) (local $sum f32)
    (local.set $vec_inner (i32.and (local.get $inner) (i32.const -4)))
    (local.set $row (local.get $a))
    (local.set $b (i32.const 0))
    (block $batches_done
      (loop $batch
        (br_if $batches_done (i32.ge_u (local.get $b) (local.get $batches)))
        (local.set $vb (i32.add (local.get $v) (i32.shl (i32.mul (local.get $b) (local.get $inner)) (i32.const 2))))
        (local.set $m (i32.const 0))
        (block $rows_done
          (loop $row_loop
            (br_if $rows_done (i32.ge_u (local.get $m) (local.get $rows)))
            (local.set $acc (v128.const f32x4 0 0 0 0))
            (local.set $k (i32.const 0))
            (block $vec_done
              (loop $vec
                (br_if $vec_done (i32.ge_u (local.get $k) (local.get $vec_inner)))
                (local.set $acc (f32x4.add (local.get $acc)
                  (f32x4.mul
                    (v128.load (i32.add (local.get $row) (i32.shl (local.get $k) (i32.const 2))))
                    (v128.load (i32.add (local.get $vb) (i32.shl (local.get $k) (i32.const 2)))))))
                (local.set $k (i32.add (local.get $k) (i32.const 4)))
                (br $vec)))
            (local.set $sum (f32.add
              (f32.add (f32x4.extract_lane 0 (local.get $acc)) (f32x4.extract_lane 1 (local.get $acc)))
              (f32.add (f32x4.extract_lane 2 (local.get $acc)) (f32x4.extract_lane 3 (local.get $acc)))))
            (block $tail_done
              (loop $tail
                (br_if $tail_done (i32.ge_u (local.get $k) (local.get $inner)))
                (local.set $sum (f32.add (local.get $sum)
                  (f32.mul
                    (f32.load (i32.add (local.get $row) (i32.shl (local.get $k) (i32.const 2))))
                    (f32.load (i32.add (local.get $vb) (i32.shl (local.get $k) (i32.const 2)))))))
                (local.set $k (i32.add (local.get $k) (i32.const 1)))
                (br $tail)))
            (f32.store (local.get $y) (local.get $sum))
            (local.set $y (i32.add (local.get $y) (i32.const 4)))
            (local.set $row (i32.add (local.get $row) (i32.shl (local.get $inner) (i32.const 2))))
            (local.set $m (i32.add (local.get $m) (i32.const 1)))
            (br $row_loop)))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $batch))))`;

/** y[b, r, c] = g[b, c] for every r: the adjoint of sum_rows (the gradient of a bias gradient). */
const BROADCAST_ROWS = String.raw`
  (func (export "broadcast_rows") (param $g i32) (param $y i32) (param $batches i32) (param $rows i32) (param $cols i32)
    (local $b i32) (local $r i32) (local $bytes i32)
    (local.set $bytes (i32.shl (local.get $cols) (i32.const 2)))
    (block $batches_done (loop $batch
      (br_if $batches_done (i32.ge_u (local.get $b) (local.get $batches)))
      (local.set $r (i32.const 0))
      (block $rows_done (loop $row
        (br_if $rows_done (i32.ge_u (local.get $r) (local.get $rows)))
        (memory.copy (local.get $y) (local.get $g) (local.get $bytes))
        (local.set $y (i32.add (local.get $y) (local.get $bytes)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $row)))
      (local.set $g (i32.add (local.get $g) (local.get $bytes)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $batch))))`;

/** i8x16.shuffle byte indices picking four i32 lanes (0–3 of the first operand, 4–7 of the second). */
const lanes = (...picks: number[]) => picks.flatMap((l) => [4 * l, 4 * l + 1, 4 * l + 2, 4 * l + 3]).join(" ");

/**
 * y[b, c, r] = x[b, r, c]: 4 × 4 blocks transposed in registers (eight shuffles), column strips outermost
 * so that each output row is written front to back; the last R mod 4 rows and C mod 4 columns one by one.
 */
const TRANSPOSE = String.raw`
  (func (export "transpose") (param $x i32) (param $y i32) (param $batches i32) (param $rows i32) (param $cols i32)
    (local $b i32) (local $r i32) (local $c i32) (local $rows4 i32) (local $cols4 i32) (local $src i32) (local $dst i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (local.set $rows4 (i32.and (local.get $rows) (i32.const -4)))
    (local.set $cols4 (i32.and (local.get $cols) (i32.const -4)))
    (block $batches_done (loop $batch
      (br_if $batches_done (i32.ge_u (local.get $b) (local.get $batches)))
      (local.set $c (i32.const 0))
      (block $strips_done (loop $strip
        (br_if $strips_done (i32.ge_u (local.get $c) (local.get $cols4)))
        (local.set $r (i32.const 0))
        (block $blocks_done (loop $block
          (br_if $blocks_done (i32.ge_u (local.get $r) (local.get $rows4)))
          (local.set $src (i32.add (local.get $x) (i32.shl (i32.add (i32.mul (local.get $r) (local.get $cols)) (local.get $c)) (i32.const 2))))
          (local.set $a0 (v128.load (local.get $src)))
          (local.set $src (i32.add (local.get $src) (i32.shl (local.get $cols) (i32.const 2))))
          (local.set $a1 (v128.load (local.get $src)))
          (local.set $src (i32.add (local.get $src) (i32.shl (local.get $cols) (i32.const 2))))
          (local.set $a2 (v128.load (local.get $src)))
          (local.set $src (i32.add (local.get $src) (i32.shl (local.get $cols) (i32.const 2))))
          (local.set $a3 (v128.load (local.get $src)))
          (local.set $t0 (i8x16.shuffle ${lanes(0, 4, 1, 5)} (local.get $a0) (local.get $a1)))
          (local.set $t1 (i8x16.shuffle ${lanes(0, 4, 1, 5)} (local.get $a2) (local.get $a3)))
          (local.set $t2 (i8x16.shuffle ${lanes(2, 6, 3, 7)} (local.get $a0) (local.get $a1)))
          (local.set $t3 (i8x16.shuffle ${lanes(2, 6, 3, 7)} (local.get $a2) (local.get $a3)))
          (local.set $dst (i32.add (local.get $y) (i32.shl (i32.add (i32.mul (local.get $c) (local.get $rows)) (local.get $r)) (i32.const 2))))
          (v128.store (local.get $dst) (i8x16.shuffle ${lanes(0, 1, 4, 5)} (local.get $t0) (local.get $t1)))
          (local.set $dst (i32.add (local.get $dst) (i32.shl (local.get $rows) (i32.const 2))))
          (v128.store (local.get $dst) (i8x16.shuffle ${lanes(2, 3, 6, 7)} (local.get $t0) (local.get $t1)))
          (local.set $dst (i32.add (local.get $dst) (i32.shl (local.get $rows) (i32.const 2))))
          (v128.store (local.get $dst) (i8x16.shuffle ${lanes(0, 1, 4, 5)} (local.get $t2) (local.get $t3)))
          (local.set $dst (i32.add (local.get $dst) (i32.shl (local.get $rows) (i32.const 2))))
          (v128.store (local.get $dst) (i8x16.shuffle ${lanes(2, 3, 6, 7)} (local.get $t2) (local.get $t3)))
          (local.set $r (i32.add (local.get $r) (i32.const 4)))
          (br $block)))
        ;; the last rows of this strip
        (block $rows_done (loop $row
          (br_if $rows_done (i32.ge_u (local.get $r) (local.get $rows)))
          (call $move (local.get $x) (local.get $y) (local.get $rows) (local.get $cols) (local.get $r) (local.get $c))
          (call $move (local.get $x) (local.get $y) (local.get $rows) (local.get $cols) (local.get $r) (i32.add (local.get $c) (i32.const 1)))
          (call $move (local.get $x) (local.get $y) (local.get $rows) (local.get $cols) (local.get $r) (i32.add (local.get $c) (i32.const 2)))
          (call $move (local.get $x) (local.get $y) (local.get $rows) (local.get $cols) (local.get $r) (i32.add (local.get $c) (i32.const 3)))
          (local.set $r (i32.add (local.get $r) (i32.const 1)))
          (br $row)))
        (local.set $c (i32.add (local.get $c) (i32.const 4)))
        (br $strip)))
      ;; the last columns
      (block $cols_done (loop $col
        (br_if $cols_done (i32.ge_u (local.get $c) (local.get $cols)))
        (local.set $r (i32.const 0))
        (block $col_rows_done (loop $col_row
          (br_if $col_rows_done (i32.ge_u (local.get $r) (local.get $rows)))
          (call $move (local.get $x) (local.get $y) (local.get $rows) (local.get $cols) (local.get $r) (local.get $c))
          (local.set $r (i32.add (local.get $r) (i32.const 1)))
          (br $col_row)))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $col)))
      (local.set $x (i32.add (local.get $x) (i32.shl (i32.mul (local.get $rows) (local.get $cols)) (i32.const 2))))
      (local.set $y (i32.add (local.get $y) (i32.shl (i32.mul (local.get $rows) (local.get $cols)) (i32.const 2))))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $batch))))

  ;; y[c, r] = x[r, c] for one element
  (func $move (param $x i32) (param $y i32) (param $rows i32) (param $cols i32) (param $r i32) (param $c i32)
    (f32.store (i32.add (local.get $y) (i32.shl (i32.add (i32.mul (local.get $c) (local.get $rows)) (local.get $r)) (i32.const 2)))
      (f32.load (i32.add (local.get $x) (i32.shl (i32.add (i32.mul (local.get $r) (local.get $cols)) (local.get $c)) (i32.const 2))))))`;

/**
 * The module's text (~260 KB), for the assembler (`npm run kernels`). A function, not a constant: the runtime
 * imports this file for SCALAR_NET_ACTIVATIONS and runs the assembled bytes (simd-wasm.ts), so every process
 * would otherwise build the text at start-up for nothing.
 */
export function simdKernelsWat(): string {
  return [
    "(module",
    `  (import "env" "memory" (memory 1))`,
    LANE_HELPERS,
    ...Object.entries(ELEMENTWISE).map(([name, kernel]) => elementwiseLoop(name, kernel)),
    ...SCALAR_NET_ACTIVATIONS.map(scalarNetKernel),
    rowCombination("sum_rows", false),
    rowCombination("vecmat", true),
    MATVEC,
    BROADCAST_ROWS,
    TRANSPOSE,
    ")",
    "",
  ].join("\n");
}

/** What the assembled module exports (the runtime's view of it). */
export interface SimdKernelExports {
  tanh(x: number, y: number, n: number): void;
  sigmoid(x: number, y: number, n: number): void;
  silu(x: number, y: number, n: number): void;
  tanh_grad(x: number, dy: number, dx: number, n: number): void;
  sigmoid_grad(x: number, dy: number, dx: number, n: number): void;
  silu_grad(x: number, dy: number, dx: number, n: number): void;
  relu_grad(x: number, dy: number, dx: number, n: number): void;
  sum_rows(x: number, y: number, batches: number, rows: number, cols: number): void;
  vecmat(w: number, x: number, y: number, batches: number, rows: number, cols: number): void;
  matvec(a: number, v: number, y: number, batches: number, rows: number, inner: number): void;
  transpose(x: number, y: number, batches: number, rows: number, cols: number): void;
  broadcast_rows(g: number, y: number, batches: number, rows: number, cols: number): void;
  sgd(theta: number, g: number, out: number, n: number, lr: number): void;
  adam(theta: number, g: number, m: number, v: number, thetaOut: number, mOut: number, vOut: number, n: number, ...scalars: number[]): void;
  /** One per activation in SCALAR_NET_ACTIVATIONS: `scalar_net_relu`, `scalar_net_silu`, … */
  [scalarNet: `scalar_net_${string}`]: (...args: number[]) => void;
}
