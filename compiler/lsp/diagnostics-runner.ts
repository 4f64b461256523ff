/**
 * Runs diagnostics jobs on a worker thread, newest version first: while one job runs, later edits of the
 * same document replace its waiting job, so a burst of keystrokes costs one check, not one per key.
 */
import { Worker } from "node:worker_threads";
import type { Diagnostic as LspDiagnostic } from "vscode-languageserver";
import type { DiagnosticsJob } from "./diagnostics-worker.js";

export interface DiagnosticsAnswer {
  readonly uri: string;
  readonly version: number;
  readonly diagnostics?: LspDiagnostic[];
  readonly error?: string;
}

/**
 * The worker module next to this one. Built, it is plain `.js`. Run from the sources through tsx (the
 * tests do), a worker does not inherit tsx's loader, so a small bootstrap registers it first.
 */
function startWorker(): Worker {
  if (!import.meta.url.endsWith(".ts")) return new Worker(new URL("./diagnostics-worker.js", import.meta.url));
  const url = new URL("./diagnostics-worker.ts", import.meta.url).href;
  return new Worker(`import("tsx/esm/api").then((api) => { api.register(); return import(${JSON.stringify(url)}); });`, { eval: true });
}

export class DiagnosticsRunner {
  private worker?: Worker;
  private running?: DiagnosticsJob;
  private readonly waiting = new Map<string, DiagnosticsJob>();

  constructor(
    private readonly onAnswer: (answer: DiagnosticsAnswer) => void,
    private readonly onFailure: (job: DiagnosticsJob, reason: string) => void,
  ) {}

  /** Queue a document version; an older waiting version of the same document is dropped. */
  submit(job: DiagnosticsJob): void {
    this.waiting.set(job.uri, job);
    this.next();
  }

  /** Stop the worker (the server is exiting). */
  dispose(): void {
    void this.worker?.terminate();
    this.worker = undefined;
  }

  private next(): void {
    if (this.running || this.waiting.size === 0) return;
    const [uri, job] = this.waiting.entries().next().value as [string, DiagnosticsJob];
    this.waiting.delete(uri);
    this.running = job;
    this.ensureWorker().postMessage(job);
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = startWorker();
    worker.unref();
    worker.on("message", (answer: DiagnosticsAnswer) => {
      this.running = undefined;
      this.onAnswer(answer);
      this.next();
    });
    // A dead worker (out of memory, a crash in a native module) is replaced; its job is reported failed.
    const lost = (reason: string) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      const job = this.running;
      this.running = undefined;
      if (job) this.onFailure(job, reason);
      this.next();
    };
    worker.on("error", (error) => lost(error?.stack ?? String(error)));
    worker.on("exit", (code) => lost(`the diagnostics worker exited with code ${code}`));
    this.worker = worker;
    return worker;
  }
}
