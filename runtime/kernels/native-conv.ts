/**
 * The optional native im2col/col2im addon (native/dync_conv.c → dist/native/dync_conv.node, built with the
 * matrix-product addon by tools/build-native.mjs). It serves exactly when the native matrix products do
 * (wasm backend, addon built, not switched off by `DYNC_NATIVE=0` or `setNativeMatMulEnabled(false)`), so one
 * switch selects the whole native path of a convolution; otherwise conv-kernels.ts runs its JS loops.
 */
import { nativeMatMulActive } from "./native.js";
import { loadNativeAddon } from "./native-addon.js";

/** The addon's exports: operands are ArrayBuffers plus byte offsets (the wasm heap), geometry as in conv-kernels.ts. */
export interface DyncConvAddon {
  im2col(x: ArrayBuffer, xOffset: number, out: ArrayBuffer, outOffset: number, n: number, kernel: number, stride: number, padTop: number, padLeft: number, h: number, w: number, c: number, ho: number, wo: number): void;
  col2im(cols: ArrayBuffer, colsOffset: number, out: ArrayBuffer, outOffset: number, n: number, kernel: number, stride: number, padTop: number, padLeft: number, h: number, w: number, c: number, ho: number, wo: number): void;
  /**
   * A whole convolution op per seed (op 0: y = patches(x)·w (+ bias), 1: dx = col2im(dy·wᵀ), 2: dw = patches(x)ᵀ·dy,
   * 3: op 0 followed by max(0, ·)), im2col and OpenBLAS in tiles of patch rows; all operands in `heap` at byte offsets,
   * biasOffset −1 for none (ops 0 and 3 only).
   */
  conv(op: 0 | 1 | 2 | 3, heap: ArrayBuffer, aOffset: number, bOffset: number, biasOffset: number, outOffset: number, seeds: number, n: number, kernel: number, stride: number, padTop: number, padLeft: number, h: number, w: number, c: number, ho: number, wo: number, cout: number): void;
}

let addon: DyncConvAddon | undefined;
let loaded = false;

function load(): void {
  loaded = true;
  // An addon that is absent or does not load leaves the JS loops serving.
  const load = loadNativeAddon<DyncConvAddon>("dync_conv");
  addon = "addon" in load ? load.addon : undefined;
}

/** The addon when the native path serves the current backend, else undefined. */
export function nativeConvAddon(): DyncConvAddon | undefined {
  if (!nativeMatMulActive()) return undefined;
  if (!loaded) load();
  return addon;
}
