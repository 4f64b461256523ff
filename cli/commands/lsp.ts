/** `dync lsp`: the language server over stdio, until the editor sends `exit` or closes the pipe. */
import { createConnection, ProposedFeatures } from "vscode-languageserver/node";
import { startLanguageServer } from "../../compiler/lsp/server.js";

/** Serve LSP on stdin/stdout; resolves with the exit code when the client goes away. */
export function lspCommand(): Promise<number> {
  // An unexpected exception outside a request must not end the session: log it where editors show it.
  process.on("uncaughtException", (error) => process.stderr.write(`dync lsp: internal error: ${error?.stack ?? String(error)}\n`));
  const connection = createConnection(ProposedFeatures.all, process.stdin, process.stdout);
  const server = startLanguageServer(connection);
  // The library ends the process after `exit` (code 0 after `shutdown`, 1 without), right after this.
  return new Promise((resolve) =>
    connection.onExit(() => {
      server.dispose();
      resolve(0);
    }),
  );
}
