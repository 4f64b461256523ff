/** Writes editor/vscode/syntaxes/dyn.tmLanguage.json from the token table: `npx tsx editor/generate-grammar.ts`. */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { renderTextMateGrammar, TEXTMATE_GRAMMAR_PATH } from "./textmate.js";

const target = fileURLToPath(new URL(`../${TEXTMATE_GRAMMAR_PATH}`, import.meta.url));
writeFileSync(target, renderTextMateGrammar());
console.log(`wrote ${TEXTMATE_GRAMMAR_PATH}`);
