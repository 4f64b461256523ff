/**
 * A file with several experiments run with `--out DIR` (what `dync run` and `node out.js` do, through
 * runExperiments): each experiment gets its own run directory DIR/<experiment>; before, the second
 * experiment found DIR already holding the first's run and failed with RUN030. With one experiment DIR is
 * the run directory itself, as before. `--resume DIR` maps the same way, and an experiment that never started
 * (no DIR/<experiment>: a kill during an earlier one) starts fresh there instead of failing with RUN010.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { compileFile } from "../../compiler/compile.js";
import type { ExperimentProgram } from "../../contract/program.js";
import { pathSegment, type Manifest } from "../../runtime/record/index.js";
import { outPerExperiment, runExperiments } from "../../runner/cli.js";
import { captureStream } from "./experiment-fixture.js";

const root = resolve(import.meta.dirname, "../..");
const scratch = mkdtempSync(join(tmpdir(), "dync-multi-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const experiment = (name: string, width: number) => `experiment ${name} {
  seeds 1
  data train { x ~ uniform(-1, 1) [8]; y = x^2 }
  model net = mlp(hidden: [${width}], act: relu)
  loss mse
  optimizer adam(lr: 1e-2)
  train 4 steps, batch full
  probe l = loss(net, train) every 2 steps
}
`;

async function compiled(source: string, tag: string): Promise<readonly ExperimentProgram[]> {
  const file = join(scratch, `${tag}.dyn`);
  writeFileSync(file, source);
  const result = await compileFile(file, { runtimeImport: pathToFileURL(join(root, "runner", "index.ts")).href });
  if (!result.ok) throw new Error(result.diagnostics.map((d) => d.message).join("\n"));
  writeFileSync(join(scratch, `${tag}.mjs`), result.js);
  return ((await import(pathToFileURL(join(scratch, `${tag}.mjs`)).href)) as { experiments: readonly ExperimentProgram[] }).experiments;
}

const manifestOf = (dir: string) => JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as Manifest;

describe("--out with several experiments in one file", () => {
  it("outPerExperiment appends the experiment to --out DIR and --out=DIR, and to nothing else", () => {
    expect(outPerExperiment(["--profile", "quick", "--out", "res", "--jobs", "2"], "a")).toEqual(["--profile", "quick", "--out", join("res", "a"), "--jobs", "2"]);
    expect(outPerExperiment(["--out=res/x"], "b")).toEqual([`--out=${join("res/x", "b")}`]);
    expect(outPerExperiment(["--profile", "out"], "a")).toEqual(["--profile", "out"]);
    expect(outPerExperiment(["--out", "res"], "CON")[1]).toBe(join("res", pathSegment("CON")));
    expect(pathSegment("CON")).toMatch(/^_CON~[0-9a-f]{8}$/);
  });

  it("gives each experiment DIR/<experiment>; a second run into the same DIR is refused", async () => {
    const experiments = await compiled(experiment("first", 3) + experiment("second", 5), "two");
    expect(experiments.map((e) => e.name)).toEqual(["first", "second"]);
    const out = join(scratch, "two-out");
    const argv = ["--backend", "cpu", "--out", out, "--quiet", "--jobs", "1"];
    const stderr = captureStream();
    expect(await runExperiments(experiments, argv, { stdout: captureStream(), stderr })).toBe(0);
    expect(stderr.text()).toBe("");
    for (const name of ["first", "second"]) {
      const m = manifestOf(join(out, name));
      expect([m.experiment, m.status]).toEqual([name, "ok"]);
      expect(existsSync(join(out, name, "report.html"))).toBe(true);
    }
    expect(existsSync(join(out, "manifest.json"))).toBe(false);
    // Both directories now hold runs: each experiment is refused on its own (RUN030), exit 2 (an input error).
    const again = captureStream();
    expect(await runExperiments(experiments, argv, { stdout: captureStream(), stderr: again })).toBe(2);
    expect(again.text().match(/RUN030: the run directory .* already holds a run/g)).toHaveLength(2);
  }, 300_000);

  it("--resume DIR starts an experiment that never started fresh in DIR/<experiment>, with a message", async () => {
    const experiments = await compiled(experiment("begun", 3) + experiment("unbegun", 5), "resume-two");
    const out = join(scratch, "resume-out");
    const flags = ["--backend", "cpu", "--quiet", "--jobs", "1"];
    expect(await runExperiments(experiments, [...flags, "--out", out], { stdout: captureStream(), stderr: captureStream() })).toBe(0);
    const uninterrupted = readFileSync(join(out, "unbegun", "metrics.jsonl"), "utf8");
    // As a kill during `begun` leaves it: no directory for `unbegun` (before, its --resume failed with RUN010).
    rmSync(join(out, "unbegun"), { recursive: true });
    const stdout = captureStream();
    const stderr = captureStream();
    expect(await runExperiments(experiments, [...flags, "--resume", out], { stdout, stderr })).toBe(0);
    expect(stderr.text()).toBe("");
    expect(stdout.text()).toContain(`experiment unbegun never started in ${out}: starting it fresh in ${join(out, "unbegun")}`);
    expect(stdout.text()).not.toContain("experiment begun never started");
    expect([manifestOf(join(out, "unbegun")).experiment, manifestOf(join(out, "unbegun")).status]).toEqual(["unbegun", "ok"]);
    expect(readFileSync(join(out, "unbegun", "metrics.jsonl"), "utf8")).toBe(uninterrupted);
    // A DIR that does not exist is not a run that never started: still RUN010, nothing created.
    const missing = join(scratch, "no-such-dir");
    const typo = captureStream();
    expect(await runExperiments(experiments, [...flags, `--resume=${missing}`], { stdout: captureStream(), stderr: typo })).toBe(2);
    expect(typo.text()).toContain("RUN010");
    expect(existsSync(missing)).toBe(false);
  }, 300_000);

  it("with one experiment, --out DIR is its run directory", async () => {
    const experiments = await compiled(experiment("only", 3), "one");
    const out = join(scratch, "one-out");
    expect(await runExperiments(experiments, ["--backend", "cpu", "--out", out, "--quiet", "--jobs", "1"], { stdout: captureStream(), stderr: captureStream() })).toBe(0);
    expect(manifestOf(out).experiment).toBe("only");
  }, 180_000);
});
