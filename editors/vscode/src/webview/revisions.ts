// Revision names that `retort/plots` takes for a table row. Experiments go
// by their commit, because Retort's plots backend resolves commits but not
// experiment names.

export function plotRevision(row: { kind: string; rev: string; name: string | null }): string {
  if (row.kind === 'workspace') return 'workspace';
  if (row.kind === 'baseline') return row.name === 'HEAD' ? 'HEAD' : row.rev;
  return row.rev;
}
