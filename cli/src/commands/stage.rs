//! `retort stage list`: the resolved stages of every pipeline.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Result;
use retort_engine::pipeline::Stage;
use serde_json::json;

use crate::context::load_project;

#[derive(clap::Subcommand)]
pub enum StageCommand {
    /// List every stage after templating and foreach/matrix expansion.
    List(ListArgs),
}

#[derive(clap::Args)]
pub struct ListArgs {
    /// Print the stages as JSON, with deps, outs, params, metrics and plots.
    #[arg(long)]
    json: bool,

    /// Only list stages whose name or group is one of these.
    names: Vec<String>,
}

pub fn run(command: StageCommand) -> Result<ExitCode> {
    match command {
        StageCommand::List(args) => list(args),
    }
}

fn list(args: ListArgs) -> Result<ExitCode> {
    let loaded = load_project()?;
    let stages: Vec<&Stage> = loaded
        .project
        .stages()
        .filter(|stage| {
            args.names.is_empty()
                || args.names.iter().any(|name| {
                    *name == stage.name
                        || Some(name) == stage.group.as_ref()
                        || *name == stage.addressing()
                })
        })
        .collect();

    let mut stdout = std::io::stdout().lock();
    if args.json {
        let items: Vec<_> = stages.iter().map(|stage| stage_json(stage)).collect();
        writeln!(stdout, "{}", serde_json::to_string_pretty(&items)?)?;
        return Ok(ExitCode::SUCCESS);
    }

    let width = stages
        .iter()
        .map(|stage| stage.addressing().len())
        .max()
        .unwrap_or(0);
    for stage in &stages {
        let outs: Vec<&str> = stage.all_outs().map(|out| out.path.as_str()).collect();
        let summary = match (&stage.desc, outs.is_empty()) {
            (Some(desc), _) => desc.clone(),
            (None, false) => format!("Outputs {}", outs.join(", ")),
            (None, true) => String::new(),
        };
        writeln!(stdout, "{:width$}  {summary}", stage.addressing())?;
    }
    let broken = loaded
        .project
        .files
        .iter()
        .filter(|file| file.has_errors())
        .count();
    if broken > 0 {
        eprintln!("warning: {broken} pipeline files have errors; run `retort check` to see them");
    }
    Ok(ExitCode::SUCCESS)
}

fn stage_json(stage: &Stage) -> serde_json::Value {
    let mut value = serde_json::to_value(stage).unwrap_or_default();
    if let Some(object) = value.as_object_mut() {
        object.insert("addressing".into(), json!(stage.addressing()));
        object.insert(
            "wdir".into(),
            json!(retort_engine::paths::display_dir(&stage.wdir)),
        );
    }
    value
}
