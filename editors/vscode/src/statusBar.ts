// The status bar item shown while an experiment or stages run. It follows
// `retort/progress` so it names the stage that is running, and opens the
// Experiments view when clicked.

import * as vscode from 'vscode';

const STAGE_COMMANDS = new Set(['retort.repro', 'retort.exp.run', 'retort.queue.start', 'retort.runCache.checkout']);

export interface ProgressEvent {
  token: string | null;
  command: string;
  kind: string;
  stage: string | null;
  text: string;
}

export class RunStatus implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('retort.run', vscode.StatusBarAlignment.Left, 10);
  private running = 0;
  private title = '';

  constructor() {
    this.item.name = 'Retort run';
    this.item.command = 'retort.showExperiments';
  }

  begin(title: string): void {
    this.running++;
    this.title = title;
    this.show(title);
  }

  end(): void {
    this.running = Math.max(0, this.running - 1);
    if (this.running === 0) this.item.hide();
  }

  /// Updates the text from a `retort/progress` event. Runs started by
  /// another client or a lens the server ran directly also show up.
  progress(event: ProgressEvent): void {
    if (!STAGE_COMMANDS.has(event.command)) return;
    // The extension's own runs already called begin and end.
    const ours = event.token?.startsWith('retort-vscode/') ?? false;
    if (event.kind === 'begin') {
      if (!ours) this.begin(event.text);
    } else if (event.kind === 'end') {
      if (!ours) this.end();
    } else if (event.kind === 'stage-started' && event.stage && this.running > 0) {
      this.show(`${this.title}: ${event.stage}`);
    }
  }

  private show(text: string): void {
    this.item.text = `$(sync~spin) Retort: ${text}`;
    this.item.tooltip = `${text}. Click to open the Experiments view.`;
    this.item.show();
  }

  dispose(): void {
    this.item.dispose();
  }
}
