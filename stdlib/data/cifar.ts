/**
 * CIFAR-10 and CIFAR-100 "binary version" batches from a directory the user names (the extracted
 * `cifar-10-batches-bin/` or `cifar-100-binary/`, or its parent).
 * CIFAR-10 record: 1 label byte + 3072 pixel bytes; CIFAR-100: coarse label byte, fine label byte, 3072 bytes.
 * Pixels are stored as three 32×32 planes (R, G, B), rows top to bottom; they come out as [32, 32, 3] (HWC).
 */
import { join } from "node:path";
import { existsSync } from "node:fs";
import { badFormat, readDataFile, requireDirectory, requireFile } from "./files.js";
import { labelledImages, type ImageClassificationDataset } from "./labelled-images.js";
import { applyLimit, type PixelNormalization } from "./pixels.js";
import type { Split } from "./mnist.js";

export interface CifarOptions {
  dir: string;
  split: Split;
  limit?: number;
  /** Default `unit` ([0, 1]). */
  normalize?: PixelNormalization;
  oneHot?: boolean;
  name?: string;
}

export const CIFAR10_CLASSES = [
  "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck",
] as const;

const SIDE = 32;
const PLANE = SIDE * SIDE;
const PIXEL_BYTES = 3 * PLANE;
export const CIFAR10_TRAIN_FILES = [1, 2, 3, 4, 5].map((k) => `data_batch_${k}.bin`);
export const CIFAR10_TEST_FILES = ["test_batch.bin"];
export const CIFAR100_FILES = { train: ["train.bin"], test: ["test.bin"] };

/** Load a CIFAR-10 split (train: data_batch_1..5.bin; test: test_batch.bin). */
export function loadCifar10(options: CifarOptions): ImageClassificationDataset {
  const files = options.split === "train" ? CIFAR10_TRAIN_FILES : CIFAR10_TEST_FILES;
  const all = [...CIFAR10_TRAIN_FILES, ...CIFAR10_TEST_FILES];
  const layout = { source: "CIFAR-10", subdir: "cifar-10-batches-bin", labelBytes: 1, labelIndex: 0, numClasses: 10 };
  const { pixels, labels } = readCifar(options, files, all, layout);
  return toDataset(options, pixels, labels, CIFAR10_CLASSES);
}

/** Load a CIFAR-100 split with fine (100, default) or coarse (20 superclass) labels. */
export function loadCifar100(options: CifarOptions & { labels?: "fine" | "coarse" }): ImageClassificationDataset {
  const fine = (options.labels ?? "fine") === "fine";
  const files = CIFAR100_FILES[options.split];
  const all = [...CIFAR100_FILES.train, ...CIFAR100_FILES.test];
  const layout = { source: "CIFAR-100", subdir: "cifar-100-binary", labelBytes: 2, labelIndex: fine ? 1 : 0, numClasses: fine ? 100 : 20 };
  const { pixels, labels } = readCifar(options, files, all, layout);
  const classNames = Array.from({ length: layout.numClasses }, (_, k) => `${fine ? "class" : "superclass"} ${k}`);
  return toDataset(options, pixels, labels, classNames);
}

interface CifarLayout {
  source: string;
  subdir: string;
  labelBytes: number;
  labelIndex: number;
  numClasses: number;
}

function readCifar(options: CifarOptions, files: readonly string[], all: readonly string[], layout: CifarLayout) {
  requireDirectory(options.dir, `the ${layout.source} binary batches ${all.join(", ")}`);
  const nested = join(options.dir, layout.subdir);
  const dir = existsSync(nested) ? nested : options.dir;
  const paths = files.map((file) => requireFile(dir, [file], layout.source, all));
  const recordBytes = layout.labelBytes + PIXEL_BYTES;
  const batches = paths.map((path) => checkedBatch(path, recordBytes, layout));
  const available = batches.reduce((sum, b) => sum + b.length / recordBytes, 0);
  const n = applyLimit(options.limit, available, `the ${layout.source} ${options.split} split`);
  const pixels = new Uint8Array(n * PIXEL_BYTES);
  const labels = new Int32Array(n);
  let i = 0;
  for (const batch of batches) {
    for (let offset = 0; offset < batch.length && i < n; offset += recordBytes, i++) {
      labels[i] = batch[offset + layout.labelIndex]!;
      planarToHwc(batch.subarray(offset + layout.labelBytes, offset + recordBytes), pixels.subarray(i * PIXEL_BYTES));
    }
  }
  return { pixels, labels };
}

/** Read a batch file and check its size and label bytes. */
function checkedBatch(path: string, recordBytes: number, layout: CifarLayout): Buffer {
  const bytes = readDataFile(path);
  if (bytes.length === 0 || bytes.length % recordBytes !== 0) {
    badFormat(
      path,
      `size ${bytes.length} bytes is not a whole number of ${recordBytes}-byte ${layout.source} records ` +
        `(${layout.labelBytes} label byte(s) + ${PIXEL_BYTES} pixel bytes): truncated or not a ${layout.source} binary batch`,
    );
  }
  const limits = layout.labelBytes === 1 ? [layout.numClasses] : [20, 100];
  for (let offset = 0; offset < bytes.length; offset += recordBytes) {
    for (let k = 0; k < layout.labelBytes; k++) {
      if (bytes[offset + k]! >= limits[k]!) {
        badFormat(path, `record ${offset / recordBytes} has label byte ${bytes[offset + k]} >= ${limits[k]}: not a ${layout.source} binary batch`);
      }
    }
  }
  return bytes;
}

/** R, G, B planes of 32×32 → interleaved HWC. */
function planarToHwc(planar: Uint8Array, out: Uint8Array): void {
  for (let p = 0; p < PLANE; p++) {
    out[3 * p] = planar[p]!;
    out[3 * p + 1] = planar[PLANE + p]!;
    out[3 * p + 2] = planar[2 * PLANE + p]!;
  }
}

function toDataset(options: CifarOptions, pixels: Uint8Array, labels: Int32Array, classNames: readonly string[]) {
  return labelledImages({
    name: options.name ?? options.split,
    pixels,
    shape: [SIDE, SIDE, 3],
    labels,
    classNames,
    normalize: options.normalize ?? "unit",
    oneHot: options.oneHot ?? true,
  });
}
