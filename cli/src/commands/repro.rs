//! `retort repro`: run the stages that changed and record the results.

use std::process::ExitCode;

use anyhow::Result;
use retort_engine::repro::plan::Scope;
use retort_engine::repro::{reproduce, ReproError, ReproOptions, StageResult, Workspace};

use crate::context::open_workspace;
use crate::printer::{cancel_on_signal, TerminalPrinter};

#[derive(clap::Args)]
pub struct Args {
    /// Stages to reproduce: names, foreach/matrix groups, `group@key`,
    /// `path/to/dvc.yaml` or `path/to/dvc.yaml:stage` (default: every stage of
    /// the dvc.yaml in the current directory).
    targets: Vec<String>,

    /// Run every stage even if nothing changed, without restoring from caches.
    #[arg(short, long)]
    force: bool,

    /// Only the targets, not their upstream stages.
    #[arg(short = 's', long = "single-item")]
    single_item: bool,

    /// The targets and every stage that depends on them.
    #[arg(long, conflicts_with = "single_item")]
    downstream: bool,

    /// Print the commands that would run without running anything.
    #[arg(long)]
    dry: bool,

    /// Do not restore outputs from run-cache entries.
    #[arg(long = "no-run-cache")]
    no_run_cache: bool,

    /// After a failure, skip the failed stage's descendants and run the rest.
    #[arg(short = 'k', long = "keep-going")]
    keep_going: bool,

    /// Treat targets as glob patterns over stage names.
    #[arg(long)]
    glob: bool,

    /// Do not save outputs to the cache or record run-cache entries.
    #[arg(long = "no-commit")]
    no_commit: bool,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let (mut workspace, cwd) = open_workspace()?;
    let options = ReproOptions {
        targets: args.targets,
        cwd,
        scope: if args.single_item {
            Scope::Single
        } else if args.downstream {
            Scope::Downstream
        } else {
            Scope::WithUpstream
        },
        force: args.force,
        dry: args.dry,
        no_run_cache: args.no_run_cache,
        keep_going: args.keep_going,
        glob: args.glob,
        no_commit: args.no_commit,
        env: Vec::new(),
        already_locked: false,
        ..ReproOptions::default()
    };
    run_repro(&mut workspace, &options)
}

/// Runs a repro and prints the outcome like `dvc repro`; shared with `exp run`.
pub fn run_repro(workspace: &mut Workspace, options: &ReproOptions) -> Result<ExitCode> {
    let printer = TerminalPrinter::new();
    let cancel = cancel_on_signal();
    match reproduce(workspace, options, &printer, &cancel) {
        Ok(report) => {
            if report.failed() {
                for stage in &report.stages {
                    if let StageResult::Failed(message) = &stage.result {
                        eprintln!("ERROR: failed to reproduce '{}': {message}", stage.stage);
                    }
                }
                return Ok(ExitCode::from(1));
            }
            if options.dry {
                return Ok(ExitCode::SUCCESS);
            }
            if report.changed_anything() {
                print_git_hint(workspace);
            } else {
                println!("Data and pipelines are up to date.");
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(ReproError::StageFailed {
            stage,
            message,
            exit_code,
        }) => {
            eprintln!("ERROR: failed to reproduce '{stage}': {message}");
            let code = exit_code
                .filter(|code| (1..=255).contains(code))
                .unwrap_or(1);
            Ok(ExitCode::from(code as u8))
        }
        Err(ReproError::Cancelled { stage }) => {
            eprintln!(
                "ERROR: the run was cancelled during stage '{stage}'; nothing was recorded for it"
            );
            Ok(ExitCode::from(130))
        }
        Err(error) => Err(error.into()),
    }
}

/// Lists the files the run changed that git should track, as DVC does.
fn print_git_hint(workspace: &Workspace) {
    let Some(git_root) = &workspace.root.git_root else {
        return;
    };
    let Ok(repo) = git2::Repository::open(git_root) else {
        return;
    };
    let mut options = git2::StatusOptions::new();
    options
        .include_untracked(true)
        .recurse_untracked_dirs(false);
    let Ok(statuses) = repo.statuses(Some(&mut options)) else {
        return;
    };
    let paths: Vec<String> = statuses
        .iter()
        .filter_map(|entry| entry.path().ok().map(str::to_string))
        .filter(|path| path.ends_with("dvc.lock") || path.ends_with(".gitignore"))
        .collect();
    if paths.is_empty() {
        return;
    }
    println!(
        "\nTo track the changes with git, run:\n\n\tgit add {}",
        paths.join(" ")
    );
}
