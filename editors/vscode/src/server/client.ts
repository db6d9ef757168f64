// Starts `retort lsp` through vscode-languageclient and shapes what the
// server offers for VS Code: lens commands go through the extension's own
// commands (which ask for overrides, show progress and respect workspace
// trust), and server commands that run or write are refused in an
// untrusted workspace.

import * as vscode from 'vscode';
import {
  CodeLens,
  LanguageClient,
  LanguageClientOptions,
  Middleware,
  ServerOptions,
  TransportKind,
} from 'vscode-languageclient/node';

import { isReadOnlyCommand } from '../model/trust';
import { lensTarget } from './lenses';

export function documentSelector(extraParams: string[]): Array<{ scheme: string; pattern: string }> {
  const patterns = ['**/dvc.yaml', '**/dvc.lock', '**/params.{yaml,yml,json,toml,py}', ...extraParams];
  return patterns.map((pattern) => ({ scheme: 'file', pattern }));
}

function rewriteLens(lens: CodeLens | vscode.CodeLens, trusted: boolean): vscode.CodeLens | null {
  const command = lens.command;
  if (!command) return lens as vscode.CodeLens;
  if (!trusted && !isReadOnlyCommand(command.command)) return null;
  const target = lensTarget(command.command, command.arguments ?? []);
  const out = lens as vscode.CodeLens;
  out.command = { title: command.title, command: target.command, arguments: target.arguments };
  return out;
}

export function createClient(binary: string, output: vscode.OutputChannel): LanguageClient {
  const config = vscode.workspace.getConfiguration('retort');
  const serverOptions: ServerOptions = {
    command: binary,
    // The client appends `--stdio` itself for the stdio transport.
    args: ['lsp'],
    transport: TransportKind.stdio,
    options: { env: { ...process.env, RUST_BACKTRACE: '1' } },
  };
  const middleware: Middleware = {
    provideCodeLenses: async (document, token, next) => {
      const lenses = await next(document, token);
      if (!lenses) return lenses;
      const trusted = vscode.workspace.isTrusted;
      return lenses.map((lens) => rewriteLens(lens, trusted)).filter((lens): lens is vscode.CodeLens => lens !== null);
    },
    // Server commands reached without the extension's wrappers (code
    // actions) pass through here.
    executeCommand: async (command, args, next) => {
      if (!vscode.workspace.isTrusted && !isReadOnlyCommand(command)) {
        void vscode.window.showWarningMessage(
          `Retort: '${command}' runs or changes files, so it is disabled until you trust this workspace.`,
        );
        return undefined;
      }
      return next(command, args);
    },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: documentSelector(config.get<string[]>('paramsFiles', [])),
    outputChannel: output,
    initializationOptions: {
      logLevel: config.get<string>('server.logLevel', 'info'),
      ...(config.get<string>('server.logFile') ? { logFile: config.get<string>('server.logFile') } : {}),
    },
    middleware,
  };
  return new LanguageClient('retort', 'Retort', serverOptions, clientOptions);
}
