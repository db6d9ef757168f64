//! Confusion matrices (`confusion`, `confusion_normalized`): one heatmap per
//! revision (and one row of them per field or file), counting the rows of
//! each (x, y) pair. Pairs that never occur show as 0. The normalized variant
//! divides each count by the total of its y row. Colours share one scale
//! across panels so that revisions compare; each cell prints its value.

use std::collections::HashMap;
use std::fmt::Write as _;

use super::scale::{format_value, sort_categories, text_width, BandScale};
use super::{
    escape, num, x_axis_band, y_axis_band, ChartData, PlotBox, Svg, MAX_CATEGORY_WIDTH, TICK_SIZE,
    TOP,
};
use crate::plots::json::Json;

const PANEL_GAP: f64 = 28.0;
/// Light to dark blue, the ramp Vega-Lite uses for quantitative colour.
const RAMP: [(f64, [u8; 3]); 5] = [
    (0.0, [0xf4, 0xf8, 0xfc]),
    (0.25, [0xc6, 0xdb, 0xef]),
    (0.5, [0x6b, 0xae, 0xd6]),
    (0.75, [0x21, 0x71, 0xb5]),
    (1.0, [0x08, 0x30, 0x6b]),
];

/// Interpolates the ramp colour at `t` in `[0, 1]`.
fn ramp(t: f64) -> String {
    let t = t.clamp(0.0, 1.0);
    for pair in RAMP.windows(2) {
        let ((t0, c0), (t1, c1)) = (pair[0], pair[1]);
        if t <= t1 {
            let f = if t1 > t0 { (t - t0) / (t1 - t0) } else { 0.0 };
            let mix =
                |a: u8, b: u8| (f64::from(a) + (f64::from(b) - f64::from(a)) * f).round() as u8;
            return format!(
                "#{:02x}{:02x}{:02x}",
                mix(c0[0], c1[0]),
                mix(c0[1], c1[1]),
                mix(c0[2], c1[2])
            );
        }
    }
    "#08306b".to_string()
}

struct Panel<'a> {
    revision: &'a str,
    series: Option<&'a str>,
    /// (x, y) -> count
    counts: HashMap<(String, String), f64>,
}

pub(super) fn render(data: &ChartData, normalized: bool) -> String {
    let label = |row: &Json, field: &str| row.get(field).map(Json::label);
    let mut x_categories: Vec<String> = Vec::new();
    let mut y_categories: Vec<String> = Vec::new();
    for row in data.rows {
        if let (Some(x), Some(y)) = (label(row, data.x), label(row, data.y)) {
            if !x_categories.contains(&x) {
                x_categories.push(x);
            }
            if !y_categories.contains(&y) {
                y_categories.push(y);
            }
        }
    }
    sort_categories(&mut x_categories);
    sort_categories(&mut y_categories);

    let mut panels = Vec::new();
    for series in data.series() {
        for revision in data.revisions {
            let mut counts: HashMap<(String, String), f64> = HashMap::new();
            for row in data.rows_of(revision, series) {
                if let (Some(x), Some(y)) = (label(row, data.x), label(row, data.y)) {
                    *counts.entry((x, y)).or_default() += 1.0;
                }
            }
            if normalized {
                let mut row_totals: HashMap<String, f64> = HashMap::new();
                for ((_, y), count) in &counts {
                    *row_totals.entry(y.clone()).or_default() += count;
                }
                for ((_, y), count) in counts.iter_mut() {
                    let total = row_totals.get(y).copied().unwrap_or(0.0);
                    *count = if total > 0.0 { *count / total } else { 0.0 };
                }
            }
            panels.push(Panel {
                revision,
                series,
                counts,
            });
        }
    }
    let max = if normalized {
        1.0
    } else {
        panels
            .iter()
            .flat_map(|panel| panel.counts.values().copied())
            .fold(0.0, f64::max)
            .max(1.0)
    };

    let columns = data.revisions.len().max(1);
    let rows = panels.len().div_ceil(columns);
    let cells = x_categories.len().max(y_categories.len()).max(1) as f64;
    let cell = (300.0 / cells).clamp(16.0, 44.0);
    let panel_width = cell * x_categories.len().max(1) as f64;
    let panel_height = cell * y_categories.len().max(1) as f64;
    let label_width = y_categories
        .iter()
        .map(|category| text_width(category, TICK_SIZE))
        .fold(0.0, f64::max)
        .min(MAX_CATEGORY_WIDTH);
    let left = 24.0 + 12.0 + label_width;
    let panel_title_height = 22.0;
    let x_axis_room = {
        let probe = BandScale {
            categories: x_categories.clone(),
            range: (0.0, panel_width),
            padding: 0.0,
        };
        let mut scratch = Svg::new(0.0, 0.0, "", "");
        x_axis_band(
            &mut scratch,
            &probe,
            PlotBox {
                x: 0.0,
                y: 0.0,
                width: panel_width,
                height: 0.0,
            },
            data.x_label,
        )
    };
    let row_height = panel_title_height + panel_height + x_axis_room + 12.0;
    let column_width = panel_width.max(80.0) + PANEL_GAP;
    let plots_right = left + columns as f64 * column_width - PANEL_GAP;
    let legend_x = plots_right + 30.0;
    let width = legend_x + 90.0;
    let height = (TOP + rows as f64 * row_height).max(TOP + 220.0);

    let mut svg = Svg::new(width, height, data.id, data.title);
    svg.title((left + plots_right) / 2.0, data.title);
    for (index, panel) in panels.iter().enumerate() {
        let column = index % columns;
        let row = index / columns;
        let area = PlotBox {
            x: left + column as f64 * column_width,
            y: TOP + row as f64 * row_height + panel_title_height,
            width: panel_width,
            height: panel_height,
        };
        let heading = match panel.series {
            Some(series) => format!("{} · {series}", panel.revision),
            None => panel.revision.to_string(),
        };
        let _ = write!(
            svg.out,
            r#"<g class="panel" data-rev="{}" data-series="{}" data-box="{} {} {} {}">"#,
            escape(panel.revision),
            escape(panel.series.unwrap_or("")),
            num(area.x),
            num(area.y),
            num(area.width),
            num(area.height)
        );
        svg.fitted_text(
            area.x + area.width / 2.0,
            area.y - 8.0,
            &heading,
            TICK_SIZE,
            column_width - 8.0,
            "middle",
            "panel-title",
        );
        let x_band = BandScale {
            categories: x_categories.clone(),
            range: (area.x, area.right()),
            padding: 0.0,
        };
        let y_band = BandScale {
            categories: y_categories.clone(),
            range: (area.y, area.bottom()),
            padding: 0.0,
        };
        for y in &y_categories {
            for x in &x_categories {
                let value = panel
                    .counts
                    .get(&(x.clone(), y.clone()))
                    .copied()
                    .unwrap_or(0.0);
                let (Some(cx), Some(cy)) = (x_band.start(x), y_band.start(y)) else {
                    continue;
                };
                let share = value / max;
                let _ = write!(
                    svg.out,
                    r#"<rect class="cell" data-x="{}" data-y="{}" data-value="{}" x="{}" y="{}" width="{}" height="{}" fill="{}" stroke="white" stroke-width="1"><title>{x}: {}, {y}: {}, {}</title></rect>"#,
                    escape(x),
                    escape(y),
                    value,
                    num(cx),
                    num(cy),
                    num(cell),
                    num(cell),
                    ramp(share),
                    escape(data.x),
                    escape(data.y),
                    format_value(value),
                    x = escape(data.x),
                    y = escape(data.y),
                );
                if cell >= 18.0 {
                    let text = if normalized {
                        format!("{value:.2}")
                    } else {
                        format_value(value)
                    };
                    let size = if text_width(&text, TICK_SIZE) > cell - 4.0 {
                        8.5
                    } else {
                        TICK_SIZE
                    };
                    let color = if share > 0.5 { "white" } else { "#222" };
                    svg.text(
                        cx + cell / 2.0,
                        cy + cell / 2.0 + size * 0.35,
                        &text,
                        size,
                        "middle",
                        color,
                        "cell-value",
                    );
                }
            }
        }
        x_axis_band(&mut svg, &x_band, area, data.x_label);
        if column == 0 {
            y_axis_band(&mut svg, &y_band, area, data.y_label, 16.0, label_width);
        }
        svg.raw("</g>");
    }
    colour_legend(
        &mut svg,
        legend_x,
        TOP + panel_title_height,
        max,
        normalized,
    );
    svg.finish()
}

/// Draws the colour scale as a vertical gradient with its ends and middle labelled.
fn colour_legend(svg: &mut Svg, x: f64, y: f64, max: f64, normalized: bool) {
    let height = 160.0;
    let mut stops = String::new();
    // Dark (the maximum) at the top; stop offsets must ascend.
    for (t, _) in RAMP.iter().rev() {
        let _ = write!(
            stops,
            r#"<stop offset="{}" stop-color="{}"/>"#,
            num(1.0 - t),
            ramp(*t)
        );
    }
    let id = format!("ramp{}", (max * 1000.0) as u64);
    let _ = write!(
        svg.out,
        r##""<g class="legend colour-legend"><text class="legend-title" x="{}" y="{}" font-size="{TICK_SIZE}" font-weight="bold" fill="#222">{}</text><defs><linearGradient id="{id}" x1="0" y1="0" x2="0" y2="1">{stops}</linearGradient></defs><rect x="{}" y="{}" width="14" height="{height}" fill="url(#{id})" stroke="#aaa" stroke-width="0.5"/>"##,
        num(x),
        num(y - 8.0),
        if normalized { "share of row" } else { "count" },
        num(x),
        num(y),
    );
    // The middle label is rounded for counts; its mark sits at its own value.
    let middle = if normalized {
        max / 2.0
    } else {
        (max / 2.0).round()
    };
    for value in [0.0, middle, max] {
        let ty = y + height * (1.0 - value / max);
        let text = if normalized {
            format!("{value:.1}")
        } else {
            format_value(value)
        };
        svg.line(x + 14.0, ty, x + 18.0, ty, "#888");
        svg.text(
            x + 21.0,
            ty + 4.0,
            &text,
            TICK_SIZE,
            "start",
            "#555",
            "tick-label",
        );
    }
    svg.raw("</g>");
}
