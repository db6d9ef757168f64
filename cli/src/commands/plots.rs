//! `retort plots show|diff|templates`: plots as DVC defines them, drawn as an
//! offline HTML page with one SVG file per chart, or printed as JSON with the
//! filled Vega-Lite specs (the shape of `dvc plots show --json`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, Result};
use retort_engine::plots::html::{write_atomic, write_report};
use retort_engine::plots::output::{prepare, to_json};
use retort_engine::plots::show::{
    collect_plots, diff_revisions, templates_dir, PlotsOptions, WORKSPACE,
};
use retort_engine::plots::template::{Template, BUILT_IN};
use retort_engine::plots::{Axis, PlotProps};
use retort_engine::project::{self, ProjectRoot};

#[derive(clap::Subcommand)]
pub enum PlotsCommand {
    /// Draw the plots of the workspace (or only the TARGETS: plot ids, files,
    /// or patterns matched at the start of an id).
    Show(ShowArgs),
    /// Draw the same plots at several revisions, one colour per revision.
    Diff(DiffArgs),
    /// List the built-in templates, or print one.
    Templates(TemplatesArgs),
}

#[derive(clap::Args)]
pub struct ShowArgs {
    /// Plot ids, data files or patterns; every plot when none are given.
    targets: Vec<String>,
    #[command(flatten)]
    output: OutputArgs,
}

#[derive(clap::Args)]
pub struct DiffArgs {
    /// Revisions to compare: `workspace`, commits, branches or tags. With one
    /// revision, the workspace is added; with none, HEAD (when tracked files
    /// changed) and the workspace.
    revisions: Vec<String>,
    /// Only these plots (ids, files or patterns).
    #[arg(long, num_args = 1.., value_name = "TARGET")]
    targets: Vec<String>,
    #[command(flatten)]
    output: OutputArgs,
}

#[derive(clap::Args)]
pub struct TemplatesArgs {
    /// The template to print as JSON.
    template: Option<String>,
}

#[derive(clap::Args)]
struct OutputArgs {
    /// Directory for index.html and the SVG files.
    #[arg(
        short = 'o',
        long = "out",
        value_name = "DIR",
        default_value = "dvc_plots"
    )]
    out: PathBuf,
    /// Open the page in a browser (with xdg-open, when present).
    #[arg(long)]
    open: bool,
    /// Print the data and filled Vega-Lite specs as JSON instead.
    #[arg(long)]
    json: bool,
    /// Template for every plot: a built-in name or a JSON file.
    #[arg(short = 't', long, value_name = "TEMPLATE")]
    template: Option<String>,
    /// Field for the x axis.
    #[arg(short = 'x', value_name = "FIELD")]
    x: Option<String>,
    /// Field for the y axis.
    #[arg(short = 'y', value_name = "FIELD")]
    y: Option<String>,
    /// CSV and TSV files have no header row.
    #[arg(long)]
    no_header: bool,
    /// Plot title.
    #[arg(long, value_name = "TEXT")]
    title: Option<String>,
    /// X axis title.
    #[arg(long, value_name = "TEXT")]
    x_label: Option<String>,
    /// Y axis title.
    #[arg(long, value_name = "TEXT")]
    y_label: Option<String>,
}

impl OutputArgs {
    fn props(&self) -> PlotProps {
        PlotProps {
            template: self.template.clone(),
            x: self.x.clone().map(Axis::Field),
            y: self.y.clone().map(Axis::Field),
            x_label: self.x_label.clone(),
            y_label: self.y_label.clone(),
            title: self.title.clone(),
            header: self.no_header.then_some(false),
        }
    }
}

pub fn run(command: PlotsCommand) -> Result<ExitCode> {
    match command {
        PlotsCommand::Show(args) => {
            let root = find_root()?;
            let targets = relative_targets(&root, &args.targets)?;
            render(&root, &[WORKSPACE.to_string()], targets, &args.output)
        }
        PlotsCommand::Diff(args) => {
            let root = find_root()?;
            let revisions = diff_revisions(&root, &args.revisions)?;
            let targets = relative_targets(&root, &args.targets)?;
            render(&root, &revisions, targets, &args.output)
        }
        PlotsCommand::Templates(args) => templates(args),
    }
}

fn find_root() -> Result<ProjectRoot> {
    let cwd = std::env::current_dir().context("unable to read the current directory")?;
    Ok(project::discover(&cwd)?)
}

/// Targets are given relative to the current directory; plot ids are
/// project-relative. Patterns that are not paths pass through unchanged.
fn relative_targets(root: &ProjectRoot, targets: &[String]) -> Result<Vec<String>> {
    let cwd = std::env::current_dir().context("unable to read the current directory")?;
    let Ok(inside) = cwd.strip_prefix(&root.root) else {
        return Ok(targets.to_vec());
    };
    let prefix = inside.to_string_lossy().replace('\\', "/");
    if prefix.is_empty() {
        return Ok(targets.to_vec());
    }
    Ok(targets
        .iter()
        .map(|target| {
            retort_engine::paths::join_normalized(&prefix, target).unwrap_or_else(|| target.clone())
        })
        .collect())
}

fn render(
    root: &ProjectRoot,
    revisions: &[String],
    targets: Vec<String>,
    args: &OutputArgs,
) -> Result<ExitCode> {
    let options = PlotsOptions {
        targets,
        props: args.props(),
    };
    let result = collect_plots(root, revisions, &options)?;
    let templates = templates_dir(root);
    let (prepared, issues) = prepare(&result, templates.as_deref(), &root.root);
    let cwd = std::env::current_dir().context("unable to read the current directory")?;
    let out_dir = cwd.join(&args.out);

    if args.json {
        let mut write_image = |path: &Path, bytes: &[u8]| write_atomic(path, bytes);
        let json = to_json(&prepared, &issues, &out_dir, &mut write_image)
            .with_context(|| format!("unable to write images to '{}'", out_dir.display()))?;
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "{}", json.to_pretty())?;
        return Ok(ExitCode::SUCCESS);
    }

    for issue in &issues {
        let mut place = issue.revision.clone();
        if let Some(name) = &issue.name {
            place.push_str(&format!(", plot '{name}'"));
        }
        if let Some(source) = &issue.source {
            place.push_str(&format!(", file '{source}'"));
        }
        eprintln!("warning: {place}: {}", issue.message);
    }
    if prepared.is_empty() {
        eprintln!("No plots were loaded, visualization file will not be created.");
        return Ok(ExitCode::SUCCESS);
    }
    let written = write_report(&out_dir, &prepared, &issues, &result.revisions)
        .with_context(|| format!("unable to write the plots to '{}'", out_dir.display()))?;
    let index = std::path::absolute(&written.index).unwrap_or(written.index.clone());
    println!("file://{}", index.display());
    if args.open {
        open_in_browser(&index);
    }
    Ok(ExitCode::SUCCESS)
}

/// Opens the page with `xdg-open` when it exists; never fails the command.
fn open_in_browser(path: &Path) {
    match std::process::Command::new("xdg-open")
        .arg(path)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
    {
        Ok(_) => {}
        Err(_) => eprintln!(
            "Open {} in a browser to see the plots (xdg-open was not found).",
            path.display()
        ),
    }
}

fn templates(args: TemplatesArgs) -> Result<ExitCode> {
    let mut stdout = std::io::stdout().lock();
    match args.template {
        Some(name) => match Template::built_in(&name) {
            Some(template) => writeln!(stdout, "{}", template.content.to_pretty())?,
            None => {
                eprintln!("error: unexpected template: {name}.");
                return Ok(ExitCode::from(1));
            }
        },
        None => {
            for (name, _) in BUILT_IN {
                writeln!(stdout, "{name}")?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
