/** Seed-batched layers and models: everything generated code needs from `runtime/nn`. */
export * from "./activations.js";
export { bmm } from "./bmm.js";
export * from "./batchnorm.js";
export * from "./conv.js";
export * from "./convnet.js";
export * from "./dense.js";
export * from "./dropout.js";
export * from "./encodings.js";
export * from "./layer-init.js";
export * from "./mlp.js";
export * from "./opposing.js";
export * from "./layernorm.js";
export * from "./sequential.js";
