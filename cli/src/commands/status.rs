//! `retort status`: which stages changed since `dvc.lock` recorded them.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Result;
use retort_engine::files::{DiskFiles, ParsedFiles};
use retort_engine::lock;
use retort_engine::project::Project;
use retort_engine::repro::status::{compare, DepChange, StageStatus};
use retort_engine::repro::targets::resolve_targets;
use retort_engine::repro::{state, Event, HashingReporter, Workspace};

use crate::context::open_workspace;
use crate::printer::HashingBar;

#[derive(clap::Args)]
pub struct Args {
    /// Stages to check (default: every stage in the project).
    targets: Vec<String>,

    /// Print the status as JSON, as `dvc status --json` does.
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let (mut workspace, cwd) = open_workspace()?;
    let statuses = collect(&workspace, &args.targets, &cwd)?;
    workspace.save_fingerprints();

    let mut out = std::io::stdout().lock();
    if args.json {
        let object: serde_json::Map<String, serde_json::Value> = statuses
            .iter()
            .map(|status| (status.stage.clone(), status.to_json()))
            .collect();
        writeln!(out, "{}", serde_json::Value::Object(object))?;
        return Ok(ExitCode::SUCCESS);
    }
    if statuses.is_empty() {
        writeln!(out, "Data and pipelines are up to date.")?;
    }
    for status in &statuses {
        print_stage(&mut out, status)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The changed stages among the targets (or all stages), in project order.
pub fn collect(workspace: &Workspace, targets: &[String], cwd: &str) -> Result<Vec<StageStatus>> {
    let disk = DiskFiles::new(workspace.root.root.clone());
    let project = Project::load(workspace.root.clone(), &disk, workspace.parsing_config());
    let selected: Vec<usize> = if targets.is_empty() {
        (0..project.stages().count()).collect()
    } else {
        resolve_targets(&project, targets, cwd, false)?
    };
    let files = ParsedFiles::new(&disk);
    let mut locks = std::collections::HashMap::new();
    let mut statuses = Vec::new();
    let hashing_bar = HashingBar::new();
    let bar = |event: Event| hashing_bar.update(&event);
    for (index, stage) in project.stages().enumerate() {
        if !selected.contains(&index) {
            continue;
        }
        let lock_path = match stage.dvcfile.rsplit_once('/') {
            Some((dir, _)) => format!("{dir}/{}", lock::LOCK_FILE_NAME),
            None => lock::LOCK_FILE_NAME.to_string(),
        };
        let lock_file = locks.entry(lock_path.clone()).or_insert_with(|| {
            std::fs::read_to_string(workspace.path(&lock_path))
                .map(|text| lock::parse(&text, &lock_path).lock)
                .unwrap_or_default()
        });
        let recorded = lock_file.stages.get(&stage.name);
        let reporter = HashingReporter::new(&bar, stage.addressing());
        let progress = |update| reporter.report(update);
        let current =
            state::read_state_with_progress(workspace, &files, stage, recorded, Some(&progress))?;
        let status = compare(workspace, stage, &current, recorded);
        if status.is_changed() {
            statuses.push(status);
        }
    }
    hashing_bar.clear();
    Ok(statuses)
}

fn print_stage(out: &mut impl Write, status: &StageStatus) -> std::io::Result<()> {
    writeln!(out, "{}:", status.stage)?;
    if !status.changed_deps.is_empty() {
        writeln!(out, "\tchanged deps:")?;
        for (path, change) in &status.changed_deps {
            match change {
                DepChange::Path(entry) | DepChange::ParamsFile(entry) => {
                    writeln!(out, "\t\t{:<20}{path}", format!("{}:", entry.as_str()))?
                }
                DepChange::Params(keys) => {
                    writeln!(out, "\t\t{path}:")?;
                    for (key, entry) in keys {
                        writeln!(out, "\t\t\t{:<20}{key}", format!("{}:", entry.as_str()))?;
                    }
                }
            }
        }
    }
    if !status.changed_outs.is_empty() {
        writeln!(out, "\tchanged outs:")?;
        for (path, entry) in &status.changed_outs {
            writeln!(out, "\t\t{:<20}{path}", format!("{}:", entry.as_str()))?;
        }
    }
    if status.always_changed {
        writeln!(out, "\talways changed")?;
    }
    if status.changed_command {
        writeln!(out, "\tchanged command")?;
    }
    Ok(())
}
