/** A density estimate's bandwidth with the user-facing error when there is no density to estimate. */
import { scottBandwidth } from "../../numerics/kde.js";
import { DyncRuntimeError } from "../errors.js";

/** Scott's bandwidth (numerics/kde.ts); RUN050 for fewer than two values or values that are all equal. */
export function densityBandwidth(values: readonly number[]): number {
  const n = values.length;
  if (n < 2) throw new DyncRuntimeError("RUN050", `a density needs at least 2 values, got ${n}`);
  const h = scottBandwidth(values);
  if (!(h > 0)) throw new DyncRuntimeError("RUN050", `a density needs values that differ, but all ${n} equal ${values[0]}`);
  return h;
}
