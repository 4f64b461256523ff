/**
 * What `--resume` refuses of the curvature kernels (runner/resume-kernels.ts): exactly what would change numbers.
 *  - A program without curvature probes, or whose curvature is all on the tape (a CNN) or by differences, resumes
 *    whatever `backend.hvp` says: it never takes the R-operator route.
 *  - A kept run whose recorded paths (`runs[].hvp`) this process would not compute it with is refused, naming the
 *    run: an older dync's wasm directory whose batch-norm runs took the tape while its `backend.hvp` said rop.
 *  - A directory without `backend.hvp` (cpu before it was recorded on every backend) took the R-operator a kept run
 *    recorded, else the tape.
 *  - The reorthogonalisation: the native and wasm kernels count as one, the JS loops are refused against them
 *    where a run reorthogonalises; dync's wasm kernels' revision (absent: 1).
 *  - The tfjs R-operator's revision (`backend.hvp.ropRevision`, absent: 1): refused for a kept or continuing run whose
 *    products took the rop path, naming it; runs without rop counts resume under any revision.
 * First the rules on hand-made manifests and plans, then on real run directories (each program compiled once,
 * `dync compile`, and run with node; a kill is emulated as training-step-record.test.ts does: the last run's
 * entry dropped, status `running`; an older dync's directory by removing or rewriting what it did not record).
 */
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkResumeBackend } from "../../runner/resume.js";
import type { ResumeCurvature, RunCurvature } from "../../runner/resume-kernels.js";
import { DyncRuntimeError } from "../../runtime/errors.js";
import { ROP_HVP_REVISION } from "../../runtime/kernels/native-hvp.js";
import { readCheckpointFile, writeCheckpointFile, type Manifest } from "../../runtime/record/index.js";

type Backend = Readonly<Record<string, unknown>> & { readonly name: string };

const wasmPath = { path: "wasm", reason: "switched off by DYNC_NATIVE=0" };
/** A wasm-path process (DYNC_NATIVE=0): the tfjs R-operator, the wasm reorthogonalisation, dync's kernels revision 1. */
const onWasm = (extra: Record<string, unknown> = {}): Backend => ({ name: "wasm", simd: true, dyncKernels: true, dyncKernelsRevision: 1, matmul: wasmPath, hvp: { path: "rop", reason: "the native matrix products are off" }, reorth: { path: "wasm" }, ...extra });
const onCpu = (extra: Record<string, unknown> = {}): Backend => ({ name: "cpu", hvp: { path: "rop", reason: "the native matrix products are off" }, reorth: { path: "js", reason: "wasm: dync's SIMD kernels do not serve this backend" }, ...extra });
const written = (backend: Backend, runs: { run: string; hvp?: Record<string, number> }[] = []) => ({ backend, runs }) as unknown as Manifest;

/** A plan of runs by id, each measuring as given. */
function plan(runs: Record<string, Partial<RunCurvature>>): ResumeCurvature {
  return { runs: Object.keys(runs), predict: (id) => ({ paths: [], rOperator: false, reorth: false, ...runs[id] }) };
}
const denseMlp: Partial<RunCurvature> = { paths: ["rop"], rOperator: true, reorth: true };
const cnn: Partial<RunCurvature> = { paths: ["taped"], rOperator: false, reorth: true };
const none: Partial<RunCurvature> = {};

function refusal(f: () => void): DyncRuntimeError | undefined {
  try {
    f();
  } catch (error) {
    return error as DyncRuntimeError;
  }
  return undefined;
}

describe("the rules, on hand-made manifests", () => {
  it("a change of backend.hvp is refused only where a run takes the R-operator route: not for a program without curvature, a CNN's or differences", () => {
    const taped = onWasm({ hvp: { path: "taped", reason: "…; the tfjs R-operator switched off by DYNC_ROP_HVP=0" } });
    expect(() => checkResumeBackend("d", written(taped), onWasm(), undefined, plan({ a: none, b: none }))).not.toThrow();
    expect(() => checkResumeBackend("d", written(taped), onWasm(), undefined, plan({ a: cnn, b: cnn }))).not.toThrow();
    expect(() => checkResumeBackend("d", written(taped), onWasm(), undefined, plan({ a: { paths: ["difference"] } }))).not.toThrow();
    const mlp = refusal(() => checkResumeBackend("d", written(taped), onWasm(), undefined, plan({ a: cnn, b: denseMlp })));
    expect(mlp?.code).toBe("RUN031");
    expect(mlp?.message).toBe("cannot resume d: its Hessian-vector products of dense MLPs ran on the taped path, this process uses the rop one (run b measures them)");
    expect(mlp?.hint).toBe("resume with DYNC_ROP_HVP=0");
    // without the plan every run counts (the other checks' callers)
    expect(() => checkResumeBackend("d", written(taped), onWasm())).toThrow(/ran on the taped path, this process uses the rop one$/);
  });

  it("a kept run is judged by its own record: refused where this process would compute it on another path, though backend.hvp agrees", () => {
    // An older dync's wasm directory: its tfjs R-operator did not cover batch norm, so the BN run took the tape.
    const old = written(onWasm(), [{ run: "plain", hvp: { rop: 40 } }, { run: "bn", hvp: { taped: 40 } }]);
    const now = plan({ plain: denseMlp, bn: denseMlp, later: denseMlp });
    const error = refusal(() => checkResumeBackend("d", old, onWasm(), undefined, now));
    expect(error?.code).toBe("RUN031");
    expect(error?.message).toBe("cannot resume d: run bn computed its Hessian-vector products on the taped path, this process would compute them on the rop path; their float32 sums differ");
    expect(error?.hint).toMatch(/^this dync computes that run's products on another path than the dync that wrote the directory/);
    // the same directory with what this dync records resumes; so do kept runs with several paths it takes
    expect(() => checkResumeBackend("d", written(onWasm(), [{ run: "plain", hvp: { rop: 40 } }, { run: "bn", hvp: { rop: 40 } }]), onWasm(), undefined, now)).not.toThrow();
    const both = plan({ r: { paths: ["rop", "difference"], rOperator: true } });
    expect(() => checkResumeBackend("d", written(onWasm(), [{ run: "r", hvp: { rop: 8, difference: 8 } }]), onWasm(), undefined, both)).not.toThrow();
    // a kept run recorded on the route this process does not take: the route's hint
    const native = onWasm({ matmul: { path: "native", gemm: "onednn", core: "avx2", threads: 1, revision: 5 }, hvp: { path: "native" } });
    const nativeOff = { ...native, hvp: { path: "rop", reason: "switched off by DYNC_NATIVE_HVP=0" } };
    const routed = refusal(() => checkResumeBackend("d", written(native, [{ run: "r", hvp: { native: 8 } }]), nativeOff, undefined, plan({ r: denseMlp })));
    expect(routed?.message).toMatch(/run r computed its Hessian-vector products on the native path, this process would compute them on the rop path/);
    expect(routed?.hint).toBe("resume where the HVP addon is built (npm run native) and DYNC_NATIVE_HVP is unset");
  });

  it("a run continuing from a checkpoint that carries its products' counts is judged by them, as a kept run by its manifest entry", () => {
    // Written on the tfjs R-operator route; this process has both R-operators off: every dense MLP takes the tape.
    const dir = written(onWasm());
    const taped = onWasm({ hvp: { path: "taped", reason: "…; the tfjs R-operator switched off by DYNC_ROP_HVP=0" } });
    const continuing = (records: Record<string, { counts: Record<string, number>; from?: number }>, runs = plan({ bn: { paths: ["taped"], rOperator: true } })) => ({ ...runs, continuing: new Map(Object.entries(records)) });
    // An older dync's batch-norm run that took the tape (its own record) continues on the tape here: no mixing, resumed.
    expect(() => checkResumeBackend("d", dir, taped, undefined, continuing({ bn: { counts: { taped: 24 } } }))).not.toThrow();
    // Without counts (an older checkpoint), counted from a later step only, or with none computed yet, the route decides.
    const routed = /its Hessian-vector products of dense MLPs ran on the rop path, this process uses the taped one \(run bn measures them\)$/;
    expect(() => checkResumeBackend("d", dir, taped, undefined, continuing({}))).toThrow(routed);
    expect(() => checkResumeBackend("d", dir, taped, undefined, continuing({ bn: { counts: { taped: 24 }, from: 20 } }))).toThrow(routed);
    expect(() => checkResumeBackend("d", dir, taped, undefined, continuing({ bn: { counts: {} } }))).toThrow(routed);
    // Its record names a path this process would not take: refused, naming the run.
    const error = refusal(() => checkResumeBackend("d", dir, onWasm(), undefined, continuing({ bn: { counts: { taped: 24 } } }, plan({ bn: denseMlp }))));
    expect(error?.code).toBe("RUN031");
    expect(error?.message).toBe("cannot resume d: run bn computed its Hessian-vector products on the taped path, this process would compute them on the rop path; their float32 sums differ");
  });

  it("old cpu directories without backend.hvp: the R-operator a kept run recorded, else the tape; no crash, no refusal without curvature", () => {
    const { hvp: _hvp, reorth: _reorth, ...oldCpu } = onCpu();
    expect(() => checkResumeBackend("d", written(oldCpu as Backend), onCpu(), undefined, plan({ a: none, b: none }))).not.toThrow();
    expect(() => checkResumeBackend("d", written(oldCpu as Backend), onCpu(), undefined, plan({ a: cnn }))).not.toThrow();
    // written 18:40–18:50 on 2026-12-04: rop served without backend.hvp; the kept run says so
    expect(() => checkResumeBackend("d", written(oldCpu as Backend, [{ run: "a", hvp: { rop: 12 } }]), onCpu(), undefined, plan({ a: denseMlp, b: denseMlp }))).not.toThrow();
    // before that, the tape: a kept run recorded it, or (before runs recorded it) nothing did and a kept run counts as the other runs
    const taped = refusal(() => checkResumeBackend("d", written(oldCpu as Backend, [{ run: "a", hvp: { taped: 12 } }]), onCpu(), undefined, plan({ a: denseMlp, b: denseMlp })));
    expect(taped?.message).toMatch(/run a computed its Hessian-vector products on the taped path, this process would compute them on the rop path/);
    expect(refusal(() => checkResumeBackend("d", written(oldCpu as Backend, [{ run: "a" }]), onCpu(), undefined, plan({ a: denseMlp, b: denseMlp })))?.message).toMatch(/ran on the taped path, this process uses the rop one \(run a measures them\)/);
    expect(() => checkResumeBackend("d", written(oldCpu as Backend, [{ run: "a" }]), onCpu({ hvp: { path: "taped", reason: "DYNC_ROP_HVP=0" } }), undefined, plan({ a: denseMlp, b: denseMlp }))).not.toThrow();
  });

  it("the reorthogonalisation: native and wasm are one; JS against them is refused where a run reorthogonalises; unknown on old wasm directories", () => {
    const native = { path: "native", gemm: "onednn", core: "avx2", threads: 1, revision: 5 };
    const process = onWasm({ matmul: native, hvp: { path: "native" }, reorth: { path: "native" } });
    const lacking = onWasm({ matmul: native, hvp: { path: "native" }, reorth: { path: "wasm", reason: "native: dync_lanczos.node is not built (`npm run native`)" } });
    const js = onWasm({ matmul: native, hvp: { path: "native" }, reorth: { path: "js", reason: "native: dync_lanczos.node is not built (`npm run native`); wasm: …" } });
    const sharp = plan({ a: denseMlp });
    expect(() => checkResumeBackend("d", written(lacking), process, undefined, sharp)).not.toThrow();
    expect(() => checkResumeBackend("d", written(process), lacking, undefined, sharp)).not.toThrow();
    const error = refusal(() => checkResumeBackend("d", written(js), process, undefined, sharp));
    expect(error?.code).toBe("RUN031");
    expect(error?.message).toBe("cannot resume d: its Lanczos reorthogonalisation ran on the js kernels, this process has the native ones (run a runs Lanczos or power iteration); they round differently");
    expect(refusal(() => checkResumeBackend("d", written(process), js, undefined, sharp))?.hint).toBe("resume where dync_lanczos.node is built (npm run native)");
    // a program that does not reorthogonalise (hessian_trace, curvature, no curvature at all) resumes
    expect(() => checkResumeBackend("d", written(js), process, undefined, plan({ a: { ...denseMlp, reorth: false }, b: none }))).not.toThrow();
    // written before it was recorded: on wasm not known, so not compared; on the other backends always JS
    const { reorth: _reorth, ...unknown } = process;
    expect(() => checkResumeBackend("d", written(unknown as Backend), js, undefined, sharp)).not.toThrow();
    const { reorth: _cpuReorth, ...oldCpu } = onCpu();
    expect(() => checkResumeBackend("d", written(oldCpu as Backend), onCpu(), undefined, sharp)).not.toThrow();
  });

  it("dync's wasm kernels: the same revision where they served both (absent: revision 1)", () => {
    const error = refusal(() => checkResumeBackend("d", written(onWasm({ dyncKernelsRevision: 2 })), onWasm(), undefined, plan({ a: none })));
    expect(error?.code).toBe("RUN031");
    expect(error?.message).toBe("cannot resume d: its wasm kernels (dync's SIMD and reorthogonalisation modules) are revision 2, this dync's are revision 1 (they round differently)");
    const { dyncKernelsRevision: _revision, ...before } = onWasm();
    expect(() => checkResumeBackend("d", written(before as Backend), onWasm(), undefined, plan({ a: none }))).not.toThrow();
    expect(() => checkResumeBackend("d", written(before as Backend), onWasm({ dyncKernelsRevision: 2 }), undefined, plan({ a: none }))).toThrow(/are revision 1, this dync's are revision 2/);
    // off on both sides (DYNC_SIMD_KERNELS=0): nothing to compare
    expect(() => checkResumeBackend("d", written(onWasm({ dyncKernels: false, dyncKernelsRevision: undefined })), onWasm({ dyncKernels: false, dyncKernelsRevision: undefined }), undefined, plan({ a: none }))).not.toThrow();
  });
});

describe("the tfjs R-operator's revision, on hand-made manifests", () => {
  const rop = (ropRevision?: number) => ({ hvp: { path: "rop", reason: "the native matrix products are off", ...(ropRevision === undefined ? {} : { ropRevision }) } });
  const runs = plan({ a: denseMlp, b: denseMlp });

  it("a kept run whose products took the rop path needs the same revision (absent: 1), and the refusal names it", () => {
    const kept = [{ run: "a", hvp: { rop: 24 } }];
    const error = refusal(() => checkResumeBackend("d", written(onCpu(rop(1)), kept), onCpu(rop(2)), undefined, runs));
    expect(error?.code).toBe("RUN031");
    expect(error?.message).toBe("cannot resume d: run a computed its Hessian-vector products with the tfjs R-operator of revision 1, this dync's is revision 2; their float32 sums differ");
    expect(error?.hint).toBe("finish it with the dync that wrote it, or start a new run with --out");
    expect(() => checkResumeBackend("d", written(onCpu(rop(2)), kept), onCpu(rop(2)), undefined, runs)).not.toThrow();
    // a directory written before the revision was recorded: revision 1
    expect(() => checkResumeBackend("d", written(onCpu(rop()), kept), onCpu(rop(1)), undefined, runs)).not.toThrow();
    expect(() => checkResumeBackend("d", written(onCpu(rop()), kept), onCpu(rop(2)), undefined, runs)).toThrow(/run a computed its Hessian-vector products with the tfjs R-operator of revision 1, this dync's is revision 2/);
    // without the plan (the other checks' callers) the kept runs' records still count
    expect(() => checkResumeBackend("d", written(onCpu(rop(1)), kept), onCpu(rop(2)))).toThrow(/run a computed/);
  });

  it("a run continuing from a checkpoint whose counts include rop products is judged the same way, also where they start late", () => {
    const continuing = (counts: Record<string, number>, from?: number) => ({ ...runs, continuing: new Map([["b", { counts, ...(from === undefined ? {} : { from }) }]]) });
    expect(() => checkResumeBackend("d", written(onCpu(rop(1))), onCpu(rop(2)), undefined, continuing({ rop: 8 }))).toThrow(/^cannot resume d: run b computed its Hessian-vector products with the tfjs R-operator of revision 1/);
    expect(() => checkResumeBackend("d", written(onCpu(rop(1))), onCpu(rop(2)), undefined, continuing({ rop: 8 }, 20))).toThrow(/run b computed/);
    expect(() => checkResumeBackend("d", written(onCpu(rop(2))), onCpu(rop(2)), undefined, continuing({ rop: 8 }))).not.toThrow();
  });

  it("runs without rop counts resume under any revision: no curvature, none computed yet, the tape or differences", () => {
    const dir = (records: { run: string; hvp?: Record<string, number> }[]) => written(onCpu(rop(1)), records);
    expect(() => checkResumeBackend("d", dir([{ run: "a" }]), onCpu(rop(2)), undefined, plan({ a: none, b: none }))).not.toThrow();
    expect(() => checkResumeBackend("d", dir([{ run: "a", hvp: {} }, { run: "b", hvp: { rop: 0 } }]), onCpu(rop(2)), undefined, runs)).not.toThrow();
    expect(() => checkResumeBackend("d", dir([{ run: "a", hvp: { taped: 24 } }]), onCpu(rop(2)), undefined, plan({ a: cnn }))).not.toThrow();
    expect(() => checkResumeBackend("d", dir([{ run: "a", hvp: { difference: 24 } }]), onCpu(rop(2)), undefined, plan({ a: { paths: ["difference"] } }))).not.toThrow();
  });

  it("where this process does not offer rop, the path rules refuse a run that took it, not the revision", () => {
    const taped = onCpu({ hvp: { path: "taped", reason: "…; the tfjs R-operator switched off by DYNC_ROP_HVP=0" } });
    const error = refusal(() => checkResumeBackend("d", written(onCpu(rop(1)), [{ run: "a", hvp: { rop: 24 } }]), taped, undefined, plan({ a: { paths: ["taped"], rOperator: true } })));
    expect(error?.message).toBe("cannot resume d: run a computed its Hessian-vector products on the rop path, this process would compute them on the taped path; their float32 sums differ");
  });
});

// ── real run directories ─────────────────────────────────────────────────────────────────────────────────

const ROOT = resolve(import.meta.dirname, "../..");
const CLI = join(ROOT, "dist", "cli", "bin.js");
const scratch = mkdtempSync(join(ROOT, "test", ".hvp-resume-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const program = (name: string, model: string, probe: string) => `experiment ${name} {
  sweep lr in [0.05, 0.02]
  seeds 2
  data train { x ~ uniform(-1, 1) [24]; y = x^2 }
  model net = ${model}
  loss half_mse
  optimizer sgd(lr: lr)
  train 12 steps, batch full
  probe tl = train_loss() every 4 steps
  ${probe}
  checkpoint every 4 steps
}
`;
const SOURCES: Record<string, string> = {
  plain: program("plain", "mlp(hidden: [6, 6], act: tanh)", ""),
  sharp: program("sharp", "mlp(hidden: [6, 6], act: tanh)", "probe s = sharpness(net, train, iters: 6, tol: 0) every 4 steps"),
  bn: program("bn", "mlp(hidden: [6, 6], act: tanh, norm: batchnorm)", "probe s = sharpness(net, train, iters: 6, tol: 0) every 4 steps"),
};
const programs: Record<string, string> = {};

beforeAll(() => {
  for (const [name, source] of Object.entries(SOURCES)) {
    const dyn = join(scratch, `${name}.dyn`);
    writeFileSync(dyn, source);
    programs[name] = join(scratch, `${name}.mjs`);
    const compiled = spawnSync(process.execPath, [CLI, "compile", dyn, "-o", programs[name]!], { encoding: "utf8" });
    expect(compiled.status, compiled.stderr).toBe(0);
  }
}, 120_000);

type Env = Record<string, string>;

function run(name: string, out: string, backend: string, env: Env = {}): Manifest {
  const done = spawnSync(process.execPath, [programs[name]!, "--backend", backend, "--jobs", "1", "--quiet", "--out", out], { encoding: "utf8", env: { ...process.env, ...env } });
  expect(done.status, done.stderr).toBe(0);
  return manifestOf(out);
}

function resume(name: string, dir: string, env: Env = {}): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [programs[name]!, "--resume", dir, "--jobs", "1", "--quiet"], { encoding: "utf8", env: { ...process.env, ...env } });
}

function manifestOf(dir: string): Manifest {
  return JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as Manifest;
}

/** The directory as a kill in its last run leaves it, then as `older` rewrites its manifest (what an older dync wrote). */
function killedCopy(dir: string, to: string, older: (m: Manifest) => Manifest = (m) => m): string {
  cpSync(dir, to, { recursive: true });
  const m = manifestOf(to);
  writeFileSync(join(to, "manifest.json"), JSON.stringify(older({ ...m, status: "running", runs: m.runs.slice(0, -1) })));
  return to;
}

/** The checkpoints of `dir` as a dync wrote them before checkpoints carried the products' counts (`hvp`). */
function withoutCheckpointCounts(dir: string): string {
  const folder = join(dir, "checkpoints");
  for (const name of readdirSync(folder).filter((n) => n.endsWith(".ckpt"))) {
    const { hvp: _hvp, ...older } = readCheckpointFile(join(folder, name)) as Record<string, unknown>;
    writeCheckpointFile(join(folder, name), older);
  }
  return dir;
}

const withBackend = (m: Manifest, edit: (backend: Record<string, unknown>) => Record<string, unknown>): Manifest => ({ ...m, backend: edit({ ...m.backend }) as Manifest["backend"] });
const without = (key: string) => (backend: Record<string, unknown>) => Object.fromEntries(Object.entries(backend).filter(([k]) => k !== key));

describe("on real run directories", () => {
  it("a program without curvature probes written with both R-operators off resumes with them on (it never computes a product)", () => {
    const dir = join(scratch, "plain");
    const m = run("plain", dir, "wasm", { DYNC_NATIVE_HVP: "0", DYNC_ROP_HVP: "0" });
    expect(m.backend["hvp"]).toMatchObject({ path: "taped" });
    expect(m.runs.every((r) => r.hvp === undefined)).toBe(true);
    const resumed = resume("plain", killedCopy(dir, join(scratch, "plain-killed")));
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(manifestOf(join(scratch, "plain-killed")).status).toBe("ok");
  }, 60_000);

  it("the wasm path: batch-norm runs an older dync computed on the tape (backend.hvp rop) are refused, naming the run; as this dync wrote it, it resumes", () => {
    const dir = join(scratch, "bn");
    const m = run("bn", dir, "wasm", { DYNC_NATIVE: "0" });
    expect(m.backend["hvp"]).toMatchObject({ path: "rop" });
    expect(m.runs.map((r) => r.hvp)).toEqual([{ rop: 4 * 6 }, { rop: 4 * 6 }]);
    const older = killedCopy(dir, join(scratch, "bn-older"), (k) => ({ ...k, runs: k.runs.map((r) => ({ ...r, hvp: { taped: 4 * 6 } })) }));
    const refused = resume("bn", older, { DYNC_NATIVE: "0" });
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain(`error RUN031: cannot resume ${older}: run ${m.runs[0]!.run} computed its Hessian-vector products on the taped path, this process would compute them on the rop path; their float32 sums differ`);
    const resumed = resume("bn", killedCopy(dir, join(scratch, "bn-killed")), { DYNC_NATIVE: "0" });
    expect(resumed.status, resumed.stderr).toBe(0);
  }, 90_000);

  it("an old cpu directory without backend.hvp: resumed where its kept run recorded rop; refused where nothing says it did not take the tape", () => {
    const dir = join(scratch, "cpu");
    run("sharp", dir, "cpu");
    const recorded = resume("sharp", killedCopy(dir, join(scratch, "cpu-rop"), (k) => withBackend(k, without("hvp"))));
    expect(recorded.status, recorded.stderr).toBe(0);
    // Nothing recorded: neither the manifest's runs nor the checkpoint the last run continues from (its own record, else).
    const unrecorded = withoutCheckpointCounts(killedCopy(dir, join(scratch, "cpu-taped"), (k) => ({ ...withBackend(k, without("hvp")), runs: k.runs.map(({ hvp: _hvp, ...r }) => r) })));
    const refused = resume("sharp", unrecorded);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/error RUN031: .*its Hessian-vector products of dense MLPs ran on the taped path, this process uses the rop one \(run lr=0\.05 measures them\)/);
    expect(resume("sharp", unrecorded, { DYNC_ROP_HVP: "0" }).status).toBe(0);
  }, 90_000);

  it("the reorthogonalisation recorded as JS is refused on the native kernels, as wasm resumed; dync's wasm kernels of another revision are refused", () => {
    const dir = join(scratch, "reorth");
    const m = run("sharp", dir, "wasm");
    const path = (m.backend["reorth"] as { path: string }).path;
    expect(path).toBe(m.backend["matmul"] !== undefined && (m.backend["matmul"] as { path: string }).path === "native" ? "native" : "wasm");
    const asJs = resume("sharp", killedCopy(dir, join(scratch, "reorth-js"), (k) => withBackend(k, (b) => ({ ...b, reorth: { path: "js" } }))));
    expect(asJs.status).toBe(2);
    expect(asJs.stderr).toMatch(new RegExp(`its Lanczos reorthogonalisation ran on the js kernels, this process has the ${path} ones \\(run lr=0\\.05 runs Lanczos or power iteration\\)`));
    const other = path === "native" ? "wasm" : "native";
    expect(resume("sharp", killedCopy(dir, join(scratch, "reorth-other"), (k) => withBackend(k, (b) => ({ ...b, reorth: { path: other } })))).status).toBe(0);
    const revision = resume("sharp", killedCopy(dir, join(scratch, "revision"), (k) => withBackend(k, (b) => ({ ...b, dyncKernelsRevision: 0 }))));
    expect(revision.status).toBe(2);
    expect(revision.stderr).toMatch(/its wasm kernels \(dync's SIMD and reorthogonalisation modules\) are revision 0, this dync's are revision 1/);
    expect(resume("sharp", killedCopy(dir, join(scratch, "revision-absent"), (k) => withBackend(k, without("dyncKernelsRevision")))).status).toBe(0);
  }, 120_000);

  it("cpu (the tfjs R-operator): its revision is recorded; another revision is refused for the runs that took rop, an absent one is 1; a program without curvature resumes", () => {
    const dir = join(scratch, "rop-revision");
    const m = run("sharp", dir, "cpu");
    expect(m.backend["hvp"]).toEqual({ path: "rop", reason: expect.any(String), ropRevision: ROP_HVP_REVISION });
    expect(m.runs[0]!.hvp).toEqual({ rop: 4 * 6 });
    const revision = (ropRevision: number | undefined) => (k: Manifest) => withBackend(k, (b) => ({ ...b, hvp: { ...(b["hvp"] as object), ropRevision } }));
    const other = killedCopy(dir, join(scratch, "rop-other"), revision(ROP_HVP_REVISION + 1));
    const refused = resume("sharp", other);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain(`error RUN031: cannot resume ${other}: run lr=0.05 computed its Hessian-vector products with the tfjs R-operator of revision ${ROP_HVP_REVISION + 1}, this dync's is revision ${ROP_HVP_REVISION}; their float32 sums differ`);
    const absent = resume("sharp", killedCopy(dir, join(scratch, "rop-absent"), revision(undefined)));
    expect(absent.status, absent.stderr).toBe(ROP_HVP_REVISION === 1 ? 0 : 2);
    const same = resume("sharp", killedCopy(dir, join(scratch, "rop-same")));
    expect(same.status, same.stderr).toBe(0);
    expect(manifestOf(join(scratch, "rop-same")).status).toBe("ok");
    // no product anywhere: nothing to mix
    const plain = join(scratch, "rop-plain");
    run("plain", plain, "cpu");
    const resumed = resume("plain", killedCopy(plain, join(scratch, "rop-plain-other"), revision(ROP_HVP_REVISION + 1)));
    expect(resumed.status, resumed.stderr).toBe(0);
  }, 120_000);
});
