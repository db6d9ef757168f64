//! Static SVG drawings of filled plots, made without JavaScript: lines (one
//! colour per revision, one dash pattern per field or file), smoothed lines,
//! scatter plots, horizontal bars and confusion matrices, each with axes,
//! ticks, axis titles, a title and a legend.
//!
//! Elements carry classes and `data-` attributes (`series`, `legend-entry`,
//! `data-rev`, `data-series`, the plot area's domains and box) so that tests
//! and scripts can read a drawing back.

mod bars;
mod confusion;
mod lines;
mod points;
pub mod scale;

use std::fmt::Write as _;

use super::fill::{FilledPlot, COLORS, SHAPES, STROKE_DASHES};
use super::group::VegaPlot;
use super::json::Json;
use super::template::ChartKind;
use scale::{fit_text, format_tick, text_width, BandScale, LinearScale, TICK_COUNT};

/// The size of the plotting area of a chart, in pixels.
pub const PLOT_WIDTH: f64 = 420.0;
pub const PLOT_HEIGHT: f64 = 300.0;

const FONT: &str = "DejaVu Sans, Liberation Sans, Arial, Helvetica, sans-serif";
const TITLE_SIZE: f64 = 15.0;
const LABEL_SIZE: f64 = 12.0;
const TICK_SIZE: f64 = 11.0;
const TEXT_COLOR: &str = "#222";
const MUTED: &str = "#555";
const GRID: &str = "#e4e4e4";
const AXIS: &str = "#888";
/// The widest a legend label may get before it is cut.
const MAX_LABEL_WIDTH: f64 = 240.0;
/// The widest a category label on an axis may get before it is cut.
const MAX_CATEGORY_WIDTH: f64 = 180.0;

/// The data of one chart, taken from the plot and its filled template.
pub struct ChartData<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub x: &'a str,
    pub y: &'a str,
    pub x_label: &'a str,
    pub y_label: &'a str,
    pub rows: &'a [Json],
    pub revisions: &'a [String],
    pub series_field: Option<&'a str>,
    pub series_domain: &'a [String],
}

impl ChartData<'_> {
    /// Lists the series values within a revision: the domain, or one unnamed series.
    fn series(&self) -> Vec<Option<&str>> {
        if self.series_field.is_some() && !self.series_domain.is_empty() {
            self.series_domain
                .iter()
                .map(|value| Some(value.as_str()))
                .collect()
        } else {
            vec![None]
        }
    }

    /// Selects the rows of one revision and series.
    fn rows_of<'r>(
        &'r self,
        revision: &'r str,
        series: Option<&'r str>,
    ) -> impl Iterator<Item = &'r Json> + 'r {
        self.rows.iter().filter(move |row| {
            row.get("rev").and_then(Json::as_str) == Some(revision)
                && match (series, self.series_field) {
                    (Some(value), Some(field)) => {
                        row.get(field).and_then(Json::as_str) == Some(value)
                    }
                    _ => true,
                }
        })
    }

    fn color(&self, revision: &str) -> &'static str {
        let index = self
            .revisions
            .iter()
            .position(|found| found == revision)
            .unwrap_or(0);
        COLORS[index % COLORS.len()]
    }

    fn series_index(&self, series: Option<&str>) -> usize {
        series
            .and_then(|value| self.series_domain.iter().position(|found| found == value))
            .unwrap_or(0)
    }

    /// Builds the legend entries, one per revision and series.
    fn legend_entries(&self, sample: SampleKind) -> Vec<LegendEntry> {
        let mut entries = Vec::new();
        for revision in self.revisions {
            for series in self.series() {
                let label = match series {
                    Some(value) => format!("{revision} · {value}"),
                    None => revision.clone(),
                };
                let index = self.series_index(series);
                entries.push(LegendEntry {
                    revision: revision.clone(),
                    series: series.map(str::to_string),
                    label,
                    color: self.color(revision),
                    sample: match sample {
                        SampleKind::Line => {
                            Sample::Line(STROKE_DASHES[index % STROKE_DASHES.len()])
                        }
                        SampleKind::Point => Sample::Point(SHAPES[index % SHAPES.len()]),
                        SampleKind::Swatch => Sample::Swatch,
                    },
                });
            }
        }
        entries
    }

    fn legend_title(&self) -> String {
        match self.series_field {
            Some(field) if !self.series_domain.is_empty() => format!("revision · {field}"),
            _ => "revision".to_string(),
        }
    }
}

/// Draws a filled plot.
pub fn render(plot: &VegaPlot, filled: &FilledPlot, kind: ChartKind) -> String {
    let Some(props) = &plot.props else {
        return render_message(&plot.id, &plot.title, "No data");
    };
    let y = props.y.clone().unwrap_or_default();
    let y_label = props.y_label.clone().unwrap_or_else(|| y.clone());
    let data = ChartData {
        id: &plot.id,
        title: &plot.title,
        x: &props.x,
        y: &y,
        x_label: &props.x_label,
        y_label: &y_label,
        rows: &filled.rows,
        revisions: &filled.revisions,
        series_field: filled.series_field.as_deref(),
        series_domain: &filled.series_domain,
    };
    match kind {
        ChartKind::Linear | ChartKind::Simple => lines::render(&data, false),
        ChartKind::Smooth => lines::render(&data, true),
        ChartKind::Scatter => points::render(&data, false),
        ChartKind::ScatterJitter => points::render(&data, true),
        ChartKind::BarHorizontal => bars::render(&data, false),
        ChartKind::BarHorizontalSorted => bars::render(&data, true),
        ChartKind::Confusion => confusion::render(&data, false),
        ChartKind::ConfusionNormalized => confusion::render(&data, true),
    }
}

/// Draws a chart frame with a message in place of data.
pub fn render_message(id: &str, title: &str, message: &str) -> String {
    let width = (text_width(title, TITLE_SIZE) + 40.0).max(320.0);
    let mut svg = Svg::new(width, 120.0, id, title);
    svg.title(width / 2.0, title);
    svg.text(
        width / 2.0,
        75.0,
        message,
        LABEL_SIZE,
        "middle",
        MUTED,
        "message",
    );
    svg.finish()
}

/// An SVG document being written.
pub(crate) struct Svg {
    pub(crate) out: String,
}

/// Escapes text for XML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

/// Formats a number for an SVG attribute with two decimals at most.
pub(crate) fn num(value: f64) -> String {
    let rounded = (value * 100.0).round() / 100.0;
    let text = format!("{rounded:.2}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".to_string()
    } else {
        text.to_string()
    }
}

impl Svg {
    pub(crate) fn new(width: f64, height: f64, id: &str, title: &str) -> Svg {
        let mut out = String::new();
        let _ = write!(
            out,
            r#"<svg xmlns="http://www.w3.org/2000/svg" class="retort-plot" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="{FONT}" data-plot-id="{id}" role="img" aria-label="{title}">"#,
            w = num(width),
            h = num(height),
            id = escape(id),
            title = escape(title),
        );
        let _ = write!(out, "<title>{}</title>", escape(title));
        let _ = write!(
            out,
            r#"<rect class="background" x="0" y="0" width="{}" height="{}" fill="white"/>"#,
            num(width),
            num(height)
        );
        Svg { out }
    }

    pub(crate) fn raw(&mut self, text: &str) {
        self.out.push_str(text);
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn text(
        &mut self,
        x: f64,
        y: f64,
        content: &str,
        size: f64,
        anchor: &str,
        color: &str,
        class: &str,
    ) {
        let _ = write!(
            self.out,
            r#"<text class="{class}" x="{}" y="{}" font-size="{}" text-anchor="{anchor}" fill="{color}">{}</text>"#,
            num(x),
            num(y),
            num(size),
            escape(content)
        );
    }

    /// Text cut to `width`, with the full text as a tooltip when cut.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn fitted_text(
        &mut self,
        x: f64,
        y: f64,
        content: &str,
        size: f64,
        width: f64,
        anchor: &str,
        class: &str,
    ) {
        let shown = fit_text(content, size, width);
        if shown == content {
            self.text(x, y, content, size, anchor, TEXT_COLOR, class);
        } else {
            let _ = write!(
                self.out,
                r#"<text class="{class}" x="{}" y="{}" font-size="{}" text-anchor="{anchor}" fill="{TEXT_COLOR}"><title>{}</title>{}</text>"#,
                num(x),
                num(y),
                num(size),
                escape(content),
                escape(&shown)
            );
        }
    }

    pub(crate) fn title(&mut self, center: f64, title: &str) {
        let _ = write!(
            self.out,
            r#"<text class="title" x="{}" y="24" font-size="{TITLE_SIZE}" font-weight="bold" text-anchor="middle" fill="{TEXT_COLOR}">{}</text>"#,
            num(center),
            escape(title)
        );
    }

    pub(crate) fn line(&mut self, x1: f64, y1: f64, x2: f64, y2: f64, color: &str) {
        let _ = write!(
            self.out,
            r#"<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{color}" stroke-width="1"/>"#,
            num(x1),
            num(y1),
            num(x2),
            num(y2)
        );
    }

    pub(crate) fn finish(mut self) -> String {
        self.out.push_str("</svg>\n");
        self.out
    }
}

/// The pixel box of a plotting area.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PlotBox {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
}

impl PlotBox {
    pub fn bottom(&self) -> f64 {
        self.y + self.height
    }

    pub fn right(&self) -> f64 {
        self.x + self.width
    }
}

/// The top of the plotting area, below the title.
pub(crate) const TOP: f64 = 44.0;

/// Measures the widest y tick label of a linear scale.
pub(crate) fn y_ticks_width(scale: &LinearScale) -> f64 {
    let step = scale.tick_step(TICK_COUNT);
    scale
        .ticks(TICK_COUNT)
        .iter()
        .map(|tick| text_width(&format_tick(*tick, step), TICK_SIZE))
        .fold(0.0, f64::max)
}

/// Draws a quantitative x axis along the bottom of `area`, with grid lines.
pub(crate) fn x_axis_linear(svg: &mut Svg, scale: &LinearScale, area: PlotBox, label: &str) {
    // Fewer ticks when their labels would crowd each other.
    let mut count = TICK_COUNT;
    let (ticks, step) = loop {
        let step = scale.tick_step(count);
        let ticks = scale.ticks(count);
        let widest = ticks
            .iter()
            .map(|tick| text_width(&format_tick(*tick, step), TICK_SIZE))
            .fold(0.0, f64::max);
        if count <= 2 || (widest + 10.0) * ticks.len() as f64 <= area.width {
            break (ticks, step);
        }
        count -= 1;
    };
    svg.raw(r#"<g class="grid x-grid">"#);
    for tick in &ticks {
        let x = scale.map(*tick);
        svg.line(x, area.y, x, area.bottom(), GRID);
    }
    svg.raw("</g>");
    svg.raw(r#"<g class="axis x-axis">"#);
    svg.line(area.x, area.bottom(), area.right(), area.bottom(), AXIS);
    for tick in &ticks {
        let x = scale.map(*tick);
        svg.raw(r#"<g class="tick">"#);
        svg.line(x, area.bottom(), x, area.bottom() + 5.0, AXIS);
        svg.text(
            x,
            area.bottom() + 18.0,
            &format_tick(*tick, step),
            TICK_SIZE,
            "middle",
            MUTED,
            "tick-label",
        );
        svg.raw("</g>");
    }
    svg.fitted_text(
        area.x + area.width / 2.0,
        area.bottom() + 40.0,
        label,
        LABEL_SIZE,
        area.width,
        "middle",
        "axis-title x-title",
    );
    svg.raw("</g>");
}

/// Draws a quantitative y axis along the left of `area`, with grid lines.
pub(crate) fn y_axis_linear(
    svg: &mut Svg,
    scale: &LinearScale,
    area: PlotBox,
    label: &str,
    label_x: f64,
) {
    let step = scale.tick_step(TICK_COUNT);
    let ticks = scale.ticks(TICK_COUNT);
    svg.raw(r#"<g class="grid y-grid">"#);
    for tick in &ticks {
        let y = scale.map(*tick);
        svg.line(area.x, y, area.right(), y, GRID);
    }
    svg.raw("</g>");
    svg.raw(r#"<g class="axis y-axis">"#);
    svg.line(area.x, area.y, area.x, area.bottom(), AXIS);
    for tick in &ticks {
        let y = scale.map(*tick);
        svg.raw(r#"<g class="tick">"#);
        svg.line(area.x - 5.0, y, area.x, y, AXIS);
        svg.text(
            area.x - 8.0,
            y + 4.0,
            &format_tick(*tick, step),
            TICK_SIZE,
            "end",
            MUTED,
            "tick-label",
        );
        svg.raw("</g>");
    }
    y_title(svg, label_x, area, label);
    svg.raw("</g>");
}

/// Draws the rotated y axis title, centred on the plotting area.
pub(crate) fn y_title(svg: &mut Svg, x: f64, area: PlotBox, label: &str) {
    let center = area.y + area.height / 2.0;
    let shown = fit_text(label, LABEL_SIZE, area.height);
    let _ = write!(
        svg.out,
        r#"<text class="axis-title y-title" x="{x}" y="{y}" font-size="{LABEL_SIZE}" font-weight="bold" text-anchor="middle" fill="{TEXT_COLOR}" transform="rotate(-90 {x} {y})">{}</text>"#,
        escape(&shown),
        x = num(x),
        y = num(center),
    );
}

/// Draws a nominal axis on the left of `area`: one label per category band.
pub(crate) fn y_axis_band(
    svg: &mut Svg,
    scale: &BandScale,
    area: PlotBox,
    label: &str,
    label_x: f64,
    label_width: f64,
) {
    svg.raw(r#"<g class="axis y-axis">"#);
    svg.line(area.x, area.y, area.x, area.bottom(), AXIS);
    for category in &scale.categories {
        if let Some(y) = scale.center(category) {
            svg.raw(r#"<g class="tick">"#);
            svg.line(area.x - 5.0, y, area.x, y, AXIS);
            svg.fitted_text(
                area.x - 8.0,
                y + 4.0,
                category,
                TICK_SIZE,
                label_width,
                "end",
                "tick-label",
            );
            svg.raw("</g>");
        }
    }
    y_title(svg, label_x, area, label);
    svg.raw("</g>");
}

/// Draws a nominal axis along the bottom of `area`; labels turn when crowded.
pub(crate) fn x_axis_band(svg: &mut Svg, scale: &BandScale, area: PlotBox, label: &str) -> f64 {
    let widest = scale
        .categories
        .iter()
        .map(|category| text_width(category, TICK_SIZE))
        .fold(0.0, f64::max)
        .min(MAX_CATEGORY_WIDTH);
    let turn = widest + 4.0 > scale.step();
    svg.raw(r#"<g class="axis x-axis">"#);
    svg.line(area.x, area.bottom(), area.right(), area.bottom(), AXIS);
    for category in &scale.categories {
        if let Some(x) = scale.center(category) {
            svg.raw(r#"<g class="tick">"#);
            svg.line(x, area.bottom(), x, area.bottom() + 5.0, AXIS);
            if turn {
                let shown = fit_text(category, TICK_SIZE, MAX_CATEGORY_WIDTH);
                let (tx, ty) = (x + 3.0, area.bottom() + 12.0);
                let _ = write!(
                    svg.out,
                    r#"<text class="tick-label" x="{tx}" y="{ty}" font-size="{TICK_SIZE}" text-anchor="end" fill="{MUTED}" transform="rotate(-45 {tx} {ty})">{}</text>"#,
                    escape(&shown),
                    tx = num(tx),
                    ty = num(ty),
                );
            } else {
                svg.text(
                    x,
                    area.bottom() + 18.0,
                    category,
                    TICK_SIZE,
                    "middle",
                    MUTED,
                    "tick-label",
                );
            }
            svg.raw("</g>");
        }
    }
    let labels_height = if turn { widest * 0.71 + 16.0 } else { 22.0 };
    svg.fitted_text(
        area.x + area.width / 2.0,
        area.bottom() + labels_height + 18.0,
        label,
        LABEL_SIZE,
        area.width,
        "middle",
        "axis-title x-title",
    );
    svg.raw("</g>");
    labels_height + 26.0
}

#[derive(Clone, Copy)]
pub(crate) enum SampleKind {
    Line,
    Point,
    Swatch,
}

#[derive(Clone, Copy)]
pub(crate) enum Sample {
    Line([u32; 2]),
    Point(&'static str),
    Swatch,
}

pub(crate) struct LegendEntry {
    pub revision: String,
    pub series: Option<String>,
    pub label: String,
    pub color: &'static str,
    pub sample: Sample,
}

const LEGEND_ROW: f64 = 20.0;

/// Measures the width a legend needs.
pub(crate) fn legend_width(title: &str, entries: &[LegendEntry]) -> f64 {
    let labels = entries
        .iter()
        .map(|entry| text_width(&entry.label, TICK_SIZE))
        .fold(text_width(title, TICK_SIZE) - 30.0, f64::max)
        .min(MAX_LABEL_WIDTH);
    labels + 40.0
}

/// Measures the height a legend needs.
pub(crate) fn legend_height(entries: &[LegendEntry]) -> f64 {
    24.0 + entries.len() as f64 * LEGEND_ROW
}

/// Draws a legend with its top-left corner at `(x, y)`.
pub(crate) fn legend(svg: &mut Svg, x: f64, y: f64, title: &str, entries: &[LegendEntry]) {
    svg.raw(r#"<g class="legend">"#);
    let _ = write!(
        svg.out,
        r#"<text class="legend-title" x="{}" y="{}" font-size="{TICK_SIZE}" font-weight="bold" fill="{TEXT_COLOR}">{}</text>"#,
        num(x),
        num(y + 12.0),
        escape(title)
    );
    for (index, entry) in entries.iter().enumerate() {
        let row = y + 24.0 + index as f64 * LEGEND_ROW;
        let middle = row + 6.0;
        let _ = write!(
            svg.out,
            r#"<g class="legend-entry" data-rev="{}" data-series="{}">"#,
            escape(&entry.revision),
            escape(entry.series.as_deref().unwrap_or(""))
        );
        match entry.sample {
            Sample::Line(dash) => {
                let _ = write!(
                    svg.out,
                    r#"<line x1="{}" y1="{m}" x2="{}" y2="{m}" stroke="{}" stroke-width="2.5"{}/>"#,
                    num(x),
                    num(x + 26.0),
                    entry.color,
                    dash_attribute(dash),
                    m = num(middle),
                );
            }
            Sample::Point(shape) => {
                svg.raw(&shape_element(
                    shape,
                    x + 13.0,
                    middle,
                    4.5,
                    entry.color,
                    "legend-symbol",
                ));
            }
            Sample::Swatch => {
                let _ = write!(
                    svg.out,
                    r#"<rect x="{}" y="{}" width="14" height="12" fill="{}"/>"#,
                    num(x + 6.0),
                    num(middle - 6.0),
                    entry.color
                );
            }
        }
        svg.fitted_text(
            x + 32.0,
            middle + 4.0,
            &entry.label,
            TICK_SIZE,
            MAX_LABEL_WIDTH,
            "start",
            "legend-label",
        );
        svg.raw("</g>");
    }
    svg.raw("</g>");
}

/// `stroke-dasharray` for a dash pattern; solid lines get none.
pub(crate) fn dash_attribute(dash: [u32; 2]) -> String {
    if dash[1] == 0 {
        String::new()
    } else {
        format!(r#" stroke-dasharray="{},{}""#, dash[0], dash[1])
    }
}

/// Builds a hollow point mark of the given shape.
pub(crate) fn shape_element(
    shape: &str,
    x: f64,
    y: f64,
    r: f64,
    color: &str,
    class: &str,
) -> String {
    let style = format!(r#"fill="none" stroke="{color}" stroke-width="1.6""#);
    match shape {
        "square" => format!(
            r#"<rect class="{class}" x="{}" y="{}" width="{}" height="{}" {style}/>"#,
            num(x - r),
            num(y - r),
            num(2.0 * r),
            num(2.0 * r)
        ),
        "triangle" => format!(
            r#"<path class="{class}" d="M{} {}L{} {}L{} {}Z" {style}/>"#,
            num(x),
            num(y - r * 1.15),
            num(x + r * 1.1),
            num(y + r * 0.85),
            num(x - r * 1.1),
            num(y + r * 0.85)
        ),
        "diamond" => format!(
            r#"<path class="{class}" d="M{} {}L{} {}L{} {}L{} {}Z" {style}/>"#,
            num(x),
            num(y - r * 1.3),
            num(x + r),
            num(y),
            num(x),
            num(y + r * 1.3),
            num(x - r),
            num(y)
        ),
        _ => format!(
            r#"<circle class="{class}" cx="{}" cy="{}" r="{}" {style}/>"#,
            num(x),
            num(y),
            num(r)
        ),
    }
}

/// Opens the plot area group, with the box and domains that map pixels back
/// to data.
pub(crate) fn plot_area_open(
    svg: &mut Svg,
    area: PlotBox,
    x: Option<&LinearScale>,
    y: Option<&LinearScale>,
    data: &ChartData,
) {
    let domain = |scale: Option<&LinearScale>| {
        scale
            .map(|scale| format!("{} {}", scale.domain.0, scale.domain.1))
            .unwrap_or_default()
    };
    let _ = write!(
        svg.out,
        r#"<g class="plot-area" data-x-field="{}" data-y-field="{}" data-x-domain="{}" data-y-domain="{}" data-box="{} {} {} {}">"#,
        escape(data.x),
        escape(data.y),
        domain(x),
        domain(y),
        num(area.x),
        num(area.y),
        num(area.width),
        num(area.height),
    );
}
