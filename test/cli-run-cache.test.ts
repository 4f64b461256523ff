/**
 * The program cache of `dync run` (cli/program-cache.ts), through the built CLI in child processes: a
 * second run of the same file loads no ts-morph, prettier or TypeScript (seen by a module-resolution hook
 * and the CommonJS module cache of the child), trains the same numbers, and still checks the file; any
 * change to the source or to the command-line overrides is a new program; processes racing on an empty cache both run and leave one whole
 * file. Needs `npm run build` (dist/).
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { programCacheDir, programKey, storeProgram } from "../cli/program-cache.js";
import { writeModuleLogHook } from "./module-log.js";

const root = join(import.meta.dirname, "..");
const cli = join(root, "dist", "cli", "bin.js");
const TINY = `experiment tiny {
  data train { x ~ uniform(-1, 1) [8]; y = x }
  model net = mlp(hidden: [2], act: tanh)
  loss mse
  optimizer sgd(lr: 0.1)
  train 3 steps, batch full
  probe train_loss = loss(net, train) every 1 steps
}
`;
/** Modules of the code generator: none may load when the program comes from the cache. */
const GENERATOR = /\/node_modules\/(ts-morph|@ts-morph\/common|prettier|typescript)\//;

let scratch: string;
let cache: string;
let source: string;

/** `dync run FILE --jobs 1 --out DIR` with the test's cache; the modules it loaded, from the log. */
function run(file: string, out: string, extra: readonly string[] = []): { status: number | null; stdout: string; stderr: string; modules: string[] } {
  const log = join(scratch, `modules-${Date.now()}-${Math.random()}.log`);
  writeFileSync(log, "");
  const args = ["--import", join(scratch, "preload.mjs"), cli, "run", file, "--jobs", "1", "--out", out, ...extra];
  const r = spawnSync(process.execPath, args, { cwd: root, encoding: "utf8", env: { ...process.env, DYNC_CACHE_DIR: cache, MODULE_LOG: log } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, modules: readFileSync(log, "utf8").split("\n").filter(Boolean) };
}

const programs = () => readdirSync(join(cache, "programs"));

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), "dync-run-cache-"));
  cache = join(scratch, "cache");
  source = join(scratch, "tiny.dyn");
  writeFileSync(source, TINY);
  writeModuleLogHook(scratch);
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("dync run with the program cache", () => {
  let first: ReturnType<typeof run>;
  let second: ReturnType<typeof run>;
  beforeAll(() => {
    first = run(source, join(scratch, "first"));
    second = run(source, join(scratch, "second"));
  }, 120_000);

  it("a first run says it compiles, before anything else, and loads the code generator", () => {
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout.split("\n")[0]).toMatch(/^compiling .*tiny\.dyn \(the program is cached for the next runs\)$/);
    // The hook sees the generator: its absence below is not the hook failing to look.
    expect(first.modules.some((m) => GENERATOR.test(m))).toBe(true);
    expect(programs()).toHaveLength(1);
  });

  it("a second run loads no ts-morph, prettier or TypeScript and trains the same numbers", () => {
    expect(second.status, second.stderr).toBe(0);
    expect(second.stdout).not.toContain("compiling");
    expect(second.modules.filter((m) => GENERATOR.test(m))).toEqual([]);
    expect(second.modules.some((m) => m.includes("/dist/compiler/check/"))).toBe(true); // the file was checked
    const metrics = (dir: string) => readFileSync(join(scratch, dir, "metrics.csv"), "utf8");
    expect(metrics("second")).toBe(metrics("first"));
  });

  it("still checks the file: an error introduced since is reported, not hidden by the cache", () => {
    writeFileSync(source, TINY.replace("loss mse", "loss mse_typo"));
    const broken = run(source, join(scratch, "broken"));
    writeFileSync(source, TINY);
    expect(broken.status).toBe(2);
    expect(broken.stdout).toMatch(/error DYN\d{4}/);
    expect(broken.modules.filter((m) => GENERATOR.test(m))).toEqual([]);
  });

  it("a changed source is a new program", () => {
    writeFileSync(source, TINY.replace("lr: 0.1", "lr: 0.2"));
    const changed = run(source, join(scratch, "changed"));
    writeFileSync(source, TINY);
    expect(changed.status, changed.stderr).toBe(0);
    expect(changed.stdout).toContain("compiling");
    expect(programs()).toHaveLength(2);
  });

  it("command-line overrides are part of the key: a new program, then a hit for the same override", () => {
    const overridden = run(source, join(scratch, "override-1"), ["train=2"]);
    const again = run(source, join(scratch, "override-2"), ["train=2"]);
    expect(overridden.status, overridden.stderr).toBe(0);
    expect(overridden.stdout).toContain("compiling");
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).not.toContain("compiling");
    expect(again.modules.filter((m) => GENERATOR.test(m))).toEqual([]);
    expect(programs()).toHaveLength(3);
    const steps = (dir: string) => readFileSync(join(scratch, dir, "metrics.csv"), "utf8").trim().split("\n").length - 1;
    expect(steps("override-2")).toBe(steps("override-1"));
    expect(steps("override-2")).toBeLessThan(steps("first")); // the override took effect on the hit
  });
});

describe("the cache itself", () => {
  it("two processes racing on an empty cache both run and leave one whole program, no temporary file", async () => {
    const raceCache = join(scratch, "race-cache");
    const start = (i: number) =>
      new Promise<number | null>((resolve) => {
        const child = spawn(process.execPath, [cli, "run", source, "--jobs", "1", "--quiet", "--out", join(scratch, `race-${i}`)], { cwd: root, env: { ...process.env, DYNC_CACHE_DIR: raceCache }, stdio: "ignore" });
        child.on("exit", resolve);
      });
    expect(await Promise.all([start(1), start(2)])).toEqual([0, 0]);
    const files = readdirSync(join(raceCache, "programs"));
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^[0-9a-f]{32}\.mjs$/);
  }, 120_000);

  it("keys differ with every input and the location follows DYNC_CACHE_DIR, then XDG_CACHE_HOME", () => {
    const base = { source: "a", displayPath: "f.dyn", sourceDir: "/p", runtimeImport: "file:///r.js" };
    // sourceDir: the same relative path from another working directory is another file, with other data files
    const keys = new Set([base, { ...base, source: "b" }, { ...base, displayPath: "g.dyn" }, { ...base, sourceDir: "/q" }, { ...base, runtimeImport: "file:///s.js" }, { ...base, options: { args: ["width=16"] } }].map(programKey));
    expect(keys.size).toBe(6);
    expect(programKey(base)).toBe(programKey({ ...base }));
    expect(programCacheDir({ DYNC_CACHE_DIR: "/c", XDG_CACHE_HOME: "/x" })).toBe(join("/c", "programs"));
    expect(programCacheDir({ XDG_CACHE_HOME: "/x" })).toBe(join("/x", "dync", "programs"));
  });

  it("an unwritable cache directory stores nothing and says so by returning no path", () => {
    const notADirectory = join(scratch, "file");
    writeFileSync(notADirectory, "");
    expect(storeProgram(join(notADirectory, "programs"), "k", "export {};")).toBeUndefined();
    mkdirSync(join(scratch, "ok"));
    expect(storeProgram(join(scratch, "ok"), "k", "export {};")).toBe(join(scratch, "ok", "k.mjs"));
  });
});
