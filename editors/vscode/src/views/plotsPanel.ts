// The Plots view: line charts of `retort/plots` for the chosen revisions,
// redrawn while a run writes new points (driven by `retort/progress` and
// file changes, throttled).

import * as vscode from 'vscode';

import { Runner } from '../commands/runner';
import { webviewHtml } from './html';

export class PlotsPanel {
  private panel: vscode.WebviewPanel | undefined;
  private revisions: string[] = ['workspace', 'HEAD'];
  /// Names to show for revisions, such as an experiment's name for its commit.
  private labels: Record<string, string> = {};
  private pending: NodeJS.Timeout | undefined;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly runner: Runner,
  ) {}

  show(revisions?: string[], labels?: Record<string, string>): void {
    if (revisions && revisions.length > 0) this.revisions = revisions;
    if (labels) this.labels = { ...this.labels, ...labels };
    if (this.panel) {
      this.panel.reveal();
      void this.refresh();
      return;
    }
    const panel = vscode.window.createWebviewPanel('retort.plots', 'Plots', vscode.ViewColumn.Beside, {
      enableScripts: true,
      retainContextWhenHidden: true,
      localResourceRoots: [vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview')],
    });
    panel.webview.html = webviewHtml(panel.webview, this.extensionUri, 'plots.js', 'Plots');
    panel.webview.onDidReceiveMessage((message: { type: string; revisions?: string[] }) => {
      if (message.type === 'revisions' && message.revisions) this.revisions = message.revisions;
      if (message.type === 'ready' || message.type === 'refresh' || message.type === 'revisions') void this.refresh();
    });
    panel.onDidDispose(() => (this.panel = undefined));
    this.panel = panel;
  }

  /// At most one refresh per second while a run streams points.
  refreshSoon(delayMs = 1000): void {
    if (!this.panel || this.pending) return;
    this.pending = setTimeout(() => {
      this.pending = undefined;
      void this.refresh();
    }, delayMs);
  }

  async refresh(): Promise<void> {
    if (!this.panel) return;
    const result = await this.runner.request('retort/plots', { revisions: this.revisions });
    await this.panel?.webview.postMessage({ type: 'plots', result: result ?? null, revisions: this.revisions, labels: this.labels });
  }
}
