import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { generatedDocs } from "../tools/generated-docs.js";

describe("generated docs", () => {
  for (const [path, render] of Object.entries(generatedDocs)) {
    it(`${path} is up to date (run \`npm run docs\` after changing its source)`, () => {
      expect(readFileSync(path, "utf8")).toBe(render());
    });
  }
});
