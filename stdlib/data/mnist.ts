/**
 * MNIST and Fashion-MNIST from their IDX files (plain or gzip'd) in a directory the user names:
 * train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte.
 * Images come out as [28, 28, 1] (HWC), the first `limit` samples of the split in file order.
 */
import { badFormat, readDataFile, requireDirectory, requireFile } from "./files.js";
import { parseIdx } from "./idx.js";
import { labelledImages, type ImageClassificationDataset } from "./labelled-images.js";
import { applyLimit, type PixelNormalization } from "./pixels.js";
import { DEBIAN_FASHION_MNIST_DIR } from "../entries/data.js";

export type Split = "train" | "test";

export interface MnistOptions {
  /** Directory holding the four IDX files. */
  dir: string;
  split: Split;
  /** Keep the first `limit` samples. */
  limit?: number;
  /** Default `unit` ([0, 1]). */
  normalize?: PixelNormalization;
  /** One-hot targets (default) or the label as a number. */
  oneHot?: boolean;
  /** Dataset name; defaults to the split. */
  name?: string;
}

export const MNIST_FILES = [
  "train-images-idx3-ubyte",
  "train-labels-idx1-ubyte",
  "t10k-images-idx3-ubyte",
  "t10k-labels-idx1-ubyte",
] as const;

export const MNIST_CLASSES = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"] as const;
export const FASHION_MNIST_CLASSES = [
  "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
] as const;

/** Load an MNIST split (digits). */
export function loadMnist(options: MnistOptions): ImageClassificationDataset {
  return loadIdxClassification(options, "MNIST", MNIST_CLASSES);
}

/** Load a Fashion-MNIST split (same file names and layout as MNIST). */
export function loadFashionMnist(options: MnistOptions): ImageClassificationDataset {
  const install = `on Debian, \`apt-get install dataset-fashion-mnist\` puts them in ${DEBIAN_FASHION_MNIST_DIR}, which dync reads when the default directory does not exist`;
  return loadIdxClassification(options, "Fashion-MNIST", FASHION_MNIST_CLASSES, install);
}

function loadIdxClassification(
  options: MnistOptions,
  source: string,
  classNames: readonly string[],
  install?: string,
): ImageClassificationDataset {
  requireDirectory(options.dir, `the ${source} files ${MNIST_FILES.join(", ")} (optionally .gz)`, install);
  const prefix = options.split === "train" ? "train" : "t10k";
  const imagesPath = requireFile(options.dir, idxNames(`${prefix}-images`, 3), source, MNIST_FILES);
  const labelsPath = requireFile(options.dir, idxNames(`${prefix}-labels`, 1), source, MNIST_FILES);
  const images = parseIdx(readDataFile(imagesPath), imagesPath, 3);
  const labels = parseIdx(readDataFile(labelsPath), labelsPath, 1);
  const [count, height, width] = images.dims as [number, number, number];
  if (labels.dims[0] !== count) {
    badFormat(labelsPath, `holds ${labels.dims[0]} labels but ${imagesPath} holds ${count} images`);
  }
  const n = applyLimit(options.limit, count, `the ${source} ${options.split} split`);
  const labelArray = Int32Array.from(labels.data.subarray(0, n));
  const bad = labelArray.findIndex((label) => label >= classNames.length);
  if (bad >= 0) badFormat(labelsPath, `label ${labelArray[bad]} at index ${bad} is not a class 0..${classNames.length - 1}`);
  return labelledImages({
    name: options.name ?? options.split,
    pixels: images.data.subarray(0, n * height * width),
    shape: [height, width, 1],
    labels: labelArray,
    classNames,
    normalize: options.normalize ?? "unit",
    oneHot: options.oneHot ?? true,
  });
}

/** `train-images-idx3-ubyte` and the `train-images.idx3-ubyte` spelling some mirrors use. */
function idxNames(stem: string, dims: number): string[] {
  return [`${stem}-idx${dims}-ubyte`, `${stem}.idx${dims}-ubyte`];
}
