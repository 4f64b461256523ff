/** Markdown for registry entries and their parameters, as hover and completion show them. */
import { describeType, type DefaultValue, type Entry, type Param } from "../../stdlib/registry/index.js";

/** The signature line: `adam(lr = 0.001, beta1 = 0.9, …)`. */
export function signatureOf(entry: Entry): string {
  const params = entry.params.map((p) => (p.type.t === "bindings" ? "x in …" : p.default === undefined ? p.name : `${p.name} = ${showDefault(p.default)}`));
  return `${entry.name}(${params.join(", ")})`;
}

/** An entry's hover: kind and signature, its doc line, every parameter, and the paper it comes from. */
export function entryMarkdown(entry: Entry): string {
  const lines = ["```dyn", `${entry.kind} ${signatureOf(entry)}`, "```", "", entry.doc];
  if (entry.params.length > 0) lines.push("", ...entry.params.map(paramLine));
  if (entry.cites) lines.push("", `*Reference:* ${entry.cites.text}`);
  return lines.join("\n");
}

/** One parameter's hover: name, type, default, unit, doc. */
export function paramMarkdown(entry: Entry, param: Param): string {
  return [`\`${param.name}\` — parameter of ${entry.kind} \`${entry.name}\``, "", paramLine(param).replace(/^- /, "")].join("\n");
}

function paramLine(p: Param): string {
  const name = p.type.t === "bindings" ? "`x in …`" : `\`${p.name}\``;
  const unit = p.unit ? ` (unit: ${p.unit})` : "";
  return `- ${name}: ${describeType(p.type)}, ${defaultText(p)}${unit} — ${p.doc}`;
}

function defaultText(p: Param): string {
  if (p.default === undefined) return "required";
  if (p.default === null) return "optional";
  return `default \`${showDefault(p.default)}\``;
}

function showDefault(v: Exclude<DefaultValue, undefined>): string {
  if (v === null) return "none";
  if (Array.isArray(v)) return `[${v.join(", ")}]`;
  return String(v);
}
