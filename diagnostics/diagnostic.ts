import { messages, type DiagnosticCode, type MessageParams, type Severity } from "./messages.js";
import type { Span } from "./source.js";

/** A reported problem: coded, located, phrased for people. */
export interface Diagnostic {
  readonly code: DiagnosticCode;
  readonly severity: Severity;
  readonly message: string;
  readonly span: Span;
  /** Extra located notes, e.g. where an unclosed `{` was opened. */
  readonly related?: readonly { readonly message: string; readonly span: Span }[];
  /** A did-you-mean or how-to-fix line. */
  readonly hint?: string;
}

type ParamArg<C extends DiagnosticCode> = keyof MessageParams<C> extends never ? [] : [params: MessageParams<C>];

/** Build a diagnostic from the table; unknown codes and missing parameters are compile errors. */
export function diagnostic<C extends DiagnosticCode>(
  code: C,
  span: Span,
  ...rest: [...ParamArg<C>, extra?: { hint?: string; related?: Diagnostic["related"] }]
): Diagnostic {
  const spec = messages[code];
  const params = (rest[0] ?? {}) as Record<string, string | number>;
  const extra = (keyOfPlaceholders(spec.message).length === 0 ? rest[0] : rest[1]) as
    | { hint?: string; related?: Diagnostic["related"] }
    | undefined;
  const message = spec.message.replace(/\{(\w+)\}/g, (_, p: string) => String(params[p] ?? `{${p}}`));
  return {
    code,
    severity: spec.severity,
    message,
    span,
    ...(extra?.hint ? { hint: extra.hint } : {}),
    ...(extra?.related?.length ? { related: extra.related } : {}),
  };
}

function keyOfPlaceholders(template: string): string[] {
  return [...template.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === "error");
}

/** Source order, then code, so output is stable. */
export function sortDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return [...diagnostics].sort(
    (a, b) => a.span.file.localeCompare(b.span.file) || a.span.start - b.span.start || a.code.localeCompare(b.code),
  );
}
