/**
 * The tfjs backends' packages and the order `--backend auto` tries them in: the table runtime/backend.ts loads
 * from, kept here without importing tfjs so that `dync plan` can say which backend `auto` would try first by
 * resolving the packages only (resolving reads package.json paths; loading tfjs-node takes seconds).
 */
import { createRequire } from "node:module";

/** What a user can ask for with `--backend`. */
export type BackendRequest = "auto" | "gpu" | "tensorflow" | "wasm" | "cpu";

/** The concrete backends, in the order `auto` tries them. */
export type BackendName = "gpu" | "tensorflow" | "wasm" | "cpu";

/** Each backend's npm package and the name tfjs registers it under. */
export const BACKEND_PACKAGES: Readonly<Record<BackendName, { readonly pkg: string; readonly tfName: string }>> = {
  gpu: { pkg: "@tensorflow/tfjs-node-gpu", tfName: "tensorflow" },
  tensorflow: { pkg: "@tensorflow/tfjs-node", tfName: "tensorflow" },
  wasm: { pkg: "@tensorflow/tfjs-backend-wasm", tfName: "wasm" },
  cpu: { pkg: "@tensorflow/tfjs-backend-cpu", tfName: "cpu" },
};

export const AUTO_ORDER: readonly BackendName[] = ["gpu", "tensorflow", "wasm", "cpu"];

/** Absolute path of a package's package.json, or undefined when it is not installed. */
export type PackageResolver = (pkg: string) => string | undefined;

// Resolved from runtime/, as runtime/backend.ts loads them (same folder, same node_modules lookup).
const requireHere = createRequire(import.meta.url);

/** Node resolution from this folder, the one runtime/backend.ts's loader uses. */
export const resolveInstalledPackage: PackageResolver = (pkg) => {
  try {
    return requireHere.resolve(`${pkg}/package.json`);
  } catch {
    return undefined;
  }
};

/**
 * The backend `--backend auto` tries first: the first in `AUTO_ORDER` whose package resolves (undefined when none
 * does). Resolving is all this does: the package may still fail to load or initialise, and `auto` then tries the next.
 */
export function firstAutoCandidate(resolve: PackageResolver = resolveInstalledPackage): { readonly name: BackendName; readonly pkg: string } | undefined {
  const name = AUTO_ORDER.find((n) => resolve(BACKEND_PACKAGES[n].pkg) !== undefined);
  return name === undefined ? undefined : { name, pkg: BACKEND_PACKAGES[name].pkg };
}
