/**
 * The V8 code cache of the Vega bundles (report/script-cache.ts, report/vega.ts): a process drawing a figure
 * leaves the bundles' compiled code in `<cache>/v8/`, the next one compiles from it, and the figure is byte for
 * byte the one drawn without it; a damaged cache file is refused by V8, ignored and written again; a script
 * whose text changed (even to one of the same length, which is all V8 itself checks) never gets the old code.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileCached } from "../../report/script-cache.js";

const root = join(import.meta.dirname, "..", "..");
const url = (file: string) => pathToFileURL(join(root, "dist", "report", file)).href;

// Draws one figure in a fresh process and prints how the cache served each bundle, then the SVG.
const DRAW = `
import { renderSvg } from ${JSON.stringify(url("plots.js"))};
import { vegaCodeCacheStates } from ${JSON.stringify(url("vega.js"))};
const spec = { data: { values: [{ x: 1, y: 2 }, { x: 2, y: 30 }, { x: 3, y: 5 }] }, mark: "line", encoding: { x: { field: "x", type: "quantitative" }, y: { field: "y", type: "quantitative", scale: { type: "log" } } } };
const svg = await renderSvg(spec);
process.stdout.write(JSON.stringify({ states: vegaCodeCacheStates(), svg }));
`;

let scratch: string;
let cacheDir: string;

function draw(): { states: string[]; svg: string } {
  const r = spawnSync(process.execPath, [join(scratch, "draw.mjs")], { encoding: "utf8", env: { ...process.env, DYNC_CACHE_DIR: cacheDir } });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as { states: string[]; svg: string };
}

const cacheFiles = (): string[] => readdirSync(join(cacheDir, "v8")).sort();

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), "dync-script-cache-"));
  cacheDir = join(scratch, "cache");
  writeFileSync(join(scratch, "draw.mjs"), DRAW);
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("the Vega bundles' code cache", () => {
  it("is written by the first process that draws, used by the next, and changes no byte of the figure", () => {
    const first = draw();
    expect(first.states).toEqual(["miss", "miss"]);
    expect(first.svg).toMatch(/^<svg[\s\S]*<\/svg>$/);
    const files = cacheFiles();
    expect(files.map((f) => f.replace(/-[0-9a-f]{32}\.bin$/, ""))).toEqual(["vega-lite.min.js", "vega.min.js"]);
    const second = draw();
    expect(second.states).toEqual(["hit", "hit"]);
    expect(second.svg).toBe(first.svg);
    expect(cacheFiles()).toEqual(files);
  }, 60_000);

  it("ignores a damaged cache file (V8 refuses it) and writes it again", () => {
    const vegaFile = join(cacheDir, "v8", cacheFiles().find((f) => f.startsWith("vega.min.js"))!);
    const good = statSync(vegaFile).size;
    writeFileSync(vegaFile, Buffer.alloc(good, 7));
    const refused = draw();
    expect(refused.states).toEqual(["rejected", "hit"]);
    const after = draw();
    expect(after.states).toEqual(["hit", "hit"]);
    expect(after.svg).toBe(refused.svg);
    expect(readFileSync(vegaFile).equals(Buffer.alloc(good, 7))).toBe(false);
  }, 60_000);
});

describe("compileCached", () => {
  it("never serves the code of a previous text of the script, even of the same length", () => {
    const dir = join(scratch, "unit");
    const script = join(scratch, "script.js");
    writeFileSync(script, "return a + 1;");
    const first = compileCached(script, ["a"], dir);
    expect(first.state).toBe("miss");
    expect(first.fn(1)).toBe(2);
    first.keep();
    expect(compileCached(script, ["a"], dir).state).toBe("hit");
    writeFileSync(script, "return a + 2;"); // same length
    const changed = compileCached(script, ["a"], dir);
    expect(changed.state).toBe("miss");
    expect(changed.fn(1)).toBe(3);
  });
});
