// Runs a server command with VS Code's progress UI: a cancellable
// notification fed by the command's `$/progress`, a status bar item while
// stages run, and the structured result handed back to the caller.

import * as vscode from 'vscode';
import {
  ExecuteCommandRequest,
  LanguageClient,
  WorkDoneProgress,
  WorkDoneProgressCancelNotification,
} from 'vscode-languageclient/node';

import { isReadOnlyCommand } from '../model/trust';
import { RunStatus } from '../statusBar';

/// Result of every server command (docs/lsp-extensions.md).
export interface CommandResult {
  command: string;
  status: 'ok' | 'failed' | 'cancelled' | 'unavailable';
  message: string;
  data?: unknown;
}

/// Commands that run stages and so get the status bar item.
const RUNS_STAGES = new Set(['retort.repro', 'retort.exp.run', 'retort.queue.start', 'retort.runCache.checkout']);

/// Commands after which the experiments table may have changed.
const CHANGES_EXPERIMENTS = new Set([
  'retort.exp.run',
  'retort.exp.queue',
  'retort.exp.apply',
  'retort.exp.branch',
  'retort.exp.remove',
  'retort.queue.start',
  'retort.repro',
  'retort.runCache.checkout',
]);

let nextToken = 1;

export class Runner {
  private readonly changed = new vscode.EventEmitter<string>();
  /// Fires with the command name after a command that may change experiments.
  readonly onDidChangeExperiments = this.changed.event;

  constructor(
    private readonly client: () => LanguageClient | undefined,
    private readonly status: RunStatus,
    private readonly output: vscode.OutputChannel,
  ) {}

  async run(command: string, args: Record<string, unknown>, title: string): Promise<CommandResult | undefined> {
    if (!vscode.workspace.isTrusted && !isReadOnlyCommand(command)) {
      void vscode.window.showWarningMessage(
        `Retort: "${title}" runs or changes files; trust this workspace to use it.`,
      );
      return undefined;
    }
    const client = this.client();
    if (!client || !client.isRunning()) {
      void vscode.window.showErrorMessage('Retort: the language server is not running; see the Retort output.');
      return undefined;
    }
    const token = `retort-vscode/${nextToken++}`;
    const runsStages = RUNS_STAGES.has(command);
    if (runsStages) this.status.begin(title);
    this.output.appendLine(`${title}: ${command} ${JSON.stringify(args)}`);
    try {
      return await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Retort: ${title}`, cancellable: true },
        async (progress, cancel) => {
          const listener = client.onProgress(WorkDoneProgress.type, token, (value) => {
            if (value.kind !== 'end' && value.message) progress.report({ message: value.message });
          });
          const cancelled = cancel.onCancellationRequested(() => {
            void client.sendNotification(WorkDoneProgressCancelNotification.type, { token });
          });
          try {
            const result = (await client.sendRequest(ExecuteCommandRequest.type, {
              command,
              arguments: [args],
              workDoneToken: token,
            })) as CommandResult | null;
            this.output.appendLine(`${title}: ${result?.status ?? 'no answer'}: ${result?.message ?? ''}`);
            // The server shows `message` itself (window/showMessage).
            return result ?? undefined;
          } catch (error) {
            const text = error instanceof Error ? error.message : String(error);
            this.output.appendLine(`${title}: error: ${text}`);
            void vscode.window.showErrorMessage(`Retort: ${title} failed: ${text}`);
            return undefined;
          } finally {
            listener.dispose();
            cancelled.dispose();
          }
        },
      );
    } finally {
      if (runsStages) this.status.end();
      if (CHANGES_EXPERIMENTS.has(command)) this.changed.fire(command);
    }
  }

  /// Sends a custom request (`retort/experiments`, `retort/plots`).
  async request<T>(method: string, params: unknown): Promise<T | undefined> {
    const client = this.client();
    if (!client || !client.isRunning()) return undefined;
    try {
      return await client.sendRequest<T>(method, params);
    } catch (error) {
      this.output.appendLine(`${method}: ${error instanceof Error ? error.message : String(error)}`);
      return undefined;
    }
  }
}
