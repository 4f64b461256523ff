/** Every generated file (reference docs, the editor grammar), with the function that renders it. */
import { renderTextMateGrammar } from "../../grammar/textmate.js";
import { renderDiagnosticsDoc } from "./diagnostics-doc.js";
import { renderRuntimeErrorsDoc } from "./runtime-errors-doc.js";
import { renderStdlibDoc } from "./stdlib-doc.js";

export const generatedDocs: Record<string, () => string> = {
  "docs/diagnostics.md": renderDiagnosticsDoc,
  "docs/runtime-errors.md": renderRuntimeErrorsDoc,
  "docs/stdlib.md": renderStdlibDoc,
  "editor/vscode/syntaxes/dyn.tmLanguage.json": renderTextMateGrammar,
};
