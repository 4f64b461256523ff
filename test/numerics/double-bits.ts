/** Doubles by their bits, for the fdlibm tests: written here, not taken from numerics/fdlibm.ts, so the tests do not lean on the code they check. */

/** A double from its two 32-bit words. */
export function fromWords(high: number, low: number): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setUint32(0, high >>> 0);
  view.setUint32(4, low >>> 0);
  return view.getFloat64(0);
}

/** The neighbours of x: x itself and `steps` doubles on either side. */
export function around(x: number, steps: number): number[] {
  const view = new DataView(new ArrayBuffer(8));
  const out: number[] = [];
  for (let d = -steps; d <= steps; d++) {
    view.setFloat64(0, x);
    view.setBigInt64(0, view.getBigInt64(0) + BigInt(d));
    out.push(view.getFloat64(0));
  }
  return out;
}

/** A 64-bit LCG: uniforms in [0, 1) from its top 53 bits, or its whole state as a double's bits. */
export function* lcg(count: number, seed: bigint, bitsAsDouble: boolean): Generator<number> {
  const view = new DataView(new ArrayBuffer(8));
  let state = seed;
  for (let i = 0; i < count; i++) {
    state = (state * 6364136223846793005n + 1442695040888963407n) & 0xffffffffffffffffn;
    view.setBigUint64(0, state);
    yield bitsAsDouble ? view.getFloat64(0) : Number(state >> 11n) / 2 ** 53;
  }
}
