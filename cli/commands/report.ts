/**
 * `dync report RUN_DIR`: rebuilds report.html (and the plots) of a run directory from what it recorded,
 * without re-running anything. A missing directory or one that is not a run is a one-line error, exit 1.
 */
import { DyncRuntimeError } from "../../runtime/errors.js";
import { rebuildReport, watchReport } from "../../report/index.js";
import { analysisFunctions } from "../../stdlib/analysis-functions.js";
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

/**
 * `dync report RUN_DIR --watch`: serve the report and rebuild it as results land, until SIGINT/SIGTERM/SIGHUP
 * (the normal way to stop a server: exit 0). 1 when RUN_DIR is not a run directory or the port is taken.
 */
export async function watchCommand(runDir: string, options: { port: number; refreshSeconds: number }, out: Output, err: (text: string) => void): Promise<number> {
  const { port, refreshSeconds } = options;
  let watch;
  try {
    watch = await watchReport(runDir, {
      port,
      refreshSeconds,
      analysisFunctions,
      onRebuilt: (result) => {
        if (result instanceof Error) err(`warning: the report could not be rebuilt: ${result instanceof DyncRuntimeError ? result.oneLine() : result.message}\n`);
      },
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE" || code === "EACCES") {
      err(`error: cannot listen on 127.0.0.1:${port} (${code}): give another --port, or none for a free one\n`);
      return 1;
    }
    if (!(error instanceof DyncRuntimeError)) throw error;
    err(`${error.render()}\n`);
    return 1;
  }
  out.write(`serving the report of ${runDir} at ${watch.url} (rebuilt as results land; Ctrl-C to stop)\n`);
  const signals = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
  let stop = (): void => undefined;
  const stopped = new Promise<void>((done) => (stop = done));
  for (const signal of signals) process.once(signal, stop);
  await stopped;
  for (const signal of signals) process.removeListener(signal, stop);
  await watch.close();
  return 0;
}
