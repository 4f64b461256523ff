/**
 * One open document and what the server derives from it, each computed at most once per version and
 * only when asked: tokens and definitions (cheap, for completion and hover), the parse (formatting,
 * symbols), the check (diagnostics).
 */
import { readFileSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Range } from "vscode-languageserver";
import type { TextDocument } from "vscode-languageserver-textdocument";
import { SourceFile } from "../../diagnostics/source.js";
import { rangeOfSpan } from "./convert.js";
import { parse, type ParseResult } from "../../grammar/parse.js";
import * as T from "../../grammar/tokens.js";
import { checkParsed, type CheckResult } from "../check/index.js";
import { findDefinitions, type Definition } from "./definitions.js";
import { lexText, type LexedText } from "./lex.js";

/** A definition with the document it lives in (imports bring names from other files). */
export interface Located extends Definition {
  readonly uri: string;
  /** The defining name's range in its document. */
  readonly range: Range;
  /** The text of the line the definition starts on. */
  readonly line: string;
}

/** The file path a document URI stands for; non-file URIs (untitled:) keep their text as the path. */
export function pathOfUri(uri: string): string {
  return uri.startsWith("file:") ? fileURLToPath(uri) : uri;
}

export class DocumentState {
  private lexedCache?: LexedText;
  private defsCache?: Definition[];
  private parsedCache?: ParseResult;
  private checkedCache?: CheckResult;
  private locatedCache?: Located[];

  /** The text and version this state was derived from (TextDocuments updates documents in place). */
  readonly text: string;
  readonly version: number;

  constructor(readonly doc: TextDocument) {
    this.text = doc.getText();
    this.version = doc.version;
  }

  get uri(): string {
    return this.doc.uri;
  }
  get path(): string {
    return pathOfUri(this.doc.uri);
  }

  lexed(): LexedText {
    return (this.lexedCache ??= lexText(this.text));
  }
  definitions(): Definition[] {
    return (this.defsCache ??= findDefinitions(this.lexed().tokens, this.text));
  }
  parsed(): ParseResult {
    return (this.parsedCache ??= parse(this.text, this.path));
  }
  checked(): CheckResult {
    return (this.checkedCache ??= checkParsed(this.parsed()));
  }

  /** This file's definitions, then the top-level ones of the files it imports. */
  locatedDefinitions(): Located[] {
    return (this.locatedCache ??= this.locateAll());
  }

  private locateAll(): Located[] {
    const lines = new SourceFile(this.path, this.text);
    const own = this.definitions().map((d) => locate(d, this.uri, lines));
    return [...own, ...this.imported()];
  }

  private imported(): Located[] {
    if (!this.doc.uri.startsWith("file:")) return [];
    const tokens = this.lexed().tokens;
    const out: Located[] = [];
    for (let i = 0; i + 1 < tokens.length; i++) {
      if (tokens[i]!.tokenType !== T.Keywords.import || tokens[i + 1]!.tokenType !== T.StringLiteral) continue;
      const path = resolve(dirname(this.path), tokens[i + 1]!.image.slice(1, -1));
      out.push(...importedTopLevel(path).map((d) => ({ ...d, scope: [0, this.text.length] as const })));
    }
    return out;
  }
}

function locate(d: Definition, uri: string, source: SourceFile): Located {
  const text = source.text;
  const lineStart = Math.max(text.lastIndexOf("\n", d.statement - 1), text.lastIndexOf("\r", d.statement - 1)) + 1;
  const lineEnd = text.slice(d.statement).search(/[\r\n]|$/) + d.statement;
  return { ...d, uri, range: rangeOfSpan(source.span(d.start, d.end)), line: text.slice(lineStart, lineEnd).trim() };
}

const importCache = new Map<string, { mtime: number; defs: Located[] }>();

/** Top-level definitions of an imported file (re-read when it changes on disk; missing files give none). */
function importedTopLevel(path: string): Located[] {
  try {
    const mtime = statSync(path).mtimeMs;
    const cached = importCache.get(path);
    if (cached && cached.mtime === mtime) return cached.defs;
    const text = readFileSync(path, "utf8");
    const uri = pathToFileURL(path).href;
    const source = new SourceFile(path, text);
    const defs = findDefinitions(lexText(text).tokens, text)
      .filter((d) => d.scope[0] === 0 && d.scope[1] === text.length)
      .map((d) => locate(d, uri, source));
    importCache.set(path, { mtime, defs });
    return defs;
  } catch {
    return [];
  }
}
