/**
 * What a probe's pair sampler needs of the probe's data set, checked where the data set's shape is known
 * before loading (the registry's `sampler.needs`): a 2-D grid needs two coordinate inputs, a 1-D window one
 * input, a class-aware sampler class labels. Whether two inputs really form a full grid is only known once
 * the data is built: the sampler reports that at run time (RUN040, naming the data set).
 */
import { diagnostic, type Diagnostic } from "../../diagnostics/diagnostic.js";
import type { Span } from "../../diagnostics/source.js";
import { registry } from "../../stdlib/registry/index.js";
import type { DataSourceShape, Lowered, SamplerNeed } from "../../stdlib/registry/types.js";
import type { ResolvedCall } from "./resolve-call.js";
import type { Value } from "./values.js";

/** DYN2059 for each sampler argument of `probe` whose needs its data set's known shape cannot meet. */
export function checkSamplerNeeds(value: Value, probe: ResolvedCall, shapes: ReadonlyMap<string, DataSourceShape>, sizes: ReadonlyMap<string, number | undefined>, report: (d: Diagnostic) => void, fallback: Span): boolean {
  const dataParam = probe.entry.params.find((p) => p.type.t === "ref" && p.type.of === "data");
  const dataName = dataParam ? refOf(probe.args[dataParam.name]) : undefined;
  const shape = dataName === undefined ? undefined : shapes.get(dataName);
  if (!shape) return true;
  let ok = true;
  probe.entry.params.forEach((param, index) => {
    if (param.type.t !== "entry" || param.type.kind !== "sampler") return;
    const spec = probe.args[param.name] as Readonly<Record<string, Lowered>> | null;
    const sampler = spec && typeof spec["kind"] === "string" ? registry.get("sampler", spec["kind"]) : undefined;
    const problems = (sampler?.sampler?.needs(spec!) ?? []).map((need) => unmet(need, shape, dataName!));
    const size = sizes.get(dataName!);
    const wanted = sampler?.sampler?.rows?.(spec!);
    if (wanted && size !== undefined && wanted.rows > size) problems.push(`needs ${wanted.rows} rows (\`${wanted.param}\`), but \`${dataName}\` has ${size}`);
    for (const problem of problems) {
      if (!problem) continue;
      report(diagnostic("DYN2059", argSpan(value, param.name, index) ?? fallback, { sampler: sampler!.name, problem }));
      ok = false;
    }
  });
  return ok;
}

function unmet(need: SamplerNeed, shape: DataSourceShape, data: string): string | undefined {
  const inputs = `${shape.inDim} input${shape.inDim === 1 ? "" : "s"}${shape.inputs.length ? ` (${shape.inputs.join(", ")})` : ""}`;
  const has = shape.image ? `images [${shape.image.join(", ")}] as inputs` : inputs;
  switch (need) {
    case "grid":
      return shape.image || shape.inDim !== 2 ? `needs a data set whose rows form a 2-D grid of two inputs, but \`${data}\` has ${has}` : undefined;
    case "line":
      return shape.image || shape.inDim !== 1 ? `needs a data set with one input, but \`${data}\` has ${has}` : undefined;
    case "labels":
      return shape.classes ? undefined : `needs class labels, but \`${data}\` has no classes`;
  }
}

function refOf(v: Lowered | undefined): string | undefined {
  return typeof v === "object" && v !== null && typeof (v as { ref?: unknown }).ref === "string" ? (v as { ref: string }).ref : undefined;
}

function argSpan(value: Value, name: string, index: number): Span | undefined {
  if (value.kind !== "call") return undefined;
  return value.valueSpans?.[name] ?? value.positionalSpans?.[index];
}
