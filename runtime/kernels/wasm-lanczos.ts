/**
 * Lanczos's and power iteration's float64 reorthogonalisation on the wasm path: the kernels of reorth-source.ts
 * (wasm SIMD, two multiply-adds per instruction) over the basis kept in a WebAssembly memory of its own, one module
 * instance per basis (it goes with the basis). Why: the JS loops were the largest part of benchmark case (h)'s
 * probe after the products; these take about a fifth of their time (docs/performance.md, "Lanczos
 * reorthogonalisation").
 *
 * Each pushed vector is copied in once, the basis's only copy (`vector(b)` copies one out); each
 * `orthogonalizeTwice` copies w in and back (one pass over w against the four passes over the basis), as
 * `accumulate` its output. They round as native/dync_lanczos.c, bit for bit. Where the memory cannot grow (wasm32
 * stops at 4 GiB), or past dim vectors, the basis moves to JS arrays and carries on with the JS loops.
 */
import { accumulate, orthogonalizeTwice, type OrthogonalBasis, type VectorKernels } from "../../numerics/lanczos.js";
import { REORTH_BLOCK, type ReorthKernelExports } from "./reorth-source.js";
import { REORTH_KERNELS_BASE64 } from "./reorth-wasm.js";

/** The WebAssembly API (Node's global; the project's TS lib has no DOM types for it). */
const WebAssemblyApi = (globalThis as unknown as {
  WebAssembly: { Module: new (bytes: Uint8Array) => object; Instance: new (module: object, imports: object) => { exports: unknown } };
}).WebAssembly;

const PAGE = 65536;
let compiled: object | undefined;
let unavailable: string | undefined;

/** The compiled module, or undefined (with the reason kept) where this Node's WebAssembly has no SIMD. */
function compiledModule(): object | undefined {
  if (compiled === undefined && unavailable === undefined) {
    try {
      compiled = new WebAssemblyApi.Module(Buffer.from(REORTH_KERNELS_BASE64, "base64"));
    } catch (error) {
      unavailable = `this Node's WebAssembly has no SIMD (${error instanceof Error ? error.message : String(error)})`;
    }
  }
  return compiled;
}

/**
 * Memory layout (byte offsets): w at 0, the coefficients h at 8·dim (at most dim of them: the vectors are
 * orthonormal in dim dimensions), vector b at 16·dim + 8·dim·b. The vectors live only here (a stepper keeps no
 * copy of its own), unless the JS loops took over.
 */
class WasmBasis implements OrthogonalBasis {
  private count = 0;
  private readonly kernels: ReorthKernelExports;
  private readonly stride: number;
  /** The vectors in JS arrays once the memory could not take another (or past dim vectors): the JS loops serve. */
  private inJs: Float64Array[] | undefined;

  constructor(
    private readonly dim: number,
    module: object,
  ) {
    this.kernels = new WebAssemblyApi.Instance(module, {}).exports as ReorthKernelExports;
    this.stride = 8 * dim;
    if (!this.reserve(2)) this.inJs = [];
  }

  push(v: Float64Array): void {
    if (v.length !== this.dim) throw new RangeError(`basis vectors have length ${this.dim}, got ${v.length}`);
    // More than dim vectors cannot be orthonormal, and h has room for dim coefficients: the JS loops take over.
    if (this.inJs === undefined && (this.count + 1 > this.dim || !this.reserve(3 + this.count))) {
      this.inJs = Array.from({ length: this.count }, (_, b) => this.vector(b));
    }
    if (this.inJs !== undefined) this.inJs.push(v);
    else new Float64Array(this.kernels.memory.buffer, this.vectorAt(this.count), this.dim).set(v);
    this.count++;
  }

  vector(b: number): Float64Array {
    if (this.inJs !== undefined) return this.inJs[b]!;
    if (!(b >= 0 && b < this.count)) throw new RangeError(`basis vector ${b} of ${this.count}`);
    return new Float64Array(this.kernels.memory.buffer.slice(this.vectorAt(b), this.vectorAt(b + 1)));
  }

  orthogonalizeTwice(w: Float64Array): void {
    if (w.length !== this.dim) throw new RangeError(`w has length ${w.length}, the basis ${this.dim}`);
    if (this.inJs !== undefined) return orthogonalizeTwice(w, this.inJs);
    const { kernels, dim, stride, count } = this;
    const inMemory = new Float64Array(kernels.memory.buffer, 0, dim);
    const h = new Float64Array(kernels.memory.buffer, stride, count);
    inMemory.set(w);
    for (let pass = 0; pass < 2; pass++) {
      let b = 0;
      for (; b + REORTH_BLOCK <= count; b += REORTH_BLOCK) kernels.dots_block(0, this.vectorAt(b), stride, dim, stride + 8 * b);
      for (; b < count; b++) h[b] = kernels.dot(0, this.vectorAt(b), dim);
      b = 0;
      for (; b + REORTH_BLOCK <= count; b += REORTH_BLOCK) kernels.subtract_block(0, this.vectorAt(b), stride, dim, stride + 8 * b);
      for (; b < count; b++) kernels.axpy(0, this.vectorAt(b), dim, -h[b]!);
    }
    w.set(inMemory);
  }

  accumulate(coefficients: ArrayLike<number>, out: Float64Array): void {
    if (out.length !== this.dim || coefficients.length > this.count) throw new RangeError(`accumulate: ${coefficients.length} coefficients for ${this.count} vectors, out of length ${out.length} for ${this.dim}`);
    if (this.inJs !== undefined) return accumulate(coefficients, this.inJs, out);
    const inMemory = new Float64Array(this.kernels.memory.buffer, 0, this.dim);
    inMemory.set(out);
    for (let b = 0; b < coefficients.length; b++) this.kernels.axpy(0, this.vectorAt(b), this.dim, coefficients[b]!);
    out.set(inMemory);
  }

  private vectorAt(b: number): number {
    return (2 + b) * this.stride;
  }

  /** Room for `slots` arrays of dim doubles (growing by half again at least, so pushes rarely grow); false if it cannot. */
  private reserve(slots: number): boolean {
    const memory = this.kernels.memory;
    const needed = slots * this.stride;
    if (needed <= memory.buffer.byteLength) return true;
    const wanted = Math.max(needed, Math.floor(memory.buffer.byteLength * 1.5));
    for (const bytes of [wanted, needed]) {
      try {
        memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / PAGE));
        return true;
      } catch {
        // past wasm32's 4 GiB (or the engine's limit): try the exact need, then give up
      }
    }
    return false;
  }
}

const kernels: VectorKernels = { basis: (dim) => new WasmBasis(dim, compiledModule()!) };

/** The wasm SIMD kernels, or undefined where this Node's WebAssembly cannot compile them. */
export function wasmVectorKernels(): VectorKernels | undefined {
  return compiledModule() === undefined ? undefined : kernels;
}

/** Why the wasm kernels cannot serve, or undefined. */
export function wasmVectorKernelsUnavailableReason(): string | undefined {
  compiledModule();
  return unavailable;
}
