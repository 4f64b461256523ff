/** docs/stdlib.md, generated from the registry so the reference cannot drift from what the checker accepts. */
import { describeType, families, registry, type DefaultValue, type Entry, type EntryKind, type Param } from "../../stdlib/registry/index.js";

/** Section titles, in the order a `.dyn` file usually meets them. */
const SECTIONS: [kind: EntryKind, title: string, intro: string][] = [
  ["data", "Data sources", "After `data NAME =`. Sources without their own targets take `-> expression`."],
  ["distribution", "Distributions", "After `~`: samples in data blocks (`x ~ uniform(-2, 2) [1024]`) and per-layer inits (`init net.out ~ normal(std: 0.01)`)."],
  ["model", "Models", "After `model NAME =`."],
  ["encoding", "Input encodings", "The `encode:` argument of a model."],
  ["layer", "Layers", "Entries of a model block."],
  ["activation", "Activations", "The `act:` argument of a model; also usable as functions in targets."],
  ["init", "Initialisation schemes", "The `init:` argument of a model, or `init SCHEME` as a statement."],
  ["loss", "Losses", "After `loss`. Without a `loss` statement: `cross_entropy` for class data, `mse` otherwise."],
  ["regularizer", "Regularizers", "After `regularize`."],
  ["optimizer", "Optimizers", "After `optimizer`."],
  ["schedule", "Learning-rate schedules", "After `schedule`."],
  ["probe", "Probes", "After `probe NAME =`, followed by a cadence."],
  ["sampler", "Pair samplers", "The `pairs:` argument of probes that compare two rows of a data set (`hamming`, `gradient_confusion`, `gate_agreement`). Drawn once per run and seed from the seed's random stream (forked by the probe's name), fixed across steps."],
  ["analysis", "Analysis functions", "In `let` analyses and `expect` conditions."],
  ["plot", "Plots", "After `plot`."],
];

export function renderStdlibDoc(): string {
  const lines = [
    "# Standard library",
    "",
    `<!-- Generated from the registry (stdlib/entries and the family folders stdlib/${families.map((f) => f.name).join(", ")}) by \`npm run docs\`; do not edit by hand. -->`,
    "",
    "Every name a `.dyn` file uses after `=` or `~` is an entry of the standard library's registry: the checker",
    "validates calls against it, the code generator lowers them to runtime specs, and this page lists them.",
    "Arguments bind positionally in the order of each table, or by name. A parameter without a default is required.",
    "",
  ];
  const covered = new Set(SECTIONS.map(([kind]) => kind));
  const uncovered = registry.kinds().filter((k) => !covered.has(k));
  const sections: [EntryKind, string, string][] = [...SECTIONS, ...uncovered.map((k): [EntryKind, string, string] => [k, k, ""])];
  const present = sections.filter(([kind]) => registry.ofKind(kind).length > 0);
  lines.push("Contents: " + present.map(([, title]) => `[${title}](#${anchor(title)})`).join(" · "), "");
  for (const [kind, title, intro] of present) {
    lines.push(`## ${title}`, "");
    if (intro) lines.push(intro, "");
    for (const entry of registry.ofKind(kind)) lines.push(...renderEntry(entry));
  }
  return lines.join("\n");
}

function renderEntry(entry: Entry): string[] {
  const out = [`### \`${entry.name}\``, "", entry.doc, ""];
  if (entry.params.length === 0) out.push("No parameters.", "");
  else {
    out.push("| parameter | type | default | description |", "|---|---|---|---|");
    for (const p of entry.params) out.push(`| ${paramName(p)} | ${cell(describeType(p.type))} | ${cell(defaultText(p))} | ${cell(p.doc + (p.unit ? ` (unit: ${p.unit})` : ""))} |`);
    out.push("");
  }
  if (entry.rules?.length) {
    out.push("Rules (`dync check` reports a call that breaks one as DYN2014):", "", ...entry.rules.map((r) => `- ${r.message}`), "");
  }
  if (entry.cites) out.push(`Reference: ${entry.cites.text}.`, "");
  return out;
}

/** Binding parameters are written as `x in …` arguments, not by their name. */
function paramName(p: Param): string {
  return p.type.t === "bindings" ? "`x in …` (input variables)" : `\`${p.name}\``;
}

function defaultText(p: Param): string {
  if (p.default === undefined) return p.type.t === "bindings" ? "required" : "**required**";
  if (p.default === null) return "none";
  return `\`${showDefault(p.default)}\``;
}

function showDefault(v: Exclude<DefaultValue, null>): string {
  if (Array.isArray(v)) return `[${v.join(", ")}]`;
  return String(v);
}

function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

/** GitHub's heading anchor: lower case, spaces to dashes, punctuation dropped. */
function anchor(title: string): string {
  return title.toLowerCase().replace(/[^a-z0-9 -]/g, "").replace(/ /g, "-");
}
