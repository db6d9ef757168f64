// The Plots view's data: `retort/plots` results read into line series per
// plot and revision, and each plot drawn as a self-contained SVG string (no
// chart library, nothing fetched).

export interface Series {
  revision: string;
  y: string;
  points: Array<[number, number]>;
}

export interface Chart {
  id: string;
  x: string;
  series: Series[];
}

type Json = unknown;
type Rec = Record<string, Json>;

function isObject(value: Json): value is Rec {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function toNumber(value: Json): number | null {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  return null;
}

/// Records of one plot in one revision. Accepts a list of records, DVC's
/// `{data: [...]}` wrapper, or a list of vega entries whose values carry `rev`.
function recordsOf(value: Json, revision: string): Rec[] {
  if (Array.isArray(value)) {
    const records: Rec[] = [];
    for (const item of value) {
      if (isObject(item) && isObject(item.content)) {
        const content = item.content as Rec;
        const inner = isObject(content.data) ? (content.data as Rec).values : content.values;
        records.push(...recordsOf(inner, revision));
      } else if (isObject(item)) {
        if (typeof item.rev === 'string' && item.rev !== revision) continue;
        records.push(item);
      }
    }
    return records;
  }
  if (isObject(value) && Array.isArray(value.data)) return recordsOf(value.data, revision);
  return [];
}

interface Definition {
  x?: string;
  y: string[];
}

function definitionOf(plot: Rec): Definition {
  const def = isObject(plot.definition) ? plot.definition : {};
  const x = typeof def.x === 'string' ? def.x : undefined;
  let y: string[] = [];
  if (typeof def.y === 'string') y = [def.y];
  else if (Array.isArray(def.y)) y = def.y.filter((item): item is string => typeof item === 'string');
  else if (isObject(def.y)) {
    for (const keys of Object.values(def.y)) {
      if (typeof keys === 'string') y.push(keys);
      else if (Array.isArray(keys)) y.push(...keys.filter((item): item is string => typeof item === 'string'));
    }
  }
  return { x, y };
}

/// The data of `plotId` in `revision`, whichever way round `data` is keyed.
function lookup(data: Rec, revisions: string[], plotId: string, revision: string): Json {
  const byRevision = data[revision];
  if (isObject(byRevision) && plotId in byRevision) return byRevision[plotId];
  const byPlot = data[plotId];
  if (isObject(byPlot) && revision in byPlot) return byPlot[revision];
  if (Array.isArray(byPlot) && revisions.length > 0) return byPlot;
  return undefined;
}

/// The y field a Vega-Lite spec plots: its own encoding, or the first
/// layer's.
function yField(spec: Json): string | undefined {
  if (!isObject(spec)) return undefined;
  const encoding = isObject(spec.encoding) ? spec.encoding : {};
  if (isObject(encoding.y) && typeof encoding.y.field === 'string') return encoding.y.field;
  for (const layer of Array.isArray(spec.layer) ? spec.layer : []) {
    const found = yField(layer);
    if (found) return found;
  }
  return undefined;
}

/// Charts from the `dvc plots diff --json` shape, `{data: {id: [entry]}}`,
/// where each vega entry contains its records (tagged with `rev`, and with
/// `field` when several fields share the chart) and names x and y in its
/// encoding.
function dvcCharts(plots: Rec, revisions: string[]): Chart[] {
  const charts: Chart[] = [];
  for (const [id, entries] of Object.entries(plots)) {
    const series = new Map<string, Series>();
    let xName = 'step';
    for (const entry of Array.isArray(entries) ? entries : []) {
      if (!isObject(entry) || entry.type !== 'vega' || !isObject(entry.content)) continue;
      const content = entry.content;
      const encoding = isObject(content.encoding) ? content.encoding : {};
      if (isObject(encoding.x) && typeof encoding.x.field === 'string') xName = encoding.x.field;
      const y = yField(content);
      const values = isObject(content.data) && Array.isArray(content.data.values) ? content.data.values : [];
      if (!y) continue;
      values.forEach((record, index) => {
        if (!isObject(record)) return;
        const revision = typeof record.rev === 'string' ? record.rev : 'workspace';
        const label = typeof record.field === 'string' ? record.field : y;
        const xv = xName in record ? toNumber(record[xName]) : index;
        const yv = toNumber(record[y]);
        if (xv === null || yv === null) return;
        const key = `${revision}\u0000${label}`;
        if (!series.has(key)) series.set(key, { revision, y: label, points: [] });
        series.get(key)?.points.push([xv, yv]);
      });
    }
    const order = (revision: string) => {
      const index = revisions.indexOf(revision);
      return index < 0 ? revisions.length : index;
    };
    const sorted = [...series.values()].sort((a, b) => order(a.revision) - order(b.revision));
    if (sorted.length > 0) charts.push({ id, x: xName, series: sorted });
  }
  return charts;
}

/// Messages of plots that could not be read in some revision (the `errors`
/// of the `dvc plots diff --json` shape).
export function plotErrors(result: Json): string[] {
  if (!isObject(result) || !isObject(result.data) || !Array.isArray(result.data.errors)) return [];
  return result.data.errors
    .filter(isObject)
    .map((error) => `${typeof error.rev === 'string' ? `${error.rev}: ` : ''}${String(error.msg ?? error.type ?? 'error')}`);
}

/// Builds one chart per plot that has data, with one series per revision
/// and y field. Without a declared x, points are numbered in file order
/// (DVC's `step` default). Without a declared y, every numeric field but x
/// is drawn.
export function buildCharts(result: Json): Chart[] {
  if (!isObject(result) || !isObject(result.data)) return [];
  const revisionList = Array.isArray(result.revisions) ? result.revisions.map(String) : [];
  if (isObject(result.data.data)) return dvcCharts(result.data.data, revisionList);
  const revisions = Array.isArray(result.revisions) ? result.revisions.map(String) : [];
  const plots = Array.isArray(result.plots) ? result.plots.filter(isObject) : [];
  const charts: Chart[] = [];
  for (const plot of plots) {
    const id = String(plot.id ?? '');
    const definition = definitionOf(plot);
    const series: Series[] = [];
    let xName = definition.x ?? 'step';
    for (const revision of revisions) {
      const records = recordsOf(lookup(result.data, revisions, id, revision), revision);
      if (records.length === 0) continue;
      if (!definition.x && records.some((record) => 'step' in record)) xName = 'step';
      const yNames =
        definition.y.length > 0
          ? definition.y
          : Object.keys(records[0]).filter((key) => key !== xName && key !== 'rev' && toNumber(records[0][key]) !== null);
      for (const y of yNames) {
        const points: Array<[number, number]> = [];
        records.forEach((record, index) => {
          const xv = xName in record ? toNumber(record[xName]) : index;
          const yv = toNumber(record[y]);
          if (xv !== null && yv !== null) points.push([xv, yv]);
        });
        if (points.length > 0) series.push({ revision, y, points });
      }
    }
    if (series.length > 0) charts.push({ id, x: xName, series });
  }
  return charts;
}

/// Round, readable tick values covering [min, max].
export function ticks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) return [min];
  const raw = (max - min) / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((factor) => factor * magnitude).find((candidate) => candidate >= raw) ?? raw;
  const out: number[] = [];
  for (let value = Math.ceil(min / step) * step; value <= max + step * 1e-9; value += step) {
    out.push(Number(value.toPrecision(12)));
  }
  return out;
}

const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#17becf'];

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

/// Draws a chart as an SVG document fragment. Colors follow the series
/// order, and the legend names each revision and field.
export function renderSvg(chart: Chart, width = 480, height = 280): string {
  const margin = { left: 56, right: 12, top: 12, bottom: 36 };
  const all = chart.series.flatMap((series) => series.points);
  let [xMin, xMax] = [Math.min(...all.map((p) => p[0])), Math.max(...all.map((p) => p[0]))];
  let [yMin, yMax] = [Math.min(...all.map((p) => p[1])), Math.max(...all.map((p) => p[1]))];
  if (xMin === xMax) [xMin, xMax] = [xMin - 1, xMax + 1];
  if (yMin === yMax) [yMin, yMax] = [yMin - 1, yMax + 1];
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const sx = (x: number) => margin.left + ((x - xMin) / (xMax - xMin)) * plotW;
  const sy = (y: number) => margin.top + plotH - ((y - yMin) / (yMax - yMin)) * plotH;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeXml(chart.id)}">`);
  parts.push(`<rect x="${margin.left}" y="${margin.top}" width="${plotW}" height="${plotH}" fill="none" stroke="currentColor" stroke-opacity="0.3"/>`);
  for (const tick of ticks(yMin, yMax)) {
    const y = sy(tick).toFixed(1);
    parts.push(`<line x1="${margin.left}" x2="${margin.left + plotW}" y1="${y}" y2="${y}" stroke="currentColor" stroke-opacity="0.1"/>`);
    parts.push(`<text x="${margin.left - 4}" y="${y}" text-anchor="end" dominant-baseline="middle" font-size="10" fill="currentColor">${tick}</text>`);
  }
  // Steps and epochs are whole numbers, so half-step ticks would mislead.
  const wholeX = all.every(([x]) => Number.isInteger(x));
  const xTicks = ticks(xMin, xMax).filter((tick) => !wholeX || Number.isInteger(tick));
  for (const tick of xTicks) {
    const x = sx(tick).toFixed(1);
    parts.push(`<text x="${x}" y="${margin.top + plotH + 14}" text-anchor="middle" font-size="10" fill="currentColor">${tick}</text>`);
  }
  parts.push(`<text x="${margin.left + plotW / 2}" y="${height - 4}" text-anchor="middle" font-size="11" fill="currentColor">${escapeXml(chart.x)}</text>`);
  chart.series.forEach((series, index) => {
    const color = PALETTE[index % PALETTE.length];
    const d = series.points.map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ');
    parts.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="1.5"><title>${escapeXml(`${series.revision} ${series.y}`)}</title></path>`);
    if (series.points.length === 1) {
      const [x, y] = series.points[0];
      parts.push(`<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="2.5" fill="${color}"/>`);
    }
  });
  parts.push('</svg>');
  return parts.join('');
}

export function seriesColor(index: number): string {
  return PALETTE[index % PALETTE.length];
}
