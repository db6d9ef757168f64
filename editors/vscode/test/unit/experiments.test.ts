import { describe, expect, it } from 'vitest';
import {
  buildTable,
  cell,
  diffRows,
  displayRows,
  findRow,
  formatValue,
  rowLabel,
  sortTable,
} from '../../src/model/experiments';

const HEAD = 'a'.repeat(40);
const protocol = {
  rows: [
    { rev: 'workspace', name: null, params: { 'params.yaml': { 'train.lr': 0.1 } }, metrics: { 'metrics.json': { acc: 0.9 } } },
    { rev: HEAD, name: 'HEAD', params: { 'params.yaml': { 'train.lr': 0.1 } }, metrics: { 'metrics.json': { acc: 0.8 } } },
    { rev: 'b'.repeat(40), name: 'fast', baseline: HEAD, state: 'success', params: { 'params.yaml': { 'train.lr': 0.5 } }, metrics: { 'metrics.json': { acc: 0.7 } } },
    { rev: 'c'.repeat(40), name: 'slow', baseline: HEAD, state: 'running', params: { 'params.yaml': { 'train.lr': 0.01 } }, metrics: { 'metrics.json': { acc: 0.95 } } },
    { rev: 'd'.repeat(40), name: 'later', parent: HEAD.slice(0, 7), status: 'Queued', params: { 'params.yaml': { 'train.lr': 0.2 } }, metrics: {} },
    { rev: 'e'.repeat(40), name: 'broken', baseline: HEAD, error: { msg: 'stage failed', type: 'ReproError' }, params: {}, metrics: {} },
  ],
  experiments_available: true,
};

describe('buildTable', () => {
  it('nests experiments under their baseline and keeps the workspace first', () => {
    const table = buildTable(protocol);
    expect(table.rows.map((row) => row.kind)).toEqual(['workspace', 'baseline']);
    expect(table.rows[1].children.map((row) => row.name)).toEqual(['fast', 'slow', 'later', 'broken']);
    expect(table.experimentsAvailable).toBe(true);
  });

  it('reads queued, running and failed states', () => {
    const table = buildTable(protocol);
    const states = Object.fromEntries(table.rows[1].children.map((row) => [row.name, row.state]));
    expect(states).toEqual({ fast: 'success', slow: 'running', later: 'queued', broken: 'failed' });
    expect(findRow(table, `${'e'.repeat(40)}:broken`)?.error).toBe('stage failed');
  });

  it('makes one column per param and metric key', () => {
    const table = buildTable(protocol);
    expect(table.columns.map((column) => `${column.group}:${column.label}`)).toEqual(['params:train.lr', 'metrics:acc']);
  });

  it('labels a key that two files share with its file', () => {
    const table = buildTable({
      rows: [{ rev: 'workspace', params: { 'a.yaml': { lr: 1 }, 'b.yaml': { lr: 2 } }, metrics: {} }],
    });
    expect(table.columns.map((column) => column.label)).toEqual(['a.yaml:lr', 'b.yaml:lr']);
  });

  it("reads DVC's nested exp show --json form", () => {
    const table = buildTable([
      { rev: 'workspace', name: null, data: { params: { 'params.yaml': { data: { train: { lr: 0.05 } } } }, metrics: {} } },
      {
        rev: HEAD,
        name: 'main',
        data: { params: {}, metrics: { 'm.json': { data: { acc: 0.5 } } } },
        experiments: [
          { name: 'q1', executor: { state: 'queued' }, revs: [{ rev: 'f'.repeat(40), data: { params: {}, metrics: {} } }] },
        ],
      },
    ]);
    expect(table.columns.map((column) => column.label)).toEqual(['train.lr', 'acc']);
    expect(table.rows[1].children[0]).toMatchObject({ name: 'q1', state: 'queued', kind: 'experiment' });
    expect(table.experimentsAvailable).toBe(true);
  });

  it('tolerates a result with no rows', () => {
    expect(buildTable(null).rows).toEqual([]);
    expect(buildTable({ rows: [], experiments_available: false }).experimentsAvailable).toBe(false);
  });
});

describe('sortTable', () => {
  it('sorts experiments inside each baseline, missing values last both ways', () => {
    const table = buildTable(protocol);
    const acc = table.columns.find((column) => column.label === 'acc')!.id;
    const up = sortTable(table, { column: acc, descending: false });
    expect(up.rows[1].children.map((row) => row.name)).toEqual(['fast', 'slow', 'later', 'broken']);
    const down = sortTable(table, { column: acc, descending: true });
    expect(down.rows[1].children.map((row) => row.name)).toEqual(['slow', 'fast', 'later', 'broken']);
    expect(down.rows.map((row) => row.kind)).toEqual(['workspace', 'baseline']);
  });

  it('leaves the table alone for an unknown column', () => {
    const table = buildTable(protocol);
    expect(sortTable(table, { column: 'nope', descending: true })).toBe(table);
  });
});

describe('displayRows', () => {
  it('hides the children of a collapsed baseline', () => {
    const table = buildTable(protocol);
    expect(displayRows(table).map((entry) => entry.depth)).toEqual([0, 0, 1, 1, 1, 1]);
    expect(displayRows(table).at(-1)?.last).toBe(true);
    expect(displayRows(table, new Set([HEAD]))).toHaveLength(2);
  });
});

describe('diffRows and formatting', () => {
  it('lists changed values with numeric deltas', () => {
    const table = buildTable(protocol);
    const [fast, slow] = table.rows[1].children;
    const diff = diffRows(table, fast, slow);
    expect(diff.map((entry) => [entry.column.label, entry.old, entry.new, entry.delta])).toEqual([
      ['train.lr', 0.5, 0.01, -0.49],
      ['acc', 0.7, 0.95, 0.25],
    ]);
    expect(diffRows(table, fast, fast)).toEqual([]);
  });

  it('prints values as exp show does', () => {
    expect(formatValue(0.123456789)).toBe('0.12346');
    expect(formatValue(12)).toBe('12');
    expect(formatValue(undefined)).toBe('-');
    expect(formatValue('adam')).toBe('adam');
    const table = buildTable(protocol);
    expect(rowLabel(table.rows[1].children[0])).toBe('fast (bbbbbbb)');
    expect(cell(table.rows[0], table.columns[0])).toBe(0.1);
  });
});
