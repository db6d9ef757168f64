// Tells the views when experiments may have changed: experiment refs under
// .git/refs/exps, packed refs, HEAD, dvc.lock and the metrics and plots
// files a run writes.

import * as vscode from 'vscode';

export function watchExperiments(onRefs: () => void, onResults: () => void): vscode.Disposable {
  const disposables: vscode.Disposable[] = [];
  for (const folder of vscode.workspace.workspaceFolders ?? []) {
    const refs = vscode.workspace.createFileSystemWatcher(
      new vscode.RelativePattern(folder, '.git/{HEAD,packed-refs,refs/exps/**,refs/heads/**}'),
    );
    const results = vscode.workspace.createFileSystemWatcher(
      new vscode.RelativePattern(folder, '**/{dvc.lock,*.json,*.yaml,*.yml,*.toml,*.tsv,*.csv}'),
    );
    for (const event of [refs.onDidCreate, refs.onDidChange, refs.onDidDelete]) disposables.push(event(onRefs));
    for (const event of [results.onDidCreate, results.onDidChange, results.onDidDelete]) disposables.push(event(onResults));
    disposables.push(refs, results);
  }
  return vscode.Disposable.from(...disposables);
}
