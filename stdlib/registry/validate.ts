/**
 * Validating arguments against an entry's parameter schema: the one validator behind both `dync check`
 * (ranges of checked numbers, cross-parameter rules) and the runner (specs written by hand against the
 * JavaScript API). Pure: plain data in, problems out; no tfjs, no runtime.
 */
import { describeType, type Entry, type Lowered, type NumberType, type Param, type ParamType, type Rule } from "./types.js";

/** One thing wrong with a call's arguments. */
export type ArgProblem =
  /** `param` is missing, or its value does not fit its type or range. */
  | { readonly kind: "param"; readonly param: string; readonly message: string }
  /** A cross-parameter rule of the entry does not hold. */
  | { readonly kind: "rule"; readonly rule: Rule; readonly message: string }
  /** The arguments name something the entry has no parameter for (hand-written specs only). */
  | { readonly kind: "unknown"; readonly param: string; readonly message: string };

/** Whether `x` is a number of type `t`: finite, whole if asked, inside every bound. */
export function fitsNumber(t: NumberType, x: number): boolean {
  if (!Number.isFinite(x)) return false;
  if (t.integer && !Number.isInteger(x)) return false;
  if (t.min !== undefined && x < t.min) return false;
  if (t.max !== undefined && x > t.max) return false;
  if (t.above !== undefined && !(x > t.above)) return false;
  if (t.below !== undefined && !(x < t.below)) return false;
  return true;
}

/**
 * Whether an already lowered value fits `t`. Values the schema does not describe as plain data (nested
 * entries, which are lowered to their own runtime spec, references and bindings) are accepted as they are:
 * their own validation happens where they are built.
 */
export function fitsType(t: ParamType, v: unknown): boolean {
  switch (t.t) {
    case "number":
      return typeof v === "number" && fitsNumber(t, v);
    case "duration":
      return isDuration(v);
    case "bool":
      return typeof v === "boolean";
    case "string":
      return typeof v === "string";
    case "choice":
      return typeof v === "string" && t.options.includes(v);
    case "list":
      return Array.isArray(v) && v.length >= (t.minLength ?? 0) && v.every((item) => fitsType(t.of, item));
    case "interval":
      return Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === "number" && Number.isFinite(x));
    case "oneOf":
      return t.of.some((option) => fitsType(option, v));
    case "entry":
    case "ref":
    case "bindings":
      return v !== undefined;
  }
}

function isDuration(v: unknown): boolean {
  if (typeof v !== "object" || v === null) return false;
  const n = "steps" in v ? (v as { steps: unknown }).steps : "epochs" in v ? (v as { epochs: unknown }).epochs : undefined;
  return typeof n === "number" && Number.isInteger(n) && n >= 1;
}

/**
 * Every problem of `args` (keyed by `.dyn` parameter name) against `entry`: required parameters missing,
 * values outside their type or range, names the entry does not have, and rules that do not hold. Missing
 * optional parameters take their defaults first, so a rule sees what the runtime will use; rules are only
 * evaluated when every parameter fits, as they may assume the types.
 */
export function validateArgs(entry: Entry, args: Readonly<Record<string, unknown>>): ArgProblem[] {
  const problems: ArgProblem[] = [];
  const known = new Set(entry.params.map((p) => p.name));
  for (const name of Object.keys(args)) {
    if (!known.has(name)) problems.push({ kind: "unknown", param: name, message: `\`${entry.name}\` has no parameter \`${name}\`` });
  }
  const full = withDefaults(entry, args);
  for (const p of entry.params) {
    const problem = paramProblem(entry, p, full[p.name]);
    if (problem) problems.push({ kind: "param", param: p.name, message: problem });
  }
  if (problems.length > 0) return problems;
  return brokenRules(entry, full).map((rule) => ({ kind: "rule", rule, message: `\`${entry.name}\`: ${rule.message}` }));
}

/** The rules of `entry` that checked arguments (every parameter present) break. */
export function brokenRules(entry: Entry, args: Readonly<Record<string, Lowered>>): Rule[] {
  return (entry.rules ?? []).filter((rule) => !rule.holds(args));
}

/**
 * `args` with every parameter present: the value given, else (left out or `null`) the default, which is
 * `null` for an optional parameter without one; a required parameter left out stays absent. Defaults naming a nested entry
 * (`then: constant`) stay names: only the compiler lowers those.
 */
export function withDefaults(entry: Entry, args: Readonly<Record<string, unknown>>): Record<string, Lowered> {
  const full: Record<string, Lowered> = {};
  for (const p of entry.params) {
    const given = args[p.name];
    if (given !== undefined && given !== null) full[p.name] = given as Lowered;
    else if (p.default !== undefined) full[p.name] = p.default as Lowered;
  }
  return full;
}

function paramProblem(entry: Entry, p: Param, v: Lowered | undefined): string | undefined {
  if (v === undefined) return `\`${entry.name}\` needs \`${p.name}\`: ${describeType(p.type)}`;
  if (v === null && p.default === null) return undefined;
  if (fitsType(p.type, v)) return undefined;
  return `\`${p.name}\` of \`${entry.name}\` must be ${describeType(p.type)}, not ${JSON.stringify(v)}`;
}

/**
 * Which parameter each top-level field of the entry's lowered spec holds: `outputScale` → `output_scale` (mlp).
 * Found by lowering distinct markers and seeing where each lands, so the mapping is read off `lower`
 * itself rather than written a second time. A parameter that `lower` transforms rather than copies
 * (or nests) has no field here; `specFields` lists the parameters that do.
 */
export function specFields(entry: Entry): ReadonlyMap<string, string> {
  const markers = new Map(entry.params.map((p) => [p.name, Object.freeze({ marker: p.name })] as const));
  const fields = new Map<string, string>();
  if (!entry.lower) {
    for (const p of entry.params) fields.set(p.name, p.name);
    return fields;
  }
  let spec: unknown;
  try {
    spec = entry.lower(Object.fromEntries(markers) as unknown as Record<string, Lowered>);
  } catch {
    return fields; // a lowerer that computes with its arguments cannot be read this way
  }
  if (typeof spec !== "object" || spec === null) return fields;
  for (const [field, value] of Object.entries(spec)) {
    const param = [...markers].find(([, m]) => m === value)?.[0];
    if (param) fields.set(field, param);
  }
  return fields;
}

/**
 * The `.dyn` arguments of a lowered runtime spec (`{ kind: "mlp", inDim, outputScale, … }` → `{ in,
 * output_scale, … }`), for validating specs written by hand. Fields that map to no parameter keep their
 * own name, so validateArgs reports them as unknown; `kind` is the entry's name and is dropped.
 */
export function argsFromSpec(entry: Entry, spec: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const fields = specFields(entry);
  const args: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(spec)) {
    if (field === "kind" && value === entry.name) continue;
    args[fields.get(field) ?? field] = value;
  }
  return args;
}
