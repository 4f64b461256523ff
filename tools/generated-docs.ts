/** Every generated file (reference docs, the editor grammar), with the function that renders it. */
import { renderTextMateGrammar } from "../editor/textmate.js";
import { renderDiagnosticsDoc } from "../compiler/docs/diagnostics-doc.js";
import { renderStdlibDoc } from "../compiler/docs/stdlib-doc.js";
import { renderRuntimeErrorsDoc } from "../runtime/errors-doc.js";
import { renderLookaheadPaths } from "../grammar/lookahead-render.js";

export const generatedDocs: Record<string, () => string> = {
  "docs/diagnostics.md": renderDiagnosticsDoc,
  "docs/runtime-errors.md": renderRuntimeErrorsDoc,
  "docs/stdlib.md": renderStdlibDoc,
  "editor/vscode/syntaxes/dyn.tmLanguage.json": renderTextMateGrammar,
  "grammar/lookahead-paths.ts": renderLookaheadPaths,
};
