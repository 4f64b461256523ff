/**
 * Every legal `.dyn` name checks like a plain one, whatever it means to JavaScript: the checker keys
 * its tables by user names, so `constructor`, `__proto__` or `toString` must not find an inherited
 * property (they crashed the checker, or gave a false "already defined").
 */
import { describe, expect, it } from "vitest";
import { checkSource } from "../../compiler/check/index.js";
import { compileTimeConstants } from "../../compiler/check/evaluate.js";
import { DYN_RESERVED, HOSTILE_NAMES, POSITIONS, program, type Position } from "./names.js";

const PLACEHOLDER = (p: Position) => `${p}_plain`;

/** The checked plans as JSON with the hostile name written back as the placeholder. */
function plans(text: string, position: Position, name: string): string {
  const { experiments } = checkSource(text, "names.dyn");
  const json = JSON.stringify(experiments.map((e) => ({ name: e.name, sweepVars: e.sweepVars, profiles: Object.entries(e.profiles) })));
  return json.replace(new RegExp(`(?<![A-Za-z0-9_])${name}(?![A-Za-z0-9_])`, "g"), PLACEHOLDER(position));
}

describe("hostile names in the checker", () => {
  const plain = checkSource(program({}), "names.dyn");
  it("the plain program checks clean", () => {
    expect(plain.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  });
  for (const position of POSITIONS) {
    it(`every JavaScript-significant name as the ${position}`, () => {
      const failures: string[] = [];
      for (const name of HOSTILE_NAMES) {
        const text = program({ [position]: name });
        let errors: string[];
        try {
          errors = checkSource(text, "names.dyn").diagnostics.filter((d) => d.severity === "error").map((d) => d.code);
        } catch (error) {
          failures.push(`${name}: threw ${(error as Error).message}`);
          continue;
        }
        // `.dyn`'s own reserved words are syntax errors; `default` is the implicit profile's name.
        if (DYN_RESERVED.has(name)) {
          if (!errors.some((c) => c.startsWith("DYN1"))) failures.push(`${name}: ${errors.join(",")}`);
          continue;
        }
        if (position === "profile" && name === "default") {
          if (!errors.includes("DYN2022")) failures.push(`${name}: expected DYN2022, got ${errors.join(",")}`);
          continue;
        }
        // A data set or model named like a built-in constant (`pi`) reads as that number where it is used.
        if ((position === "data" || position === "model") && compileTimeConstants.includes(name)) {
          if (errors.join() !== "DYN2004") failures.push(`${name}: expected DYN2004, got ${errors.join(",")}`);
          continue;
        }
        if (errors.length) failures.push(`${name}: ${errors.join(",")}`);
        else if (plans(text, position, name) !== plans(program({}), position, name)) failures.push(`${name}: a different plan`);
      }
      expect(failures).toEqual([]);
    });
  }
});
