/**
 * A researcher's own data: a CSV file with a header row, or a pair of `.npy` arrays. Every row is a sample
 * with real-valued targets, or with `classes` a whole-number class label (one-hot targets). The files are read whole (at most MAX_DATA_FILE_BYTES); whatever is wrong with
 * them stops the run with the file, the line (CSV) and what was expected: a missing file is RUN010, a
 * missing column, a short row, a cell that is not a finite number or an array of another shape RUN011.
 */
import type { Dataset } from "../../runtime/dataset.js";
import { DyncRuntimeError } from "../../runtime/errors.js";
import { decodeNpy, readNpyShape, type NpyArray } from "../../runtime/npy.js";
import { readDataFile } from "./files.js";
import { oneHot } from "./classes.js";
import { existsSync, statSync } from "node:fs";

export interface CsvOptions {
  readonly file: string;
  readonly name: string;
  /** Input columns, by header name. */
  readonly x: readonly string[];
  /** Target columns, by header name. */
  readonly y: readonly string[];
  /** Classification with this many classes: `y` is one column of whole-number labels in [0, classes). */
  readonly classes?: number;
}

/** The columns `x` and `y` of a CSV file as a data set (float32, as every data set). */
export function loadCsv(options: CsvOptions): Dataset {
  const text = readText(options.file, "a CSV file");
  const lines = text.split(/\r?\n/);
  const headerIndex = lines.findIndex((l) => l.trim() !== "");
  if (headerIndex < 0) malformed(`${options.file} is empty; expected a header row naming the columns, then one row per sample`);
  const header = splitCsvLine(lines[headerIndex]!, options.file, headerIndex + 1).map((h) => h.trim());
  const column = (name: string) => {
    const k = header.indexOf(name);
    if (k < 0) malformed(`${options.file}:${headerIndex + 1}: no column "${name}" in the header; its columns: ${header.map((h) => `"${h}"`).join(", ")}`);
    return k;
  };
  const xCols = options.x.map(column);
  const yCols = options.y.map(column);
  const xs: number[] = [];
  const ys: number[] = [];
  const lineOf: number[] = [];
  for (let i = headerIndex + 1; i < lines.length; i++) {
    if (lines[i]!.trim() === "") continue;
    lineOf.push(i + 1);
    const cells = splitCsvLine(lines[i]!, options.file, i + 1);
    if (cells.length !== header.length) malformed(`${options.file}:${i + 1}: ${cells.length} cells, but the header has ${header.length} columns`);
    const cell = (k: number) => numericCell(cells[k]!, header[k]!, options.file, i + 1);
    for (const k of xCols) xs.push(cell(k));
    for (const k of yCols) ys.push(cell(k));
  }
  const n = xs.length / xCols.length;
  if (n === 0) malformed(`${options.file} has a header but no rows of data`);
  const x = Float32Array.from(xs);
  if (options.classes !== undefined) {
    const where = (row: number) => `${options.file}:${lineOf[row]}: column "${options.y[0]}"`;
    return { name: options.name, n, xShape: [xCols.length], x, ...classLabels(ys, options.classes, where) };
  }
  return { name: options.name, n, xShape: [xCols.length], x, yDim: yCols.length, y: Float32Array.from(ys) };
}

/**
 * Class labels as one-hot targets: every value a whole number in [0, classes), else RUN011 saying where
 * (`where(row)`) and what was found. float32 holds whole numbers exactly only up to 2²⁴, far above any K.
 */
function classLabels(values: ArrayLike<number>, classes: number, where: (row: number) => string): Pick<Dataset, "y" | "yDim" | "labels" | "numClasses"> {
  const labels = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isInteger(v) || v < 0 || v >= classes) {
      malformed(`${where(i)} holds ${v}, not a class label: with \`classes: ${classes}\` every label is a whole number 0…${classes - 1}`, "give the class as its index (0, 1, …), or leave out `classes` for real-valued targets");
    }
    labels[i] = v;
  }
  return { y: oneHot(labels, classes), yDim: classes, labels, numClasses: classes };
}

/** One CSV line's cells: separated by commas, a cell in double quotes may hold commas and `""` for a quote. */
export function splitCsvLine(line: string, file: string, lineNumber: number): string[] {
  const cells: string[] = [];
  let k = 0;
  for (;;) {
    if (line[k] === '"') {
      let cell = "";
      k++;
      for (;;) {
        if (k >= line.length) malformed(`${file}:${lineNumber}: a quoted cell is not closed`);
        if (line[k] === '"' && line[k + 1] === '"') [cell, k] = [cell + '"', k + 2];
        else if (line[k] === '"') break;
        else cell += line[k++];
      }
      k++;
      const comma = line.indexOf(",", k);
      if (line.slice(k, comma < 0 ? undefined : comma).trim() !== "") malformed(`${file}:${lineNumber}: text after a quoted cell`);
      cells.push(cell);
      if (comma < 0) return cells;
      k = comma + 1;
    } else {
      const comma = line.indexOf(",", k);
      cells.push(line.slice(k, comma < 0 ? undefined : comma));
      if (comma < 0) return cells;
      k = comma + 1;
    }
  }
}

/** A cell as a finite number (decimal or exponent notation, surrounding blanks allowed). */
function numericCell(cell: string, column: string, file: string, line: number): number {
  const text = cell.trim();
  const value = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text) ? Number(text) : NaN;
  if (!Number.isFinite(value)) malformed(`${file}:${line}: column "${column}" holds "${cell}", not a finite number`, "every cell of the columns x and y names must be a number such as 1.5 or -2e-3");
  return value;
}

export interface NpyPairOptions {
  readonly x: string;
  readonly y: string;
  readonly name: string;
  /** Values per input row and per target row, as the call states them. */
  readonly inputs: number;
  readonly outputs: number;
  /** Classification with this many classes: y holds one whole-number label in [0, classes) per row. */
  readonly classes?: number;
}

/** An `(n, inputs)` and an `(n, outputs)` array (`(n,)` for 1) as a data set. */
export function loadNpyPair(options: NpyPairOptions): Dataset {
  const x = rows(readArray(options.x), options.inputs, options.x, "inputs");
  const y = rows(readArray(options.y), options.outputs, options.y, "outputs");
  if (x.n !== y.n) malformed(`${options.x} has ${x.n} rows but ${options.y} has ${y.n}; x and y need one row per sample each`);
  if (x.n === 0) malformed(`${options.x} has no rows`);
  if (options.classes !== undefined) return { name: options.name, n: x.n, xShape: [options.inputs], x: x.values, ...classLabels(y.values, options.classes, (row) => `${options.y}: row ${row}`) };
  return { name: options.name, n: x.n, xShape: [options.inputs], x: x.values, yDim: options.outputs, y: y.values };
}

function readArray(path: string): NpyArray {
  requireFile(path, "a .npy file (np.save)");
  return decodeNpy(readDataFile(path), path);
}

/** The array as n rows of `width` finite float32 values; another shape is RUN011 saying which. */
function rows(array: NpyArray, width: number, path: string, param: "inputs" | "outputs"): { n: number; values: Float32Array } {
  const { shape } = array;
  const fits = (shape.length === 1 && width === 1) || (shape.length === 2 && shape[1] === width);
  if (!fits) {
    const found = shape.length === 2 ? `${shape[1]} values per row` : `${shape.length} dimension${shape.length === 1 ? "" : "s"}`;
    malformed(`${path} has shape (${shape.join(", ")}): ${found}, but the call says ${param}: ${width}; expected (n, ${width})${width === 1 ? " or (n,)" : ""}`);
  }
  const values = Float32Array.from(array.data as ArrayLike<number>);
  const bad = values.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) malformed(`${path}: row ${Math.floor(bad / width)} holds ${values[bad]}, not a finite number`);
  return { n: shape[0]!, values };
}

/**
 * Samples of a `csv` or `npy` data set counted from its files without reading their values (for `dync plan`,
 * before anything trains): a CSV's non-blank lines after the header, as `loadCsv` counts them; an npy pair's
 * first dimension of x, from its header. RUN010 when a file is missing, RUN011 when it is not one.
 */
export function tableFileRows(spec: { readonly source: "csv"; readonly file: string } | { readonly source: "npy"; readonly x: string }, path: (file: string) => string): number {
  if (spec.source === "npy") {
    const file = path(spec.x);
    requireFile(file, "an .npy file of inputs");
    const shape = readNpyShape(file);
    if (shape.length < 1 || shape.length > 2) malformed(`${file} holds shape (${shape.join(", ")}); expected (n, inputs) or (n,)`);
    return shape[0]!;
  }
  const lines = readText(path(spec.file), "a CSV file").split(/\r?\n/);
  const header = lines.findIndex((l) => l.trim() !== "");
  return header < 0 ? 0 : lines.slice(header + 1).filter((l) => l.trim() !== "").length;
}

function readText(path: string, what: string): string {
  requireFile(path, what);
  return readDataFile(path).toString("utf8").replace(/^\uFEFF/, "");
}

function requireFile(path: string, what: string): void {
  if (!existsSync(path) || !statSync(path).isFile()) {
    throw new DyncRuntimeError("RUN010", `data file ${path} does not exist; expected ${what}`, "paths in csv(…) and npy(…) are relative to the .dyn file");
  }
}

function malformed(message: string, hint?: string): never {
  throw new DyncRuntimeError("RUN011", message, hint);
}
