/** The language server's public surface. */
export { startLanguageServer, DEFAULT_DEBOUNCE_MS, TRIGGER_CHARACTERS } from "./server.js";
export { DocumentState, pathOfUri } from "./document.js";
export { completionsAt } from "./completion.js";
export { hoverAt, definitionOf } from "./navigation.js";
export { documentSymbols } from "./symbols.js";
export { formattingEdits } from "./formatting.js";
export { toLspDiagnostic, rangeOfSpan, diagnosticsForFile } from "./convert.js";
