/** `constant_image(…)`: solid-colour images as a probe input (Rosenfeld & Risteski, Fig. 5: a synthetic "sky"). */
import { oneHot } from "./classes.js";
import type { ImageClassificationDataset } from "./labelled-images.js";
import { invalid } from "./inputs.js";

export interface ConstantImageOptions {
  readonly name: string;
  readonly size: number;
  readonly channels: number;
  readonly classes: number;
  /** One value per channel. */
  readonly color: readonly number[];
  readonly label: number;
  readonly n: number;
}

/** `n` images `[size, size, channels]` (HWC) whose every pixel is `color`, labelled `label` (one-hot). */
export function constantImage(o: ConstantImageOptions): ImageClassificationDataset {
  if (o.color.length !== o.channels) invalid(`constant_image: color has ${o.color.length} values for ${o.channels} channels`);
  if (!(Number.isInteger(o.label) && o.label >= 0 && o.label < o.classes)) invalid(`constant_image: label ${o.label} is not one of ${o.classes} classes`);
  const pixels = o.size * o.size;
  const x = new Float32Array(o.n * pixels * o.channels);
  for (let k = 0; k < x.length; k++) x[k] = o.color[k % o.channels]!;
  const labels = new Int32Array(o.n).fill(o.label);
  return {
    name: o.name,
    n: o.n,
    xShape: [o.size, o.size, o.channels],
    x,
    yDim: o.classes,
    y: oneHot(labels, o.classes),
    labels,
    numClasses: o.classes,
    classNames: Array.from({ length: o.classes }, (_, c) => String(c)),
  };
}
