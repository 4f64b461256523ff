/**
 * The plan template in generated programs gives exactly the runs the checker resolved: for every example
 * and every valid fixture, each profile of the emitted module (evaluated as JavaScript), expanded by the
 * runtime's `expandPlan`, deep-equals the checker's own per-point runs and seeds. The checker resolves
 * each sweep point on its own, independently of the template, so a wrong base, axis order or patch shows.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkSource } from "../../compiler/check/index.js";
import { emitModule } from "../../compiler/emit/emit.js";
import { toJavaScript } from "../../compiler/emit/typescript.js";
import { expandPlan } from "../../contract/plan.js";
import type { ExperimentProgram } from "../../contract/program.js";
import { ROOT } from "./paths.js";

const DIRS = ["examples", "test/fixtures/semantic/valid", "test/fixtures/valid"];
const FILES = DIRS.flatMap((d) => readdirSync(join(ROOT, d)).filter((f) => f.endsWith(".dyn")).sort().map((f) => `${d}/${f}`));

let dir: string;
let cwd: string;
beforeAll(() => {
  cwd = process.cwd();
  process.chdir(ROOT); // imports and display paths resolve from the repository root, as for `dync compile`
  dir = mkdtempSync(join(tmpdir(), "dync-plan-template-"));
  writeFileSync(join(dir, "runtime-stub.mjs"), "export async function runMain() { return 0; }\nexport const pointwise = (f) => f;\nexport const targetMath = {};\n");
});
afterAll(() => {
  process.chdir(cwd);
  rmSync(dir, { recursive: true, force: true });
});

/** The experiments of the module generated from `file`, imported with the runtime stubbed out. */
async function generated(file: string, source: string, checked: ReturnType<typeof checkSource>): Promise<readonly ExperimentProgram[]> {
  const js = toJavaScript(await emitModule(checked.experiments, { file, source }));
  const path = join(dir, `${file.replaceAll("/", "__")}.mjs`);
  writeFileSync(path, js.replace(`from "dync/runtime"`, `from "./runtime-stub.mjs"`));
  return ((await import(pathToFileURL(path).href)) as { experiments: ExperimentProgram[] }).experiments;
}

describe("expanding the emitted template gives the checker's runs", () => {
  it("covers every example and every semantically valid fixture", () => {
    const clean = FILES.filter((f) => !checkSource(readFileSync(join(ROOT, f), "utf8"), f).diagnostics.some((d) => d.severity === "error"));
    expect(clean.filter((f) => !f.startsWith("test/fixtures/valid/"))).toEqual(FILES.filter((f) => !f.startsWith("test/fixtures/valid/")));
  });

  for (const file of FILES) {
    it(file, async () => {
      const source = readFileSync(join(ROOT, file), "utf8");
      const checked = checkSource(source, file);
      // test/fixtures/valid holds syntactically valid files, some with semantic errors: nothing to emit.
      if (checked.diagnostics.some((d) => d.severity === "error")) return;
      const programs = await generated(file, source, checked);
      expect(programs.map((p) => p.name)).toEqual(checked.experiments.map((e) => e.name));
      checked.experiments.forEach((exp, i) => {
        const program = programs[i]!;
        expect(Object.keys(program.profiles)).toEqual(Object.keys(exp.profiles));
        for (const [name, plan] of Object.entries(exp.profiles)) {
          const expanded = expandPlan(program.profiles[name]!);
          expect(expanded.seeds, `${exp.name}/${name} seeds`).toEqual(plan.seeds);
          expect(expanded.runs, `${exp.name}/${name} runs`).toEqual(plan.runs);
          expect(expanded.runs.map((r) => r.id)).toEqual(plan.runs.map((r) => r.id));
          expect({ analyses: expanded.analyses, expects: expanded.expects, plots: expanded.plots }).toEqual({ analyses: plan.analyses, expects: plan.expects, plots: plan.plots });
        }
      });
    });
  }
});
