/**
 * `dync report DIR --watch`: the report of a run directory served on 127.0.0.1 and rebuilt as results land.
 *
 * The page has no scripts (its Content-Security-Policy forbids them): while the run trains it carries a
 * `<meta http-equiv="refresh">`, so the browser reloads it, and the server rebuilds report.html whenever
 * manifest.json or metrics.jsonl changed (checked every `pollMs`, at most one rebuild at a time). Once the
 * run has finished (or was interrupted) the last rebuild drops the refresh. Only files inside DIR are
 * served, read-only, and only to this machine.
 */
import { createReadStream, existsSync, statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { extname, join, resolve, sep } from "node:path";
import type { AnalysisFunctions } from "../runtime/analysis/index.js";
import { runPaths } from "../runtime/record/run-dir.js";
import { writeReport, type ReportResult } from "./report.js";
import { readManifest } from "./run-files.js";

export interface WatchOptions {
  /** Port on 127.0.0.1; 0 (default): one the system picks free. */
  readonly port?: number;
  /** How often the run directory is checked for new results (default 1 s). */
  readonly pollMs?: number;
  /** Seconds after which the browser reloads the page of a run in training (default 3). */
  readonly refreshSeconds?: number;
  readonly analysisFunctions?: AnalysisFunctions;
  /** Each rebuild's result, or its error (the server keeps serving the last page). */
  readonly onRebuilt?: (result: ReportResult | Error) => void;
}

export interface ReportWatch {
  /** `http://127.0.0.1:PORT/`. */
  readonly url: string;
  close(): Promise<void>;
}

const TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".json": "application/json",
  ".jsonl": "application/x-ndjson",
  ".csv": "text/csv; charset=utf-8",
  ".dyn": "text/plain; charset=utf-8",
};

/** Builds the report of `dir`, serves it and keeps it current; resolves once the server listens. */
export async function watchReport(dir: string, options: WatchOptions = {}): Promise<ReportWatch> {
  const root = resolve(dir);
  const refreshSeconds = options.refreshSeconds ?? 3;
  const rebuild = async (): Promise<void> => {
    try {
      options.onRebuilt?.(await writeReport(root, { refreshSeconds, ...(options.analysisFunctions ? { analysisFunctions: options.analysisFunctions } : {}) }));
    } catch (error) {
      options.onRebuilt?.(error as Error);
    }
  };
  readManifest(root); // not a run directory: the error now, before anything listens
  await rebuild();
  const server = createServer((request, response) => serveFile(root, request.method ?? "GET", request.url ?? "/", response));
  await new Promise<void>((done, fail) => {
    server.once("error", fail);
    server.listen(options.port ?? 0, "127.0.0.1", () => done());
  });
  const poll = pollChanges(root, options.pollMs ?? 1000, rebuild);
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => {
      poll.stop();
      return closeServer(server);
    },
  };
}

/** Calls `rebuild` after manifest.json or metrics.jsonl changed, never two at once; the last change is always rebuilt. */
function pollChanges(root: string, pollMs: number, rebuild: () => Promise<void>): { stop(): void } {
  const paths = runPaths(root);
  const stamp = () => [paths.manifest, paths.metricsJsonl].map((f) => (existsSync(f) ? `${statSync(f).mtimeMs}:${statSync(f).size}` : "-")).join("|");
  let seen = stamp();
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    const now = stamp();
    if (now === seen) return;
    seen = now;
    busy = true;
    void rebuild().finally(() => (busy = false));
  }, pollMs);
  return { stop: () => clearInterval(timer) };
}

/** GET/HEAD of a file inside `root` (`/` is report.html); anything else 404/405. */
function serveFile(root: string, method: string, url: string, response: import("node:http").ServerResponse): void {
  if (method !== "GET" && method !== "HEAD") {
    response.writeHead(405, { allow: "GET, HEAD" }).end();
    return;
  }
  let path: string;
  try {
    const pathname = decodeURIComponent(new URL(url, "http://localhost").pathname);
    path = resolve(join(root, pathname === "/" ? "report.html" : pathname));
  } catch {
    response.writeHead(400).end();
    return;
  }
  if (!path.startsWith(root + sep) || !existsSync(path) || !statSync(path).isFile()) {
    response.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("not found\n");
    return;
  }
  response.writeHead(200, { "content-type": TYPES[extname(path)] ?? "application/octet-stream", "cache-control": "no-store", "x-content-type-options": "nosniff" });
  if (method === "HEAD") response.end();
  else createReadStream(path).pipe(response);
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((done) => server.close(() => done()));
}
