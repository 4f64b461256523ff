/**
 * `dync run` and `dync plan` from the command line (the built CLI, dist/cli/bin.js: build first with
 * `npx tsc -p tsconfig.build.json && node tools/gradient-bundle.mjs`): `key=value` overrides, the distinct
 * exit codes (0 all well, 1 an expect failed, 2 a usage or input error, 3 a run failed or diverged) and
 * the JSON summary of `--format json`.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "..");
const CLI = join(ROOT, "dist", "cli", "bin.js");
const scratch = mkdtempSync(join(ROOT, "test", ".cli-run-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

// A few milliseconds of training: one 2-unit network fitting x² on 16 points.
const SOURCE = `experiment tiny {
  sweep width in [2, 3]
  seeds 1
  data train = grid(x in [-1, 1], n: 16) -> x^2
  model net = mlp(hidden: [width], act: tanh)
  optimizer sgd(lr: 0.05)
  train 5 steps, batch 8
  probe l = loss(net, train) at end
  let bound = 100
  expect max(last(l)) over seeds < bound
}
`;
const file = join(scratch, "tiny.dyn");
writeFileSync(file, SOURCE);

let outs = 0;
function dync(...args: string[]) {
  const p = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", cwd: scratch, env: { ...process.env, NO_COLOR: "1" } });
  return { code: p.status, stdout: p.stdout, stderr: p.stderr };
}
function run(...args: string[]) {
  const out = join(scratch, `run${outs++}`);
  return { out, ...dync("run", file, "--backend", "cpu", "--jobs", "1", "--out", out, ...args) };
}

describe("dync plan FILE key=value", () => {
  it("shows the overridden runs and marks what the command line set", () => {
    const p = dync("plan", file, "width=8", "train=40", "batch=4");
    expect(p.code).toBe(0);
    // 1 → 8 → 1 with biases: 8 + 8 + 8 + 1 = 25 parameters
    expect(p.stdout).toMatch(/^ {2}width=8 +25 +4 +40 +l$/m);
    expect(p.stdout).toMatch(/^ {4}sweep width in \[8\] +← command line$/m);
    expect(p.stdout).toMatch(/^ {4}train 40 steps, batch 4 +← command line: length; command line: batch$/m);
  });

  it("an unknown key: exit 1 (as for any diagnostic of `dync plan`), a code frame into the argument and a did-you-mean", () => {
    const p = dync("plan", file, "seeds=2", "widht=8");
    expect(p.code).toBe(1);
    expect(p.stdout).toContain("command line:2:1: error DYN4021: experiment `tiny` has no setting `widht`\n2 | widht=8\n  | ^~~~~\n  = hint: did you mean `width`?");
  });
});

describe("dync run: overrides, exit codes and --format json", () => {
  it("0 when every expect holds; the summary lists runs and verdicts; the manifest records the overrides", () => {
    const p = run("width=4", "--format", "json");
    expect(p.code).toBe(0);
    const lines = p.stdout.trim().split("\n");
    expect(lines).toHaveLength(1);
    const summary = JSON.parse(lines[0]!);
    expect(summary).toMatchObject({ type: "summary", exitCode: 0, experiments: [{ experiment: "tiny", profile: "default", exitCode: 0, dir: p.out, status: "ok", runs: [{ id: "width=4", status: "ok" }], expects: [{ text: "max(last(l)) over seeds < bound", line: 10, passed: true }], analysisErrors: [] }] });
    expect(p.stderr).toMatch(/^✓ expect max/m);
    const manifest = JSON.parse(readFileSync(join(p.out, "manifest.json"), "utf8"));
    expect(manifest.source.overrides).toEqual(["width=4"]);
  }, 60_000);

  it("1 when an expect fails (a let overridden to make it fail)", () => {
    const p = run("bound=0", "width=2");
    expect(p.code).toBe(1);
    expect(p.stdout).toMatch(/^✗ expect max\(last\(l\)\) over seeds < bound/m);
  }, 60_000);

  it("3 when a run diverges, whatever the expects say", () => {
    const p = run("optimizer.lr=1e30", "width=2", "--format", "json");
    expect(p.code).toBe(3);
    const summary = JSON.parse(p.stdout.trim().split("\n").at(-1)!);
    expect(summary.experiments[0]).toMatchObject({ exitCode: 3, status: "diverged", runs: [{ id: "width=2", status: "diverged" }] });
  }, 60_000);

  it("2 on compile errors (a bad override), on an output directory that holds a run, and on usage errors", () => {
    const bad = run("widht=2", "--format", "json");
    expect(bad.code).toBe(2);
    const [diagnostic, summary] = bad.stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(diagnostic).toMatchObject({ code: "DYN4021", file: "command line", hint: "did you mean `width`?" });
    expect(summary).toEqual({ type: "summary", exitCode: 2, experiments: [] });
    const first = run("width=2");
    expect(first.code).toBe(0);
    const taken = dync("run", file, "width=2", "--backend", "cpu", "--out", first.out, "--format", "json");
    expect(taken.code).toBe(2);
    expect(JSON.parse(taken.stdout.trim().split("\n").at(-1)!).experiments[0]).toMatchObject({ exitCode: 2, error: expect.stringContaining("RUN030") });
    expect(dync("run", file, "--jobs", "zero").code).toBe(2);
  }, 60_000);
});

describe("dync compile FILE key=value", () => {
  it("writes the program with the overrides laid over the profile; `node out.js` trains that plan and records them", () => {
    const js = join(scratch, "tiny-w8.js");
    const c = dync("compile", file, "width=8", "train=3", "-o", js);
    expect(c.code, c.stderr + c.stdout).toBe(0);
    const out = join(scratch, `run${outs++}`);
    const p = spawnSync(process.execPath, [js, "--backend", "cpu", "--jobs", "1", "--quiet", "--out", out], { encoding: "utf8", cwd: scratch });
    expect(p.status, p.stderr).toBe(0);
    const manifest = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8"));
    expect(manifest.source.overrides).toEqual(["width=8", "train=3"]);
    expect(manifest.runs).toMatchObject([{ run: "width=8", sweep: { width: 8 }, steps: 3 }]);
  }, 60_000);

  it("the program reads data files relative to the .dyn file's directory, from any working directory", () => {
    const project = join(scratch, "project");
    const elsewhere = join(scratch, "elsewhere");
    mkdirSync(project);
    mkdirSync(elsewhere);
    // w = 2u on 4 rows: one sample per row
    writeFileSync(join(project, "data.csv"), "u,w\n0,0\n1,2\n2,4\n3,6\n");
    const source = (data: string) => `experiment own {\n  seeds 1\n  data train = csv("${data}", x: ["u"], y: "w")\n  model net = mlp(hidden: [2], act: tanh)\n  optimizer sgd(lr: 0.01)\n  train 2 steps, batch full\n  probe l = loss(net, train) at end\n}\n`;
    writeFileSync(join(project, "own.dyn"), source("data.csv"));
    const js = join(scratch, "compiled", "own.js");
    mkdirSync(join(scratch, "compiled"));
    expect(dync("compile", join("project", "own.dyn"), "-o", js).code).toBe(0);
    const out = join(elsewhere, "run");
    const p = spawnSync(process.execPath, [js, "--backend", "cpu", "--jobs", "1", "--quiet", "--out", out], { encoding: "utf8", cwd: elsewhere });
    expect(p.status, p.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(out, "manifest.json"), "utf8")).runs).toMatchObject([{ run: "run", status: "ok", steps: 2, stepsPerEpoch: 1 }]);
    // A run that fails names the one run of an experiment without a sweep "the run", not "run run".
    writeFileSync(join(project, "bad.csv"), "u,w\n0,0\n1,x\n");
    writeFileSync(join(project, "bad.dyn"), source("bad.csv"));
    const badJs = join(scratch, "compiled", "bad.js");
    expect(dync("compile", join("project", "bad.dyn"), "-o", badJs).code).toBe(0);
    const bad = spawnSync(process.execPath, [badJs, "--backend", "cpu", "--jobs", "1", "--quiet", "--out", join(elsewhere, "bad")], { encoding: "utf8", cwd: elsewhere });
    expect(bad.stderr).toMatch(/RUN011: .*bad\.csv.* \(the run\)$/m);
    expect(bad.stderr).not.toContain("run run");
  }, 60_000);

  it("a bad override is its diagnostic (exit 1, as for any compile error); --profile without overrides is a usage error", () => {
    const bad = dync("compile", file, "widht=8", "-o", join(scratch, "bad.js"));
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain("DYN4021");
    const usage = dync("compile", file, "--profile", "default", "-o", join(scratch, "p.js"));
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("names the profile KEY=VALUE overrides apply to");
  }, 60_000);
});
