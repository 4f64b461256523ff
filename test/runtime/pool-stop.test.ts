/**
 * A hung worker does not hang `dync run` after a signal: with `--jobs 2` both workers spin forever while
 * building their run's data (the target function loops in worker threads only, so they never reach a step
 * boundary to see the stop), the run is stopped, and after the grace period the pool terminates them and
 * records both runs `interrupted`, saying why, instead of waiting forever.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { compileFile } from "../../compiler/compile.js";
import type { ExperimentProgram } from "../../contract/program.js";
import type { Manifest } from "../../runtime/record/index.js";
import { runExperiment } from "../../runner/index.js";
import { captureStream } from "./experiment-fixture.js";

const ROOT = resolve(import.meta.dirname, "../..");
mkdirSync(join(ROOT, ".scratch"), { recursive: true });
// Inside the repository, so the compiled module resolves the runtime's packages from node_modules.
const scratch = mkdtempSync(join(ROOT, ".scratch", "pool-stop-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const SOURCE = `experiment hang {
  sweep width in [3, 5]
  seeds 1
  data train { x ~ uniform(-1, 1) [8]; y = x^2 }
  model net = mlp(hidden: [width], act: relu)
  loss mse
  optimizer adam(lr: 1e-2)
  train 10 steps, batch full
  probe l = loss(net, train) every 5 steps
}
`;

/** The compiled program, re-exported with targets that never return in a worker thread. */
const WRAPPER = `import { isMainThread } from "node:worker_threads";
import { experiments as compiled } from "./hang.mjs";
const spin = () => { for (;;) {} };
export const experiments = compiled.map((e) => ({
  ...e,
  targets: Object.fromEntries(Object.entries(e.targets).map(([id, f]) => [id, isMainThread ? f : spin])),
}));
`;

describe("stopping a pool whose workers do not answer", () => {
  it("terminates them after the grace period and records their runs interrupted", async () => {
    const dyn = join(scratch, "hang.dyn");
    writeFileSync(dyn, SOURCE);
    const result = await compileFile(dyn, { runtimeImport: pathToFileURL(join(ROOT, "runner", "index.ts")).href });
    if (!result.ok) throw new Error(result.diagnostics.map((d) => d.message).join("\n"));
    writeFileSync(join(scratch, "hang.mjs"), result.js);
    writeFileSync(join(scratch, "wrapper.mjs"), WRAPPER);
    const moduleUrl = pathToFileURL(join(scratch, "wrapper.mjs")).href;
    const { experiments } = (await import(moduleUrl)) as { experiments: readonly ExperimentProgram[] };

    const stop = new AbortController();
    const out = join(scratch, "out");
    const stderr = captureStream();
    const manifestNow = (): Manifest | null => {
      try {
        return JSON.parse(readFileSync(join(out, "manifest.json"), "utf8")) as Manifest;
      } catch {
        return null;
      }
    };
    // Stop once the first run has begun in a worker (which then spins); the grace is 0.5 s.
    let stoppedAt = 0;
    const poll = setInterval(() => {
      if ((manifestNow()?.runs.length ?? 0) > 0 && stoppedAt === 0) {
        stoppedAt = Date.now();
        stop.abort("SIGTERM");
      }
    }, 50);
    const outcome = await runExperiment(experiments[0]!, { backend: "cpu", outDir: out, jobs: 2, moduleUrl, stop: stop.signal, stopGraceMs: 500, quiet: true, stdout: captureStream(), stderr });
    clearInterval(poll);
    expect(stoppedAt).toBeGreaterThan(0);
    // The grace and terminating two threads, not the 10-step runs, which never end.
    expect(Date.now() - stoppedAt).toBeLessThan(10_000);
    // Run width=3 was begun (and hung); width=5 too, unless its worker was still loading at the signal.
    expect(outcome.runs.length).toBeGreaterThanOrEqual(1);
    const message = "interrupted by SIGTERM: the worker thread did not stop within 0.5 s and was terminated (measurements it had sent are recorded)";
    for (const run of outcome.runs) expect([run.id, run.status, run.message]).toEqual([run.id, "interrupted", message]);
    const manifest = manifestNow()!;
    expect(manifest.status).toBe("interrupted");
    expect(manifest.runs.map((r) => [r.run, r.status, r.message])).toEqual(outcome.runs.map((r) => [r.id, "interrupted", message]));
  }, 180_000);
});
