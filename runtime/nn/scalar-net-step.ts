/**
 * The fused training step of a plain 1→W→1 network (`Model.scalarNet`), shared by `Mlp` and `Sequential`:
 * the native kernel where the native path serves, else dync's wasm SIMD kernel, else none (the tape).
 */
import type * as tf from "@tensorflow/tfjs-core";
import type { FusedStep, FusedStepPath, ScalarNetSpec } from "../../contract/model.js";
import { simdScalarNetServes, simdScalarNetStep } from "../kernels/ops.js";
import { nativeScalarNetServes, nativeScalarNetStep } from "../kernels/native-fused.js";

/** Loss and gradients of `net` on (x, y) in one fused kernel, tagged with the one that served; undefined: none does. */
export function scalarNetStep(x: tf.Tensor, y: tf.Tensor, net: ScalarNetSpec): FusedStep | undefined {
  const native = nativeScalarNetStep(x, y, net);
  if (native) return { perSample: native.perSample, perSeed: native.perSeed, grads: native.grads, path: "native-scalar" };
  const { activation, alpha, scale, half } = net;
  const simd = simdScalarNetStep(x, y, net.params, { activation, alpha, scale, half });
  return simd && { ...simd, path: "simd-scalar" };
}

/** Which of the two `scalarNetStep` takes for `net` in this process (a well-formed batch assumed). */
export function scalarNetStepPath(net: ScalarNetSpec): FusedStepPath | undefined {
  if (nativeScalarNetServes(net)) return "native-scalar";
  return simdScalarNetServes(net.activation) ? "simd-scalar" : undefined;
}
