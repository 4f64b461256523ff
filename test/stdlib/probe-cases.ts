/**
 * The small-network case of every probe: a 1 → 6 → 1 (or 1 → 6 → 2) tanh net on two tiny data sets, with
 * the non-default arguments each probe needs. Shared by test/stdlib/registry.test.ts (result shapes) and
 * test/runtime/leaks.test.ts (live tensors over 100 steps); adding a probe adds its case here.
 */
import type { Dataset } from "../../runtime/dataset.js";

const xs = Array.from({ length: 16 }, (_, i) => -1 + (2 * i) / 15);

/** 16 points of sin(3x) on [-1, 1]. */
export const line: Dataset = { name: "line", n: xs.length, xShape: [1], x: Float32Array.from(xs), yDim: 1, y: Float32Array.from(xs, (x) => Math.sin(3 * x)) };

/** 4 points in 2 classes, one-hot. */
export const classes: Dataset = { name: "classes", n: 4, xShape: [1], x: Float32Array.from([0, 1, 2, 3]), yDim: 2, y: Float32Array.from([1, 0, 0, 1, 1, 0, 0, 1]) };

/** Per probe: its non-default arguments (model and data references) on a 1 → 6 → 1 or 1 → 6 → 2 net. */
export const PROBE_CASES: Record<string, { args: Record<string, unknown>; outDim?: number }> = {
  loss: { args: { data: { ref: "line" } } },
  accuracy: { args: { data: { ref: "classes" } }, outDim: 2 },
  weight_norm: { args: {} },
  param: { args: { name: "out", stat: "norm" } },
  weights: { args: { name: "hidden0" } },
  feature_norm: { args: { data: { ref: "line" } } },
  class_probs: { args: { data: { ref: "classes" } }, outDim: 2 },
  train_loss: { args: {} },
  lr: { args: {} },
  optimizer_stat: { args: { name: "above_threshold" } },
  outputs: { args: { data: { ref: "line" } } },
  sharpness: { args: { data: { ref: "line" }, iters: 3 } },
  hessian: { args: { data: { ref: "line" }, k: 2, iters: 4 } },
  hessian_trace: { args: { data: { ref: "line" }, vectors: 3 } },
  hessian_density: { args: { data: { ref: "line" }, steps: 4 } },
  // No `hessian` probe ran on the board: NaN of the declared shape (values: test/curvature/along.test.ts).
  curvature: { args: { data: { ref: "line" }, along: { ref: "h" } } },
  eigen_share: { args: { along: { ref: "h" } } },
  project: { args: { along: { ref: "h" } } },
  step_along: { args: { along: { ref: "h" } } },
  neuron_features: { args: {} },
  cosine_similarity: { args: {} },
  cosine_share: { args: {} },
  relative_change: { args: {} },
  condensed_directions: { args: { data: { ref: "line" } } },
  frequency_error: { args: { data: { ref: "line" }, peaks: 2 } },
  learned_function: { args: { data: { ref: "line" } } },
  tickets: { args: { n: 11 } },
  ticket_r2: { args: { n: 11 } },
  neurons: { args: {} },
  wb_curve: { args: { bins: 2 } },
  distill: { args: { n: 11 } },
  param_pca: { args: {} },
  neuron_curve: { args: { neuron: 1, n: 5 } },
  activation_regions: { args: { data: { ref: "line" } } },
  dead_units: { args: { data: { ref: "line" } } },
  region_ids: { args: { data: { ref: "line" } } },
  region_slice: { args: { dims: [0], n: 9 } },
  spectral_norm: { args: {} },
  boundary_distance: { args: { data: { ref: "line" } } },
  encoding_distance: { args: { encoding: { kind: "fourier", L: 2, include_input: false }, data: { ref: "line" } } },
  hamming: { args: { data: { ref: "line" }, pairs: { kind: "windows", size: 4, count: 3, per: 5 } } },
  gradient_confusion: { args: { data: { ref: "line" }, pairs: { kind: "random_pairs", n: 7 } } },
  feature_cosine: { args: { data: { ref: "classes" }, pairs: "different_class" }, outDim: 2 },
  feature_gradient_cosine: { args: { data: { ref: "line" } } },
  gate_agreement: { args: { data: { ref: "line" }, pairs: { kind: "random_pairs", n: 7 } } },
  common_direction: { args: { data: { ref: "classes" }, k: 3 }, outDim: 2 },
  per_sample_loss: { args: { data: { ref: "line", rows: [0, 3, 5] } } },
  grad_norm: { args: { data: { ref: "line", random: { n: 5, seed: 0 } } } },
};
