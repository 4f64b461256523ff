/**
 * Values pinned to a step in an event condition, `l[steps = 0]`: the one selection an `at first(…)`
 * condition may contain. Shared by the checker (compiler/check/event-conditions.ts) and the runner
 * (runner/event-condition.ts), which keeps those values as training passes their steps.
 */
import type { AnalysisExpr } from "./program.js";

export interface Pin {
  readonly probe: string;
  readonly step: number;
}

/** `probe[steps = k]` with a whole k ≥ 0: the probe and the step; undefined for any other selection. */
export function pinOf(e: Extract<AnalysisExpr, { op: "select" }>): Pin | undefined {
  const step = e.where["steps"];
  if (e.arg.op !== "probe" || Object.keys(e.where).length !== 1 || typeof step !== "number" || !Number.isInteger(step) || step < 0) return undefined;
  return { probe: e.arg.name, step };
}

/** Every `probe[steps = k]` in a condition. */
export function pinsOf(e: AnalysisExpr, out: Pin[] = []): Pin[] {
  const pin = e.op === "select" ? pinOf(e) : undefined;
  if (pin) out.push(pin);
  for (const child of Object.values(e)) {
    if (child && typeof child === "object" && "op" in child) pinsOf(child as AnalysisExpr, out);
  }
  return out;
}
