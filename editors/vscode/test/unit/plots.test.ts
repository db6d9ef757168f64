import { describe, expect, it } from 'vitest';
import { buildCharts, plotErrors, renderSvg, ticks } from '../../src/model/plots';

describe('buildCharts', () => {
  it('makes a series per revision and y field from revision-keyed data', () => {
    const charts = buildCharts({
      revisions: ['workspace', 'HEAD'],
      plots: [{ id: 'loss.csv', definition: { x: 'step', y: 'loss' } }],
      available: true,
      data: {
        workspace: { 'loss.csv': [{ step: 0, loss: 1 }, { step: 1, loss: 0.5 }] },
        HEAD: { 'loss.csv': [{ step: '0', loss: '2' }] },
      },
    });
    expect(charts).toEqual([
      {
        id: 'loss.csv',
        x: 'step',
        series: [
          { revision: 'workspace', y: 'loss', points: [[0, 1], [1, 0.5]] },
          { revision: 'HEAD', y: 'loss', points: [[0, 2]] },
        ],
      },
    ]);
  });

  it('reads plot-keyed data and guesses y fields when none is declared', () => {
    const charts = buildCharts({
      revisions: ['workspace'],
      plots: [{ id: 'dvclive/plots/metrics/acc.tsv' }],
      data: { 'dvclive/plots/metrics/acc.tsv': { workspace: [{ step: 0, acc: 0.1, note: 'x' }, { step: 1, acc: 0.2, note: 'y' }] } },
    });
    expect(charts[0].x).toBe('step');
    expect(charts[0].series).toEqual([{ revision: 'workspace', y: 'acc', points: [[0, 0.1], [1, 0.2]] }]);
  });

  it("reads the dvc plots diff --json shape, one series per rev and field", () => {
    const content = (values: unknown[], y: string) => ({
      data: { values },
      encoding: { x: { field: 'step' }, color: { field: 'rev' } },
      layer: [{ encoding: { y: { field: y } } }],
    });
    const result = {
      revisions: ['workspace', 'HEAD'],
      plots: [{ id: 'loss.csv', stage: 'train' }],
      available: true,
      data: {
        errors: [{ rev: 'workspace', type: 'YAMLValidationError', msg: "'broken/dvc.yaml' validation failed" }],
        data: {
          'loss.csv': [
            {
              type: 'vega',
              revisions: ['HEAD', 'workspace'],
              content: content(
                [
                  { step: '0', loss: '0.9', rev: 'HEAD' },
                  { step: '1', loss: '0.8', rev: 'HEAD' },
                  { step: '0', loss: '0.5', rev: 'workspace' },
                ],
                'loss',
              ),
            },
          ],
          'both.json': [
            {
              type: 'vega',
              revisions: ['HEAD'],
              content: content(
                [
                  { step: 0, a: 1, b: 2, dvc_inferred_y_value: 1, field: 'a', rev: 'HEAD' },
                  { step: 0, a: 1, b: 2, dvc_inferred_y_value: 2, field: 'b', rev: 'HEAD' },
                ],
                'dvc_inferred_y_value',
              ),
            },
          ],
          'confusion.png': [{ type: 'image', revisions: ['HEAD'], url: '.dvc/tmp/x.png' }],
        },
      },
    };
    const charts = buildCharts(result);
    expect(charts.map((chart) => chart.id)).toEqual(['loss.csv', 'both.json']);
    expect(charts[0].series).toEqual([
      { revision: 'workspace', y: 'loss', points: [[0, 0.5]] },
      { revision: 'HEAD', y: 'loss', points: [[0, 0.9], [1, 0.8]] },
    ]);
    expect(charts[1].series.map((series) => [series.y, series.points])).toEqual([
      ['a', [[0, 1]]],
      ['b', [[0, 2]]],
    ]);
    expect(plotErrors(result)).toEqual(["workspace: 'broken/dvc.yaml' validation failed"]);
  });

  it('returns no chart when the server has no data yet', () => {
    expect(buildCharts({ revisions: ['workspace'], plots: [{ id: 'a.csv' }], available: false, data: null })).toEqual([]);
  });
});

describe('renderSvg', () => {
  it('draws one path per series and escapes names', () => {
    const svg = renderSvg({
      id: 'a<b>.csv',
      x: 'step',
      series: [
        { revision: 'workspace', y: 'loss', points: [[0, 1], [1, 0.5]] },
        { revision: 'exp-1', y: 'loss', points: [[0, 2]] },
      ],
    });
    expect(svg.match(/<path /g)).toHaveLength(2);
    expect(svg).toContain('a&#60;b&#62;.csv');
    expect(svg).toContain('<circle');
    expect(svg.startsWith('<svg')).toBe(true);
  });

  it('picks round ticks', () => {
    expect(ticks(0, 1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(ticks(3, 3)).toEqual([3]);
  });
});
