/**
 * report.html end to end with hostile text everywhere a `.dyn` file can put it: the file name, a comment,
 * sweep values (legend labels, run ids, expect lines), plot titles and the strings of expects hold
 * `</script>`, `<img onerror>`, attribute-closing quotes, `<svg onload>`, `]]>`, `<!--`, `${}`, U+2028/U+2029
 * and NUL. The file is compiled, run with its `quick` profile on the cpu backend, and its report is opened
 * in headless Chromium (`--dump-dom`, the DOM as the browser parsed it): no script, image, frame or
 * event-handler attribute appears, the payloads are there as text, every plot is drawn, and the page logs
 * nothing (its Content-Security-Policy would log a blocked script). The raw file is checked the same way
 * where Chromium is absent.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { compileFile } from "../../compiler/compile.js";
import type { ExperimentProgram } from "../../contract/program.js";

const root = resolve(import.meta.dirname, "../..");
const scratch = mkdtempSync(join(tmpdir(), "dync-report-injection-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Payloads as `.dyn` string literals (escapes written the way a user would). */
const PAYLOADS = [
  "</script><script>alert(1)</script>",
  "<img src=x onerror=alert(2)>",
  '\\" onmouseover=\\"alert(3)',
  "' onfocus='alert(4)",
  "\\u{2028}\\u{2029}",
  "<!--",
  "]]><svg onload=alert(5)>",
  "${alert(6)}",
  "&lt;b&gt;",
  "a\\u{0}b",
];

const FILE_NAME = "x<img src=x onerror=alert(7)>.dyn";
const SOURCE = `// </script><script>alert(1)</script> <img src=x onerror=alert(2)> " onmouseover="alert(3)" ]]> <!-- \u2028
experiment inj {
  sweep tag in [${PAYLOADS.map((p) => `"${p}"`).join(", ")}]
  seeds 2
  data train { x ~ uniform(-1, 1) [16]; y = x^2 }
  model net = mlp(hidden: [3], act: tanh)
  loss mse
  optimizer adam(lr: 1e-2)
  train 20 steps, batch full
  probe l = loss(net, train) every 5 steps
  let fin = median(last(l)) over seeds
  expect fin[tag = "<img src=x onerror=alert(2)>"] < 100
  expect fin[tag = "</script><script>alert(1)</script>"] < 0
  plot line(l, color: tag, title: "</script><script>alert(1)</script><img src=x onerror=alert(2)>")
  plot scatter(fin, fin, color: tag, title: "<svg onload=alert(8)>\\u{2028}")
  profile quick { seeds 1; train 4 steps }
}
`;

/** Elements no report may contain (scripts, anything that loads or runs, SVG animation that sets attributes). */
const FORBIDDEN = ["script", "img", "iframe", "frame", "object", "embed", "foreignobject", "animate", "set", "base", "form", "input", "button", "audio", "video", "source"];

async function runQuick(): Promise<string> {
  const file = join(scratch, FILE_NAME);
  writeFileSync(file, SOURCE);
  const result = await compileFile(file, { runtimeImport: pathToFileURL(join(root, "runner", "index.ts")).href });
  if (!result.ok) throw new Error(result.diagnostics.map((d) => d.message).join("\n"));
  const modulePath = join(scratch, "inj.mjs");
  writeFileSync(modulePath, result.js);
  const { experiments } = (await import(pathToFileURL(modulePath).href)) as { experiments: readonly ExperimentProgram[] };
  const { runMain } = await import("../../runner/index.js");
  const out = join(scratch, "out");
  // Exit 1: the second expect fails on purpose, so the failure's line (with a payload) is in the report.
  expect(await runMain(experiments[0]!, ["--backend", "cpu", "--profile", "quick", "--out", out, "--quiet", "--jobs", "1"])).toBe(1);
  return join(out, "report.html");
}

/** Tag names and attribute names of every element in serialised HTML where `<` in text and attributes is escaped. */
function elements(html: string): { tag: string; attributes: string[] }[] {
  const out: { tag: string; attributes: string[] }[] = [];
  for (const m of html.matchAll(/<([a-zA-Z][a-zA-Z0-9:-]*)((?:\s+[^\s=>]+(?:="[^"]*")?)*)\s*\/?>/g)) {
    out.push({ tag: m[1]!.toLowerCase(), attributes: [...m[2]!.matchAll(/\s+([^\s=>]+)(?:="[^"]*")?/g)].map((a) => a[1]!.toLowerCase()) });
  }
  return out;
}

function expectNoInjectedMarkup(html: string, where: string): void {
  const found = elements(html);
  expect(found.filter((e) => FORBIDDEN.includes(e.tag)).map((e) => e.tag), where).toEqual([]);
  expect(found.flatMap((e) => e.attributes.filter((a) => a.startsWith("on")).map((a) => `${e.tag} ${a}`)), where).toEqual([]);
  expect(html.match(/href="\s*javascript:/gi), where).toBeNull();
  // One SVG per plot, one style sheet, the three head metas (the policy among them): nothing added.
  expect(found.filter((e) => e.tag === "svg").length, where).toBe(2);
  expect(found.filter((e) => e.tag === "style").length, where).toBe(1);
  expect(found.filter((e) => e.tag === "meta").length, where).toBe(3);
}

function findChromium(): string | null {
  for (const name of ["chromium", "chromium-browser"]) {
    const found = spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" });
    if (found.status === 0 && found.stdout.trim()) return found.stdout.trim();
  }
  return null;
}

describe("report.html with hostile names, titles, strings and sweep values", () => {
  let reportPath = "";

  it("the run draws every plot and the raw HTML holds no injected element", async () => {
    reportPath = await runQuick();
    const html = readFileSync(reportPath, "utf8");
    expect(html).not.toContain("could not be drawn");
    expect(html).toContain('content="default-src \'none\'; style-src \'unsafe-inline\'; img-src data:"');
    expectNoInjectedMarkup(html, "report.html as written");
    // The payloads are shown, escaped: in the source listing, the expects and the legend labels.
    expect(html).toContain("&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(html).toContain("&lt;img src=x onerror=alert(2)&gt;");
    expect(html).toContain("x&lt;img src=x onerror=alert(7)&gt;.dyn");
  }, 120_000);

  const chromium = findChromium();
  it.skipIf(chromium === null)("as Chromium parses it: no script, image or handler, and no console message", () => {
    expect(reportPath).not.toBe("");
    const run = spawnSync(
      chromium!,
      [
        "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", `--user-data-dir=${join(scratch, "profile")}`,
        "--enable-logging=stderr", "--v=0", "--dump-dom", pathToFileURL(reportPath).href,
      ],
      { encoding: "utf8", timeout: 90_000, maxBuffer: 64 * 1024 * 1024 },
    );
    expect(run.error).toBeUndefined();
    const dom = run.stdout;
    expect(dom).toContain("</html>");
    expectNoInjectedMarkup(dom, "the DOM Chromium built");
    expect(dom).toContain("&lt;img src=x onerror=alert(2)&gt;");
    expect(run.stderr.split("\n").filter((l) => /:CONSOLE[:(]/.test(l))).toEqual([]);
  }, 120_000);
});
