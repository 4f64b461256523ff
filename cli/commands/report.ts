/**
 * `dync report RUN_DIR`: rebuilds report.html (and the plots) of a run directory from what it recorded,
 * without re-running anything. A missing directory or one that is not a run is a one-line error, exit 1.
 */
import { DyncRuntimeError } from "../../runtime/errors.js";
import { rebuildReport } from "../../report/index.js";
import { analysisFunctions } from "../../stdlib/implementations.js";
import type { Output } from "./output.js";

/** Rebuild the report of `runDir`; 0 when written (even if some plot could not be drawn), 1 on an error. */
export async function reportCommand(runDir: string, out: Output, err: (text: string) => void): Promise<number> {
  try {
    const result = await rebuildReport(runDir, analysisFunctions);
    const failed = result.plots.filter((p) => p.error !== null);
    if (out.format === "json") {
      out.write(`${JSON.stringify({ report: result.path, plots: result.plots.map((p) => ({ name: p.name, line: p.line, svg: p.svg, png: p.png, error: p.error })), unreadable: result.unreadable })}\n`);
    } else {
      for (const u of result.unreadable) err(`warning: ${u}\n`);
      for (const p of failed) err(`warning: plot ${p.name} (line ${p.line}) could not be drawn: ${p.error}\n`);
      out.write(`report: ${result.path} (${result.plots.length - failed.length} of ${result.plots.length} plots drawn)\n`);
    }
    return 0;
  } catch (error) {
    if (!(error instanceof DyncRuntimeError)) throw error; // cli.ts reports anything else as an internal error
    err(`${error.render()}\n`);
    return 1;
  }
}
