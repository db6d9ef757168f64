//! Horizontal bar charts (`bar_horizontal`, `bar_horizontal_sorted`): one
//! band per category of the y field, one bar per revision inside it, and one
//! panel per field or file when there are several. `bar_horizontal` orders
//! categories ascending (numerically when they are numbers), the sorted
//! variant by the summed value, largest first.
//!
//! The value axis always includes zero so that bar lengths compare; DVC's
//! template leaves zero out of the scale, which Vega-Lite then draws from the
//! smallest value.

use std::fmt::Write as _;

use super::scale::{format_tick, sort_categories, text_width, BandScale, LinearScale};
use super::{
    legend, legend_height, legend_width, num, plot_area_open, x_axis_linear, y_axis_band,
    ChartData, PlotBox, SampleKind, Svg, MAX_CATEGORY_WIDTH, PLOT_WIDTH, TICK_SIZE, TOP,
};
use crate::plots::json::Json;

const PANEL_GAP: f64 = 36.0;

pub(super) fn render(data: &ChartData, sorted: bool) -> String {
    // Sum of x per (category, revision, series).
    let mut categories: Vec<String> = Vec::new();
    let mut totals: Vec<(String, String, Option<String>, f64)> = Vec::new();
    for row in data.rows {
        let (Some(category), Some(value)) = (
            row.get(data.y).map(Json::label),
            row.get(data.x).and_then(Json::as_number),
        ) else {
            continue;
        };
        let revision = row
            .get("rev")
            .and_then(Json::as_str)
            .unwrap_or_default()
            .to_string();
        let series = data
            .series_field
            .and_then(|field| row.get(field).and_then(Json::as_str))
            .map(str::to_string);
        if !categories.contains(&category) {
            categories.push(category.clone());
        }
        match totals
            .iter_mut()
            .find(|(c, r, s, _)| *c == category && *r == revision && *s == series)
        {
            Some(entry) => entry.3 += value,
            None => totals.push((category, revision, series, value)),
        }
    }
    if sorted {
        let sum = |category: &String| -> f64 {
            totals
                .iter()
                .filter(|entry| &entry.0 == category)
                .map(|entry| entry.3)
                .sum()
        };
        categories.sort_by(|a, b| sum(b).total_cmp(&sum(a)));
    } else {
        sort_categories(&mut categories);
    }

    let panels = data.series();
    let revisions = data.revisions.len().max(1);
    let step = (revisions as f64 * 16.0 + 10.0).max(26.0);
    let height = (categories.len() as f64 * step).max(120.0);
    let panel_width = if panels.len() > 1 { 280.0 } else { PLOT_WIDTH };
    let label_width = categories
        .iter()
        .map(|category| text_width(category, TICK_SIZE))
        .fold(0.0, f64::max)
        .min(MAX_CATEGORY_WIDTH);
    let left = 24.0 + 12.0 + label_width;
    let top = if panels.len() > 1 { TOP + 18.0 } else { TOP };
    let x_scale_probe =
        LinearScale::nice(totals.iter().map(|entry| entry.3), true, (0.0, panel_width));
    let entries = data.legend_entries(SampleKind::Swatch);
    // Series are shown as panels, so the legend lists revisions only.
    let entries: Vec<_> = entries
        .into_iter()
        .filter(|entry| entry.series.is_none() || entry.series.as_deref() == panels[0])
        .map(|mut entry| {
            entry.label = entry.revision.clone();
            entry.series = None;
            entry
        })
        .collect();
    let legend_title = "revision";
    let plots_right = left + panels.len() as f64 * (panel_width + PANEL_GAP) - PANEL_GAP;
    let width = plots_right + 28.0 + legend_width(legend_title, &entries) + 12.0;
    let total_height = (top + height + 60.0).max(TOP + legend_height(&entries) + 12.0);

    let title = data.title;
    let mut svg = Svg::new(width, total_height, data.id, title);
    svg.title((left + plots_right) / 2.0, title);
    for (panel_index, series) in panels.iter().enumerate() {
        let area = PlotBox {
            x: left + panel_index as f64 * (panel_width + PANEL_GAP),
            y: top,
            width: panel_width,
            height,
        };
        let x_scale = LinearScale {
            range: (area.x, area.right()),
            ..x_scale_probe
        };
        let band = BandScale {
            categories: categories.clone(),
            range: (area.y, area.bottom()),
            padding: 0.2,
        };
        if let Some(name) = series {
            svg.fitted_text(
                area.x + area.width / 2.0,
                top - 8.0,
                name,
                TICK_SIZE,
                area.width,
                "middle",
                "panel-title",
            );
        }
        plot_area_open(&mut svg, area, Some(&x_scale), None, data);
        x_axis_linear(&mut svg, &x_scale, area, data.x_label);
        if panel_index == 0 {
            y_axis_band(&mut svg, &band, area, data.y_label, 16.0, label_width);
        } else {
            svg.line(area.x, area.y, area.x, area.bottom(), super::AXIS);
        }
        let bar_height = band.bandwidth() / revisions as f64;
        let zero = x_scale.map(0.0_f64.clamp(x_scale.domain.0, x_scale.domain.1));
        for (revision_index, revision) in data.revisions.iter().enumerate() {
            let color = data.color(revision);
            let mut group = String::new();
            let mut count = 0;
            for (category, _, _, value) in totals
                .iter()
                .filter(|entry| &entry.1 == revision && entry.2.as_deref() == *series)
            {
                let Some(start) = band.start(category) else {
                    continue;
                };
                let y = start + revision_index as f64 * bar_height;
                let end = x_scale.map(*value);
                let (x, w) = if end >= zero {
                    (zero, end - zero)
                } else {
                    (end, zero - end)
                };
                let _ = write!(
                    group,
                    r#"<rect class="bar" data-category="{}" data-value="{}" x="{}" y="{}" width="{}" height="{}" fill="{color}"><title>{}: {}</title></rect>"#,
                    super::escape(category),
                    value,
                    num(x),
                    num(y),
                    num(w.max(0.5)),
                    num((bar_height - 1.0).max(1.0)),
                    super::escape(category),
                    super::escape(&format_tick(*value, 0.001)),
                );
                count += 1;
            }
            svg.raw(&svg_series_open(revision, *series, count));
            svg.raw(&group);
            svg.raw("</g>");
        }
        svg.raw("</g>");
    }
    legend(&mut svg, plots_right + 28.0, TOP, legend_title, &entries);
    svg.finish()
}

fn svg_series_open(revision: &str, series: Option<&str>, count: usize) -> String {
    format!(
        r#"<g class="series" data-rev="{}" data-series="{}" data-points="{count}">"#,
        super::escape(revision),
        super::escape(series.unwrap_or(""))
    )
}
