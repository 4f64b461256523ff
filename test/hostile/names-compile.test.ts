/**
 * No legal `.dyn` name can break or change generated code: every JavaScript-significant name in every
 * naming position compiles to a module that type-checks, and a few of the nastiest train on the cpu
 * backend to exactly the metrics of the same program with plain names (`x * Infinity` with an input
 * named `Infinity` computed `x * x`; `__proto__` as an object key set a prototype instead).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { checkSource } from "../../compiler/check/index.js";
import { compileTimeConstants } from "../../compiler/check/evaluate.js";
import { compileFile } from "../../compiler/compile.js";
import { emitModule } from "../../compiler/emit/emit.js";
import { typeCheck } from "../../compiler/emit/typescript.js";
import type { ExperimentProgram } from "../../contract/program.js";
import { DYN_RESERVED, HOSTILE_NAMES, POSITIONS, PROTOTYPE, program, withSweeps, type Position } from "./names.js";

const root = resolve(import.meta.dirname, "../..");
const scratch = mkdtempSync(join(tmpdir(), "dync-hostile-names-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Names legal in `position` (the checker test covers the ones that are refused there). */
function legal(position: Position): string[] {
  return HOSTILE_NAMES.filter((n) => !DYN_RESERVED.has(n) && !(position === "profile" && n === "default") && !((position === "data" || position === "model") && compileTimeConstants.includes(n)));
}

describe("hostile names in generated code", () => {
  it("every name in every position (rotated through one file): the module type-checks", async () => {
    // Experiment i gives position k the name i + k: each name meets each position once, in as many
    // experiments as there are names (emitting is the slow part, so not one experiment per pair).
    const sources = HOSTILE_NAMES.map((_, i) =>
      program({ exp: `exp_${i}`, ...Object.fromEntries(POSITIONS.map((p, k) => [p, HOSTILE_NAMES[(i + k) % HOSTILE_NAMES.length]!]).filter(([p, n]) => legal(p as Position).includes(n!))) }),
    );
    const text = sources.join("\n");
    const checked = checkSource(text, "names.dyn");
    expect(checked.diagnostics.filter((d) => d.severity === "error").map((d) => d.message)).toEqual([]);
    const ts = await emitModule(checked.experiments, { file: "names.dyn", source: "" });
    const problems = typeCheck(ts).map((p) => `line ${p.line}: ${p.message} (${ts.split("\n")[p.line - 1]?.trim()})`);
    expect(problems).toEqual([]);
  }, 300_000);

  /** metrics.csv of `source`'s default profile on the cpu backend, values only (names differ). */
  async function metrics(source: string, tag: string): Promise<string[]> {
    return (await run(source, tag)).values;
  }

  /** Runs `source`'s first experiment (default profile, cpu): metric values and the report's HTML. */
  async function run(source: string, tag: string): Promise<{ values: string[]; report: string }> {
    const file = join(scratch, `${tag}.dyn`);
    writeFileSync(file, source);
    const result = await compileFile(file, { runtimeImport: pathToFileURL(join(root, "runner", "index.ts")).href });
    if (!result.ok) throw new Error(result.diagnostics.map((d) => d.message).join("\n"));
    const modulePath = join(scratch, `${tag}.mjs`);
    writeFileSync(modulePath, result.js);
    const { experiments } = (await import(pathToFileURL(modulePath).href)) as { experiments: readonly ExperimentProgram[] };
    const { runMain } = await import("../../runner/index.js");
    const out = join(scratch, `${tag}-run`);
    expect(await runMain(experiments[0]!, ["--backend", "cpu", "--out", out, "--quiet", "--jobs", "1"])).toBe(0);
    // JSONL, not CSV: a run id with several sweep variables holds commas.
    const rows = readFileSync(join(out, "metrics.jsonl"), "utf8").trim().split("\n");
    const values = rows.map((r) => String((JSON.parse(r) as { value: number | null }).value));
    return { values, report: readFileSync(join(out, "report.html"), "utf8") };
  }

  it("the nastiest names train to the same metrics as plain names", async () => {
    const plain = await metrics(program({}), "plain");
    expect(plain.length).toBeGreaterThan(0);
    // Names of one namespace (sweep variables, inputs, probes, lets, data, models) go in separate programs.
    const cases: [string, Position[]][] = [
      ["__proto__", ["exp", "profile"]],
      ["__proto__", ["sweep"]],
      ["constructor", ["sweep"]],
      ["__proto__", ["input"]],
      ["__proto__", ["data"]],
      ["__proto__", ["model"]],
      ["__proto__", ["probe"]],
      ["Infinity", ["input"]],
    ];
    for (const [k, [name, group]] of cases.entries()) {
      const source = program(Object.fromEntries(group.map((p) => [p, name])));
      expect(await metrics(source, `case-${k}`), `${name} as ${group.join(", ")}`).toEqual(plain);
    }
  }, 180_000);

  it("every Object.prototype name as the swept variable, beside every other legal name as a sweep, runs end to end", async () => {
    // Analyses key result rows by sweep variable: Object.assign dropped a `__proto__` key (RUN050 "ambiguous"),
    // and Vega failed plots whose legend is titled `valueOf` or `constructor`. Each run carries every legal
    // hostile name as a one-valued sweep, so every name passes through run ids, keys, joins and plots.
    const plain = await metrics(program({}), "sweep-plain");
    const others = legal("sweep");
    for (const name of PROTOTYPE) {
      const source = withSweeps(program({ sweep: name }), others.filter((n) => n !== name));
      const { values, report } = await run(source, `sweep-${name}`);
      expect(values, name).toEqual(plain);
      expect(report, name).not.toContain("could not be drawn");
      expect(report, name).toContain(`let_plain[${name}=5]`);
    }
  }, 240_000);
});
