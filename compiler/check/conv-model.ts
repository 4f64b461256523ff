/**
 * Checking a lowered `cnn(…)` against its training images: the model takes the images' `[H, W, C]` shape,
 * and every conv block (with its pooling) must leave at least one pixel, so a misfit is a compile-time
 * diagnostic instead of a runtime shape error. The size rule is the layer list's (contract/layer-list.ts),
 * which the runtime and `dync plan` use too.
 */
import { convOutputLength as convOut } from "../../contract/layer-list.js";
import type { ConvNetModelSpec } from "../../contract/program.js";
import { diagnostic, type Diagnostic } from "../../diagnostics/diagnostic.js";
import type { Span } from "../../diagnostics/source.js";

/** `cnn(…)` as the registry lowers it, before the compiler knows the images. */
export type LoweredConvNet = Omit<ConvNetModelSpec, "name" | "inShape" | "inDim" | "outDim"> & { readonly outDim: number | null };

/** What the compiler knows of the training data. */
export interface ImageShapeInfo {
  /** `[H, W, C]` of one image, absent for tabular data. */
  readonly image?: readonly [number, number, number];
  readonly inDim: number;
  readonly outDim: number;
  readonly classes: boolean;
}

/** The model's spec with its input shape filled in (init as written), or undefined after reporting why it does not fit. */
export function checkConvNet(
  spec: LoweredConvNet,
  name: string,
  data: ImageShapeInfo,
  span: Span,
  report: (d: Diagnostic) => void,
): ConvNetModelSpec | undefined {
  if (!data.image) {
    report(diagnostic("DYN2033", span, { problem: `\`cnn\` needs image data, but the training data has ${data.inDim} input column${data.inDim === 1 ? "" : "s"}, not images` }));
    return undefined;
  }
  const [H, W, C] = data.image;
  let [h, w] = [H, W];
  for (const [i, block] of spec.convs.entries()) {
    [h, w] = [convOut(h, block.kernel, block.stride ?? 1, block.padding ?? "valid"), convOut(w, block.kernel, block.stride ?? 1, block.padding ?? "valid")];
    if (block.pool) [h, w] = [Math.floor(h / block.pool.size), Math.floor(w / block.pool.size)];
    if (h < 1 || w < 1) {
      report(diagnostic("DYN2033", span, { problem: `conv block ${i} (kernel ${block.kernel}${block.pool ? `, pool ${block.pool.size}` : ""}) leaves no pixels of the ${H}×${W} images; use a smaller kernel or pool, \`padding: same\`, or fewer blocks` }));
      return undefined;
    }
  }
  if (spec.outDim !== null && spec.outDim !== data.outDim) {
    report(diagnostic("DYN2030", span, { what: `\`${name}\` output width`, expected: `out: ${spec.outDim}`, actual: `${data.outDim} ${data.classes ? "classes" : "targets"}` }));
    return undefined;
  }
  return { ...spec, name, inShape: [H, W, C], inDim: H * W * C, outDim: data.outDim };
}
