/** How many samples a data set has, from its source's registry schema: one answer for the checker and `dync plan`. */
import type { DataSpec } from "../../contract/program.js";
import { registry } from "./index.js";

/** Samples in a data set: a data block's sample size, or its source's `size` (real data sets without `limit`: their split sizes). */
export function dataSetSize(d: DataSpec): number | undefined {
  if (d.source === "sample") return d.vars[0]?.n;
  return registry.get("data", d.source)?.data?.size(d);
}
