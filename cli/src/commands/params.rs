//! `retort params diff`: how params changed between two commits or
//! experiments (or a commit and the workspace), as DVC prints it.

use std::process::ExitCode;

use anyhow::Result;
use retort_engine::exp::collect::ExpState;
use retort_engine::exp::data::FileResult;
use retort_engine::exp::diff::{diff, DiffTableOptions};
use retort_engine::exp::format::Precision;
use retort_engine::exp::ExpRepo;

use super::exp::revision_state;
use super::metrics::{filter_targets, print_file_diff, report_errors};

#[derive(clap::Subcommand)]
pub enum ParamsCommand {
    /// Show how params changed between two commits or experiments.
    Diff(DiffArgs),
}

#[derive(clap::Args)]
pub struct DiffArgs {
    /// Old commit or experiment.
    #[arg(default_value = "HEAD")]
    a_rev: String,
    /// New commit or experiment.
    #[arg(default_value = "workspace")]
    b_rev: String,
    /// Only these params files.
    #[arg(long, num_args = 0.., value_name = "PATH")]
    targets: Vec<String>,
    /// Show unchanged params too.
    #[arg(long)]
    all: bool,
    /// Only params that stages depend on.
    #[arg(long)]
    deps: bool,
    /// Print JSON.
    #[arg(long, conflicts_with = "md")]
    json: bool,
    /// Print a Markdown table.
    #[arg(long)]
    md: bool,
    /// Leave out the Path column.
    #[arg(long = "no-path")]
    no_path: bool,
}

pub fn run(command: ParamsCommand) -> Result<ExitCode> {
    let cwd = std::env::current_dir()?;
    let repo = ExpRepo::discover(&cwd)?;
    match command {
        ParamsCommand::Diff(args) => {
            repo.head_sha()?;
            let old = revision_state(&repo, &args.a_rev, args.deps)?;
            let new = revision_state(&repo, &args.b_rev, args.deps)?;
            let params_of = |state: &ExpState| -> Vec<(String, FileResult)> {
                state
                    .data
                    .as_ref()
                    .map(|data| data.params.clone())
                    .unwrap_or_default()
            };
            report_errors(
                &[(&args.a_rev, &old), (&args.b_rev, &new)],
                "params",
                params_of,
            );
            let changes = diff(
                &filter_targets(params_of(&old), &args.targets),
                &filter_targets(params_of(&new), &args.targets),
                args.all,
            );
            print_file_diff(
                &repo,
                &cwd,
                &changes,
                args.json,
                args.md,
                &DiffTableOptions {
                    title: "Param".into(),
                    a_rev: args.a_rev.clone(),
                    b_rev: args.b_rev.clone(),
                    no_path: args.no_path,
                    show_changes: false,
                    precision: Precision::Full,
                    on_empty_diff: None,
                },
            )?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
