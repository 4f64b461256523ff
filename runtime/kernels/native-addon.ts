/**
 * Finding and loading one of dync's optional native addons (native/<name>.c → dist/native/<name>.node, built by
 * tools/build-native.mjs): the one place that knows where they live, shared by native.ts (products),
 * native-conv.ts (im2col/col2im) and native-fused.ts (the fused MLP step and optimizer update).
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

/** The loaded addon, or why there is none: `missing` (not built) or the first line of the load error. */
export type AddonLoad<T> = { readonly addon: T } | { readonly missing: true } | { readonly error: string };

/** Load addon `name`, seen from this module in the sources (runtime/kernels) or in dist/. */
export function loadNativeAddon<T>(name: string): AddonLoad<T> {
  const path = [`../../dist/native/${name}.node`, `../../native/${name}.node`].map((relative) => fileURLToPath(new URL(relative, import.meta.url))).find(existsSync);
  if (path === undefined) return { missing: true };
  try {
    return { addon: createRequire(import.meta.url)(path) as T };
  } catch (error) {
    return { error: error instanceof Error ? error.message.split("\n")[0]! : String(error) };
  }
}
