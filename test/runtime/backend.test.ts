import { createHash } from "node:crypto";
import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { type BackendRequest, nodePackageLoader, type PackageLoader, selectBackend } from "../../runtime/backend.js";
import { DyncRuntimeError } from "../../runtime/errors.js";
import { BACKEND_PACKAGES, firstAutoCandidate, resolveInstalledPackage } from "../../runtime/backend-packages.js";
import { nativeVectorKernelsUnavailableReason } from "../../runtime/kernels/native-lanczos.js";
import { REORTH_KERNELS_BASE64 } from "../../runtime/kernels/reorth-wasm.js";
import { SIMD_KERNELS_BASE64 } from "../../runtime/kernels/simd-wasm.js";
import { WASM_KERNELS_REVISION } from "../../runtime/kernels/wasm-kernels.js";

/** A loader that sees only `installed` packages and records what it was asked, for the selection logic. */
function fakeLoader(installed: Record<string, { loads?: boolean; activates?: boolean }>) {
  const calls: string[] = [];
  const loader: PackageLoader = {
    resolve(pkg) {
      calls.push(`resolve ${pkg}`);
      return pkg in installed ? nodePackageLoader.resolve("@tensorflow/tfjs-core") : undefined;
    },
    async load(pkg) {
      calls.push(`load ${pkg}`);
      if (installed[pkg]?.loads === false) throw new Error("libtensorflow.so: cannot open shared object file");
      return {};
    },
    async activate(tfName) {
      calls.push(`activate ${tfName}`);
      return Object.entries(installed).some(([, v]) => v.activates !== false);
    },
  };
  return { loader, calls };
}

async function runtimeError(promise: Promise<unknown>): Promise<DyncRuntimeError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof DyncRuntimeError) return error;
    throw error;
  }
  throw new Error("expected a DyncRuntimeError");
}

describe("selectBackend: selection logic with an injected loader", () => {
  it("asking for gpu or tensorflow when its package is missing names the package and the install command", async () => {
    for (const [request, pkg] of [
      ["gpu", "@tensorflow/tfjs-node-gpu"],
      ["tensorflow", "@tensorflow/tfjs-node"],
    ] as const) {
      const { loader, calls } = fakeLoader({});
      const error = await runtimeError(selectBackend(request, loader));
      expect(error.code).toBe("RUN001");
      expect(error.message).toContain(pkg);
      expect(error.hint).toContain(`npm install ${pkg}`);
      expect(calls).toEqual([`resolve ${pkg}`]); // nothing was imported
    }
  });

  it("auto tries gpu, tensorflow, wasm in order and records why it skipped each", async () => {
    const { loader, calls } = fakeLoader({ "@tensorflow/tfjs-backend-wasm": {} });
    const info = await selectBackend("auto", loader);
    expect(info.name).toBe("wasm");
    expect(info.package).toBe("@tensorflow/tfjs-backend-wasm");
    expect(calls).toEqual([
      "resolve @tensorflow/tfjs-node-gpu",
      "resolve @tensorflow/tfjs-node",
      "resolve @tensorflow/tfjs-backend-wasm",
      "load @tensorflow/tfjs-backend-wasm",
      "activate wasm",
    ]);
    expect(info.skipped).toHaveLength(2);
    expect(info.skipped![0]).toMatch(/^gpu: .*tfjs-node-gpu.*not installed/);
  });

  it("firstAutoCandidate (what `dync plan` resolves, loading nothing) names the package auto loads first, for every set of installed packages", async () => {
    expect(nodePackageLoader.resolve).toBe(resolveInstalledPackage); // one resolution for both
    const packages = Object.values(BACKEND_PACKAGES).map((p) => p.pkg);
    for (let subset = 0; subset < 1 << packages.length; subset++) {
      const present = packages.filter((_, i) => subset & (1 << i));
      // Every load fails, so auto resolves and tries to load each installed package in turn, then gives up.
      const { loader, calls } = fakeLoader(Object.fromEntries(present.map((pkg) => [pkg, { loads: false }])));
      expect((await runtimeError(selectBackend("auto", loader))).code).toBe("RUN002");
      const firstLoaded = calls.find((c) => c.startsWith("load "))?.slice("load ".length);
      expect(firstAutoCandidate((pkg) => (present.includes(pkg) ? `/nm/${pkg}/package.json` : undefined))?.pkg, present.join(", ")).toBe(firstLoaded);
    }
  });

  it("auto passes over an installed gpu package that fails to load, and prefers tensorflow next", async () => {
    const { loader } = fakeLoader({ "@tensorflow/tfjs-node-gpu": { loads: false }, "@tensorflow/tfjs-node": {} });
    const info = await selectBackend("auto", loader);
    expect(info.name).toBe("tensorflow");
    expect(info.skipped![0]).toContain("libtensorflow.so");
  });

  it("an explicit request whose backend fails to initialise is RUN002, not a fallback", async () => {
    const { loader } = fakeLoader({ "@tensorflow/tfjs-backend-wasm": { activates: false } });
    const error = await runtimeError(selectBackend("wasm", loader));
    expect(error.code).toBe("RUN002");
    expect(error.message).toContain("@tensorflow/tfjs-backend-wasm");
  });

  it("rejects an unknown backend name", async () => {
    const error = await runtimeError(selectBackend("webgpu" as BackendRequest));
    expect(error.code).toBe("RUN040");
  });
});

describe("selectBackend: the real packages of this install", () => {
  it("gpu is not installed here, so asking for it is RUN001 (nothing stands in for a GPU)", async () => {
    const error = await runtimeError(selectBackend("gpu"));
    expect(error.code).toBe("RUN001");
    expect(error.hint).toContain("npm install @tensorflow/tfjs-node-gpu");
  });

  it("cpu initialises, registers gradients, and computes", async () => {
    const info = await selectBackend("cpu");
    expect(info).toMatchObject({ name: "cpu", package: "@tensorflow/tfjs-backend-cpu", version: tf.version_core });
    expect(tf.getBackend()).toBe("cpu");
    // d/dx sum(x^3) = 3x^2 needs the registered gradient of Pow/Mul.
    const g = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(x, tf.mul(x, x))))(tf.tensor1d([1, -2, 0.5]));
    expect(Array.from(g.dataSync())).toEqual([3, 12, 0.75]);
  });

  it("cpu records the JS reorthogonalisation (dync's native and wasm kernels serve only the wasm backend) and no wasm kernels' revision", async () => {
    const info = await selectBackend("cpu");
    expect(info.reorth).toEqual({ path: "js", reason: expect.stringMatching(/^wasm: /) });
    expect(info.dyncKernelsRevision).toBeUndefined();
  });

  it("wasm records which kernels reorthogonalise Lanczos (native where the products and dync_lanczos.node serve, else wasm) and dync's wasm kernels' revision", async () => {
    const info = await selectBackend("wasm");
    expect(info.dyncKernels).toBe(process.env["DYNC_SIMD_KERNELS"] !== "0");
    expect(info.dyncKernelsRevision).toBe(info.dyncKernels ? WASM_KERNELS_REVISION : undefined);
    const nativeServes = info.matmul?.path === "native" && nativeVectorKernelsUnavailableReason() === undefined;
    expect(info.reorth?.path).toBe(nativeServes ? "native" : info.dyncKernels ? "wasm" : "js");
  });

  it("WASM_KERNELS_REVISION numbers the committed wasm modules: changing their bytes needs a new revision (raise it and pin the new digests here)", () => {
    const digest = (base64: string) => createHash("sha256").update(Buffer.from(base64, "base64")).digest("hex");
    const modules: Record<number, { simd: string; reorth: string }> = {
      1: { simd: "60fb19b04278569f191a305d70731c97958738c0bfe8cb2bcac6db3139b320ca", reorth: "2692f49b83067786957b049ae20c2adcc420beca657adb8c54f3df276ea59d0b" },
    };
    expect({ simd: digest(SIMD_KERNELS_BASE64), reorth: digest(REORTH_KERNELS_BASE64) }).toEqual(modules[WASM_KERNELS_REVISION]);
  });

  it("auto lands on wasm from node_modules (no network), with SIMD and without threads in Node", async () => {
    const info = await selectBackend("auto");
    expect(info.name).toBe("wasm");
    expect(info.version).toBe(tf.version_core);
    expect(info.simd).toBe(true);
    expect(info.threads).toBe(false); // tfjs 4.22 disables wasm threads under Node (tfjs issue #3830)
    expect(info.skipped?.map((s) => s.split(":")[0])).toEqual(["gpu", "tensorflow"]);
    expect(tf.getBackend()).toBe("wasm");
    const product = tf.matMul(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[5], [6]]));
    expect(Array.from(product.dataSync())).toEqual([17, 39]);
  });
});
