/**
 * The source (WebAssembly text) of the float64 reorthogonalisation kernels that Lanczos and power iteration run on
 * the wasm path (runtime/kernels/wasm-lanczos.ts); `npm run kernels` assembles it into `reorth-wasm.ts`, and a test
 * checks that the committed bytes are this text assembled.
 *
 * Why: in JS the two classical Gram–Schmidt passes of benchmark case (h) (40,801 parameters, up to 60 basis
 * vectors) run one multiply-add at a time; wasm SIMD runs two per instruction (docs/performance.md, "Lanczos
 * reorthogonalisation"). Unlike dync's float32 kernels (simd-source.ts, in tfjs's heap) this module has a memory of
 * its own, which holds a copy of the basis: one instance per basis.
 *
 * Rounding is native/dync_lanczos.c's: each dot product sums in 8 interleaved lanes (lane l takes i ≡ l mod 8; four
 * f64x2 accumulators), the lanes added in order, then the tail; the subtractions are numerics/lanczos.ts's
 * (w[i] −= h0·v0[i] + h1·v1[i] + … left to right; wasm has no fused multiply-add). Pointers are byte offsets,
 * `n` counts doubles.
 */

const BLOCK = 4;
const range = (n: number) => [...Array(n).keys()];
const get = (name: string) => `(local.get $${name})`;
const load = (pointer: string, offset: number) => `(v128.load offset=${offset} ${pointer})`;
const at = (base: string) => `(i32.add ${get(base)} ${get("i")})`;

/** The sum of accumulators `acc_0 … acc_3` (8 lanes in order) plus the scalar tail of v·w from byte `end`, into $s. */
function finishDot(acc: (q: number) => string, v: string): string {
  const lanes = range(4).flatMap((q) => [0, 1].map((lane) => `(local.set $s (f64.add (local.get $s) (f64x2.extract_lane ${lane} ${get(acc(q))})))`));
  return [
    "(local.set $s (f64.const 0))",
    ...lanes,
    "(local.set $i (local.get $end))",
    "(block $tail_done (loop $tail",
    "  (br_if $tail_done (i32.ge_u (local.get $i) (local.get $bytes)))",
    `  (local.set $s (f64.add (local.get $s) (f64.mul (f64.load ${at(v)}) (f64.load ${at("w")}))))`,
    "  (local.set $i (i32.add (local.get $i) (i32.const 8)))",
    "  (br $tail)))",
  ].join("\n    ");
}

/** h[k] = v_k · w for the BLOCK vectors v_k = v + k·stride, in one pass over w. */
function dotsBlock(): string {
  const vectors = range(BLOCK).map((k) => `v${k}`);
  const acc = (k: number) => (q: number) => `a${k}${q}`;
  const body = [
    ...range(4).map((q) => `(local.set $x${q} ${load(at("w"), 16 * q)})`),
    ...vectors.flatMap((v, k) => range(4).map((q) => `(local.set $${acc(k)(q)} (f64x2.add ${get(acc(k)(q))} (f64x2.mul ${load(at(v), 16 * q)} ${get(`x${q}`)})))`)),
  ];
  return `
  ;; h[k] = v_k · w, v_k = v + k·stride (k < ${BLOCK}), in one pass over w
  (func (export "dots_block") (param $w i32) (param $v i32) (param $stride i32) (param $n i32) (param $h i32)
    (local $i i32) (local $end i32) (local $bytes i32) (local $s f64)
    ${vectors.map((v) => `(local $${v} i32)`).join(" ")}
    ${range(4).map((q) => `(local $x${q} v128)`).join(" ")}
    ${vectors.flatMap((_, k) => range(4).map((q) => `(local $${acc(k)(q)} v128)`)).join(" ")}
    (local.set $v0 (local.get $v))
    ${range(BLOCK - 1).map((k) => `(local.set $v${k + 1} (i32.add (local.get $v${k}) (local.get $stride)))`).join("\n    ")}
    (local.set $bytes (i32.shl (local.get $n) (i32.const 3)))
    (local.set $end (i32.shl (i32.and (local.get $n) (i32.const -8)) (i32.const 3)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
      ${body.join("\n      ")}
      (local.set $i (i32.add (local.get $i) (i32.const 64)))
      (br $next)))
    ${vectors.map((v, k) => `${finishDot(acc(k), v)}\n    (f64.store offset=${8 * k} (local.get $h) (local.get $s))`).join("\n    ")})`;
}

/** v · w, the lanes as in dots_block. */
function dotOne(): string {
  const acc = (q: number) => `a${q}`;
  return `
  ;; v · w
  (func (export "dot") (param $w i32) (param $v i32) (param $n i32) (result f64)
    (local $i i32) (local $end i32) (local $bytes i32) (local $s f64)
    ${range(4).map((q) => `(local $${acc(q)} v128)`).join(" ")}
    (local.set $bytes (i32.shl (local.get $n) (i32.const 3)))
    (local.set $end (i32.shl (i32.and (local.get $n) (i32.const -8)) (i32.const 3)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
      ${range(4).map((q) => `(local.set $${acc(q)} (f64x2.add ${get(acc(q))} (f64x2.mul ${load(at("v"), 16 * q)} ${load(at("w"), 16 * q)})))`).join("\n      ")}
      (local.set $i (i32.add (local.get $i) (i32.const 64)))
      (br $next)))
    ${finishDot(acc, "v")}
    (local.get $s))`;
}

/** w −= Σ_k h[k]·v_k for the BLOCK vectors, in one pass over w (two doubles at a time, then the last one). */
function subtractBlock(): string {
  const vectors = range(BLOCK).map((k) => `v${k}`);
  const sum = (term: (k: number) => string) => vectors.slice(1).reduce((s, _, k) => `(f64x2.add ${s} ${term(k + 1)})`, term(0));
  const sumScalar = (term: (k: number) => string) => vectors.slice(1).reduce((s, _, k) => `(f64.add ${s} ${term(k + 1)})`, term(0));
  return `
  ;; w −= Σ h[k]·v_k, v_k = v + k·stride (k < ${BLOCK})
  (func (export "subtract_block") (param $w i32) (param $v i32) (param $stride i32) (param $n i32) (param $h i32)
    (local $i i32) (local $end i32)
    ${vectors.map((v) => `(local $${v} i32)`).join(" ")}
    ${range(BLOCK).map((k) => `(local $h${k} f64) (local $hh${k} v128)`).join(" ")}
    (local.set $v0 (local.get $v))
    ${range(BLOCK - 1).map((k) => `(local.set $v${k + 1} (i32.add (local.get $v${k}) (local.get $stride)))`).join("\n    ")}
    ${range(BLOCK).map((k) => `(local.set $h${k} (f64.load offset=${8 * k} (local.get $h))) (local.set $hh${k} (f64x2.splat (local.get $h${k})))`).join("\n    ")}
    (local.set $end (i32.shl (i32.and (local.get $n) (i32.const -2)) (i32.const 3)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
      (v128.store ${at("w")} (f64x2.sub ${load(at("w"), 0)} ${sum((k) => `(f64x2.mul ${get(`hh${k}`)} ${load(at(`v${k}`), 0)})`)}))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $next)))
    (if (i32.and (local.get $n) (i32.const 1))
      (then (f64.store ${at("w")} (f64.sub (f64.load ${at("w")}) ${sumScalar((k) => `(f64.mul ${get(`h${k}`)} (f64.load ${at(`v${k}`)}))`)})))))`;
}

/** w += k·v. */
const AXPY = `
  ;; w += k·v
  (func (export "axpy") (param $w i32) (param $v i32) (param $n i32) (param $k f64)
    (local $i i32) (local $end i32) (local $kk v128)
    (local.set $kk (f64x2.splat (local.get $k)))
    (local.set $end (i32.shl (i32.and (local.get $n) (i32.const -2)) (i32.const 3)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
      (v128.store ${at("w")} (f64x2.add ${load(at("w"), 0)} (f64x2.mul (local.get $kk) ${load(at("v"), 0)})))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $next)))
    (if (i32.and (local.get $n) (i32.const 1))
      (then (f64.store ${at("w")} (f64.add (f64.load ${at("w")}) (f64.mul (local.get $k) (f64.load ${at("v")})))))))`;

/** The vectors per dots_block / subtract_block call. */
export const REORTH_BLOCK = BLOCK;

/** The module's text, for the assembler (`npm run kernels`). */
export function reorthKernelsWat(): string {
  return ["(module", `  (memory (export "memory") 1)`, dotsBlock(), dotOne(), subtractBlock(), AXPY, ")", ""].join("\n");
}

/** What the assembled module exports. */
export interface ReorthKernelExports {
  readonly memory: { readonly buffer: ArrayBuffer; grow(pages: number): number };
  dots_block(w: number, v: number, stride: number, n: number, h: number): void;
  dot(w: number, v: number, n: number): number;
  subtract_block(w: number, v: number, stride: number, n: number, h: number): void;
  axpy(w: number, v: number, n: number, k: number): void;
}
