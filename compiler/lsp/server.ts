/**
 * The `.dyn` language server (`dync lsp`): diagnostics as you type (parser and checker, the same codes and
 * spans as `dync check`), completion, hover, go to definition, formatting and document symbols.
 * Every handler is guarded: an internal error is logged and answered with an empty result, so a
 * half-typed document never takes the server down.
 */
import {
  TextDocuments,
  TextDocumentSyncKind,
  type Connection,
  type InitializeResult,
  type Diagnostic as LspDiagnostic,
  type Position,
} from "vscode-languageserver";
import { TextDocument } from "vscode-languageserver-textdocument";
import { packageInfo } from "../package-info.js";
import { completionsAt } from "./completion.js";
import { diagnosticsForFile } from "./convert.js";
import { DiagnosticsRunner } from "./diagnostics-runner.js";
import { DocumentState } from "./document.js";
import { formattingEdits } from "./formatting.js";
import { definitionOf, hoverAt } from "./navigation.js";
import { documentSymbols } from "./symbols.js";

/** Diagnostics wait this long after the last keystroke (override with initializationOptions.debounceMs). */
export const DEFAULT_DEBOUNCE_MS = 150;

/** Characters after which an editor should ask for completion without a word typed. */
export const TRIGGER_CHARACTERS = [" ", ":", "(", ",", "~", "=", "["];

/** Wire the language features onto an LSP connection and start listening; `dispose` stops the diagnostics worker. */
export function startLanguageServer(connection: Connection): { dispose(): void } {
  const documents = new TextDocuments(TextDocument);
  const states = new Map<string, DocumentState>();
  const timers = new Map<string, NodeJS.Timeout>();
  let debounceMs = DEFAULT_DEBOUNCE_MS;

  /** The derived state of a document at its current version (recomputed lazily after each edit). */
  const stateOf = (uri: string): DocumentState | undefined => {
    const doc = documents.get(uri);
    if (!doc) return undefined;
    const cached = states.get(uri);
    if (cached && cached.version === doc.version) return cached;
    const state = new DocumentState(doc);
    states.set(uri, state);
    return state;
  };

  const guarded = <R>(what: string, fallback: R, run: () => R): R => {
    try {
      return run();
    } catch (error) {
      connection.console.error(`dync lsp: ${what} failed: ${(error as Error)?.stack ?? String(error)}`);
      return fallback;
    }
  };

  const publish = (uri: string, version: number, diagnostics: LspDiagnostic[]) => {
    // A stale answer (the document changed meanwhile) is dropped: the newer version's job is queued.
    if (documents.get(uri)?.version !== version) return;
    void connection.sendDiagnostics({ uri, version, diagnostics });
  };

  /** The checker failed (a bug): log it and show at least the syntax diagnostics, computed here. */
  const fallback = (job: { uri: string; version: number }, reason: string) => {
    connection.console.error(`dync lsp: diagnostics failed: ${reason}`);
    const state = stateOf(job.uri);
    if (!state || state.version !== job.version) return;
    publish(job.uri, job.version, guarded("parse diagnostics", [], () => diagnosticsForFile(state.path, state.parsed().diagnostics, [])));
  };

  const runner = new DiagnosticsRunner(
    (answer) => (answer.diagnostics ? publish(answer.uri, answer.version, answer.diagnostics) : fallback(answer, answer.error ?? "unknown error")),
    fallback,
  );

  const check = (uri: string) => {
    timers.delete(uri);
    const state = stateOf(uri);
    if (state) runner.submit({ uri, version: state.version, path: state.path, text: state.text });
  };

  const schedule = (uri: string) => {
    clearTimeout(timers.get(uri));
    timers.set(uri, setTimeout(() => check(uri), debounceMs));
  };

  const offsetOf = (uri: string, position: Position): [DocumentState, number] | undefined => {
    const state = stateOf(uri);
    return state ? [state, state.doc.offsetAt(position)] : undefined;
  };

  connection.onInitialize((params): InitializeResult => {
    const options = params.initializationOptions as { debounceMs?: unknown } | undefined;
    if (typeof options?.debounceMs === "number" && options.debounceMs >= 0) debounceMs = options.debounceMs;
    return {
      capabilities: {
        textDocumentSync: TextDocumentSyncKind.Incremental,
        completionProvider: { triggerCharacters: TRIGGER_CHARACTERS },
        hoverProvider: true,
        definitionProvider: true,
        documentFormattingProvider: true,
        documentSymbolProvider: true,
      },
      serverInfo: { name: "dync", version: packageInfo().version },
    };
  });

  documents.onDidChangeContent((e) => schedule(e.document.uri));
  documents.onDidClose((e) => {
    clearTimeout(timers.get(e.document.uri));
    timers.delete(e.document.uri);
    states.delete(e.document.uri);
    void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
  });

  connection.onCompletion((p) =>
    guarded("completion", [], () => {
      const at = offsetOf(p.textDocument.uri, p.position);
      return at ? completionsAt(...at) : [];
    }),
  );
  connection.onHover((p) =>
    guarded("hover", null, () => {
      const at = offsetOf(p.textDocument.uri, p.position);
      return at ? hoverAt(...at) : null;
    }),
  );
  connection.onDefinition((p) =>
    guarded("definition", null, () => {
      const at = offsetOf(p.textDocument.uri, p.position);
      return at ? definitionOf(...at) : null;
    }),
  );
  connection.onDocumentFormatting((p) =>
    guarded("formatting", [], () => {
      const state = stateOf(p.textDocument.uri);
      return state ? formattingEdits(state) : [];
    }),
  );
  connection.onDocumentSymbol((p) =>
    guarded("document symbols", [], () => {
      const state = stateOf(p.textDocument.uri);
      return state ? documentSymbols(state.parsed().program) : [];
    }),
  );

  documents.listen(connection);
  connection.listen();
  return { dispose: () => runner.dispose() };
}
