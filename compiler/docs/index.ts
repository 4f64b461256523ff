/** Every generated page under docs/, with the function that renders it. */
import { renderDiagnosticsDoc } from "./diagnostics-doc.js";
import { renderStdlibDoc } from "./stdlib-doc.js";

export const generatedDocs: Record<string, () => string> = {
  "docs/diagnostics.md": renderDiagnosticsDoc,
  "docs/stdlib.md": renderStdlibDoc,
};
