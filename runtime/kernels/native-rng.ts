/**
 * The optional native seeded draws (native/dync_rng.c → dist/native/dync_rng.node, built by tools/build-native.mjs):
 * Rng.normals / Rng.uniforms hand long runs of draws to it. Its values equal the JS path's bit for bit (same
 * generator, same fdlibm log/sin/cos as numerics/fdlibm.ts), so unlike the matrix products it does not depend on the
 * backend: it serves whenever it is built and not switched off by `DYNC_NATIVE=0`; otherwise Rng draws in JS.
 */
import { loadNativeAddon } from "./native-addon.js";

/** The addon's exports; `state` is the stream's four words, read and advanced in place. */
export interface DyncRngAddon {
  /** out[offset + i] = (shift +) scale·z_i for `count` normals; the unused sin value of the last pair when count is odd. */
  normals(state: Uint32Array, out: Float32Array | Float64Array, offset: number, count: number, scale: number, shift: number, hasShift: boolean): number | undefined;
  /** out[offset + i] = lo + (hi − lo)·u_i for `count` uniforms. */
  uniforms(state: Uint32Array, out: Float32Array | Float64Array, offset: number, count: number, lo: number, hi: number): void;
}

let addon: DyncRngAddon | undefined;
let loaded = false;
/** Tests and the benchmark compare both paths in one process. */
let enabled = true;

/** The addon when it is built, loads and is not switched off, else undefined. */
export function nativeRngAddon(): DyncRngAddon | undefined {
  if (!enabled) return undefined;
  if (!loaded) {
    loaded = true;
    if (process.env["DYNC_NATIVE"] !== "0") {
      const load = loadNativeAddon<DyncRngAddon>("dync_rng");
      addon = "addon" in load ? load.addon : undefined; // absent or broken: the JS path draws the same values
    }
  }
  return addon;
}

/** Route bulk draws to the addon (true, the default) or keep them in JS (false); for tests and the benchmark. */
export function setNativeRngEnabled(on: boolean): void {
  enabled = on;
}
