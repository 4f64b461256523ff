/**
 * The checker off the main thread: parse + check of a 2,000-line file takes 0.3–1 s, and on the server's
 * own thread that would stall every completion and hover typed meanwhile. One job at a time; answers carry
 * the document version they were computed for.
 */
import { parentPort } from "node:worker_threads";
import type * as A from "../../grammar/ast.js";
import { parse } from "../../grammar/parse.js";
import { checkParsed } from "../check/index.js";
import { diagnosticsForFile } from "./convert.js";

export interface DiagnosticsJob {
  readonly uri: string;
  readonly version: number;
  readonly path: string;
  readonly text: string;
}

parentPort?.on("message", (job: DiagnosticsJob) => {
  try {
    const parsed = parse(job.text, job.path);
    const imports = parsed.program.items.filter((s): s is A.ImportStmt => s.kind === "Import");
    const diagnostics = diagnosticsForFile(job.path, checkParsed(parsed).diagnostics, imports);
    parentPort!.postMessage({ uri: job.uri, version: job.version, diagnostics });
  } catch (error) {
    parentPort!.postMessage({ uri: job.uri, version: job.version, error: (error as Error)?.stack ?? String(error) });
  }
});
