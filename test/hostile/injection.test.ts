/**
 * `.dyn` text cannot break out of generated code: strings, comments and the file path carrying quotes,
 * backticks, `${}`, `*\/`, newlines, U+2028/U+2029 and `</script>` come back unchanged from the compiled
 * module's data, and the module type-checks (nothing was cut short or injected).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, expect, it } from "vitest";
import { checkSource } from "../../compiler/check/index.js";
import { emitModule } from "../../compiler/emit/emit.js";
import { toJavaScript, typeCheck } from "../../compiler/emit/typescript.js";
import type { ExperimentProgram } from "../../contract/program.js";
import { program } from "./names.js";

const root = resolve(import.meta.dirname, "../..");
const scratch = mkdtempSync(join(tmpdir(), "dync-hostile-injection-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Each payload alone, in a `.dyn` string (escaped as `.dyn` requires) and in comments. */
const PAYLOADS = ["\\\"", "'", "`", "${process.exit(9)}", "*/ process.exit(9) /*", "</script><script>alert(1)</script>", "\u2028", "\u2029", "\\n", "\\\\", "-->", "<!--"];

it("strings, comments and the path come back unchanged, and the module type-checks", async () => {
  const title = PAYLOADS.join(" ");
  const comments = PAYLOADS.map((p) => `// ${p.replace(/\\n/g, "")}\n/* ${p.replace("*/", "* /")} */\n`).join("");
  const text = comments + program({}).replace("plot line(probe_plain, color: sweep_plain)", `plot line(probe_plain, color: sweep_plain, title: "${title}")`);
  const checked = checkSource(text, "inject.dyn");
  expect(checked.diagnostics.filter((d) => d.severity === "error").map((d) => d.message)).toEqual([]);
  const file = 'we"ird`${x}*/\u2028</script>.dyn';
  const checkedTs = await emitModule(checked.experiments, { file, source: text });
  expect(typeCheck(checkedTs).map((p) => p.message)).toEqual([]);
  const ts = await emitModule(checked.experiments, { file, source: text, runtimeImport: pathToFileURL(join(root, "runner", "index.ts")).href });
  const modulePath = join(scratch, "inject.mjs");
  writeFileSync(modulePath, toJavaScript(ts));
  const { experiments } = (await import(pathToFileURL(modulePath).href)) as { experiments: readonly ExperimentProgram[] };
  const exp = experiments[0]!;
  expect(exp.source).toBe(text);
  expect(exp.file).toBe(file);
  const plot = JSON.stringify(exp.profiles["default"]);
  // The `.dyn` escapes decoded once: `\"` is a quote, `\\` a backslash, `\n` a newline.
  const decoded = JSON.parse(`"${title.replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029")}"`) as string;
  expect(plot).toContain(JSON.stringify(decoded).slice(1, -1));
}, 60_000);
