// Revision names `retort/plots` takes for a table row. Experiments go by
// their commit, which every plots backend resolves (names need the
// experiments refs to be searched).

export function plotRevision(row: { kind: string; rev: string; name: string | null }): string {
  if (row.kind === 'workspace') return 'workspace';
  if (row.kind === 'baseline') return row.name === 'HEAD' ? 'HEAD' : row.rev;
  return row.rev;
}
