//! Line charts (`linear`, `simple`, `smooth`): one line per revision and
//! series, coloured by revision and dashed by field or file. Points are joined
//! in x order, as Vega-Lite draws line marks.
//!
//! `smooth` draws each raw line faintly and, over it, a LOESS curve: at every
//! x, a linear fit weighted with the tricube kernel over the nearest 30% of the
//! points, with no robustness passes. This is what Vega's `loess` transform
//! computes with bandwidth 0.3, the value Retort's smooth template starts its
//! slider at.

use std::fmt::Write as _;

use super::scale::LinearScale;
use super::{
    dash_attribute, legend, legend_height, legend_width, num, plot_area_open, x_axis_linear,
    y_axis_linear, y_ticks_width, ChartData, PlotBox, SampleKind, Svg, PLOT_HEIGHT, PLOT_WIDTH,
    TOP,
};
use crate::plots::fill::STROKE_DASHES;
use crate::plots::json::Json;

/// The share of points each LOESS fit uses.
pub const SMOOTHING_BANDWIDTH: f64 = 0.3;

struct Series<'a> {
    revision: &'a str,
    series: Option<&'a str>,
    points: Vec<(f64, f64)>,
}

/// Collects the numeric `(x, y)` points of rows, in x order.
pub(super) fn points_of<'a>(
    rows: impl Iterator<Item = &'a Json>,
    x: &str,
    y: &str,
) -> Vec<(f64, f64)> {
    let mut points: Vec<(f64, f64)> = rows
        .filter_map(|row| Some((row.get(x)?.as_number()?, row.get(y)?.as_number()?)))
        .collect();
    points.sort_by(|a, b| a.0.total_cmp(&b.0));
    points
}

pub(super) fn render(data: &ChartData, smooth: bool) -> String {
    let mut all_series = Vec::new();
    for revision in data.revisions {
        for series in data.series() {
            all_series.push(Series {
                revision,
                series,
                points: points_of(data.rows_of(revision, series), data.x, data.y),
            });
        }
    }
    let xs = all_series.iter().flat_map(|s| s.points.iter().map(|p| p.0));
    let ys = all_series.iter().flat_map(|s| s.points.iter().map(|p| p.1));
    let probe_y = LinearScale::nice(ys.clone(), false, (0.0, 1.0));
    let left = 24.0 + 12.0 + y_ticks_width(&probe_y);
    let area = PlotBox {
        x: left,
        y: TOP,
        width: PLOT_WIDTH,
        height: PLOT_HEIGHT,
    };
    let x_scale = LinearScale::nice(xs, false, (area.x, area.right()));
    let y_scale = LinearScale {
        range: (area.bottom(), area.y),
        ..probe_y
    };
    let entries = data.legend_entries(SampleKind::Line);
    let title = data.legend_title();
    let width = area.right() + 28.0 + legend_width(&title, &entries) + 12.0;
    let height = (area.bottom() + 56.0).max(TOP + legend_height(&entries) + 12.0);

    let mut svg = Svg::new(width, height, data.id, data.title);
    svg.title(area.x + area.width / 2.0, data.title);
    plot_area_open(&mut svg, area, Some(&x_scale), Some(&y_scale), data);
    y_axis_linear(&mut svg, &y_scale, area, data.y_label, 16.0);
    x_axis_linear(&mut svg, &x_scale, area, data.x_label);
    for series in &all_series {
        draw_series(&mut svg, data, series, &x_scale, &y_scale, smooth);
    }
    svg.raw("</g>");
    legend(&mut svg, area.right() + 28.0, TOP, &title, &entries);
    svg.finish()
}

fn polyline(points: &[(f64, f64)], x: &LinearScale, y: &LinearScale) -> String {
    points
        .iter()
        .map(|(px, py)| format!("{},{}", num(x.map(*px)), num(y.map(*py))))
        .collect::<Vec<_>>()
        .join(" ")
}

fn draw_series(
    svg: &mut Svg,
    data: &ChartData,
    series: &Series,
    x: &LinearScale,
    y: &LinearScale,
    smooth: bool,
) {
    let color = data.color(series.revision);
    let dash = STROKE_DASHES[data.series_index(series.series) % STROKE_DASHES.len()];
    let mut group = String::new();
    let _ = write!(
        group,
        r#"<g class="series" data-rev="{}" data-series="{}" data-points="{}">"#,
        super::escape(series.revision),
        super::escape(series.series.unwrap_or("")),
        series.points.len()
    );
    if smooth {
        let _ = write!(
            group,
            r#"<polyline class="raw-line" points="{}" fill="none" stroke="{color}" stroke-width="1.5" stroke-opacity="0.25"{}/>"#,
            polyline(&series.points, x, y),
            dash_attribute(dash)
        );
        let smoothed = loess(&series.points, SMOOTHING_BANDWIDTH);
        let _ = write!(
            group,
            r#"<polyline class="line smoothed" points="{}" fill="none" stroke="{color}" stroke-width="2.2" stroke-linejoin="round"{}/>"#,
            polyline(&smoothed, x, y),
            dash_attribute(dash)
        );
    } else {
        let _ = write!(
            group,
            r#"<polyline class="line" points="{}" fill="none" stroke="{color}" stroke-width="2" stroke-linejoin="round"{}/>"#,
            polyline(&series.points, x, y),
            dash_attribute(dash)
        );
    }
    // The last point is marked, as in DVC's linear template; it also keeps a
    // one-point series visible.
    if let Some((px, py)) = series.points.last() {
        let _ = write!(
            group,
            r#"<circle class="last-point" cx="{}" cy="{}" r="3" fill="{color}"/>"#,
            num(x.map(*px)),
            num(y.map(*py))
        );
    }
    group.push_str("</g>");
    svg.raw(&group);
}

/// LOESS over points sorted by x: a tricube-weighted linear fit at each x over
/// the nearest `bandwidth` share of the points.
pub fn loess(points: &[(f64, f64)], bandwidth: f64) -> Vec<(f64, f64)> {
    let n = points.len();
    if n < 3 {
        return points.to_vec();
    }
    let window = ((bandwidth * n as f64).ceil() as usize).clamp(2, n);
    let mut start = 0;
    points
        .iter()
        .map(|&(x0, _)| {
            // Slide the window of the `window` nearest points (contiguous in x).
            while start + window < n && points[start + window].0 - x0 < x0 - points[start].0 {
                start += 1;
            }
            let neighbours = &points[start..start + window];
            let reach = neighbours
                .iter()
                .map(|(x, _)| (x - x0).abs())
                .fold(0.0, f64::max)
                * 1.0001;
            let (mut sw, mut swx, mut swy, mut swxx, mut swxy) = (0.0, 0.0, 0.0, 0.0, 0.0);
            for &(x, y) in neighbours {
                let distance = if reach > 0.0 {
                    (x - x0).abs() / reach
                } else {
                    0.0
                };
                let weight = (1.0 - distance.powi(3)).powi(3);
                sw += weight;
                swx += weight * x;
                swy += weight * y;
                swxx += weight * x * x;
                swxy += weight * x * y;
            }
            if sw == 0.0 {
                return (x0, points.iter().find(|p| p.0 == x0).map_or(0.0, |p| p.1));
            }
            let denominator = sw * swxx - swx * swx;
            let y0 = if denominator.abs() < 1e-12 * sw * sw.max(1.0) {
                swy / sw
            } else {
                let slope = (sw * swxy - swx * swy) / denominator;
                let intercept = (swy - slope * swx) / sw;
                intercept + slope * x0
            };
            (x0, y0)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loess_keeps_lines_and_flattens_noise() {
        let straight: Vec<(f64, f64)> = (0..20).map(|i| (i as f64, 2.0 * i as f64 + 1.0)).collect();
        for ((_, want), (_, got)) in straight.iter().zip(loess(&straight, 0.3)) {
            assert!((want - got).abs() < 1e-9);
        }
        let noisy: Vec<(f64, f64)> = (0..40)
            .map(|i| (i as f64, if i % 2 == 0 { 1.0 } else { -1.0 }))
            .collect();
        let smoothed = loess(&noisy, 0.3);
        assert!(smoothed.iter().all(|(_, y)| y.abs() < 0.3), "{smoothed:?}");
    }
}
