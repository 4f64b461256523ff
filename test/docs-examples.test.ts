import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "../grammar/parse.js";

/** Every ```dyn block in docs/ and README.md parses without diagnostics: documentation cannot rot. */
const pages = ["README.md", ...readdirSync("docs").filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];

describe("dyn code blocks in the docs parse", () => {
  for (const page of pages) {
    const text = readFileSync(page, "utf8");
    const blocks = [...text.matchAll(/```dyn\n([^]*?)```/g)].map((m) => m[1]!);
    blocks.forEach((block, i) => {
      it(`${page} block ${i + 1}`, () => {
        const { diagnostics } = parse(block, `${page}#${i + 1}`);
        expect(diagnostics.map((d) => `${d.span.line}:${d.span.col} ${d.code} ${d.message}`)).toEqual([]);
      });
    });
  }
});

describe("the README's quickstart", () => {
  it("is examples/quickstart.dyn as it is (from `experiment` on: the file's header comment is the README's prose)", () => {
    const readme = readFileSync("README.md", "utf8");
    const shown = /```dyn\n(experiment quickstart \{[^]*?)```/.exec(readme)?.[1];
    const file = readFileSync("examples/quickstart.dyn", "utf8");
    expect(shown).toBe(file.slice(file.indexOf("experiment quickstart {")));
  });
});
