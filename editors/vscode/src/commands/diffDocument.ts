// Renders the data of `retort.exp.diff` (params and metrics in the shape of
// `dvc params diff --json`) as a Markdown document.

type Json = unknown;

function isObject(value: Json): value is Record<string, Json> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: Json): string {
  if (value === undefined || value === null) return '-';
  // Differences carry float noise (0.3 - 0.1 is 0.19999999999999998).
  if (typeof value === 'number') return String(Number(value.toPrecision(12)));
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function section(title: string, group: Json): string[] {
  const lines = [`## ${title}`, ''];
  const files = isObject(group) ? Object.entries(group) : [];
  const rows: string[] = [];
  for (const [file, keys] of files) {
    if (!isObject(keys)) continue;
    for (const [key, change] of Object.entries(keys)) {
      const entry = isObject(change) ? change : {};
      rows.push(`| ${file} | ${key} | ${text(entry.old)} | ${text(entry.new)} | ${'diff' in entry ? text(entry.diff) : ''} |`);
    }
  }
  if (rows.length === 0) return [...lines, 'No changes.', ''];
  return [...lines, '| File | Key | Old | New | Change |', '|---|---|---|---|---|', ...rows, ''];
}

export function diffDocument(data: Json): string {
  const body = isObject(data) ? data : {};
  const against = text(body.revision ?? 'HEAD');
  return [`# Workspace against ${against}`, '', ...section('Params', body.params), ...section('Metrics', body.metrics)].join('\n');
}
