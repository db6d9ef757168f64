//! The plots page: one self-contained HTML file (inline SVG charts, inline
//! CSS, images as data URIs) that works offline, written next to one `.svg`
//! file per chart.

use std::fmt::Write as _;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use base64::Engine as _;

use super::data;
use super::fill::COLORS;
use super::group::{ImagePlot, PlotIssue};
use super::output::Prepared;
use super::svg::{self, escape};

/// The files written for a set of plots.
#[derive(Clone, Debug)]
pub struct Written {
    pub index: PathBuf,
    /// One file per chart plot, in page order, with the plot id.
    pub svgs: Vec<(String, PathBuf)>,
}

/// A chart drawn as SVG, with the file name it is saved under.
pub struct Chart {
    pub id: String,
    pub svg: String,
    pub file_name: String,
}

/// Draws every chart plot. A plot without rows gets a frame with a message.
pub fn draw_charts(prepared: &[Prepared]) -> Vec<Chart> {
    let mut used: Vec<String> = Vec::new();
    let mut charts = Vec::new();
    for plot in prepared {
        let Prepared::Vega {
            plot,
            template,
            filled,
        } = plot
        else {
            continue;
        };
        let svg = match filled {
            Some(filled) => svg::render(plot, filled, template.kind),
            None => svg::render_message(&plot.id, &plot.title, "No data at any revision"),
        };
        let base = file_stem(&plot.id);
        let mut file_name = format!("{base}.svg");
        let mut counter = 2;
        while used.contains(&file_name) {
            file_name = format!("{base}_{counter}.svg");
            counter += 1;
        }
        used.push(file_name.clone());
        charts.push(Chart {
            id: plot.id.clone(),
            svg,
            file_name,
        });
    }
    charts
}

/// Makes a plot id safe as a file name, the way DVC makes element ids.
pub fn file_stem(id: &str) -> String {
    id.chars()
        .map(|c| {
            if r"!@#$%^&*()[]{};,<>?\/:.|`~=_+ ".contains(c) {
                '_'
            } else {
                c
            }
        })
        .collect()
}

fn mime_type(path: &str) -> &'static str {
    match data::extension(path) {
        ".png" => "image/png",
        ".jpg" | ".jpeg" => "image/jpeg",
        ".gif" => "image/gif",
        ".svg" => "image/svg+xml",
        _ => "application/octet-stream",
    }
}

/// Images after charts, then by directory, number in the file name and name,
/// as DVC orders them (so `plots/1.png` comes before `plots/10.png`).
fn image_order(plot: &ImagePlot) -> (String, Option<u64>, String) {
    let dir = crate::paths::parent(&plot.id).to_string();
    let name = crate::paths::file_name(&plot.id).to_string();
    let stem = name
        .rsplit_once('.')
        .map_or(name.as_str(), |(stem, _)| stem);
    let number = stem
        .parse::<u64>()
        .ok()
        .filter(|_| stem.chars().all(|c| c.is_ascii_digit()));
    (dir, number, name)
}

const STYLE: &str = r#"
body { margin: 0; padding: 24px 32px 48px; background: #f6f7f9; color: #222;
  font-family: "DejaVu Sans", "Liberation Sans", Arial, Helvetica, sans-serif; }
h1 { font-size: 20px; margin: 0 0 6px; }
.revisions { margin: 0 0 20px; font-size: 13px; color: #444; }
.revision { display: inline-block; margin: 4px 14px 0 0; white-space: nowrap; }
.swatch { display: inline-block; width: 12px; height: 12px; border-radius: 2px; margin-right: 5px; vertical-align: -1px; }
.plots { display: flex; flex-wrap: wrap; gap: 20px; align-items: flex-start; }
.plot { background: white; border: 1px solid #dcdfe4; border-radius: 6px; padding: 10px 12px 8px; max-width: 100%; overflow-x: auto; }
.plot svg { display: block; max-width: none; }
.plot .id { font-size: 12px; color: #666; margin: 6px 2px 0; word-break: break-all; }
.plot .id a { color: #3b6fb6; text-decoration: none; margin-left: 8px; }
.images { display: flex; flex-wrap: wrap; gap: 12px; }
figure { margin: 0; text-align: center; }
figure img { max-width: 420px; max-height: 420px; border: 1px solid #e1e3e6; background: white; }
figcaption { font-size: 12px; color: #444; margin-top: 4px; }
.issues { margin-top: 28px; background: #fff8e6; border: 1px solid #f0d58c; border-radius: 6px; padding: 10px 16px; font-size: 13px; }
.issues h2 { font-size: 14px; margin: 4px 0 8px; }
.issues li { margin: 3px 0; }
code { font-family: "DejaVu Sans Mono", monospace; font-size: 12px; }
"#;

/// Builds the page.
pub fn page(
    prepared: &[Prepared],
    charts: &[Chart],
    issues: &[PlotIssue],
    revisions: &[String],
) -> String {
    let mut html = String::new();
    html.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    html.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    html.push_str("<title>Plots</title>\n<style>");
    html.push_str(STYLE);
    html.push_str("</style>\n</head>\n<body>\n<h1>Plots</h1>\n<div class=\"revisions\">");
    for (index, revision) in revisions.iter().enumerate() {
        let _ = write!(
            html,
            r#"<span class="revision"><span class="swatch" style="background:{}"></span>{}</span>"#,
            COLORS[index % COLORS.len()],
            escape(revision)
        );
    }
    html.push_str("</div>\n<div class=\"plots\">\n");
    for chart in charts {
        let _ = write!(
            html,
            "<div class=\"plot\" id=\"{}\">\n{}<div class=\"id\">{}<a href=\"{}\">SVG</a></div>\n</div>\n",
            escape(&file_stem(&chart.id)),
            chart.svg,
            escape(&chart.id),
            escape(&chart.file_name)
        );
    }
    let mut images: Vec<&ImagePlot> = prepared
        .iter()
        .filter_map(|plot| match plot {
            Prepared::Image(image) => Some(image),
            Prepared::Vega { .. } => None,
        })
        .collect();
    images.sort_by_key(|image| image_order(image));
    for image in images {
        let _ = write!(
            html,
            "<div class=\"plot image-plot\" id=\"{}\">\n<div class=\"images\">",
            escape(&file_stem(&image.id))
        );
        for found in &image.images {
            let encoded = base64::engine::general_purpose::STANDARD.encode(&found.bytes);
            let _ = write!(
                html,
                "<figure><img alt=\"{alt}\" src=\"data:{};base64,{encoded}\"><figcaption>{}</figcaption></figure>",
                mime_type(&found.filename),
                escape(&found.revision),
                alt = escape(&format!("{} at {}", found.filename, found.revision)),
            );
        }
        if image.images.is_empty() {
            html.push_str("<p>No image at any revision</p>");
        }
        let _ = write!(
            html,
            "</div>\n<div class=\"id\">{}</div>\n</div>\n",
            escape(&image.id)
        );
    }
    html.push_str("</div>\n");
    if !issues.is_empty() {
        html.push_str("<div class=\"issues\"><h2>Problems</h2><ul>");
        for issue in issues {
            let mut place = format!("<code>{}</code>", escape(&issue.revision));
            if let Some(name) = &issue.name {
                let _ = write!(place, ", plot <code>{}</code>", escape(name));
            }
            if let Some(source) = &issue.source {
                let _ = write!(place, ", file <code>{}</code>", escape(source));
            }
            let _ = write!(html, "<li>{place}: {}</li>", escape(&issue.message));
        }
        html.push_str("</ul></div>\n");
    }
    html.push_str("</body>\n</html>\n");
    html
}

/// Writes a file through a temporary file in the same directory, so that a
/// reader never sees half of it.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path
        .parent()
        .filter(|dir| !dir.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut builder = tempfile::Builder::new();
    builder.prefix(".retort-");
    // Temporary files are private by default; the page is an ordinary file.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        builder.permissions(std::fs::Permissions::from_mode(0o644));
    }
    let mut temp = builder.tempfile_in(dir)?;
    temp.write_all(bytes)?;
    temp.persist(path).map_err(|error| error.error)?;
    Ok(())
}

/// Writes `index.html` and the `.svg` files into `dir`.
pub fn write_report(
    dir: &Path,
    prepared: &[Prepared],
    issues: &[PlotIssue],
    revisions: &[String],
) -> io::Result<Written> {
    std::fs::create_dir_all(dir)?;
    let charts = draw_charts(prepared);
    let mut svgs = Vec::new();
    for chart in &charts {
        let path = dir.join(&chart.file_name);
        let mut text = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        text.push_str(&chart.svg);
        write_atomic(&path, text.as_bytes())?;
        svgs.push((chart.id.clone(), path));
    }
    let index = dir.join("index.html");
    write_atomic(
        &index,
        page(prepared, &charts, issues, revisions).as_bytes(),
    )?;
    Ok(Written { index, svgs })
}
