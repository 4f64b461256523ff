/**
 * A minimal LSP client for tests: spawns the real server as an editor would (`node --import tsx
 * cli/bin.ts lsp --stdio`, i.e. the current sources, so the tests need no build) and speaks JSON-RPC
 * over its stdin/stdout with vscode-jsonrpc.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from "vscode-jsonrpc/node";

export interface Pos {
  readonly line: number;
  readonly character: number;
}
export interface Range {
  readonly start: Pos;
  readonly end: Pos;
}
export interface LspDiagnostic {
  readonly range: Range;
  readonly severity: number;
  readonly code: string;
  readonly message: string;
  readonly source: string;
}
export interface PublishedDiagnostics {
  readonly uri: string;
  readonly version?: number;
  readonly diagnostics: LspDiagnostic[];
}
export interface CompletionItem {
  readonly label: string;
  readonly kind?: number;
  readonly insertText?: string;
  readonly detail?: string;
}
export interface LogMessage {
  readonly type: number;
  readonly message: string;
}

/** An LSP session with one spawned server. */
export class LspClient {
  readonly logs: LogMessage[] = [];
  stderr = "";
  private readonly published: PublishedDiagnostics[] = [];
  private readonly waiters: { match: (p: PublishedDiagnostics) => boolean; resolve: (p: PublishedDiagnostics) => void }[] = [];
  private readonly versions = new Map<string, number>();
  readonly exited: Promise<number | null>;

  private constructor(
    readonly child: ChildProcess,
    readonly rpc: MessageConnection,
  ) {
    this.exited = new Promise((resolve) => child.on("exit", (code) => resolve(code)));
    child.stderr!.on("data", (chunk: Buffer) => (this.stderr += chunk.toString()));
    rpc.onNotification("textDocument/publishDiagnostics", (params: unknown) => {
      const p = params as PublishedDiagnostics;
      this.published.push(p);
      for (const w of [...this.waiters]) {
        if (!w.match(p)) continue;
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(p);
      }
    });
    rpc.onNotification("window/logMessage", (m: unknown) => {
      this.logs.push(m as LogMessage);
    });
    rpc.listen();
  }

  /** Spawn the server and run the initialize handshake (diagnostics without debounce unless asked). */
  static async start(initializationOptions: object = { debounceMs: 0 }, bin?: string): Promise<LspClient> {
    // `bin`: a built dist/cli/bin.js (the benchmark uses it); by default the sources through tsx.
    const args = bin ? [bin, "lsp", "--stdio"] : ["--import", "tsx", "cli/bin.ts", "lsp", "--stdio"];
    const child = spawn(process.execPath, args, { stdio: ["pipe", "pipe", "pipe"] });
    const rpc = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
    const client = new LspClient(child, rpc);
    client.initializeResult = await rpc.sendRequest("initialize", { processId: process.pid, rootUri: null, capabilities: {}, initializationOptions });
    await rpc.sendNotification("initialized", {});
    return client;
  }

  initializeResult: unknown;

  request<R>(method: string, params: object): Promise<R> {
    return this.rpc.sendRequest(method, params) as Promise<R>;
  }

  /** Open a document; resolves with its first diagnostics. */
  async open(uri: string, text: string): Promise<PublishedDiagnostics> {
    this.versions.set(uri, 1);
    const diagnostics = this.diagnosticsFor(uri, 1);
    await this.rpc.sendNotification("textDocument/didOpen", { textDocument: { uri, languageId: "dyn", version: 1, text } });
    return diagnostics;
  }

  /** Send edits (full text, or ranged changes); resolves with the diagnostics of the new version. */
  async change(uri: string, changes: readonly ({ text: string } | { range: Range; text: string })[]): Promise<PublishedDiagnostics> {
    const version = (this.versions.get(uri) ?? 0) + 1;
    this.versions.set(uri, version);
    const diagnostics = this.diagnosticsFor(uri, version);
    await this.rpc.sendNotification("textDocument/didChange", { textDocument: { uri, version }, contentChanges: changes });
    return diagnostics;
  }

  /** Like `change`, without waiting for diagnostics (as fast typing does). */
  async changeNoWait(uri: string, changes: readonly ({ text: string } | { range: Range; text: string })[]): Promise<number> {
    const version = (this.versions.get(uri) ?? 0) + 1;
    this.versions.set(uri, version);
    await this.rpc.sendNotification("textDocument/didChange", { textDocument: { uri, version }, contentChanges: changes });
    return version;
  }

  /** The diagnostics published for `uri` at `version` (already received, or the next ones). */
  diagnosticsFor(uri: string, version: number): Promise<PublishedDiagnostics> {
    const match = (p: PublishedDiagnostics) => p.uri === uri && p.version === version;
    const seen = this.published.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => this.waiters.push({ match, resolve }));
  }

  completion(uri: string, position: Pos): Promise<CompletionItem[] | { items: CompletionItem[] } | null> {
    return this.request("textDocument/completion", { textDocument: { uri }, position });
  }

  /** Completion labels at a position. */
  async labels(uri: string, position: Pos): Promise<string[]> {
    const r = await this.completion(uri, position);
    const items = r === null ? [] : Array.isArray(r) ? r : r.items;
    return items.map((i) => i.label);
  }

  hover(uri: string, position: Pos): Promise<{ contents: { kind: string; value: string }; range?: Range } | null> {
    return this.request("textDocument/hover", { textDocument: { uri }, position });
  }

  definition(uri: string, position: Pos): Promise<{ uri: string; range: Range } | null> {
    return this.request("textDocument/definition", { textDocument: { uri }, position });
  }

  formatting(uri: string): Promise<{ range: Range; newText: string }[] | null> {
    return this.request("textDocument/formatting", { textDocument: { uri }, options: { tabSize: 2, insertSpaces: true } });
  }

  documentSymbols(uri: string): Promise<{ name: string; detail?: string; kind: number; range: Range; selectionRange: Range; children?: unknown[] }[] | null> {
    return this.request("textDocument/documentSymbol", { textDocument: { uri } });
  }

  /** shutdown then exit, as editors end a session; resolves with the server's exit code. */
  async stop(): Promise<number | null> {
    await this.rpc.sendRequest("shutdown");
    await this.rpc.sendNotification("exit");
    const code = await this.exited;
    this.rpc.dispose();
    return code;
  }

  /** Kill the server if a test failed before `stop`. */
  kill(): void {
    if (this.child.exitCode === null) this.child.kill();
  }
}

/** The 0-based position of the `nth` occurrence of `needle` in `text`, plus `delta` characters. */
export function positionOf(text: string, needle: string, delta = 0, nth = 0): Pos {
  let at = -1;
  for (let i = 0; i <= nth; i++) {
    at = text.indexOf(needle, at + 1);
    if (at < 0) throw new Error(`\`${needle}\` occurs fewer than ${nth + 1} times`);
  }
  return positionAtOffset(text, at + delta);
}

/** Offset → 0-based line and UTF-16 character. */
export function positionAtOffset(text: string, offset: number): Pos {
  const before = text.slice(0, offset);
  const line = before.split(/\r\n|\r|\n/).length - 1;
  const lineStart = Math.max(before.lastIndexOf("\n"), before.lastIndexOf("\r")) + 1;
  return { line, character: offset - lineStart };
}
