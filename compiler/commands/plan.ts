/**
 * `dync plan FILE [--profile P]`: the expanded runs before anything trains: sweep points × seeds (each
 * point one seed-batched program), steps, parameters, and the training arithmetic they amount to.
 */
import { expandPlan, planTemplate } from "../../runtime/plan.js";
import type { DataSpec, ModelSpec, RunSpec } from "../../runtime/program.js";
import { convGeometry } from "../check/conv-model.js";
import { checkSource } from "../check/index.js";
import { diagnostic, hasErrors } from "../diagnostics/diagnostic.js";
import { readSource } from "../read-source.js";
import { printDiagnostics, type Output } from "./output.js";

export function planCommand(file: string, profile: string | undefined, out: Output): number {
  const read = readSource(file);
  if (!read.ok) {
    printDiagnostics(out, [read.diagnostic], undefined);
    return 1;
  }
  const check = checkSource(read.text, file);
  printDiagnostics(out, check.diagnostics, check.sources);
  if (hasErrors(check.diagnostics)) return 1;
  let status = 0;
  for (const exp of check.experiments) {
    const name = profile ?? "default";
    const plan = exp.profiles[name];
    if (!plan) {
      printDiagnostics(out, [diagnostic("DYN2042", exp.span, { experiment: exp.name, profile: name }, { hint: `profiles: ${Object.keys(exp.profiles).join(", ")}` })], check.sources);
      status = 1;
      continue;
    }
    // The runs as the compiled program will expand them (the same function the runtime calls).
    const expanded = expandPlan(planTemplate(plan, plan.axes));
    out.write(describePlan(exp.name, name, expanded.seeds, expanded.runs));
  }
  return status;
}

export function describePlan(experiment: string, profile: string, seeds: readonly number[], runs: readonly RunSpec[]): string {
  const rows = runs.map((r) => {
    const n = trainingSize(r.data[r.trainOn]!);
    const batch = r.batch === "full" ? n : Math.min(r.batch.size, n ?? r.batch.size);
    const steps = "steps" in r.duration ? r.duration.steps : n === undefined || batch === undefined ? undefined : r.duration.epochs * Math.ceil(n / batch);
    const params = parameterCount(r.model);
    const flops = steps !== undefined && batch !== undefined ? 6 * forwardMultiplyAdds(r.model) * batch * steps * seeds.length : undefined;
    return { id: r.id, params, batch, steps, flops, probes: r.probes.map((p) => p.name).join(", ") };
  });
  const totalFlops = rows.reduce((a, r) => a + (r.flops ?? 0), 0);
  const totalSteps = rows.reduce((a, r) => a + (r.steps ?? 0), 0);
  const table = [
    ["run", "params/seed", "batch", "steps", "probes"],
    ...rows.map((r) => [r.id, String(r.params), r.batch === undefined ? "?" : String(r.batch), r.steps === undefined ? "?" : String(r.steps), r.probes || "—"]),
  ];
  const widths = table[0]!.map((_, c) => Math.max(...table.map((row) => row[c]!.length)));
  const lines = table.map((row) => `  ${row.map((cell, c) => cell.padEnd(widths[c]!)).join("  ")}`.trimEnd());
  return [
    `experiment ${experiment} (profile ${profile}): ${runs.length} run${runs.length === 1 ? "" : "s"} × ${seeds.length} seed${seeds.length === 1 ? "" : "s"} = ${runs.length * seeds.length} networks, trained as ${runs.length} seed-batched program${runs.length === 1 ? "" : "s"}`,
    ...lines,
    `  total: ${totalSteps} steps; training arithmetic ≈ ${formatFlops(totalFlops)} (6 · forward multiply-adds · batch per seed-step; probes not counted)`,
    "",
  ].join("\n");
}

/** Samples in a data set, when the spec says (real data sets without `limit` use their split sizes). */
function trainingSize(d: DataSpec): number | undefined {
  switch (d.source) {
    case "sample":
      return d.vars[0]?.n;
    case "grid":
      return d.n ** d.axes.length;
    case "points":
      return Object.values(d.columns)[0]?.length;
    case "chebyshev":
    case "gaussian_mixture":
    case "gratings":
      return d.n;
    case "mnist":
    case "fashion_mnist":
      return d.limit ?? (d.split === "train" ? 60000 : 10000);
    case "cifar10":
      return d.limit ?? (d.split === "train" ? 50000 : 10000);
  }
}

/** Weights and biases of one seed's network (encodings counted by their output width). */
export function parameterCount(m: ModelSpec): number {
  if (m.kind === "convnet") {
    const { blocks, flat } = convGeometry(m);
    const convs = blocks.reduce((a, b) => a + b.kernel * b.kernel * b.cin * b.cout + (m.bias ? b.cout : 0), 0);
    return convs + denseParameters([flat, ...m.hidden, m.outDim], m.bias);
  }
  const encoded = !m.encode ? m.inDim : m.encode.kind === "coords" ? m.inDim : m.encode.kind === "nerf" ? m.inDim * 2 * m.encode.levels + (m.encode.includeInput ? m.inDim : 0) : 2 * m.encode.features + (m.encode.includeInput ? m.inDim : 0);
  return denseParameters([encoded, ...m.hidden, m.outDim], m.bias);
}

/**
 * Multiply-adds of one sample's forward pass: the parameter count for an MLP (each weight is used once),
 * and for a CNN each conv weight once per output pixel (weights are shared across the image).
 */
export function forwardMultiplyAdds(m: ModelSpec): number {
  if (m.kind !== "convnet") return parameterCount(m);
  const { blocks, flat } = convGeometry(m);
  return blocks.reduce((a, b) => a + b.h * b.w * b.kernel * b.kernel * b.cin * b.cout, 0) + denseParameters([flat, ...m.hidden, m.outDim], false);
}

function denseParameters(widths: readonly number[], bias: boolean): number {
  let total = 0;
  for (let i = 1; i < widths.length; i++) total += widths[i - 1]! * widths[i]! + (bias ? widths[i]! : 0);
  return total;
}

function formatFlops(x: number): string {
  if (x >= 1e12) return `${(x / 1e12).toFixed(1)} TFLOP`;
  if (x >= 1e9) return `${(x / 1e9).toFixed(1)} GFLOP`;
  if (x >= 1e6) return `${(x / 1e6).toFixed(1)} MFLOP`;
  return `${Math.round(x)} FLOP`;
}
