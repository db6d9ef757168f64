// The Experiments webview: renders the table model, sorts on header clicks,
// folds baselines, and sends row actions back to the extension.

import {
  buildTable,
  cell,
  Column,
  diffRows,
  displayRows,
  experimentRef,
  ExpRow,
  findRow,
  formatValue,
  rowLabel,
  SortSpec,
  sortTable,
  Table,
} from '../model/experiments';
import { plotRevision } from './revisions';
import { addStyle, button, el, vscode } from './dom';

addStyle(`
table { border-collapse: collapse; width: 100%; }
th, td { border-bottom: 1px solid var(--vscode-editorGroup-border); padding: 3px 8px; text-align: left; white-space: nowrap; }
th { cursor: pointer; user-select: none; position: sticky; top: 0; background: var(--vscode-editor-background); }
th.group { cursor: default; text-align: center; color: var(--vscode-descriptionForeground); }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.selected { background: var(--vscode-list-activeSelectionBackground); color: var(--vscode-list-activeSelectionForeground); }
tr.baseline td.name { font-weight: bold; }
.state { border-radius: 8px; padding: 0 6px; font-size: 90%; }
.state-running { background: var(--vscode-charts-blue); color: white; }
.state-queued { background: var(--vscode-charts-yellow); color: black; }
.state-failed { background: var(--vscode-charts-red); color: white; }
.fold { cursor: pointer; display: inline-block; width: 1em; }
#diff { margin-top: 12px; }
.scroll { overflow-x: auto; }
`);

interface ViewState {
  sort: SortSpec | null;
  collapsed: string[];
  selected: string[];
  /// Whether the diff of the two selected rows is shown.
  diff: boolean;
}

const saved = (vscode.getState() as ViewState | undefined) ?? { sort: null, collapsed: [], selected: [], diff: false };
let state: ViewState = saved;
let table: Table | null = null;
let trusted = true;
let lastKey = '';

function update(next: Partial<ViewState>): void {
  state = { ...state, ...next };
  vscode.setState(state);
  render();
}

function toggleSort(column: Column): void {
  const current = state.sort;
  let sort: SortSpec | null;
  if (!current || current.column !== column.id) sort = { column: column.id, descending: false };
  else if (!current.descending) sort = { column: column.id, descending: true };
  else sort = null;
  update({ sort });
}

function toggleSelected(row: ExpRow): void {
  const selected = state.selected.includes(row.id)
    ? state.selected.filter((id) => id !== row.id)
    : [...state.selected, row.id].slice(-2);
  update({ selected, diff: false });
}

function header(view: Table): HTMLElement {
  const groups = el('tr', {}, el('th', { class: 'group', colspan: '3' }, ''));
  for (const group of ['params', 'metrics'] as const) {
    const count = view.columns.filter((column) => column.group === group).length;
    if (count > 0) groups.append(el('th', { class: 'group', colspan: String(count) }, group === 'params' ? 'Params' : 'Metrics'));
  }
  const names = el('tr', {}, el('th', {}, 'Experiment'), el('th', {}, 'State'), el('th', {}, 'Created'));
  for (const column of view.columns) {
    let arrow = '';
    if (state.sort?.column === column.id) arrow = state.sort.descending ? ' ▼' : ' ▲';
    const th = el('th', { title: `${column.file}: ${column.key}`, 'data-column': column.label }, column.label + arrow);
    th.addEventListener('click', () => toggleSort(column));
    names.append(th);
  }
  return el('thead', {}, groups, names);
}

function nameCell(view: Table, row: ExpRow, depth: number, last: boolean): HTMLElement {
  const td = el('td', { class: 'name' });
  if (depth === 0 && row.children.length > 0) {
    const folded = state.collapsed.includes(row.id);
    const fold = el('span', { class: 'fold', title: folded ? 'Show experiments' : 'Hide experiments' }, folded ? '▸' : '▾');
    fold.addEventListener('click', (event) => {
      event.stopPropagation();
      update({ collapsed: folded ? state.collapsed.filter((id) => id !== row.id) : [...state.collapsed, row.id] });
    });
    td.append(fold);
  } else if (depth > 0) {
    td.append(el('span', { class: 'fold' }, ''), last ? '└─ ' : '├─ ');
  }
  td.append(rowLabel(row));
  if (row.error) td.title = row.error;
  void view;
  return td;
}

function body(view: Table): HTMLElement {
  const tbody = el('tbody');
  for (const { row, depth, last } of displayRows(view, new Set(state.collapsed))) {
    const classes = [row.kind, state.selected.includes(row.id) ? 'selected' : ''].join(' ');
    const tr = el('tr', { class: classes, 'data-row': row.id, 'data-name': row.name ?? '' });
    tr.append(nameCell(view, row, depth, last));
    const label = row.kind === 'experiment' ? row.state : '';
    tr.append(el('td', {}, label ? el('span', { class: `state state-${row.state}` }, label) : ''));
    tr.append(el('td', {}, row.created ?? ''));
    for (const column of view.columns) {
      const value = cell(row, column);
      tr.append(el('td', { class: typeof value === 'number' ? 'num' : '' }, formatValue(value)));
    }
    tr.addEventListener('click', () => toggleSelected(row));
    tbody.append(tr);
  }
  return tbody;
}

function toolbar(view: Table): HTMLElement {
  const chosen = state.selected.map((id) => findRow(view, id)).filter((row): row is ExpRow => row !== undefined);
  const one = chosen.length === 1 && chosen[0].kind === 'experiment' ? chosen[0] : undefined;
  const act = (action: string) => () =>
    one && vscode.postMessage({ type: 'action', action, experiment: experimentRef(one) });
  const why = trusted ? 'Select one experiment' : 'Trust the workspace to change experiments';
  return el(
    'div',
    { class: 'toolbar' },
    button('Refresh', () => vscode.postMessage({ type: 'refresh' })),
    button('Apply', act('apply'), trusted && !!one, why),
    button('Branch', act('branch'), trusted && !!one, why),
    button('Remove', act('remove'), trusted && !!one, why),
    button('Diff', () => update({ diff: true }), chosen.length === 2, 'Compare the two selected rows'),
    button(
      'Plot',
      () =>
        vscode.postMessage({
          type: 'plot',
          revisions: chosen.map(plotRevision),
          labels: Object.fromEntries(chosen.map((row) => [plotRevision(row), rowLabel(row)])),
        }),
      chosen.length > 0,
      'Plot the selected rows',
    ),
  );
}

function diffPane(view: Table): HTMLElement {
  const chosen = state.selected.map((id) => findRow(view, id)).filter((row): row is ExpRow => row !== undefined);
  const pane = el('div', { id: 'diff' });
  if (!state.diff || chosen.length !== 2) return pane;
  const [from, to] = chosen;
  const entries = diffRows(view, from, to);
  pane.append(el('h3', {}, `${rowLabel(from)} → ${rowLabel(to)}`));
  if (entries.length === 0) {
    pane.append(el('div', { class: 'notice' }, 'No param or metric differs.'));
    return pane;
  }
  const rows = entries.map((entry) =>
    el(
      'tr',
      {},
      el('td', {}, entry.column.group),
      el('td', {}, entry.column.label),
      el('td', { class: 'num' }, formatValue(entry.old)),
      el('td', { class: 'num' }, formatValue(entry.new)),
      el('td', { class: 'num' }, entry.delta === null ? '' : (entry.delta > 0 ? '+' : '') + formatValue(entry.delta)),
    ),
  );
  pane.append(
    el(
      'table',
      {},
      el('thead', {}, el('tr', {}, el('th', {}, ''), el('th', {}, 'Key'), el('th', {}, 'Old'), el('th', {}, 'New'), el('th', {}, 'Change'))),
      el('tbody', {}, ...rows),
    ),
  );
  return pane;
}

function render(): void {
  const app = document.getElementById('app');
  if (!app) return;
  app.replaceChildren();
  if (!table) {
    app.append(el('div', { class: 'notice' }, 'Loading experiments…'));
    return;
  }
  const view = sortTable(table, state.sort);
  app.append(toolbar(view));
  if (!table.experimentsAvailable) {
    app.append(el('div', { class: 'notice' }, 'This build of the language server lists only the workspace and HEAD.'));
  }
  if (!trusted) {
    app.append(el('div', { class: 'notice' }, 'Restricted mode: the table is read-only until you trust this workspace.'));
  }
  app.append(el('div', { class: 'scroll' }, el('table', { id: 'experiments' }, header(view), body(view))));
  app.append(diffPane(view));
}

window.addEventListener('message', (event: MessageEvent) => {
  const message = event.data as { type: string; result: unknown; trusted: boolean };
  if (message.type !== 'experiments') return;
  // Live refreshes often bring the same rows; rebuilding the DOM then would
  // only swallow a click that lands during the rebuild.
  const key = JSON.stringify([message.result, message.trusted]);
  if (key === lastKey) return;
  lastKey = key;
  table = buildTable(message.result);
  trusted = message.trusted;
  // Forget selections of rows that are gone.
  const selected = state.selected.filter((id) => table && findRow(table, id));
  if (selected.length !== state.selected.length) state = { ...state, selected };
  render();
});

render();
vscode.postMessage({ type: 'ready' });
