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
 */
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

  /** Standard normal by the Box–Muller transform (both values used). */
  normal(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spare;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    this.hasSpare = true;
    return r * Math.cos(2 * Math.PI * v);
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

  /** Fill a Float32Array with draws from `sample`. */
  fill(out: Float32Array, sample: (rng: Rng) => number): Float32Array {
    for (let i = 0; i < out.length; i++) out[i] = sample(this);
    return out;
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
