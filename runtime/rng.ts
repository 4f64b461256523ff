/**
 * Deterministic, seedable random numbers computed in JS (float64), independent of the tfjs backend.
 *
 * Why not tf.random*: its streams differ between backends and versions, and a seed must fix
 * initialization, data sampling and batch order on every backend alike. Each purpose draws from its
 * own stream (`rng.fork("init")`, `rng.fork("batches")`), so two optimizers started from one seed
 * see one initialization and one minibatch sequence however much randomness each consumes.
 *
 * Generator: xoshiro128** seeded through SplitMix32; labels are hashed with FNV-1a. The seed is read as a
 * 32-bit unsigned integer (`seed >>> 0`), so only seeds in [0, 2^32) give distinct streams; plans and
 * `resolveSeeds` refuse others (`isValidSeed` in contract/program.ts).
 *
 * Normals: Box–Muller with fdlibm's log, sin and cos (numerics/fdlibm.ts) rather than Math.*, whose last bits
 * ECMAScript leaves to the engine and newer V8 versions change: a seed gives the same data on every Node version.
 * Long runs of one kind of draw go through `normals` / `uniforms`, which a native addon serves when built
 * (native/dync_rng.c, the same arithmetic in C), bit for bit the values and the state the single draws give.
 */
import { boxMuller } from "../numerics/fdlibm.js";
import { nativeRngAddon } from "./kernels/native-rng.js";

/** Where a stream stands: its four state words and the second Box–Muller value not yet returned. */
export interface RngState {
  readonly words: readonly [number, number, number, number];
  readonly spareNormal: number | null;
}

export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  // The second Box–Muller value, valid while `hasSpare`: a flag beside a number field (not `number | undefined`)
  // keeps the field an unboxed double in V8, so a draw allocates nothing (~25 % faster normal()).
  private spare = 0;
  private hasSpare = false;

  constructor(readonly seed: number, readonly path: string = "") {
    let h = splitMix32((seed >>> 0) ^ fnv1a(path));
    const next = () => (h = splitMix32(h));
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** The stream's position, to continue it later with `restore` (checkpoints). */
  state(): RngState {
    return { words: [this.s0, this.s1, this.s2, this.s3], spareNormal: this.hasSpare ? this.spare : null };
  }

  /** Continue from a position `state()` returned: the next draws are those that followed it. */
  restore(state: RngState): void {
    [this.s0, this.s1, this.s2, this.s3] = state.words;
    this.hasSpare = state.spareNormal !== null && state.spareNormal !== undefined;
    this.spare = state.spareNormal ?? 0;
  }

  /** An independent stream for one purpose, e.g. `fork("init")`; the same label gives the same stream. */
  fork(label: string): Rng {
    return new Rng(this.seed, this.path ? `${this.path}/${label}` : label);
  }

  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform on [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform on [lo, hi). */
  uniformIn(lo: number, hi: number): number {
    return lo + (hi - lo) * this.uniform();
  }

  /** Standard normal by the Box–Muller transform (both values used: cos value first, then sin value). */
  normal(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spare;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    boxMuller(u, this.uniform(), pair);
    this.spare = pair[1]!;
    this.hasSpare = true;
    return pair[0]!;
  }

  /**
   * out[offset + i] = scale·z_i (+ shift, when given) for `count` normals z_i: exactly the values, and afterwards
   * the stream position, of `count` calls of `normal()` each stored as `shift + scale * rng.normal()`.
   */
  normals(out: Float32Array | Float64Array, offset = 0, count = out.length - offset, scale = 1, shift?: number): void {
    checkRange(out, offset, count);
    let i = offset;
    const end = offset + count;
    if (i < end && this.hasSpare) out[i++] = affine(this.normal(), scale, shift);
    const addon = end - i >= NATIVE_MIN_DRAWS ? nativeRngAddon() : undefined;
    if (addon) {
      const spare = addon.normals(this.saveWords(), out, i, end - i, scale, shift ?? 0, shift !== undefined);
      this.loadWords();
      if (spare !== undefined) {
        this.spare = spare;
        this.hasSpare = true;
      }
      return;
    }
    // whole pairs without the spare's bookkeeping; an odd last value leaves its pair's second one as the spare
    const add = shift ?? 0;
    const hasShift = shift !== undefined;
    for (; i + 1 < end; i += 2) {
      let u = 0;
      while (u === 0) u = this.uniform();
      boxMuller(u, this.uniform(), pair);
      out[i] = hasShift ? add + scale * pair[0]! : scale * pair[0]!;
      out[i + 1] = hasShift ? add + scale * pair[1]! : scale * pair[1]!;
    }
    if (i < end) out[i] = affine(this.normal(), scale, shift);
  }

  /** out[offset + i] = lo + (hi − lo)·u_i for `count` uniforms: the values and position of `count` `uniformIn(lo, hi)` calls. */
  uniforms(out: Float32Array | Float64Array, offset = 0, count = out.length - offset, lo = 0, hi = 1): void {
    checkRange(out, offset, count);
    const addon = count >= NATIVE_MIN_DRAWS ? nativeRngAddon() : undefined;
    if (addon) {
      addon.uniforms(this.saveWords(), out, offset, count, lo, hi);
      this.loadWords();
      return;
    }
    for (let i = offset; i < offset + count; i++) out[i] = lo + (hi - lo) * this.uniform();
  }

  /** The four state words into the buffer the addon advances. */
  private saveWords(): Uint32Array {
    nativeState[0] = this.s0;
    nativeState[1] = this.s1;
    nativeState[2] = this.s2;
    nativeState[3] = this.s3;
    return nativeState;
  }

  /**
   * The advanced words back, in the representation nextUint32 leaves them in (s0..s2 signed, s3 unsigned: the
   * results of `^=` and of `rotl`), so `state()` reads the same after bulk and single draws.
   */
  private loadWords(): void {
    this.s0 = nativeState[0]! | 0;
    this.s1 = nativeState[1]! | 0;
    this.s2 = nativeState[2]! | 0;
    this.s3 = nativeState[3]!;
  }

  /** An integer in [0, n), without modulo bias. */
  int(n: number): number {
    if (!(n > 0 && n <= 2 ** 32)) throw new RangeError(`Rng.int: n must be in (0, 2^32], got ${n}`);
    const limit = 2 ** 32 - (2 ** 32 % n);
    let x: number;
    do x = this.nextUint32();
    while (x >= limit);
    return x % n;
  }

  /** A uniformly random permutation of 0..n-1 (Fisher–Yates). */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = p[i]!;
      p[i] = p[j]!;
      p[j] = t;
    }
    return p;
  }
}

/** How many draws `drawInBlocks` holds at a time. */
const BLOCK_DRAWS = 8192;

/**
 * Draws 0..count−1 of one kind in bulk (`rng.normals` or `rng.uniforms` on [0, 1)), handed to `use(block, start,
 * length)` a block at a time: block[k] is draw start + k. For fills whose arithmetic varies per element (a mean per
 * column): the values equal `count` single draws, in order, with bounded memory.
 */
export function drawInBlocks(rng: Rng, kind: "normal" | "uniform", count: number, use: (block: Float64Array, start: number, length: number) => void): void {
  const block = new Float64Array(Math.min(count, BLOCK_DRAWS));
  for (let start = 0; start < count; start += block.length) {
    const length = Math.min(block.length, count - start);
    if (kind === "normal") rng.normals(block, 0, length);
    else rng.uniforms(block, 0, length);
    use(block, start, length);
  }
}

/** A Box–Muller pair, written here by boxMuller: no allocation per draw. */
const pair = new Float64Array(2);
/** The stream's words as the native addon reads and advances them. */
const nativeState = new Uint32Array(4);
/** Below this many draws the addon's call costs more than drawing in JS. */
const NATIVE_MIN_DRAWS = 32;

function affine(z: number, scale: number, shift: number | undefined): number {
  return shift === undefined ? scale * z : shift + scale * z;
}

function checkRange(out: Float32Array | Float64Array, offset: number, count: number): void {
  if (!(Number.isInteger(offset) && Number.isInteger(count) && offset >= 0 && count >= 0 && offset + count <= out.length)) {
    throw new RangeError(`Rng: ${count} draws at ${offset} do not fit in ${out.length} values`);
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

function splitMix32(x: number): number {
  let z = (x + 0x9e3779b9) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
