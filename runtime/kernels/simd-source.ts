/**
 * The source (WebAssembly text) of dync's own SIMD kernels for the tfjs wasm backend; `npm run kernels`
 * assembles it into `simd-wasm.ts`, and a test checks that the committed bytes are this text assembled.
 *
 * Why: tfjs-backend-wasm runs each elementwise op as its own kernel, its Tanh kernel is scalar (~20–30 ns
 * per element, against ~2 ns for its Sigmoid), a bias gradient becomes a matrix-vector product that XNNPACK
 * repacks on every call, and its Transpose kernel walks N-d indices per element (docs/performance.md).
 * These kernels work in place on tfjs's own heap: the module imports the backend's WebAssembly.Memory, and
 * every pointer is a byte offset of a tensor in it; `n`, `rows`, `cols` count float32 elements.
 *
 * Accuracy (tested against float64 in test/runtime/simd-kernels.test.ts): exp is Cephes' expf (range
 * reduction by ln 2 in two parts, degree-6 polynomial); tanh is Cephes' tanhf (odd polynomial below
 * |x| = 0.625, (1 − e)/(1 + e) with e = exp(−2|x|) above), exact at 0 and odd; 1 − tanh² is 4e/(1 + e)²
 * above 0.625, so it does not cancel near |tanh| = 1. exp's argument is clamped at −87, so sigmoid(x) for
 * x < −87 is ~1e-38 instead of a smaller subnormal number.
 *
 * The elementwise loops are generated (one per kernel, calling its four-lane function directly, so V8 can
 * inline it); the math functions and the two matrix kernels are written out.
 */

/** Four-lane math: partial loads/stores for the tail, exp, tanh, sigmoid, SiLU and the derivatives. */
const MATH = String.raw`
  ;; ---- lane helpers: the 1–3 elements past the last full vector ----
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
      (then (v128.store32_lane offset=8 2 (local.get $p) (local.get $v)))))

  ;; ---- elementwise math on four lanes ----
  ;; e^x for x in [−87, 88.3] (callers clamp): x = n·ln2 + r, |r| ≤ ln2/2, e^r by Cephes' polynomial. n is
  ;; rounded with the "magic bias" 1.5·2²³ + 127: z = x·log2(e) + bias holds n + 127 in its low mantissa bits,
  ;; so z − bias is n and bits(z) << 23 is 2ⁿ, without a rounding or float→int instruction.
  (func $exp4 (param $x v128) (result v128)
    (local $z v128) (local $n v128) (local $r v128) (local $p v128)
    (local.set $z (f32x4.add (f32x4.mul (local.get $x) (v128.const f32x4 1.44269504088896341 1.44269504088896341 1.44269504088896341 1.44269504088896341))
      (v128.const f32x4 12583039 12583039 12583039 12583039)))
    (local.set $n (f32x4.sub (local.get $z) (v128.const f32x4 12583039 12583039 12583039 12583039)))
    (local.set $r (f32x4.sub (local.get $x) (f32x4.mul (local.get $n) (v128.const f32x4 0.693359375 0.693359375 0.693359375 0.693359375))))
    (local.set $r (f32x4.sub (local.get $r) (f32x4.mul (local.get $n) (v128.const f32x4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4))))
    (local.set $p (v128.const f32x4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (v128.const f32x4 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (v128.const f32x4 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (v128.const f32x4 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (v128.const f32x4 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (v128.const f32x4 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1)))
    ;; e^r = 1 + r + r²·p
    (local.set $p (f32x4.add (f32x4.add (f32x4.mul (local.get $p) (f32x4.mul (local.get $r) (local.get $r))) (local.get $r)) (v128.const f32x4 1 1 1 1)))
    (f32x4.mul (local.get $p) (i32x4.shl (local.get $z) (i32.const 23))))

  ;; e^(−a) for a ≥ 0 (or NaN), clamped at e^(−87).
  (func $exp_neg4 (param $a v128) (result v128)
    (call $exp4 (f32x4.max (f32x4.neg (local.get $a)) (v128.const f32x4 -87 -87 -87 -87))))

  ;; tanh and 1 − tanh² (the latter as 4e/(1+e)² above the polynomial range: no cancellation near |t| = 1).
  (func $tanh_and_sech2 (param $x v128) (result v128 v128)
    (local $a v128) (local $z v128) (local $p v128) (local $e v128) (local $d v128) (local $t v128) (local $small v128)
    (local.set $a (f32x4.abs (local.get $x)))
    (local.set $small (f32x4.lt (local.get $a) (v128.const f32x4 0.625 0.625 0.625 0.625)))
    (local.set $z (f32x4.mul (local.get $x) (local.get $x)))
    (local.set $p (v128.const f32x4 -5.70498872745e-3 -5.70498872745e-3 -5.70498872745e-3 -5.70498872745e-3))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $z)) (v128.const f32x4 2.06390887954e-2 2.06390887954e-2 2.06390887954e-2 2.06390887954e-2)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $z)) (v128.const f32x4 -5.37397155531e-2 -5.37397155531e-2 -5.37397155531e-2 -5.37397155531e-2)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $z)) (v128.const f32x4 1.33314422036e-1 1.33314422036e-1 1.33314422036e-1 1.33314422036e-1)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $z)) (v128.const f32x4 -3.33332819422e-1 -3.33332819422e-1 -3.33332819422e-1 -3.33332819422e-1)))
    (local.set $p (f32x4.add (f32x4.mul (f32x4.mul (local.get $p) (local.get $z)) (local.get $x)) (local.get $x)))
    (local.set $e (call $exp_neg4 (f32x4.add (local.get $a) (local.get $a))))
    (local.set $d (f32x4.add (v128.const f32x4 1 1 1 1) (local.get $e)))
    (local.set $t (f32x4.div (f32x4.sub (v128.const f32x4 1 1 1 1) (local.get $e)) (local.get $d)))
    ;; |tanh| from the exp branch or the (signed) polynomial, then x's sign bit on top (also makes tanh(−0) = −0)
    (v128.or
      (v128.bitselect (local.get $p) (local.get $t) (local.get $small))
      (v128.and (local.get $x) (v128.const i32x4 0x80000000 0x80000000 0x80000000 0x80000000)))
    (v128.bitselect
      (f32x4.sub (v128.const f32x4 1 1 1 1) (f32x4.mul (local.get $p) (local.get $p)))
      (f32x4.div (f32x4.mul (v128.const f32x4 4 4 4 4) (local.get $e)) (f32x4.mul (local.get $d) (local.get $d)))
      (local.get $small)))

  ;; σ(x) and 1 − σ(x), both without cancellation: with e = e^(−|x|) and s = 1/(1 + e), σ(|x|) = s and
  ;; σ(−|x|) = e·s, so each of σ and 1 − σ is one of the two (e^(−|x|) never overflows).
  (func $sigmoid_parts (param $x v128) (result v128 v128)
    (local $e v128) (local $s v128) (local $es v128) (local $pos v128)
    (local.set $e (call $exp_neg4 (f32x4.abs (local.get $x))))
    (local.set $s (f32x4.div (v128.const f32x4 1 1 1 1) (f32x4.add (v128.const f32x4 1 1 1 1) (local.get $e))))
    (local.set $es (f32x4.mul (local.get $e) (local.get $s)))
    (local.set $pos (f32x4.ge (local.get $x) (v128.const f32x4 0 0 0 0)))
    (v128.bitselect (local.get $s) (local.get $es) (local.get $pos))
    (v128.bitselect (local.get $es) (local.get $s) (local.get $pos)))

  (func $sigmoid4 (param $x v128) (result v128)
    (call $sigmoid_parts (local.get $x)) (drop))

  (func $tanh4 (param $x v128) (result v128)
    (call $tanh_and_sech2 (local.get $x)) (drop))

  ;; dy·(1 − tanh²(x))
  (func $tanh_grad4 (param $x v128) (param $dy v128) (result v128)
    (local $s v128)
    (call $tanh_and_sech2 (local.get $x)) (local.set $s) (drop)
    (f32x4.mul (local.get $dy) (local.get $s)))

  ;; dy·σ(x)(1 − σ(x))
  (func $sigmoid_grad4 (param $x v128) (param $dy v128) (result v128)
    (local $p v128) (local $q v128)
    (call $sigmoid_parts (local.get $x)) (local.set $q) (local.set $p)
    (f32x4.mul (local.get $dy) (f32x4.mul (local.get $p) (local.get $q))))

  ;; x·σ(x)
  (func $silu4 (param $x v128) (result v128)
    (f32x4.mul (local.get $x) (call $sigmoid4 (local.get $x))))

  ;; dy·(σ(x) + x·σ(x)(1 − σ(x)))
  (func $silu_grad4 (param $x v128) (param $dy v128) (result v128)
    (local $p v128) (local $q v128)
    (call $sigmoid_parts (local.get $x)) (local.set $q) (local.set $p)
    (f32x4.mul (local.get $dy)
      (f32x4.add (local.get $p) (f32x4.mul (local.get $x) (f32x4.mul (local.get $p) (local.get $q))))))

  ;; dy where x > 0, 0 where x ≤ 0, NaN where x is NaN (as tfjs's dy·step(x)).
  (func $relu_grad4 (param $x v128) (param $dy v128) (result v128)
    (v128.bitselect
      (local.get $x)
      (v128.and (local.get $dy) (f32x4.gt (local.get $x) (v128.const f32x4 0 0 0 0)))
      (f32x4.ne (local.get $x) (local.get $x))))

`;

/** Unary kernels: export name → four-lane function `(x) → y`. */
const UNARY: Record<string, string> = { tanh: "$tanh4", sigmoid: "$sigmoid4", silu: "$silu4" };

/** Binary kernels `(x, dy) → dx`: export name → four-lane function. */
const BINARY: Record<string, string> = {
  tanh_grad: "$tanh_grad4",
  sigmoid_grad: "$sigmoid_grad4",
  silu_grad: "$silu_grad4",
  relu_grad: "$relu_grad4",
};

/** `y[i] = f(x[i])` for i < n: full vectors, then the 1–3 remaining lanes. */
function unaryLoop(name: string, f: string): string {
  return String.raw`
  (func (export "${name}") (param $x i32) (param $y i32) (param $n i32)
    (local $end i32) (local $k i32)
    (local.set $end (i32.add (local.get $x) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
        (v128.store (local.get $y) (call ${f} (v128.load (local.get $x))))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $y (i32.add (local.get $y) (i32.const 16)))
        (br $next)))
    (local.set $k (i32.and (local.get $n) (i32.const 3)))
    (if (local.get $k)
      (then (call $store_partial (local.get $y) (call ${f} (call $load_partial (local.get $x) (local.get $k))) (local.get $k)))))`;
}

/** `dx[i] = f(x[i], dy[i])` for i < n. */
function binaryLoop(name: string, f: string): string {
  return String.raw`
  (func (export "${name}") (param $x i32) (param $dy i32) (param $dx i32) (param $n i32)
    (local $end i32) (local $k i32)
    (local.set $end (i32.add (local.get $x) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
        (v128.store (local.get $dx) (call ${f} (v128.load (local.get $x)) (v128.load (local.get $dy))))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $dy (i32.add (local.get $dy) (i32.const 16)))
        (local.set $dx (i32.add (local.get $dx) (i32.const 16)))
        (br $next)))
    (local.set $k (i32.and (local.get $n) (i32.const 3)))
    (if (local.get $k)
      (then (call $store_partial (local.get $dx)
              (call ${f} (call $load_partial (local.get $x) (local.get $k)) (call $load_partial (local.get $dy) (local.get $k)))
              (local.get $k)))))`;
}

/** Bias gradient (sum over the middle axis) and transpose of the last two axes. */
const MATRIX = String.raw`
  ;; y[b, c] = Σ_r x[b, r, c]: rows added into the output row, which stays in L1 (the bias gradient).
  (func (export "sum_rows") (param $x i32) (param $y i32) (param $batches i32) (param $rows i32) (param $cols i32)
    (local $b i32) (local $r i32) (local $c i32) (local $vec_cols i32) (local $row i32) (local $out i32)
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
            (local.set $c (i32.const 0))
            (block $vec_done
              (loop $vec
                (br_if $vec_done (i32.ge_u (local.get $c) (local.get $vec_cols)))
                (v128.store (i32.add (local.get $out) (i32.shl (local.get $c) (i32.const 2)))
                  (f32x4.add
                    (v128.load (i32.add (local.get $out) (i32.shl (local.get $c) (i32.const 2))))
                    (v128.load (i32.add (local.get $row) (i32.shl (local.get $c) (i32.const 2))))))
                (local.set $c (i32.add (local.get $c) (i32.const 4)))
                (br $vec)))
            (block $tail_done
              (loop $tail
                (br_if $tail_done (i32.ge_u (local.get $c) (local.get $cols)))
                (f32.store (i32.add (local.get $out) (i32.shl (local.get $c) (i32.const 2)))
                  (f32.add
                    (f32.load (i32.add (local.get $out) (i32.shl (local.get $c) (i32.const 2))))
                    (f32.load (i32.add (local.get $row) (i32.shl (local.get $c) (i32.const 2))))))
                (local.set $c (i32.add (local.get $c) (i32.const 1)))
                (br $tail)))
            (local.set $r (i32.add (local.get $r) (i32.const 1)))
            (br $row_loop)))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $batch))))

  ;; y[b, c, r] = x[b, r, c], in 16 × 16 tiles so that both sides' cache lines are reused.
  (func (export "transpose") (param $x i32) (param $y i32) (param $batches i32) (param $rows i32) (param $cols i32)
    (local $b i32) (local $r0 i32) (local $c0 i32) (local $r i32) (local $c i32) (local $r1 i32) (local $c1 i32)
    (local $xb i32) (local $yb i32) (local $src i32) (local $plane i32)
    (local.set $plane (i32.shl (i32.mul (local.get $rows) (local.get $cols)) (i32.const 2)))
    (local.set $b (i32.const 0))
    (block $batches_done
      (loop $batch
        (br_if $batches_done (i32.ge_u (local.get $b) (local.get $batches)))
        (local.set $xb (i32.add (local.get $x) (i32.mul (local.get $b) (local.get $plane))))
        (local.set $yb (i32.add (local.get $y) (i32.mul (local.get $b) (local.get $plane))))
        (local.set $r0 (i32.const 0))
        (block $r0_done
          (loop $r0_loop
            (br_if $r0_done (i32.ge_u (local.get $r0) (local.get $rows)))
            (local.set $r1 (select (i32.add (local.get $r0) (i32.const 16)) (local.get $rows)
              (i32.lt_u (i32.add (local.get $r0) (i32.const 16)) (local.get $rows))))
            (local.set $c0 (i32.const 0))
            (block $c0_done
              (loop $c0_loop
                (br_if $c0_done (i32.ge_u (local.get $c0) (local.get $cols)))
                (local.set $c1 (select (i32.add (local.get $c0) (i32.const 16)) (local.get $cols)
                  (i32.lt_u (i32.add (local.get $c0) (i32.const 16)) (local.get $cols))))
                (local.set $r (local.get $r0))
                (block $r_done
                  (loop $r_loop
                    (br_if $r_done (i32.ge_u (local.get $r) (local.get $r1)))
                    (local.set $c (local.get $c0))
                    (local.set $src (i32.add (local.get $xb) (i32.shl (i32.add (i32.mul (local.get $r) (local.get $cols)) (local.get $c0)) (i32.const 2))))
                    (block $c_done
                      (loop $c_loop
                        (br_if $c_done (i32.ge_u (local.get $c) (local.get $c1)))
                        (f32.store
                          (i32.add (local.get $yb) (i32.shl (i32.add (i32.mul (local.get $c) (local.get $rows)) (local.get $r)) (i32.const 2)))
                          (f32.load (local.get $src)))
                        (local.set $src (i32.add (local.get $src) (i32.const 4)))
                        (local.set $c (i32.add (local.get $c) (i32.const 1)))
                        (br $c_loop)))
                    (local.set $r (i32.add (local.get $r) (i32.const 1)))
                    (br $r_loop)))
                (local.set $c0 (local.get $c1))
                (br $c0_loop)))
            (local.set $r0 (local.get $r1))
            (br $r0_loop)))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $batch))))
`;

/** The module's text. */
export const SIMD_KERNELS_WAT = [
  "(module",
  `  (import "env" "memory" (memory 1))`,
  MATH,
  ...Object.entries(UNARY).map(([name, f]) => unaryLoop(name, f)),
  ...Object.entries(BINARY).map(([name, f]) => binaryLoop(name, f)),
  MATRIX,
  ")",
  "",
].join("\n");

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
  transpose(x: number, y: number, batches: number, rows: number, cols: number): void;
}
