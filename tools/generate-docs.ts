/** `npm run docs`: regenerate every generated page under docs/. */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { packageInfo } from "../compiler/package-info.js";
import { generatedDocs } from "./generated-docs.js";

for (const [path, render] of Object.entries(generatedDocs)) {
  writeFileSync(join(packageInfo().root, path), render());
  console.log(`wrote ${path}`);
}
