import { expect } from "vitest";
import { DyncRuntimeError } from "../../runtime/errors.js";

/** `fn` throws a DyncRuntimeError with `code` whose message matches every pattern. */
export function expectRuntimeError(fn: () => unknown, code: string, ...patterns: RegExp[]): void {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(DyncRuntimeError);
    expect((error as DyncRuntimeError).code).toBe(code);
    for (const p of patterns) expect((error as Error).message).toMatch(p);
    return;
  }
  throw new Error("expected a DyncRuntimeError");
}
