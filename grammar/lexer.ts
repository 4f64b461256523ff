/**
 * The lexer of the token table: one instance for the parser (grammar/parse.ts), the editor's own lexing
 * (compiler/lsp/lex.ts) and the report's source highlighting (report/highlight.ts), built on first use.
 * Setting it up takes ~10 ms, so a process that imports these modules but never lexes (a compiled program
 * whose report is not written) does not pay it, and one that both checks and reports (`dync run`) pays it
 * once. Positions are tracked in full: the parser's spans need lines and columns; the others read offsets.
 */
import { Lexer } from "./chevrotain.js";
import { allTokens } from "./tokens.js";

/**
 * Definition checks of the lexer and the parser (unreachable tokens, ambiguities, left recursion) run under
 * the test suite, where a mistake in the token table or the grammar must fail loudly; at the command line
 * they would only cost start-up time. DYNC_VALIDATE_GRAMMAR=1 turns them on outside tests.
 */
export const VALIDATE_GRAMMAR = process.env["VITEST"] !== undefined || process.env["DYNC_VALIDATE_GRAMMAR"] !== undefined;

let lexer: InstanceType<typeof Lexer> | undefined;

/** The shared lexer (built at the first call). */
export function dynLexer(): InstanceType<typeof Lexer> {
  return (lexer ??= new Lexer(allTokens, { positionTracking: "full", ensureOptimizations: false, skipValidations: !VALIDATE_GRAMMAR }));
}
