// The Plots webview: one SVG line chart per plot, one line per revision
// and field, with a legend and a field to change the revisions shown.

import { buildCharts, plotErrors, renderSvg, seriesColor } from '../model/plots';
import { addStyle, button, el, vscode } from './dom';

addStyle(`
.charts { display: flex; flex-wrap: wrap; gap: 16px; }
figure { margin: 0; }
figcaption { font-weight: bold; margin-bottom: 4px; }
.legend span { margin-right: 12px; white-space: nowrap; }
.swatch { display: inline-block; width: 10px; height: 10px; margin-right: 4px; }
input { width: 40em; background: var(--vscode-input-background); color: var(--vscode-input-foreground); border: 1px solid var(--vscode-input-border, transparent); padding: 3px; }
`);

let revisions: string[] = [];
let labels: Record<string, string> = {};

function render(result: unknown): void {
  const app = document.getElementById('app');
  if (!app) return;
  app.replaceChildren();
  const input = el('input', { value: revisions.join(' '), title: 'Revisions to plot, separated by spaces' });
  const apply = () => vscode.postMessage({ type: 'revisions', revisions: input.value.split(/\s+/).filter(Boolean) });
  input.addEventListener('keydown', (event) => event.key === 'Enter' && apply());
  app.append(el('div', { class: 'toolbar' }, input, ' ', button('Show', apply), button('Refresh', () => vscode.postMessage({ type: 'refresh' }))));

  if (result === null || result === undefined) {
    app.append(el('div', { class: 'notice' }, 'The language server did not answer retort/plots.'));
    return;
  }
  for (const error of plotErrors(result)) app.append(el('div', { class: 'notice error' }, error));
  const charts = buildCharts(result);

  const defined = (result as { plots?: unknown[] }).plots?.length ?? 0;
  if (charts.length === 0) {
    const available = (result as { available?: boolean }).available;
    const why =
      defined === 0
        ? 'The pipelines define no plots.'
        : available === false
          ? `The pipelines define ${defined} plot(s); this build of the language server does not read plot data yet.`
          : 'No data for these revisions yet.';
    app.append(el('div', { class: 'notice' }, why));
    return;
  }

  const container = el('div', { class: 'charts' });
  for (const chart of charts) {
    const figure = el('figure', { 'data-plot': chart.id });
    figure.append(el('figcaption', {}, chart.id));
    // The SVG string is built by renderSvg with every name escaped.
    const holder = el('div');
    holder.innerHTML = renderSvg(chart);
    figure.append(holder);
    const legend = el('div', { class: 'legend' });
    chart.series.forEach((series, index) => {
      const swatch = el('span', { class: 'swatch' });
      swatch.style.background = seriesColor(index);
      legend.append(el('span', {}, swatch, `${labels[series.revision] ?? series.revision} · ${series.y}`));
    });
    figure.append(legend);
    container.append(figure);
  }
  app.append(container);
}

window.addEventListener('message', (event: MessageEvent) => {
  const message = event.data as { type: string; result: unknown; revisions: string[]; labels: Record<string, string> };
  if (message.type !== 'plots') return;
  revisions = message.revisions;
  labels = message.labels ?? {};
  render(message.result);
});

vscode.postMessage({ type: 'ready' });
