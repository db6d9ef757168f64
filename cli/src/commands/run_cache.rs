//! `retort run-cache`: look at the runs DVC and Retort recorded, restore one,
//! and drop entries that can no longer be restored.

use std::io::Write;
use std::process::ExitCode;
use std::time::SystemTime;

use anyhow::Result;
use retort_engine::files::DiskFiles;
use retort_engine::hash_info::HashInfo;
use retort_engine::lock::{Cmd, LockOut};
use retort_engine::node::Value;
use retort_engine::project::Project;
use retort_engine::repro::targets::resolve_targets;
use retort_engine::repro::Workspace;
use retort_engine::runcache::{self, Catalog, RunRecord};
use serde_json::{json, Map as JsonMap, Value as Json};

use crate::context::open_workspace;

/// The help text for ENTRY arguments, shared by the subcommands.
const ENTRY_HELP: &str = "The run: the id `list` prints (at least 4 leading hex digits of the \
entry's value hash, more when that is ambiguous), or STAGE~N for the Nth newest run of STAGE \
(STAGE~0 is the newest)";

#[derive(clap::Subcommand)]
pub enum RunCacheCommand {
    /// List the recorded runs of each stage, newest first, with their params,
    /// dependency hashes, metrics, date and whether the workspace matches.
    List(ListArgs),
    /// Show one recorded run in full.
    Show(ShowArgs),
    /// Restore one run's outputs into the workspace and record it in dvc.lock.
    Checkout(CheckoutArgs),
    /// Remove entries whose output objects are gone from the cache, and
    /// entries that cannot be read.
    Gc(GcArgs),
}

#[derive(clap::Args)]
pub struct ListArgs {
    /// Stages to list (default: every stage, then entries of no stage).
    stages: Vec<String>,
    /// Print a JSON array instead of a table.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
pub struct ShowArgs {
    #[arg(help = ENTRY_HELP)]
    entry: String,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
pub struct CheckoutArgs {
    #[arg(help = ENTRY_HELP)]
    entry: String,
    /// Overwrite outputs even when their current content is not in the cache.
    #[arg(short, long)]
    force: bool,
}

#[derive(clap::Args)]
pub struct GcArgs {
    /// Only print what would be removed.
    #[arg(long)]
    dry: bool,
}

pub fn run(command: RunCacheCommand) -> Result<ExitCode> {
    let (workspace, cwd) = open_workspace()?;
    let disk = DiskFiles::new(workspace.root.root.clone());
    let project = Project::load(workspace.root.clone(), &disk, workspace.parsing_config());
    match command {
        RunCacheCommand::List(args) => list(&workspace, &project, &cwd, &args),
        RunCacheCommand::Show(args) => show(&workspace, &project, &args),
        RunCacheCommand::Checkout(args) => checkout(workspace, &project, &args),
        RunCacheCommand::Gc(args) => gc(&workspace, &args),
    }
}

fn list(workspace: &Workspace, project: &Project, cwd: &str, args: &ListArgs) -> Result<ExitCode> {
    let only = if args.stages.is_empty() {
        None
    } else {
        Some(resolve_targets(project, &args.stages, cwd, false)?)
    };
    let catalog = runcache::load_catalog(workspace, project, only.as_deref())?;
    warn_unreadable(&catalog);

    let mut out = std::io::stdout().lock();
    if args.json {
        let records: Vec<Json> = catalog
            .records
            .iter()
            .map(|record| record_json(workspace, record))
            .collect();
        writeln!(out, "{}", serde_json::to_string_pretty(&records)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    if catalog.records.is_empty() {
        writeln!(out, "The run-cache has no entries for these stages.")?;
        return Ok(ExitCode::SUCCESS);
    }

    let mut table = comfy_table::Table::new();
    table.load_style(comfy_table::TableStyle::new());
    table.set_header([
        "Id",
        "Stage",
        "Recorded",
        "Params",
        "Metrics",
        "Deps",
        "Workspace",
    ]);
    let several_metric_files = |record: &RunRecord| {
        record.metrics.iter().any(|(file, ..)| {
            record
                .metrics
                .first()
                .is_some_and(|(first, ..)| first != file)
        })
    };

    for record in &catalog.records {
        let params = record
            .params
            .iter()
            .map(|(_, key, value)| format!("{key}={}", show_value(value)))
            .collect::<Vec<_>>()
            .join("\n");
        let qualify = several_metric_files(record);
        let metrics = record
            .metrics
            .iter()
            .map(|(file, key, value)| {
                let name = if qualify {
                    format!("{file}:{key}")
                } else {
                    key.clone()
                };
                format!("{name}={}", show_value(value))
            })
            .collect::<Vec<_>>()
            .join("\n");
        let deps = record
            .entry
            .deps
            .iter()
            .map(|dep| format!("{} {}", short_hash(dep.hash.as_ref()), dep.path))
            .collect::<Vec<_>>()
            .join("\n");
        table.add_row(vec![
            record.id.clone(),
            record.stage.clone().unwrap_or_else(|| "-".to_string()),
            date(record.recorded),
            params,
            metrics,
            deps,
            workspace_state(record).to_string(),
        ]);
    }
    writeln!(out, "{table}")?;
    Ok(ExitCode::SUCCESS)
}

fn show(workspace: &Workspace, project: &Project, args: &ShowArgs) -> Result<ExitCode> {
    let catalog = runcache::load_catalog(workspace, project, None)?;
    let record = catalog.resolve(&args.entry)?;

    let mut out = std::io::stdout().lock();
    if args.json {
        let json = record_json(workspace, record);
        writeln!(out, "{}", serde_json::to_string_pretty(&json)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    writeln!(out, "entry {}", record.value)?;
    writeln!(
        out,
        "stage:     {}",
        record
            .stage
            .as_deref()
            .unwrap_or("(no stage of the project)")
    )?;
    writeln!(out, "recorded:  {}", date(record.recorded))?;
    writeln!(out, "key:       {}", record.key)?;
    writeln!(out, "file:      {}", shown_file(workspace, record))?;
    writeln!(out, "workspace: {}", workspace_state(record))?;
    match &record.entry.cmd {
        Cmd::Single(command) => writeln!(out, "cmd:       {command}")?,
        Cmd::List(commands) => {
            writeln!(out, "cmd:")?;
            for command in commands {
                writeln!(out, "  - {command}")?;
            }
        }
    }

    write_paths(&mut out, "deps", &record.entry.deps)?;
    if !record.params.is_empty() {
        writeln!(out, "params:")?;
        for (file, key, value) in &record.params {
            writeln!(out, "  {file}: {key} = {}", show_value(value))?;
        }
    }
    write_paths(&mut out, "outs", &record.entry.outs)?;
    if !record.metrics.is_empty() {
        writeln!(out, "metrics:")?;
        for (file, key, value) in &record.metrics {
            writeln!(out, "  {file}: {key} = {}", show_value(value))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn checkout(mut workspace: Workspace, project: &Project, args: &CheckoutArgs) -> Result<ExitCode> {
    let catalog = runcache::load_catalog(&workspace, project, None)?;
    let record = catalog.resolve(&args.entry)?;
    let report = runcache::checkout_run(&mut workspace, project, record, args.force)?;
    println!(
        "Restored the outputs of stage '{}' from run {}: {}",
        report.stage,
        record.id,
        report.outputs.join(", ")
    );
    println!("Updated lock file '{}'", report.lock_file);
    if !record.inputs_match {
        println!(
            "The run used other dependencies, params or command than the workspace has now, so `retort status` reports the stage as changed."
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn gc(workspace: &Workspace, args: &GcArgs) -> Result<ExitCode> {
    let report = runcache::gc(workspace, args.dry)?;
    let verb = if args.dry { "Would remove" } else { "Removed" };
    let root = &workspace.root.root;
    for file in &report.missing_objects {
        let shown = file.strip_prefix(root).unwrap_or(file);
        println!("{verb} {} (objects missing)", shown.display());
    }
    for file in &report.corrupted {
        let shown = file.strip_prefix(root).unwrap_or(file);
        println!("{verb} {} (not a valid entry)", shown.display());
    }
    let removed = report.missing_objects.len() + report.corrupted.len();
    println!(
        "{verb} {removed} run-cache {}; {} kept.",
        if removed == 1 { "entry" } else { "entries" },
        report.kept
    );
    Ok(ExitCode::SUCCESS)
}

fn warn_unreadable(catalog: &Catalog) {
    for (_, reason) in &catalog.unreadable {
        eprintln!("warning: {reason}");
    }
}

fn workspace_state(record: &RunRecord) -> &'static str {
    if !record.objects_present {
        "objects missing"
    } else if record.workspace_matches {
        "current"
    } else if record.inputs_match {
        "same inputs"
    } else {
        ""
    }
}

fn write_paths(out: &mut impl Write, title: &str, entries: &[LockOut]) -> std::io::Result<()> {
    if entries.is_empty() {
        return Ok(());
    }
    writeln!(out, "{title}:")?;
    for entry in entries {
        match &entry.hash {
            Some(hash) => writeln!(out, "  {} {}:{}", entry.path, hash.algorithm, hash.value)?,
            None => writeln!(out, "  {} (no hash)", entry.path)?,
        }
    }
    Ok(())
}

fn short_hash(hash: Option<&HashInfo>) -> String {
    match hash {
        Some(hash) => hash.value.chars().take(8).collect(),
        None => "-".repeat(8),
    }
}

/// Strings as they are, everything else as JSON.
fn show_value(value: &Value) -> String {
    match value {
        Value::Str(text) => text.clone(),
        other => other.to_json().to_string(),
    }
}

fn date(time: SystemTime) -> String {
    let seconds = time
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|duration| duration.as_secs() as i64)
        .unwrap_or(0);
    retort_engine::exp::time::iso(seconds).replace('T', " ")
}

fn shown_file(workspace: &Workspace, record: &RunRecord) -> String {
    let root = &workspace.root.root;
    record
        .file
        .strip_prefix(root)
        .unwrap_or(&record.file)
        .display()
        .to_string()
}

fn paths_json(entries: &[LockOut]) -> Json {
    Json::Array(
        entries
            .iter()
            .map(|entry| match &entry.hash {
                Some(hash) => json!({
                    "path": entry.path,
                    "hash": hash.algorithm.name(),
                    "value": hash.value,
                    "size": hash.size,
                }),
                None => json!({ "path": entry.path, "hash": null, "value": null }),
            })
            .collect(),
    )
}

fn grouped_json(items: &[(String, String, Value)]) -> Json {
    let mut files: JsonMap<String, Json> = JsonMap::new();
    for (file, key, value) in items {
        let entry = files
            .entry(file.clone())
            .or_insert_with(|| Json::Object(JsonMap::new()));
        if let Json::Object(values) = entry {
            values.insert(key.clone(), value.to_json());
        }
    }
    Json::Object(files)
}

fn record_json(workspace: &Workspace, record: &RunRecord) -> Json {
    let seconds = record
        .recorded
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|duration| duration.as_secs() as i64)
        .unwrap_or(0);
    let cmd = match &record.entry.cmd {
        Cmd::Single(command) => json!(command),
        Cmd::List(commands) => json!(commands),
    };
    json!({
        "id": record.id,
        "stage": record.stage,
        "key": record.key,
        "value": record.value,
        "file": shown_file(workspace, record),
        "recorded": retort_engine::exp::time::iso(seconds),
        "cmd": cmd,
        "params": grouped_json(&record.params),
        "deps": paths_json(&record.entry.deps),
        "outs": paths_json(&record.entry.outs),
        "metrics": grouped_json(&record.metrics),
        "objects_present": record.objects_present,
        "inputs_match": record.inputs_match,
        "workspace_matches": record.workspace_matches,
    })
}
