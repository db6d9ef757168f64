// Revision names `retort/plots` takes for a table row. Shared by the
// webview and the extension, so it lives apart from VS Code imports.

export function plotRevision(row: { kind: string; rev: string; name: string | null }): string {
  if (row.kind === 'workspace') return 'workspace';
  if (row.kind === 'baseline') return row.name === 'HEAD' ? 'HEAD' : row.rev;
  return row.name ?? row.rev;
}
