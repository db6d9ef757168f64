// The Experiments view: a webview panel that shows `retort/experiments` as a
// table, refreshes when experiment refs or results change, and turns row
// actions into the palette commands.

import * as vscode from 'vscode';

import { Runner } from '../commands/runner';
import { webviewHtml } from './html';

type FromWebview =
  | { type: 'ready' }
  | { type: 'refresh' }
  | { type: 'action'; action: 'apply' | 'branch' | 'remove'; experiment: string }
  | { type: 'plot'; revisions: string[]; labels: Record<string, string> };

export class ExperimentsPanel {
  private panel: vscode.WebviewPanel | undefined;
  private pending: NodeJS.Timeout | undefined;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly runner: Runner,
  ) {}

  show(): void {
    if (this.panel) {
      this.panel.reveal();
      return;
    }
    const panel = vscode.window.createWebviewPanel('retort.experiments', 'Experiments', vscode.ViewColumn.Active, {
      enableScripts: true,
      retainContextWhenHidden: true,
      localResourceRoots: [vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview')],
    });
    panel.webview.html = webviewHtml(panel.webview, this.extensionUri, 'experiments.js', 'Experiments');
    panel.webview.onDidReceiveMessage((message: FromWebview) => this.receive(message));
    panel.onDidDispose(() => (this.panel = undefined));
    this.panel = panel;
  }

  /// Refreshes after a short delay, so a burst of file events becomes one request.
  refreshSoon(delayMs = 300): void {
    if (!this.panel) return;
    if (this.pending) clearTimeout(this.pending);
    this.pending = setTimeout(() => void this.refresh(), delayMs);
  }

  async refresh(): Promise<void> {
    if (!this.panel) return;
    const result = await this.runner.request('retort/experiments', {});
    await this.panel?.webview.postMessage({ type: 'experiments', result: result ?? null, trusted: vscode.workspace.isTrusted });
  }

  private receive(message: FromWebview): void {
    switch (message.type) {
      case 'ready':
      case 'refresh':
        void this.refresh();
        break;
      case 'action': {
        const command = { apply: 'retort.applyExperiment', branch: 'retort.branchExperiment', remove: 'retort.removeExperiment' }[
          message.action
        ];
        void vscode.commands.executeCommand(command, message.experiment);
        break;
      }
      case 'plot':
        void vscode.commands.executeCommand('retort.showPlots', message.revisions, message.labels);
        break;
    }
  }
}
