// The slalang extension's client: starts `slalang server` (the language server that ships
// with the slalang Python package) and connects VS Code to it over stdio. Everything the
// editor shows (diagnostics, hover, completion, formatting, rename) comes from the server,
// so it always agrees with `slalang check` and `slalang fmt` on the command line.
"use strict";

const path = require("path");
const fs = require("fs");
const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

/** The command that starts the server: the configured one, else the `slalang` script of
 *  the selected Python interpreter's environment, else `slalang` on the PATH. */
function serverCommand() {
  const config = vscode.workspace.getConfiguration("slalang");
  const configured = config.get("server.path");
  if (configured && configured.length > 0) {
    return { command: configured[0], args: [...configured.slice(1), "server"] };
  }
  const python = config.get("interpreter");
  if (python) {
    return { command: python, args: ["-m", "slalang", "server"] };
  }
  for (const folder of vscode.workspace.workspaceFolders || []) {
    for (const venv of [".venv", "venv"]) {
      const bin = process.platform === "win32" ? "Scripts" : "bin";
      const script = path.join(folder.uri.fsPath, venv, bin, "slalang");
      if (fs.existsSync(script)) {
        return { command: script, args: ["server"] };
      }
    }
  }
  return { command: "slalang", args: ["server"] };
}

function activate(context) {
  const { command, args } = serverCommand();
  const run = { command, args, transport: TransportKind.stdio };
  client = new LanguageClient(
    "slalang",
    "slalang",
    { run, debug: run },
    {
      documentSelector: [{ scheme: "file", language: "slalang" }],
      synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher("**/*.sla") },
    }
  );
  context.subscriptions.push(
    vscode.commands.registerCommand("slalang.restartServer", () => client.restart())
  );
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
