/**
 * Printing compile-time data as TypeScript literals. Strings go through JSON.stringify, so nothing from a
 * `.dyn` file (quotes, backticks, `${…}`, newlines, `*\/`) can escape its literal; object keys that are
 * not plain identifiers are quoted the same way. Numbers print exactly (`1e-8`, `Infinity`, `NaN`).
 */
export type Literal = null | boolean | number | string | readonly Literal[] | { readonly [key: string]: Literal | undefined };

/** A line comment placed before a property of an object literal (the `.dyn` line it comes from). */
export const COMMENT = Symbol("comment");

export function literal(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "boolean") return String(value);
  if (typeof value === "number") return numberLiteral(value);
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(literal).join(", ")}]`;
  if (typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    const comments = (value as { [COMMENT]?: Record<string, string> })[COMMENT] ?? {};
    const comment = (k: string) => (Object.hasOwn(comments, k) ? `\n${lineComment(comments[k]!)}\n` : "");
    const props = entries.map(([k, v]) => `${comment(k)}${propertyKey(k)}: ${inheritedKeyValue(k, literal(v))}`);
    return `{ ${props.join(", ")} }`;
  }
  throw new Error(`cannot print ${typeof value} as a literal`);
}

function numberLiteral(x: number): string {
  if (Number.isNaN(x)) return "NaN";
  if (x === Infinity) return "Infinity";
  if (x === -Infinity) return "-Infinity";
  if (Object.is(x, -0)) return "-0";
  return String(x);
}

/**
 * A property name in an object literal. `__proto__: v` would set the prototype instead of a property
 * (and a data set, sweep variable or profile may be called `__proto__`), so it is written computed.
 */
export function propertyKey(key: string): string {
  if (key === "__proto__") return '["__proto__"]';
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? key : JSON.stringify(key);
}

/**
 * The value of property `key` in a literal. TypeScript types a property named like an Object.prototype
 * member (`constructor`, `toString`) of an index-signature type by that member, so the literal loses its
 * contextual type (`"sample"` widens to string); `as const` keeps the literal types without one.
 */
export function inheritedKeyValue(key: string, value: string): string {
  return key in Object.prototype ? `${value} as const` : value;
}

/** A `//` comment that cannot end early or smuggle a line break. */
export function lineComment(text: string): string {
  return `// ${text.replace(/[\r\n\u2028\u2029]+/g, " ")}`;
}

/** A `/** … *\/` doc comment with `*\/` neutralised. */
export function docComment(lines: readonly string[]): string {
  return ["/**", ...lines.map((l) => ` * ${l.replace(/\*\//g, "*\\/").replace(/[\r\n\u2028\u2029]+/g, " ")}`), " */"].join("\n");
}

/** Attach per-property comments to an object for `literal`. */
export function withComments<T extends object>(value: T, comments: Record<string, string>): T {
  return Object.assign(Object.create(null) as object, value, { [COMMENT]: comments }) as T;
}
