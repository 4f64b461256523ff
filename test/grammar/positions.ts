/** Line/column computed independently of SourceFile, as the truth for span tests. */

/** 1-based line and column (UTF-16 units) of `offset`, counting `\r\n`, `\n` and a lone `\r` as one break. */
export function positionOf(text: string, offset: number): { line: number; col: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset; i++) {
    const c = text[i];
    if (c === "\n" || (c === "\r" && text[i + 1] !== "\n")) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, col: offset - lineStart + 1 };
}
