#!/usr/bin/env node
/**
 * Part of `npm run build`: writes tfjs-core's gradient registrations as one ESM file next to the compiled
 * runtime (dist/runtime/tfjs-core-<version>-gradients.mjs), so an installed dync starts fast without esbuild
 * (a build-time devDependency) or a writable node_modules. Run after tsc (it uses the compiled backend.js).
 */
import { fileURLToPath } from "node:url";
import { gradientBundleName, writeGradientBundle } from "../dist/runtime/backend.js";

const path = fileURLToPath(new URL(`../dist/runtime/${gradientBundleName()}`, import.meta.url));
if (!writeGradientBundle(path)) {
  console.error("gradient bundle: esbuild is not installed; dync will bundle at first run or use the slower resolve hook");
}
