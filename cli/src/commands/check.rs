//! `retort check`: every diagnostic of the language server, as text or JSON.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Result;
use retort_engine::check::check_project;
use retort_engine::diagnostic::Severity;

use crate::context::load_project;
use crate::render::{project_path, to_json, Positions};

#[derive(clap::Args)]
pub struct Args {
    /// Only report problems in these dvc.yaml files or directories (default: the
    /// whole project).
    targets: Vec<String>,

    /// Print the diagnostics as a JSON list.
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let loaded = load_project()?;
    let diagnostics = check_project(&loaded.project, &loaded.files);

    let targets: Vec<String> = args
        .targets
        .iter()
        .map(|target| {
            loaded.project_relative(target).ok_or_else(|| {
                anyhow::anyhow!(
                    "target '{target}' is outside the project at '{}'",
                    loaded.project.root.root.display()
                )
            })
        })
        .collect::<Result<_>>()?;
    let selected: Vec<_> = diagnostics
        .iter()
        .filter(|diagnostic| {
            let file = project_path(&diagnostic.file);
            targets.is_empty()
                || targets
                    .iter()
                    .any(|target| file == *target || retort_engine::paths::is_within(&file, target))
        })
        .collect();

    let mut positions = Positions::new(&loaded.files);
    let mut stdout = std::io::stdout().lock();
    if args.json {
        let items: Vec<_> = selected
            .iter()
            .map(|diagnostic| {
                let (start, end) = positions.range(diagnostic);
                to_json(
                    diagnostic,
                    &loaded.display_path(&diagnostic.file),
                    start,
                    end,
                )
            })
            .collect();
        writeln!(stdout, "{}", serde_json::to_string_pretty(&items)?)?;
    } else {
        for diagnostic in &selected {
            let (start, _) = positions.range(diagnostic);
            writeln!(
                stdout,
                "{}:{}:{}: {}: {}",
                loaded.display_path(&diagnostic.file),
                start.line,
                start.col,
                diagnostic.severity.as_str(),
                diagnostic.message
            )?;
        }
        let errors = selected
            .iter()
            .filter(|diagnostic| diagnostic.severity == Severity::Error)
            .count();
        let warnings = selected
            .iter()
            .filter(|diagnostic| diagnostic.severity == Severity::Warning)
            .count();
        let stages = loaded.project.stages().count();
        let files = loaded.project.files.len();
        if selected.is_empty() {
            eprintln!(
                "No problems found in {} of {}.",
                plural(stages, "stage"),
                plural(files, "pipeline file")
            );
        } else {
            eprintln!(
                "{} and {} in {} of {}.",
                plural(errors, "error"),
                plural(warnings, "warning"),
                plural(stages, "stage"),
                plural(files, "pipeline file")
            );
        }
    }

    let has_errors = selected
        .iter()
        .any(|diagnostic| diagnostic.severity == Severity::Error);
    Ok(if has_errors {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}
