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
