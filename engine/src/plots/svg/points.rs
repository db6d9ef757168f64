//! Scatter plots: one hollow point per row, coloured by revision and shaped
//! by field or file. `scatter_jitter` treats both axes as categories and moves
//! each point by a pseudo-random offset inside its category's band, as the
//! template's `random()` offsets do. The offsets come from the row's position,
//! so the same data always draws the same picture.

use std::fmt::Write as _;

use super::scale::{sort_categories, text_width, BandScale, LinearScale};
use super::{
    legend, legend_height, legend_width, plot_area_open, shape_element, x_axis_band, x_axis_linear,
    y_axis_band, y_axis_linear, y_ticks_width, ChartData, PlotBox, SampleKind, Svg,
    MAX_CATEGORY_WIDTH, PLOT_HEIGHT, PLOT_WIDTH, TICK_SIZE, TOP,
};
use crate::plots::fill::SHAPES;
use crate::plots::json::Json;

pub(super) fn render(data: &ChartData, jitter: bool) -> String {
    if jitter {
        render_jitter(data)
    } else {
        render_quantitative(data)
    }
}

fn render_quantitative(data: &ChartData) -> String {
    let numeric = |row: &Json, field: &str| row.get(field).and_then(Json::as_number);
    let points: Vec<(f64, f64)> = data
        .rows
        .iter()
        .filter_map(|row| Some((numeric(row, data.x)?, numeric(row, data.y)?)))
        .collect();
    let probe_y = LinearScale::nice(points.iter().map(|p| p.1), false, (0.0, 1.0));
    let area = PlotBox {
        x: 24.0 + 12.0 + y_ticks_width(&probe_y),
        y: TOP,
        width: PLOT_WIDTH,
        height: PLOT_HEIGHT,
    };
    let x_scale = LinearScale::nice(points.iter().map(|p| p.0), false, (area.x, area.right()));
    let y_scale = LinearScale {
        range: (area.bottom(), area.y),
        ..probe_y
    };
    let entries = data.legend_entries(SampleKind::Point);
    let title = data.legend_title();
    let width = area.right() + 28.0 + legend_width(&title, &entries) + 12.0;
    let height = (area.bottom() + 56.0).max(TOP + legend_height(&entries) + 12.0);
    let mut svg = Svg::new(width, height, data.id, data.title);
    svg.title(area.x + area.width / 2.0, data.title);
    plot_area_open(&mut svg, area, Some(&x_scale), Some(&y_scale), data);
    y_axis_linear(&mut svg, &y_scale, area, data.y_label, 16.0);
    x_axis_linear(&mut svg, &x_scale, area, data.x_label);
    draw_points(&mut svg, data, |row| {
        Some((
            x_scale.map(numeric(row, data.x)?),
            y_scale.map(numeric(row, data.y)?),
        ))
    });
    svg.raw("</g>");
    legend(&mut svg, area.right() + 28.0, TOP, &title, &entries);
    svg.finish()
}

fn categories(rows: &[Json], field: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    for row in rows {
        if let Some(value) = row.get(field) {
            let label = value.label();
            if !found.contains(&label) {
                found.push(label);
            }
        }
    }
    sort_categories(&mut found);
    found
}

/// Derives a number in `[0, 1)` from a row position and an axis (splitmix64),
/// so the two offsets of a point are independent and repeatable.
fn offset(index: usize, axis: u64) -> f64 {
    let mut z = (index as u64)
        .wrapping_mul(2)
        .wrapping_add(axis)
        .wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

fn render_jitter(data: &ChartData) -> String {
    let x_categories = categories(data.rows, data.x);
    let y_categories = categories(data.rows, data.y);
    let label_width = y_categories
        .iter()
        .map(|category| text_width(category, TICK_SIZE))
        .fold(0.0, f64::max)
        .min(MAX_CATEGORY_WIDTH);
    let area = PlotBox {
        x: 24.0 + 12.0 + label_width,
        y: TOP,
        width: PLOT_WIDTH,
        height: PLOT_HEIGHT,
    };
    let x_scale = BandScale {
        categories: x_categories,
        range: (area.x, area.right()),
        padding: 0.1,
    };
    let y_scale = BandScale {
        categories: y_categories,
        range: (area.y, area.bottom()),
        padding: 0.1,
    };
    let entries = data.legend_entries(SampleKind::Point);
    let title = data.legend_title();
    let width = area.right() + 28.0 + legend_width(&title, &entries) + 12.0;
    let mut svg_height = (area.bottom() + 60.0).max(TOP + legend_height(&entries) + 12.0);
    // Turned x labels need more room; measured while drawing, so draw into a
    // scratch document first.
    let mut scratch = Svg::new(0.0, 0.0, "", "");
    let axis_height = x_axis_band(&mut scratch, &x_scale, area, data.x_label);
    svg_height = svg_height.max(area.bottom() + axis_height + 8.0);

    let mut svg = Svg::new(width, svg_height, data.id, data.title);
    svg.title(area.x + area.width / 2.0, data.title);
    plot_area_open(&mut svg, area, None, None, data);
    y_axis_band(&mut svg, &y_scale, area, data.y_label, 16.0, label_width);
    x_axis_band(&mut svg, &x_scale, area, data.x_label);
    let mut index = 0;
    draw_points(&mut svg, data, |row| {
        index += 1;
        let x = x_scale.start(&row.get(data.x)?.label())? + offset(index, 0) * x_scale.bandwidth();
        let y = y_scale.start(&row.get(data.y)?.label())? + offset(index, 1) * y_scale.bandwidth();
        Some((x, y))
    });
    svg.raw("</g>");
    legend(&mut svg, area.right() + 28.0, TOP, &title, &entries);
    svg.finish()
}

/// Draws every row's point, grouped by revision and series.
fn draw_points(
    svg: &mut Svg,
    data: &ChartData,
    mut position: impl FnMut(&Json) -> Option<(f64, f64)>,
) {
    for revision in data.revisions {
        for series in data.series() {
            let color = data.color(revision);
            let shape = SHAPES[data.series_index(series) % SHAPES.len()];
            let mut marks = String::new();
            let mut count = 0;
            for row in data.rows_of(revision, series) {
                if let Some((x, y)) = position(row) {
                    marks.push_str(&shape_element(shape, x, y, 3.5, color, "point"));
                    count += 1;
                }
            }
            let mut group = String::new();
            let _ = write!(
                group,
                r#"<g class="series" data-rev="{}" data-series="{}" data-points="{count}">{marks}</g>"#,
                super::escape(revision),
                super::escape(series.unwrap_or("")),
            );
            svg.raw(&group);
        }
    }
}
