// The palette commands. Lenses reach the same commands (see
// server/lenses.ts), so a lens and the palette behave alike: both ask for
// overrides, show progress and are disabled in an untrusted workspace.

import * as vscode from 'vscode';

import { buildTable, experimentRef, ExpRow, rowLabel } from '../model/experiments';
import { parseOverrides } from '../model/overrides';
import { CommandResult, Runner } from './runner';
import { diffDocument } from './diffDocument';

export interface Views {
  showExperiments(): void;
  showPlots(revisions?: string[], labels?: Record<string, string>): void;
}

type Args = Record<string, unknown>;

function asArgs(value: unknown): Args {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? { ...(value as Args) } : {};
}

async function askOverrides(action: string): Promise<string[] | undefined> {
  const text = await vscode.window.showInputBox({
    title: `Retort: ${action}`,
    prompt: 'Params to override, as -S key=value (or key=value, comma separated). Leave empty to use the files as they are.',
    placeHolder: '-S train.lr=0.01 -S train.epochs=20',
    validateInput: (value) => parseOverrides(value).error ?? null,
  });
  if (text === undefined) return undefined;
  return parseOverrides(text).set;
}

/// Lets the user pick an experiment when a command was not given one.
async function pickExperiment(runner: Runner, action: string): Promise<ExpRow | undefined> {
  const table = buildTable(await runner.request('retort/experiments', {}));
  const experiments = table.rows.flatMap((row) => row.children);
  if (experiments.length === 0) {
    void vscode.window.showInformationMessage(
      table.experimentsAvailable ? 'Retort: there are no experiments yet.' : 'Retort: this build of the server does not list experiments yet.',
    );
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(
    experiments.map((row) => ({ label: rowLabel(row), description: row.state, row })),
    { title: `Retort: ${action}`, placeHolder: 'Experiment' },
  );
  return picked?.row;
}

function experimentArg(value: unknown): string | undefined {
  if (typeof value === 'string' && value) return value;
  const args = asArgs(value);
  return typeof args.experiment === 'string' ? args.experiment : undefined;
}

export function registerCommands(context: vscode.ExtensionContext, runner: Runner, views: Views): void {
  const register = (id: string, handler: (...args: unknown[]) => unknown) =>
    context.subscriptions.push(vscode.commands.registerCommand(id, handler));

  const experiment = async (server: string, action: string, given: unknown): Promise<CommandResult | undefined> => {
    const args = asArgs(given);
    const overrides = await askOverrides(action);
    if (overrides === undefined) return undefined;
    if (overrides.length > 0) args.set = [...((args.set as string[] | undefined) ?? []), ...overrides];
    return runner.run(server, args, action);
  };

  register('retort.runExperiment', (given) => experiment('retort.exp.run', 'Run Experiment', given));
  register('retort.queueExperiment', (given) => experiment('retort.exp.queue', 'Queue Experiment', given));
  register('retort.runQueue', () => {
    const jobs = vscode.workspace.getConfiguration('retort').get<number>('queue.jobs', 1);
    return runner.run('retort.queue.start', { jobs }, 'Run Queue');
  });
  register('retort.showExperiments', () => views.showExperiments());
  register('retort.showPlots', (revisions, labels) =>
    views.showPlots(
      Array.isArray(revisions) ? revisions.map(String) : undefined,
      typeof labels === 'object' && labels !== null ? (labels as Record<string, string>) : undefined,
    ),
  );

  register('retort.applyExperiment', async (given) => {
    const name = experimentArg(given) ?? (await pickExperiment(runner, 'Apply Experiment').then((row) => row && experimentRef(row)));
    if (!name) return undefined;
    const result = await runner.run('retort.exp.apply', { experiment: name }, `Apply Experiment '${name}'`);
    if (result?.status !== 'failed' || !/uncommitted changes/.test(result.message)) return result;
    // The server refused to overwrite local changes; offer what the CLI's
    // --force does, which keeps those changes in a stash commit.
    const choice = await vscode.window.showWarningMessage(
      `Applying '${name}' overwrites uncommitted changes. Retort keeps them in a stash commit (refs/exps/apply/stash).`,
      { modal: true },
      'Apply Anyway',
    );
    if (choice !== 'Apply Anyway') return result;
    return runner.run('retort.exp.apply', { experiment: name, force: true }, `Apply Experiment '${name}'`);
  });

  register('retort.branchExperiment', async (given) => {
    const name = experimentArg(given) ?? (await pickExperiment(runner, 'Branch Experiment').then((row) => row && experimentRef(row)));
    if (!name) return undefined;
    const branch = await vscode.window.showInputBox({
      title: `Retort: create a branch from '${name}'`,
      value: `${name}-branch`,
      validateInput: (value) => (/^[^\s~^:?*[\\]+$/.test(value) ? null : 'Not a valid git branch name'),
    });
    if (!branch) return undefined;
    return runner.run('retort.exp.branch', { experiment: name, branch }, `Branch Experiment '${name}'`);
  });

  register('retort.removeExperiment', async (given) => {
    const name = experimentArg(given) ?? (await pickExperiment(runner, 'Remove Experiment').then((row) => row && experimentRef(row)));
    if (!name) return undefined;
    const confirm = await vscode.window.showWarningMessage(`Remove experiment '${name}'?`, { modal: true }, 'Remove');
    if (confirm !== 'Remove') return undefined;
    return runner.run('retort.exp.remove', { experiment: name }, `Remove Experiment '${name}'`);
  });

  register('retort.diff', async (given) => {
    let revision = typeof given === 'string' ? given : (asArgs(given).revision as string | undefined);
    if (!revision) {
      const table = buildTable(await runner.request('retort/experiments', {}));
      const choices = table.rows
        .filter((row) => row.kind !== 'workspace')
        .flatMap((row) => [row, ...row.children])
        .map((row) => ({ label: rowLabel(row), revision: row.kind === 'baseline' ? row.rev : experimentRef(row) }));
      const picked = await vscode.window.showQuickPick([{ label: 'HEAD', revision: 'HEAD' }, ...choices], {
        title: 'Retort: compare the workspace with',
      });
      revision = picked?.revision;
    }
    if (!revision) return undefined;
    const result = await runner.run('retort.exp.diff', { revision }, `Diff with ${revision}`);
    if (result?.status === 'ok') {
      const document = await vscode.workspace.openTextDocument({ language: 'markdown', content: diffDocument(result.data) });
      await vscode.window.showTextDocument(document, { preview: true });
    }
    return result;
  });

  register('retort.execute', (command, given) => {
    const name = String(command);
    const result = runner.run(name, asArgs(given), name.replace(/^retort\./, ''));
    return result;
  });
}
