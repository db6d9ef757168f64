// Entry point: finds `retort`, starts the language client, and wires the
// commands, the status bar, the Experiments and Plots views and the
// watchers that keep them fresh.

import * as vscode from 'vscode';
import { LanguageClient } from 'vscode-languageclient/node';

import { registerCommands } from './commands/register';
import { Runner } from './commands/runner';
import { findServer, INSTALL_HELP } from './server/binary';
import { createClient } from './server/client';
import { ProgressEvent, RunStatus } from './statusBar';
import { ExperimentsPanel } from './views/experimentsPanel';
import { PlotsPanel } from './views/plotsPanel';
import { watchExperiments } from './watcher';

let client: LanguageClient | undefined;

async function startClient(context: vscode.ExtensionContext, output: vscode.OutputChannel, hooks: {
  progress(event: ProgressEvent): void;
}): Promise<void> {
  const setting = vscode.workspace.getConfiguration('retort').get<string>('path');
  const lookup = await findServer(setting, process.env.PATH);
  if ('missing' in lookup) {
    output.appendLine(lookup.missing);
    const choice = await vscode.window.showErrorMessage(lookup.missing, 'Open Settings', 'Show Output');
    if (choice === 'Open Settings') void vscode.commands.executeCommand('workbench.action.openSettings', 'retort.path');
    if (choice === 'Show Output') output.show();
    return;
  }
  output.appendLine(`Starting ${lookup.found.path} lsp (${lookup.found.version})`);
  const next = createClient(lookup.found.path, output);
  context.subscriptions.push(next.onNotification('retort/progress', (event: ProgressEvent) => hooks.progress(event)));
  try {
    await next.start();
    client = next;
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    void vscode.window.showErrorMessage(`Retort: the language server did not start: ${text}. ${INSTALL_HELP}`);
  }
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel('Retort');
  const status = new RunStatus();
  context.subscriptions.push(output, status);

  const runner = new Runner(() => client, status, output);
  const experiments = new ExperimentsPanel(context.extensionUri, runner);
  const plots = new PlotsPanel(context.extensionUri, runner);
  registerCommands(context, runner, {
    showExperiments: () => experiments.show(),
    showPlots: (revisions, labels) => plots.show(revisions, labels),
  });
  context.subscriptions.push(
    runner.onDidChangeExperiments(() => experiments.refreshSoon()),
    watchExperiments(
      () => experiments.refreshSoon(),
      () => {
        experiments.refreshSoon(800);
        plots.refreshSoon();
      },
    ),
  );

  const hooks = {
    progress: (event: ProgressEvent) => {
      status.progress(event);
      // New points appear while stages run, and the table changes when they end.
      if (event.kind === 'output' || event.kind === 'stage-finished') plots.refreshSoon();
      if (event.kind === 'end' || event.kind === 'stage-finished') experiments.refreshSoon();
    },
  };

  const restart = async () => {
    const old = client;
    client = undefined;
    if (old) await old.stop().catch(() => undefined);
    await startClient(context, output, hooks);
  };
  context.subscriptions.push(
    vscode.commands.registerCommand('retort.restartServer', restart),
    vscode.commands.registerCommand('retort.showOutput', () => output.show()),
    // Lenses that run commands appear once the user trusts the workspace.
    vscode.workspace.onDidGrantWorkspaceTrust(restart),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration('retort.path') || event.affectsConfiguration('retort.paramsFiles')) void restart();
    }),
  );
  await startClient(context, output, hooks);
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}
