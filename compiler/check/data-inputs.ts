/**
 * Which variables are the model's inputs. The model reads input columns by position, so every data set
 * of an experiment must give it the same inputs in the same order. A `grid`, `points` or `chebyshev` data
 * set names its inputs; a data block offers the variables it samples. The inputs are the variables every
 * such data set has; a variable sampled in a data block that another data set lacks is *latent*: drawn per
 * point and seen by the target (a noise term, a hidden cause), not by the model. So
 * `data train { x ~ uniform(-3, 3) [512]; noise ~ normal(0, 0.1) [512]; y = sin(2*x) + noise }` beside
 * `data test = grid(x in [-3, 3], n: 201) -> sin(2*x)` trains a one-input model. Data sets that bring their
 * own inputs (`mnist`, `gaussian_mixture`, `gratings`, …) name none and take no part.
 */
import type * as A from "../../grammar/ast.js";
import type { DataSpec } from "../../contract/program.js";
import { diagnostic, type Diagnostic } from "../../diagnostics/diagnostic.js";
import { registry } from "../../stdlib/registry/index.js";

/** The experiment's input variables in column order, and the data set whose variables fixed them. */
export interface ExperimentInputs {
  readonly names: readonly string[];
  readonly from: A.DataStmt;
}

/** The roles of a data block's sampled variables: inputs (in column order) and latent variables. */
export interface BlockRoles {
  readonly inputs: readonly string[];
  readonly latent: ReadonlySet<string>;
}


/** The inputs every data set of the experiment agrees on; reports data sets with other inputs. Undefined: none named. */
export function experimentInputs(data: readonly A.DataStmt[], diagnostics: Diagnostic[]): ExperimentInputs | undefined {
  const fixed = data.flatMap((d) => {
    const names = namedInputs(d);
    return names ? [{ d, names }] : [];
  });
  if (fixed.length > 0) {
    const [first, ...rest] = fixed;
    for (const other of rest) {
      if (other.names.join(",") !== first!.names.join(",")) {
        const problem = `\`${other.d.name.name}\` has the inputs (${other.names.join(", ")}) but \`${first!.d.name.name}\` has (${first!.names.join(", ")})`;
        diagnostics.push(diagnostic("DYN2035", other.d.name.span, { problem }, { related: [{ message: `the inputs of \`${first!.d.name.name}\``, span: first!.d.name.span }] }));
      }
    }
    return { names: first!.names, from: first!.d };
  }
  const blocks = data.filter((d) => d.block);
  if (blocks.length === 0) return undefined;
  // Blocks only: the inputs are the variables every block samples, in the training block's order.
  const lead = blocks.find((d) => d.name.name === "train") ?? blocks[0]!;
  const sampledByAll = sampled(lead).filter((name) => blocks.every((b) => sampled(b).includes(name)));
  return { names: sampledByAll, from: lead };
}

/** Split a block's sampled variables into inputs and latent ones; reports a block that lacks an input or orders them differently. */
export function blockRoles(d: A.DataStmt, vars: readonly string[], inputs: ExperimentInputs | undefined, diagnostics: Diagnostic[]): BlockRoles | undefined {
  if (!inputs || inputs.from === d) return { inputs: inputs?.names ?? vars, latent: new Set(vars.filter((v) => inputs && !inputs.names.includes(v))) };
  const other = `\`${inputs.from.name.name}\``;
  const related = [{ message: `the inputs of ${other}`, span: inputs.from.name.span }];
  const missing = inputs.names.filter((name) => !vars.includes(name));
  if (inputs.names.length === 0 || missing.length > 0) {
    const problem =
      inputs.names.length === 0
        ? `\`${d.name.name}\` and ${other} share no input variable: the model would have no input`
        : `\`${d.name.name}\` does not sample ${missing.map((m) => `\`${m}\``).join(", ")}, ${missing.length === 1 ? "an input" : "inputs"} of ${other}`;
    diagnostics.push(diagnostic("DYN2035", d.name.span, { problem }, { related }));
    return undefined;
  }
  const order = vars.filter((v) => inputs.names.includes(v));
  if (order.join(",") !== inputs.names.join(",")) {
    const problem = `\`${d.name.name}\` samples its inputs in the order (${order.join(", ")}) but ${other} has (${inputs.names.join(", ")})`;
    diagnostics.push(diagnostic("DYN2035", d.name.span, { problem }, { related }));
    return undefined;
  }
  return { inputs: order, latent: new Set(vars.filter((v) => !inputs.names.includes(v))) };
}

/** Warn about sampled variables the target never reads; note the latent ones it does read. */
export function reportSampledUse(d: A.DataStmt, roles: BlockRoles, used: ReadonlySet<string>, diagnostics: Diagnostic[]): void {
  for (const item of d.block ?? []) {
    if (item.kind !== "Sample") continue;
    const name = item.name.name;
    const latent = roles.latent.has(name);
    if (!used.has(name)) {
      const problem = latent ? "the target does not read it and it is no model input (the other data sets lack it)" : "the target does not read it: the model gets an input that carries no information";
      diagnostics.push(diagnostic("DYN2103", item.name.span, { name, data: d.name.name, problem }, { hint: latent ? `remove it` : `remove it, or use it in the target` }));
    } else if (latent) {
      diagnostics.push(diagnostic("DYN2104", item.name.span, { name, data: d.name.name }, { hint: `the other data sets have no \`${name}\`, so the model's inputs are (${roles.inputs.join(", ")}); label noise can also be written inline: \`y = … + normal(0, 0.1)\`` }));
    }
  }
}

/** The variables a data block samples, in order. */
function sampled(d: A.DataStmt): string[] {
  return (d.block ?? []).flatMap((item) => (item.kind === "Sample" ? [item.name.name] : []));
}

/** The inputs a `grid`/`points`/`chebyshev` call names; undefined for blocks and other sources. */
function namedInputs(d: A.DataStmt): readonly string[] | undefined {
  const call = d.source;
  if (d.block || call?.kind !== "Call" || call.callee.kind !== "Name") return undefined;
  // Sources whose calls name their input variables (`grid(x in [-1, 1], n: 201)`); chebyshev's default is `x`.
  const defaults = registry.get("data", call.callee.name)?.data?.namedInputs;
  if (!defaults) return undefined;
  const bound = call.args.flatMap((a) => (a.kind === "Binding" ? [a.name.name] : []));
  return bound.length > 0 ? bound : defaults;
}

/**
 * Two synthetic data sets drawing from one sample stream (`split: train` beside a set named `train`) get
 * the same or overlapping draws: a "held-out" set that is not held out. Warn at the second.
 */
export function reportSharedSamples(data: readonly A.DataStmt[], specs: Readonly<Record<string, DataSpec>>, diagnostics: Diagnostic[]): void {
  const first = new Map<string, A.DataStmt>();
  for (const d of data) {
    const spec = specs[d.name.name];
    if (!spec || spec.source === "sample" || !registry.get("data", spec.source)?.data?.perSeed) continue;
    const stream = ("split" in spec && spec.split) || d.name.name;
    const key = `${spec.source}/${stream}`;
    const earlier = first.get(key);
    if (!earlier) first.set(key, d);
    else diagnostics.push(diagnostic("DYN2105", d.name.span, { data: d.name.name, other: earlier.name.name, stream }, { related: [{ message: `\`${earlier.name.name}\``, span: earlier.name.span }], hint: "give one of them `split: test` (or `split: train`), so their samples are independent" }));
  }
}
