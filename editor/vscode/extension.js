// The VS Code client for .dyn files: starts `dync lsp` (stdio) and hands it every .dyn document.
// Highlighting comes from the TextMate grammar generated from the compiler's token table
// (syntaxes/dyn.tmLanguage.json); everything else comes from the language server.
"use strict";
const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

/** @type {LanguageClient | undefined} */
let client;

/** Start the language server when the first .dyn file opens. */
async function activate(context) {
  const config = vscode.workspace.getConfiguration("dync");
  const command = config.get("server.command", "dync");
  const args = config.get("server.args", ["lsp"]);
  // On Windows npm installs `dync` as dync.cmd, which only a shell can start.
  const options = { shell: process.platform === "win32" };
  const serverOptions = {
    run: { command, args, transport: TransportKind.stdio, options },
    debug: { command, args, transport: TransportKind.stdio, options },
  };
  const clientOptions = {
    documentSelector: [{ scheme: "file", language: "dyn" }, { scheme: "untitled", language: "dyn" }],
    synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher("**/*.dyn") },
  };
  client = new LanguageClient("dync", "dync language server", serverOptions, clientOptions);
  context.subscriptions.push({ dispose: () => client && client.stop() });
  try {
    await client.start();
  } catch (error) {
    void vscode.window.showErrorMessage(
      `dync: could not start the language server \`${command} ${args.join(" ")}\` (${error && error.message}). ` +
        "Install dync (`npm install -g dync`) or set `dync.server.command`.",
    );
  }
}

/** Stop the server with the editor. */
function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
