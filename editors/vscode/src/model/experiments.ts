// The Experiments view's table: rows of `retort/experiments` read into one
// shape, experiments nested under their baselines, params and metrics
// columns, sorting, and the diff of two rows. Pure data, so it runs both in
// the extension host and in the webview, and in unit tests.

export type Scalar = string | number | boolean | null;
export type RowKind = 'workspace' | 'baseline' | 'experiment';
export type RowState = 'success' | 'queued' | 'running' | 'failed';
export type Group = 'params' | 'metrics';

export interface ExpRow {
  /// Unique within the table: the rev, or the rev and name for queued
  /// entries that share a stash rev.
  id: string;
  rev: string;
  name: string | null;
  kind: RowKind;
  state: RowState;
  /// The rev (or name) of the baseline an experiment belongs to.
  baseline: string | null;
  created: string | null;
  error: string | null;
  /// group → "file\u0000dotted.key" → value.
  values: Record<Group, Record<string, Scalar>>;
  children: ExpRow[];
}

export interface Column {
  /// `group\u0000file\u0000key`, stable across refreshes.
  id: string;
  group: Group;
  file: string;
  key: string;
  /// The key alone, or `file:key` when two files share the key.
  label: string;
}

export interface Table {
  columns: Column[];
  /// Top-level rows: the workspace, then baselines with their experiments.
  rows: ExpRow[];
  experimentsAvailable: boolean;
}

export interface SortSpec {
  column: string;
  descending: boolean;
}

const SEP = '\u0000';

type Json = unknown;

function isObject(value: Json): value is Record<string, Json> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asScalar(value: Json): Scalar {
  if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
    return value;
  }
  return JSON.stringify(value);
}

/// Flattens nested objects into dotted keys, as `exp show` does. A list
/// stays one value.
export function flatten(value: Json, prefix = '', out: Record<string, Scalar> = {}): Record<string, Scalar> {
  if (isObject(value)) {
    for (const [key, inner] of Object.entries(value)) {
      flatten(inner, prefix ? `${prefix}.${key}` : key, out);
    }
  } else if (prefix) {
    out[prefix] = asScalar(value);
  }
  return out;
}

/// Reads `file → values` where values are either flat dotted keys, nested
/// objects, or DVC's `{data: {...}}` wrapper.
function readGroup(raw: Json): Record<string, Scalar> {
  const out: Record<string, Scalar> = {};
  if (!isObject(raw)) return out;
  for (const [file, content] of Object.entries(raw)) {
    const data = isObject(content) && 'data' in content && isObject(content.data) ? content.data : content;
    for (const [key, value] of Object.entries(flatten(data))) {
      out[file + SEP + key] = value;
    }
  }
  return out;
}

function readState(raw: Record<string, Json>): RowState {
  const executor = isObject(raw.executor) ? raw.executor.state : undefined;
  const text = String(raw.state ?? raw.status ?? executor ?? '').toLowerCase();
  if (text === 'queued') return 'queued';
  if (text === 'running' || text === 'active') return 'running';
  if (text === 'failed' || raw.error) return 'failed';
  return 'success';
}

function readError(raw: Json): string | null {
  if (!raw) return null;
  if (typeof raw === 'string') return raw;
  if (isObject(raw) && typeof raw.msg === 'string') return raw.msg;
  return JSON.stringify(raw);
}

function str(value: Json): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

/// One row of the protocol (or of DVC's `exp show --json`) in table shape.
export function readRow(raw: Json, baselineHint: string | null = null): ExpRow[] {
  if (!isObject(raw)) return [];
  const data = isObject(raw.data) ? raw.data : raw;
  const rev = str(raw.rev) ?? str(data.rev) ?? '';
  const name = str(raw.name);
  const baseline = str(raw.baseline) ?? str(raw.parent) ?? str(raw.baseline_rev) ?? baselineHint;
  const declared = String(raw.kind ?? raw.typ ?? '').toLowerCase();
  let kind: RowKind;
  if (rev === 'workspace') kind = 'workspace';
  else if (declared === 'experiment' || declared === 'queued' || baseline !== null) kind = 'experiment';
  else kind = 'baseline';
  let state: RowState = raw.error ? 'failed' : 'success';
  if (kind === 'experiment') state = readState(raw);
  const row: ExpRow = {
    id: name && kind === 'experiment' ? `${rev}:${name}` : rev,
    rev,
    name,
    kind,
    state,
    baseline: kind === 'experiment' ? baseline : null,
    created: str(raw.created) ?? str(data.timestamp) ?? str(raw.timestamp),
    error: readError(raw.error),
    values: { params: readGroup(data.params), metrics: readGroup(data.metrics) },
    children: [],
  };
  const rows = [row];
  // DVC's nested form: each experiment entry lists its commits under `revs`.
  if (Array.isArray(raw.experiments)) {
    for (const entry of raw.experiments) {
      if (!isObject(entry)) continue;
      const revs = Array.isArray(entry.revs) ? entry.revs : [];
      for (const inner of revs) {
        if (!isObject(inner)) continue;
        const merged = { ...inner, name: inner.name ?? entry.name, executor: entry.executor, baseline: rev };
        rows.push(...readRow(merged, rev));
      }
    }
  }
  return rows;
}

function matchesBaseline(baseline: ExpRow, reference: string): boolean {
  if (baseline.rev === reference || baseline.name === reference) return true;
  return reference.length >= 7 && baseline.rev.startsWith(reference);
}

/// Builds the table from a `retort/experiments` result.
export function buildTable(result: Json): Table {
  const rawRows = isObject(result) && Array.isArray(result.rows) ? result.rows : Array.isArray(result) ? result : [];
  const flat = rawRows.flatMap((raw) => readRow(raw));
  const top: ExpRow[] = [];
  const baselines: ExpRow[] = [];
  const orphans: ExpRow[] = [];
  const seen = new Map<string, number>();
  for (const row of flat) {
    // Keep ids unique even when the server repeats a rev.
    const count = seen.get(row.id) ?? 0;
    seen.set(row.id, count + 1);
    if (count > 0) row.id = `${row.id}#${count}`;
    if (row.kind === 'experiment') {
      orphans.push(row);
    } else {
      top.push(row);
      if (row.kind === 'baseline') baselines.push(row);
    }
  }
  for (const row of orphans) {
    const parent =
      (row.baseline !== null && baselines.find((baseline) => matchesBaseline(baseline, row.baseline as string))) ||
      baselines[0];
    if (parent) parent.children.push(row);
    else top.push(row);
  }
  return {
    columns: columnsOf(flat),
    rows: top,
    experimentsAvailable: isObject(result) ? result.experiments_available !== false : true,
  };
}

function columnsOf(rows: ExpRow[]): Column[] {
  const columns: Column[] = [];
  const known = new Set<string>();
  for (const group of ['params', 'metrics'] as Group[]) {
    for (const row of rows) {
      for (const compound of Object.keys(row.values[group])) {
        const id = group + SEP + compound;
        if (known.has(id)) continue;
        known.add(id);
        const [file, key] = compound.split(SEP);
        columns.push({ id, group, file, key, label: key });
      }
    }
  }
  // A key that two files share is shown with its file, as `exp show` does.
  const byKey = new Map<string, number>();
  for (const column of columns) byKey.set(column.key, (byKey.get(column.key) ?? 0) + 1);
  for (const column of columns) {
    if ((byKey.get(column.key) ?? 0) > 1) column.label = `${column.file}:${column.key}`;
  }
  return columns;
}

export function cell(row: ExpRow, column: Column): Scalar | undefined {
  const values = row.values[column.group];
  const key = column.file + SEP + column.key;
  return key in values ? values[key] : undefined;
}

/// Orders two cells: numbers by value, then text, missing cells last in
/// either direction so that sorting never buries the rows that have data.
function compareCells(a: Scalar | undefined, b: Scalar | undefined, descending: boolean): number {
  const missingA = a === undefined || a === null;
  const missingB = b === undefined || b === null;
  if (missingA && missingB) return 0;
  if (missingA) return 1;
  if (missingB) return -1;
  let order: number;
  if (typeof a === 'number' && typeof b === 'number') order = a - b;
  else if (typeof a === 'number') order = -1;
  else if (typeof b === 'number') order = 1;
  else order = String(a).localeCompare(String(b));
  return descending ? -order : order;
}

/// Sorts experiments within each baseline. The workspace and the baselines
/// keep their order, because a baseline's place is its place in history.
export function sortTable(table: Table, sort: SortSpec | null): Table {
  if (!sort) return table;
  const column = table.columns.find((candidate) => candidate.id === sort.column);
  if (!column) return table;
  const sortChildren = (row: ExpRow): ExpRow => ({
    ...row,
    children: row.children
      .map((child) => child)
      .sort((a, b) => compareCells(cell(a, column), cell(b, column), sort.descending)),
  });
  return { ...table, rows: table.rows.map(sortChildren) };
}

export interface DisplayRow {
  row: ExpRow;
  depth: number;
  /// Whether this is the last child of its baseline (for tree glyphs).
  last: boolean;
}

/// The rows in display order, children under their (expanded) baselines.
export function displayRows(table: Table, collapsed: ReadonlySet<string> = new Set()): DisplayRow[] {
  const out: DisplayRow[] = [];
  for (const row of table.rows) {
    out.push({ row, depth: 0, last: false });
    if (collapsed.has(row.id)) continue;
    row.children.forEach((child, index) => {
      out.push({ row: child, depth: 1, last: index === row.children.length - 1 });
    });
  }
  return out;
}

export function findRow(table: Table, id: string): ExpRow | undefined {
  for (const row of table.rows) {
    if (row.id === id) return row;
    const child = row.children.find((candidate) => candidate.id === id);
    if (child) return child;
  }
  return undefined;
}

/// The label of a row as the table's first column shows it.
export function rowLabel(row: ExpRow): string {
  if (row.kind === 'workspace') return 'workspace';
  const short = row.rev.length > 7 ? row.rev.slice(0, 7) : row.rev;
  if (row.kind === 'baseline') return row.name ? `${row.name} (${short})` : short;
  return row.name ? `${row.name} (${short})` : short;
}

/// How the table prints a value: numbers with at most five significant
/// digits like `exp show`, missing values as `-`.
export function formatValue(value: Scalar | undefined): string {
  if (value === undefined || value === null) return '-';
  if (typeof value === 'number') {
    if (Number.isInteger(value)) return String(value);
    return String(Number(value.toPrecision(5)));
  }
  return String(value);
}

export interface DiffEntry {
  column: Column;
  old: Scalar | undefined;
  new: Scalar | undefined;
  /// new - old, for two numbers.
  delta: number | null;
}

/// Params and metrics that differ between two rows, params first.
export function diffRows(table: Table, from: ExpRow, to: ExpRow): DiffEntry[] {
  const out: DiffEntry[] = [];
  for (const column of table.columns) {
    const a = cell(from, column);
    const b = cell(to, column);
    if (a === b) continue;
    const delta = typeof a === 'number' && typeof b === 'number' ? Number((b - a).toPrecision(12)) : null;
    out.push({ column, old: a, new: b, delta });
  }
  return out;
}

/// The experiment name a row action sends to the server: the name when it
/// has one, else the rev.
export function experimentRef(row: ExpRow): string {
  return row.name ?? row.rev;
}
