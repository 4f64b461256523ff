/**
 * tfjs-core, loaded with `require`. tfjs-core is CommonJS (`dist/tf-core.node.js`, 1.2 MB) in a package whose
 * package.json names no "type"; an ES `import` of it costs three passes over the file: Node's format
 * detection (it compiles the source to look for ES module syntax), cjs-module-lexer's scan for the names to
 * export, and then the CommonJS compile itself. `require` does only the last: ~0.1 s of CPU less in every
 * process and every worker thread that loads the runtime (docs/performance.md, "Start-up"). Every value use
 * of tfjs-core in dync goes through this module (test/architecture/tfjs-import.test.ts); both ways of
 * loading give the same module instance, so a test that imports tfjs-core itself sees the same engine.
 */
import { createRequire } from "node:module";
import type * as Core from "@tensorflow/tfjs-core";

export const tf: typeof Core = createRequire(import.meta.url)("@tensorflow/tfjs-core") as typeof Core;

/** The tfjs-core types dync names as `tf.X` (the values are all of `typeof Core`). */
export declare namespace tf {
  type Tensor<R extends Core.Rank = Core.Rank> = Core.Tensor<R>;
  type Variable<R extends Core.Rank = Core.Rank> = Core.Variable<R>;
  type Scalar = Core.Scalar;
  type Tensor1D = Core.Tensor1D;
  type Tensor2D = Core.Tensor2D;
  type Tensor3D = Core.Tensor3D;
  type Tensor4D = Core.Tensor4D;
  type TensorInfo = Core.TensorInfo;
  type NamedTensorMap = Core.NamedTensorMap;
  type DataType = Core.DataType;
  type KernelFunc = Core.KernelFunc;
  type NamedAttrMap = Core.NamedAttrMap;
  type GradConfig = Core.GradConfig;
  type GradSaveFunc = Core.GradSaveFunc;
}
