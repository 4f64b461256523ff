#!/usr/bin/env node
/**
 * Builds dync's optional native addons with gcc directly: the matrix products (native/dync_blas.c →
 * dist/native/dync_blas.node, against OpenBLAS; Debian: `apt-get install gcc libopenblas-dev`, and oneDNN, whose
 * sgemm serves the products where present: `libdnnl-dev`; native/dync_gemm.h says why) and im2col/col2im
 * and whole convolutions (native/dync_conv.c → dist/native/dync_conv.node, against OpenBLAS), and the fused MLP step and
 * optimizer update (native/dync_fused.c → dist/native/dync_fused.node, against OpenBLAS;
 * runtime/kernels/native-fused.ts), the Hessian-vector product of plain dense MLPs (native/dync_hvp.c →
 * dist/native/dync_hvp.node; runtime/kernels/native-hvp.ts), the seeded draws in bulk (native/dync_rng.c → dist/native/dync_rng.node;
 * runtime/kernels/native-rng.ts), and Lanczos's float64 reorthogonalisation (native/dync_lanczos.c →
 * dist/native/dync_lanczos.node; runtime/kernels/native-lanczos.ts). No node-gyp: one C file per addon, the Node-API headers that ship with
 * Node, the libraries it links.
 *
 * Part of `npm run build` / `pretest` with `--optional`: where gcc, the Node-API headers or OpenBLAS are
 * missing it builds nothing and exits 0 without a word, and dync runs its products on the wasm path as before.
 * Where oneDNN is missing, each addon is built against OpenBLAS alone (the products then run on OpenBLAS).
 * `npm run native` (no flag) says why it could not build and exits 1.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const optional = process.argv.includes("--optional");
const root = fileURLToPath(new URL("..", import.meta.url));
/** Each addon: its C source, extra compiler flags, and the libraries it links. */
const ADDONS = [
  // Seeded draws (runtime/kernels/native-rng.ts): bit-identical to runtime/rng.ts only without fused multiply-adds
  // and without -ffast-math; no errno from sqrt so it stays one instruction. First: it needs no BLAS, so a machine
  // without OpenBLAS still gets it before the others fail.
  { name: "dync_rng", flags: ["-O2", "-ffp-contract=off", "-fno-math-errno"], libraries: ["-lm"] },
  // Lanczos's float64 reorthogonalisation (runtime/kernels/native-lanczos.ts): -O3 so gcc vectorizes the lanes the
  // source writes out; fp-contract off so the subtractions round as the JS ones. No BLAS either.
  { name: "dync_lanczos", flags: ["-O3", "-ffp-contract=off"], libraries: [] },
  { name: "dync_blas", flags: [], libraries: ["-lopenblas"], gemm: true },
  // -O3 so gcc vectorizes the patch copies and col2im's additions (each value's sum keeps its order: results
  // unchanged); fp-contract off so no multiply-add is ever fused behind our back.
  { name: "dync_conv", flags: ["-O3", "-ffp-contract=off"], libraries: ["-lopenblas"], gemm: true },
  // fp-contract off: the fused optimizer update must round as the taped path's separate multiply and add;
  // -O3 and no errno from sqrtf so gcc vectorizes the elementwise loops (results unchanged).
  { name: "dync_fused", flags: ["-O3", "-ffp-contract=off", "-fno-math-errno"], libraries: ["-lopenblas", "-lm"], gemm: true },
  // The Hessian-vector product of plain dense MLPs (runtime/kernels/native-hvp.ts): dync_fused's flags, so its
  // activations (dync_activations.h) round as the fused step's.
  { name: "dync_hvp", flags: ["-O3", "-ffp-contract=off", "-fno-math-errno"], libraries: ["-lopenblas", "-lm"], gemm: true },
];
/** What the addons with products (`gemm: true`) include besides their own source (a change rebuilds them). */
const SHARED_HEADERS = ["dync_gemm.h", "dync_activations.h"];
/** oneDNN's sgemm (native/dync_gemm.h), tried first; its OpenMP runtime sets the products' thread count. */
const ONEDNN = { flags: ["-DDYNC_WITH_ONEDNN", "-fopenmp"], libraries: ["-ldnnl"] };

/** Where Node's own headers are: next to the running node (official tarballs), else the distribution's. */
function nodeApiHeaders() {
  const candidates = [join(dirname(process.execPath), "..", "include", "node"), "/usr/include/node", "/usr/local/include/node"];
  return candidates.find((dir) => existsSync(join(dir, "node_api.h")));
}

function fail(reason) {
  if (optional) process.exit(0);
  console.error(`native matrix products not built: ${reason}`);
  process.exit(1);
}

const headers = nodeApiHeaders();
if (headers === undefined) fail("no node_api.h found (Node's headers; Debian: libnode-dev or nodejs)");
const compiler = process.env.CC ?? "gcc";
for (const addon of ADDONS) build(addon);

function build({ name, flags, libraries, gemm = false }) {
  const source = join(root, "native", `${name}.c`);
  const target = join(root, "dist", "native", `${name}.node`);
  // Up to date: the .node is newer than its sources (a rebuild otherwise costs ~1 s of every pretest).
  const sources = [source, ...(gemm ? SHARED_HEADERS.map((h) => join(root, "native", h)) : [])];
  const newest = Math.max(...sources.map((f) => statSync(f).mtimeMs));
  if (existsSync(target) && statSync(target).mtimeMs >= newest) return;
  mkdirSync(dirname(target), { recursive: true });
  const partial = `${target}.${process.pid}.partial`;
  const compile = (extra) =>
    execFileSync(compiler, ["-O2", "-fPIC", "-shared", "-Wall", "-Werror", ...flags, ...extra.flags, `-I${headers}`, source, "-o", partial, ...libraries, ...extra.libraries], {
      stdio: ["ignore", "ignore", "pipe"],
    });
  try {
    if (!gemm) compile({ flags: [], libraries: [] });
    else {
      try {
        compile(ONEDNN);
      } catch {
        compile({ flags: [], libraries: [] }); // no oneDNN here: OpenBLAS serves the products
      }
    }
  } catch (error) {
    // An addon older than its source may not match what runtime/kernels calls: none is better.
    rmSync(target, { force: true });
    rmSync(partial, { force: true });
    const stderr = error?.stderr?.toString().trim();
    fail(error?.code === "ENOENT" ? `no C compiler (${compiler})` : `${compiler} failed on ${name}.c${libraries.includes("-lopenblas") ? " (OpenBLAS missing? Debian: libopenblas-dev)" : ""}\n${stderr ?? ""}`);
  }
  renameSync(partial, target); // processes building at once never load a half-written file
  if (!optional) console.log(`built ${target}`);
}
