/**
 * Stacked tensors: a probe measured at many steps whose every measurement has one shape (a per-sample loss
 * over `point`) is stored as ONE array per probe, run and seed instead of one .npy per step:
 *
 *   tensors/<probe>/<run>/seed<seed>.npy         shape [measurements, …measurement shape], in step order
 *   tensors/<probe>/<run>/seed<seed>_steps.npy   shape [measurements], int32: the step of each row
 *
 * Both are valid .npy files after every append (numpy leaves room in the header for the leading dimension to
 * grow, runtime/npy.ts, so a row is appended by adding its bytes and then rewriting the header in place): an
 * interrupted run keeps its rows, `np.load` reads them as they are (a kill in the middle of an append can
 * leave one row torn; resuming repairs it). Appending a row at step k first drops any rows at steps ≥ k, so
 * a run resumed from a checkpoint (runner/resume.ts keeps both files, which rows before the checkpoint name)
 * continues the array exactly as an uninterrupted run writes it.
 */
import { closeSync, existsSync, fstatSync, ftruncateSync, openSync, readFileSync, readSync, writeSync } from "node:fs";
import { DyncRuntimeError } from "../errors.js";
import { npyDescr, npyHeader, type NpyData, type NpyDescr } from "../npy.js";

const ITEM_SIZE: Record<NpyDescr, number> = { "<f4": 4, "<f8": 8, "<i4": 4, "|u1": 1 };

/** What the appender knows of a stacked file after its first touch in this process. */
interface StackState {
  readonly descr: NpyDescr;
  readonly rowShape: readonly number[];
  steps: number[];
}

/** Appends measurement rows to stacked arrays; one instance per recorder (it caches each file's steps). */
export class StackedArrays {
  private readonly known = new Map<string, StackState>();

  /**
   * Append `row` (of `rowShape`) measured at `step` to the stacked array at `path` (its steps beside it).
   * Returns the row's index in the array.
   */
  append(path: string, step: number, row: NpyData, rowShape: readonly number[]): number {
    if (!Number.isInteger(step) || step < 0 || step > 0x7fffffff) throw new DyncRuntimeError("RUN090", `a stacked measurement needs a whole step in [0, 2^31), got ${step}`);
    const descr = npyDescr(row);
    const state = this.known.get(path) ?? this.open(path, descr, rowShape);
    this.known.set(path, state);
    if (state.descr !== descr || !sameShape(state.rowShape, rowShape)) {
      throw new DyncRuntimeError("RUN090", `${path} stacks rows of ${state.descr} (${state.rowShape.join(", ")}); a measurement of ${descr} (${rowShape.join(", ")}) cannot join it`);
    }
    const keep = state.steps.findIndex((s) => s >= step);
    if (keep >= 0) state.steps = state.steps.slice(0, keep);
    const index = state.steps.length;
    state.steps.push(step);
    writeRows(path, descr, rowShape, index, bytesOf(row));
    writeRows(stepsPath(path), "<i4", [], index, bytesOf(Int32Array.of(step)));
    return index;
  }

  /**
   * A file from an earlier process (a resumed run) is continued; a new one starts empty. The earlier
   * process may have been killed in the middle of an append, leaving a row without its header update or a
   * step without its row: only rows both files hold whole are kept (the next append cuts the rest).
   */
  private open(path: string, descr: NpyDescr, rowShape: readonly number[]): StackState {
    const fresh: StackState = { descr, rowShape: [...rowShape], steps: [] };
    if (!existsSync(path) || !existsSync(stepsPath(path))) return fresh;
    const rowBytes = rowShape.reduce((a, b) => a * b, 1) * ITEM_SIZE[descr];
    const dataRows = Math.floor(dataBytes(path).length / rowBytes);
    const steps = dataBytes(stepsPath(path));
    const stepRows = Math.floor(steps.length / 4);
    const view = new DataView(steps.buffer, steps.byteOffset, steps.byteLength);
    return { ...fresh, steps: Array.from({ length: Math.min(dataRows, stepRows) }, (_, i) => view.getInt32(4 * i, true)) };
  }
}

/** The bytes after a .npy (v1.0) file's header, whatever its header says (it may lag a killed append). */
function dataBytes(path: string): Uint8Array {
  const bytes = readFileSync(path);
  if (bytes.length < 10) return new Uint8Array(0);
  return bytes.subarray(Math.min(bytes.length, 10 + bytes.readUInt16LE(8)));
}

/** The steps file beside a stacked array: `seed0.npy` → `seed0_steps.npy`. */
export function stepsPath(path: string): string {
  return path.replace(/\.npy$/, "_steps.npy");
}

/** Make the file hold rows [0, index) as before plus `bytes` as row `index`: header rewritten in place, file cut after the row. */
function writeRows(path: string, descr: NpyDescr, rowShape: readonly number[], index: number, bytes: Uint8Array): void {
  const header = npyHeader(descr, [index + 1, ...rowShape]);
  const rowBytes = rowShape.reduce((a, b) => a * b, 1) * ITEM_SIZE[descr];
  let fd: number | undefined;
  try {
    fd = openSync(path, existsSync(path) ? "r+" : "w+");
    const oldHeader = fstatSync(fd).size > 0 ? headerLength(fd) : header.length;
    if (oldHeader !== header.length) throw new Error(`its header is ${oldHeader} bytes, not the ${header.length} this writer keeps`);
    const end = header.length + index * rowBytes;
    ftruncateSync(fd, end);
    writeAll(fd, bytes, end);
    writeAll(fd, header, 0);
  } catch (error) {
    if (error instanceof DyncRuntimeError) throw error;
    throw new DyncRuntimeError("RUN030", `cannot append to ${path}: ${(error as Error).message}`, "free space on the disk or choose another output directory with --out");
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Bytes from the start of a .npy file (v1.0) to its data. */
function headerLength(fd: number): number {
  const prefix = Buffer.alloc(10);
  readSync(fd, prefix, 0, 10, 0);
  return 10 + prefix.readUInt16LE(8);
}

function writeAll(fd: number, bytes: Uint8Array, position: number): void {
  for (let offset = 0; offset < bytes.length; ) {
    const written = writeSync(fd, bytes, offset, bytes.length - offset, position + offset);
    if (written <= 0) throw new Error("no space left on device (a write took no bytes)");
    offset += written;
  }
}

/** Little-endian bytes of a typed array (the hosts dync runs on are little-endian; npy.ts handles the rest on write). */
function bytesOf(data: NpyData): Uint8Array {
  if (data instanceof Uint8Array) return data;
  const out = new Uint8Array(data.byteLength);
  const view = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (data instanceof Float32Array) view.setFloat32(4 * i, v, true);
    else if (data instanceof Float64Array) view.setFloat64(8 * i, v, true);
    else view.setInt32(4 * i, v, true);
  }
  return out;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
