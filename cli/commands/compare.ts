/**
 * `dync compare A B [--html FILE] [--format json]`: what differs between two run directories (settings,
 * let values, expect verdicts, final probe values; runner/compare.ts). Exit 0 when compared (differences
 * are the answer, not a failure); 2 when a directory is missing or not a run directory (RUN010, RUN011).
 */
import { writeFileSync } from "node:fs";
import { DyncRuntimeError } from "../../runtime/errors.js";
import { EXIT } from "../../runner/exit-codes.js";
import { compareRuns, readForCompare } from "../../runner/compare.js";
import { comparisonHtml, comparisonJson, comparisonText } from "../../runner/compare-output.js";
import type { Output } from "./output.js";

export async function compareCommand(dirs: readonly [string, string], options: { readonly html?: string }, out: Output, err: (text: string) => void): Promise<number> {
  try {
    const a = readForCompare(dirs[0]);
    const b = readForCompare(dirs[1]);
    const comparison = compareRuns(a, b);
    out.write(out.format === "json" ? comparisonJson(comparison) : comparisonText(comparison));
    if (options.html !== undefined) {
      const html = await comparisonHtml(comparison, a, b);
      try {
        writeFileSync(options.html, html);
      } catch (error) {
        err(`error: cannot write ${options.html}: ${(error as Error).message}\n`);
        return EXIT.input;
      }
      if (out.format !== "json") out.write(`comparison: ${options.html}\n`);
    }
    return EXIT.ok;
  } catch (error) {
    if (!(error instanceof DyncRuntimeError)) throw error; // cli.ts reports anything else as an internal error
    err(`${error.render()}\n`);
    return EXIT.input;
  }
}
