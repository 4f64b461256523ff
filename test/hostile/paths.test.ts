/**
 * Names from a `.dyn` file never write outside the run directory the user named with `--out`: sweep
 * values with `/`, `..`, absolute paths, NUL, Windows device names and 400 characters, a probe named `nul`
 * and one of 300 characters, an experiment called `CON` and plot titles that look like paths all land in
 * one segment each under `--out` (tensors/<probe>/<run>/…, plots/NN-slug.*), and `dync report` rebuilding
 * the report writes there too. Data paths are only read: a `dir:` that does not exist is RUN010 naming the
 * path as written (relative to the working directory) and creates nothing.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, relative, resolve, sep } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { compileFile } from "../../compiler/compile.js";
import type { ExperimentProgram } from "../../contract/program.js";
import { freshRunDirectory, pathSegment } from "../../runtime/record/index.js";

const root = resolve(import.meta.dirname, "../..");
const scratch = mkdtempSync(join(tmpdir(), "dync-hostile-paths-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** An absolute path no run may create (it sits beside the scratch directory, not in it). */
const ABSOLUTE = `${scratch}-escaped`;
const SWEEP_VALUES = ["../../escape", "../escape", ABSOLUTE, "a\\\\b:c*?|<>", "nul", "CON.txt", "...", ".", "", "x\\u{0}y", "trailing.", "L".repeat(400)];
const LONG_PROBE = "p".repeat(300);

const SOURCE = `experiment CON {
  sweep tag in [${SWEEP_VALUES.map((v) => `"${v}"`).join(", ")}]
  seeds 1
  data train { x ~ uniform(-1, 1) [16]; y = x^2 }
  model net = mlp(hidden: [3], act: tanh)
  loss mse
  optimizer adam(lr: 1e-2)
  train 2 steps, batch full
  probe nul = cosine_similarity(net) every 2 steps
  probe ${LONG_PROBE} = cosine_similarity(net) every 2 steps
  probe l = loss(net, train) every 2 steps
  plot line(l, color: tag, title: "../../plot-escape")
  plot heatmap(nul, title: "${ABSOLUTE}/plot")
}
`;

async function compiled(source: string, tag: string): Promise<ExperimentProgram> {
  const file = join(scratch, `${tag}.dyn`);
  writeFileSync(file, source);
  const result = await compileFile(file, { runtimeImport: pathToFileURL(join(root, "runner", "index.ts")).href });
  if (!result.ok) throw new Error(result.diagnostics.map((d) => d.message).join("\n"));
  const modulePath = join(scratch, `${tag}.mjs`);
  writeFileSync(modulePath, result.js);
  const { experiments } = (await import(pathToFileURL(modulePath).href)) as { experiments: readonly ExperimentProgram[] };
  return experiments[0]!;
}

/** Every file and directory under `dir`, as paths relative to it. */
function tree(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { recursive: true, encoding: "utf8" })) out.push(entry);
  return out.sort();
}

describe("hostile names stay inside --out", () => {
  it("pathSegment keeps safe names and turns every other name into one distinct, bounded segment", () => {
    for (const safe of ["lr=0.1", "width=64,lr=1e-3", "per_sample_loss", "act=tanh", "run", "seed-3.x"]) expect(pathSegment(safe)).toBe(safe);
    const hostile = ["", ".", "..", "../x", "/etc/passwd", "a/b", "a\\b", "C:\\x", "a\u0000b", "CON", "con.txt", "Lpt1", "AUX.tar.gz", "nul", "com7", "x.", "é", " ", "~", "L".repeat(1000)];
    const segments = hostile.map(pathSegment);
    for (const [i, s] of segments.entries()) {
      expect(s, JSON.stringify(hostile[i])).toMatch(/^[A-Za-z0-9._=,+~-]+$/);
      expect(s.length).toBeLessThanOrEqual(109);
      expect(s.startsWith(".")).toBe(false);
      expect(s.endsWith(".")).toBe(false);
      expect(/^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$/i.test(s)).toBe(false);
      expect(basename(join("/base", s))).toBe(s);
    }
    // Distinct names, distinct segments, also where cleaning alone would merge them (`a/b` and `a_b`).
    const all = [...hostile, "a_b", "a_b~00000000", "L".repeat(1001)];
    expect(new Set(all.map(pathSegment)).size).toBe(all.length);
    expect(freshRunDirectory("runs", "../../up", new Date(2025, 0, 2, 3, 4, 5))).toBe(join("runs", pathSegment("../../up"), "2025-01-02_03-04-05"));
  });

  it("a run and its rebuilt report write only under --out, one directory per run and probe", async () => {
    const program = await compiled(SOURCE, "hostile");
    const sandbox = join(scratch, "sandbox");
    mkdirSync(sandbox);
    const out = join(sandbox, "a", "b", "out");
    const { runMain } = await import("../../runner/index.js");
    expect(await runMain(program, ["--backend", "cpu", "--out", out, "--quiet", "--jobs", "1"])).toBe(0);

    // Nothing beside the run directory: the sandbox holds only a/b/out and what is inside it.
    expect(tree(sandbox).filter((p) => !p.startsWith(join("a", "b", "out")))).toEqual(["a", join("a", "b")]);
    expect(existsSync(ABSOLUTE)).toBe(false);

    // One tensor directory per (probe, run): no two runs share a directory, every segment is bounded.
    const tensors = join(out, "tensors");
    expect(readdirSync(tensors).sort()).toEqual([pathSegment("nul"), pathSegment(LONG_PROBE)].sort());
    for (const probe of readdirSync(tensors)) {
      expect(readdirSync(join(tensors, probe)).length, probe).toBe(SWEEP_VALUES.length);
      for (const run of readdirSync(join(tensors, probe))) expect(run.length).toBeLessThanOrEqual(109);
    }
    // Every npy_file in the metrics names a file inside the run directory.
    const files = readFileSync(join(out, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => (JSON.parse(l) as { npy_file: string | null }).npy_file).filter((f): f is string => f !== null);
    expect(files.length).toBe(2 * SWEEP_VALUES.length * 2);
    for (const f of files) {
      const path = resolve(out, f);
      expect(relative(out, path).startsWith(`..${sep}`), f).toBe(false);
      expect(statSync(path).isFile(), f).toBe(true);
    }
    // The report rebuilt from the files writes into the same directory (plots named by a slug of the title).
    const before = tree(sandbox);
    const { reportCommand } = await import("../../cli/commands/report.js");
    const written: string[] = [];
    expect(await reportCommand(out, { format: "text", color: false, write: (t: string) => written.push(t) } as never, (t) => written.push(t))).toBe(0);
    expect(tree(sandbox)).toEqual(before);
    // plots/.drawn.json is the report's record of what it drew (report/report.ts)
    expect(readdirSync(join(out, "plots")).filter((n) => n !== ".drawn.json").sort()).toEqual(["01-plot-escape.png", "01-plot-escape.svg", "02-tmp-plot.png", "02-tmp-plot.svg"].map((n) => n.replace("02-tmp-plot", `02-${plotSlug(`${ABSOLUTE}/plot`)}`)).sort());
    expect(existsSync(ABSOLUTE)).toBe(false);
  }, 120_000);

  it("an --out holding NUL is RUN030, not a crash", async () => {
    const program = await compiled(SOURCE.replace(/sweep tag in \[.*\]/, 'sweep tag in ["a"]'), "nul-out");
    const { runMain } = await import("../../runner/index.js");
    const errors: string[] = [];
    const stream = { write: (t: string) => (errors.push(t), true), isTTY: false };
    const code = await runMain(program, ["--backend", "cpu", "--out", join(scratch, "x\u0000y"), "--quiet", "--jobs", "1"], { stdout: stream, stderr: stream } as never);
    expect(code).toBe(2);
    expect(errors.join("")).toMatch(/RUN030/);
  });

  it("a data dir: is only read: a missing one is RUN010 naming it as written, and nothing is created", async () => {
    const program = await compiled(`experiment m {
  data train = mnist(dir: "../../dync-no-such-data", limit: 10)
  model net = mlp(hidden: [3], act: relu)
  loss cross_entropy
  optimizer adam(lr: 1e-2)
  train 2 steps, batch full
  probe l = loss(net, train) every 1 steps
}
`, "data-dir");
    const { runMain } = await import("../../runner/index.js");
    const errors: string[] = [];
    const stream = { write: (t: string) => (errors.push(t), true), isTTY: false };
    const out = join(scratch, "data-out");
    expect(await runMain(program, ["--backend", "cpu", "--out", out, "--jobs", "1"], { stdout: stream, stderr: stream } as never)).toBe(2); // an input error
    expect(errors.join("")).toContain("RUN010: data directory ../../dync-no-such-data does not exist");
    expect(existsSync(resolve("../../dync-no-such-data"))).toBe(false);
  });
});

/** The slug report/report.ts gives a plot title (lower-case letters and digits, dashes between). */
function plotSlug(title: string): string {
  return title.toLowerCase().replace(/[^a-z0-9]+/g, "-").slice(0, 48).replace(/^-+|-+$/g, "");
}
