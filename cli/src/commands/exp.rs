//! `retort exp`: show, compare, apply, branch, remove, list, rename, save,
//! push and pull experiments kept in git under DVC's refs.

use std::process::ExitCode;

use anyhow::Result;
use retort_engine::exp::apply::{apply, ApplyOptions};
use retort_engine::exp::collect::{collect, states_json, Collector, ExpState, ShowOptions};
use retort_engine::exp::diff::{diff, diff_json, diff_table, DiffTableOptions};
use retort_engine::exp::format::Precision;
use retort_engine::exp::json::Json;
use retort_engine::exp::manage::{self, join_quoted, RemoveSelection};
use retort_engine::exp::resolve::{resolve_revision, BaselineSelection, Revision};
use retort_engine::exp::save::{save, SaveOptions};
use retort_engine::exp::show::{shape, tabulate, ShapeOptions, TableOptions};
use retort_engine::exp::sync::{self, SyncResult, SyncSelection};
use retort_engine::exp::ExpRepo;
use retort_engine::queue::extras::QueueExtras;
use retort_engine::queue::Queue;

use super::exp_output::{print_json, print_text, render_exp_table};

pub const DEFAULT_PRECISION: usize = 5;

#[derive(clap::Subcommand)]
pub enum ExpCommand {
    /// Run an experiment: set params, reproduce the pipeline and record the result.
    Run(crate::commands::exp_run::RunArgs),
    /// Run one queued experiment in a temporary directory (used by executors).
    #[command(name = "exec-run", hide = true)]
    ExecRun(crate::commands::exp_run::ExecRunArgs),
    /// Print the workspace, baselines and their experiments with params and metrics.
    Show(ShowArgs),
    /// Show the params and metrics that differ between two experiments or commits.
    Diff(DiffArgs),
    /// Bring an experiment's files into the workspace (HEAD stays where it is).
    Apply(ApplyArgs),
    /// Create a git branch from an experiment.
    Branch(BranchArgs),
    /// Remove experiments (their refs; cached data stays until garbage collection).
    #[command(alias = "rm")]
    Remove(RemoveArgs),
    /// List experiments per baseline commit.
    #[command(alias = "ls")]
    List(ListArgs),
    /// Rename an experiment.
    Rename(RenameArgs),
    /// Record the current workspace as an experiment without running anything.
    Save(SaveArgs),
    /// Push experiments to a git remote.
    Push(PushArgs),
    /// Pull experiments from a git remote.
    Pull(PushArgs),
}

/// The selection of baseline commits.
#[derive(clap::Args, Clone)]
pub struct RevArgs {
    /// All commits of the repository.
    #[arg(short = 'A', long = "all-commits")]
    all_commits: bool,
    /// Experiments derived from this commit (HEAD by default); repeatable.
    #[arg(long = "rev", value_name = "COMMIT")]
    rev: Vec<String>,
    /// Experiments of the last N first-parent commits from each --rev; negative for all.
    #[arg(
        short = 'n',
        long = "num",
        value_name = "N",
        default_value_t = 1,
        allow_negative_numbers = true
    )]
    num: i64,
}

impl RevArgs {
    fn selection(&self) -> BaselineSelection {
        BaselineSelection {
            revs: self.rev.clone(),
            num: self.num,
            all_branches: false,
            all_tags: false,
            all_commits: self.all_commits,
        }
    }
}

#[derive(clap::Args)]
pub struct ShowArgs {
    #[command(flatten)]
    revs: RevArgs,
    /// Also the tips of all git branches.
    #[arg(short = 'a', long = "all-branches")]
    all_branches: bool,
    /// Also all git tags.
    #[arg(short = 'T', long = "all-tags")]
    all_tags: bool,
    /// Print DVC's JSON instead of a table.
    #[arg(long, conflicts_with_all = ["csv", "md"])]
    json: bool,
    /// Print CSV.
    #[arg(long, conflicts_with = "md")]
    csv: bool,
    /// Print a Markdown (GitHub) table.
    #[arg(long)]
    md: bool,
    /// Sort the experiments of each baseline by this metric or param ([file:]name).
    #[arg(long = "sort-by", value_name = "NAME")]
    sort_by: Option<String>,
    /// Sort order for --sort-by.
    #[arg(long = "sort-order", value_parser = ["asc", "desc"], default_value = "asc")]
    sort_order: String,
    /// Only show columns whose values differ between rows.
    #[arg(long = "only-changed")]
    only_changed: bool,
    /// Remove columns matching this regular expression; repeatable.
    #[arg(long, value_name = "REGEX")]
    drop: Vec<String>,
    /// Keep columns matching this regular expression (protects them from --drop and --only-changed).
    #[arg(long, value_name = "REGEX")]
    keep: Vec<String>,
    /// Significant digits of floats (5 by default; CSV shows full values unless given).
    #[arg(long, value_name = "N")]
    precision: Option<usize>,
    /// Hide queued experiments.
    #[arg(long = "hide-queued")]
    hide_queued: bool,
    /// Hide failed experiments.
    #[arg(long = "hide-failed")]
    hide_failed: bool,
    /// Hide the workspace row.
    #[arg(long = "hide-workspace")]
    hide_workspace: bool,
    /// Name baselines by sha instead of branch or tag.
    #[arg(long)]
    sha: bool,
    /// Only params that stages depend on.
    #[arg(long = "param-deps")]
    param_deps: bool,
    /// Collect again instead of reading the cache.
    #[arg(short = 'f', long)]
    force: bool,
}

#[derive(clap::Args)]
pub struct DiffArgs {
    /// Old experiment or commit (HEAD by default).
    a_rev: Option<String>,
    /// New experiment or commit (the workspace by default).
    b_rev: Option<String>,
    /// Show unchanged values too.
    #[arg(long)]
    all: bool,
    /// Only params that stages depend on.
    #[arg(long = "param-deps")]
    param_deps: bool,
    /// Print JSON.
    #[arg(long, conflicts_with = "md")]
    json: bool,
    /// Print Markdown tables.
    #[arg(long)]
    md: bool,
    /// Leave out the Path column.
    #[arg(long = "no-path")]
    no_path: bool,
    /// Significant digits of metrics (5 by default).
    #[arg(long, value_name = "N")]
    precision: Option<usize>,
}

#[derive(clap::Args)]
pub struct ApplyArgs {
    /// Experiment name, ref or commit.
    experiment: String,
    /// Overwrite files that have uncommitted changes (they are saved in refs/exps/apply/stash first).
    #[arg(short = 'f', long)]
    force: bool,
}

#[derive(clap::Args)]
pub struct BranchArgs {
    /// Experiment name, ref or commit.
    experiment: String,
    /// The new branch (default: <experiment>-branch).
    branch: Option<String>,
}

#[derive(clap::Args)]
pub struct RemoveArgs {
    /// Experiments to remove.
    experiments: Vec<String>,
    #[command(flatten)]
    revs: RevArgs,
    /// Remove every queued experiment.
    #[arg(long)]
    queue: bool,
    /// Remove everything except the selected experiments.
    #[arg(long)]
    keep: bool,
}

#[derive(clap::Args)]
pub struct ListArgs {
    /// List the experiments of this git remote instead of local ones.
    git_remote: Option<String>,
    #[command(flatten)]
    revs: RevArgs,
    /// Only print names.
    #[arg(long = "name-only", alias = "names-only", conflicts_with = "sha_only")]
    name_only: bool,
    /// Only print commit shas.
    #[arg(long = "sha-only", alias = "shas-only")]
    sha_only: bool,
}

#[derive(clap::Args)]
pub struct RenameArgs {
    /// The experiment to rename.
    experiment: String,
    /// Its new name.
    name: String,
    /// Replace an experiment that already has the new name.
    #[arg(short = 'f', long)]
    force: bool,
}

#[derive(clap::Args)]
pub struct SaveArgs {
    /// Name of the experiment (generated when left out).
    #[arg(short = 'n', long)]
    name: Option<String>,
    /// Replace an experiment with the same name.
    #[arg(short = 'f', long)]
    force: bool,
    /// Untracked path to include in the experiment commit; repeatable.
    #[arg(short = 'I', long = "include-untracked", value_name = "PATH")]
    include_untracked: Vec<String>,
    /// Commit message.
    #[arg(short = 'm', long)]
    message: Option<String>,
    /// Print {"ref": ...} as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
pub struct PushArgs {
    /// Git remote name or URL.
    git_remote: String,
    /// Experiments (all of HEAD's by default).
    experiments: Vec<String>,
    #[command(flatten)]
    revs: RevArgs,
    /// Replace diverged experiments on the other side.
    #[arg(short = 'f', long)]
    force: bool,
    /// Do not transfer cached outputs.
    #[arg(long = "no-cache")]
    no_cache: bool,
}

pub fn run(command: ExpCommand) -> Result<ExitCode> {
    let command = match command {
        ExpCommand::Run(args) => return crate::commands::exp_run::run(args),
        ExpCommand::ExecRun(args) => return crate::commands::exp_run::exec_run(args),
        other => other,
    };
    let cwd = std::env::current_dir()?;
    let repo = ExpRepo::discover(&cwd)?;
    match command {
        ExpCommand::Run(_) | ExpCommand::ExecRun(_) => {
            unreachable!("handled before opening the repository")
        }
        ExpCommand::Show(args) => show(&repo, args),
        ExpCommand::Diff(args) => exp_diff(&repo, args),
        ExpCommand::Apply(args) => {
            let applied = apply(&repo, &args.experiment, &ApplyOptions { force: args.force })?;
            println!(
                "Changes for experiment '{}' have been applied to your current workspace.",
                applied.name
            );
            if !applied.missing_outputs.is_empty() {
                eprintln!(
                    "warning: these outputs are not in the cache and were not checked out (fetch them with `dvc pull`): {}",
                    applied.missing_outputs.join(", ")
                );
            }
            if applied.stash.is_some() {
                println!("Your previous workspace is saved; to go back run:\n\n\tgit reset --hard");
                if !applied.stash_untracked.is_empty() {
                    // Untracked files survive the reset and would block the
                    // stash; they are saved in it, so removing them is safe.
                    let top = if repo.subdir.is_empty() { "" } else { ":/" };
                    let paths: Vec<String> = applied
                        .stash_untracked
                        .iter()
                        .map(|path| shell_quote(&format!("{top}{path}")))
                        .collect();
                    println!("\tgit clean -f -- {}", paths.join(" "));
                }
                println!("\tgit stash apply refs/exps/apply/stash");
            }
            Ok(ExitCode::SUCCESS)
        }
        ExpCommand::Branch(args) => {
            let (branch, name) = manage::branch(&repo, &args.experiment, args.branch.as_deref())?;
            println!(
                "Git branch '{branch}' has been created from experiment '{name}'.\nTo switch to the new branch run:\n\n\tgit checkout {branch}"
            );
            Ok(ExitCode::SUCCESS)
        }
        ExpCommand::Remove(args) => {
            let by_flag = args.revs.all_commits || !args.revs.rev.is_empty() || args.queue;
            let by_name = !args.experiments.is_empty();
            if by_flag == by_name {
                anyhow::bail!(
                    "give experiment names, or use --rev, --all-commits or --queue (not both)"
                );
            }
            let removed = manage::remove(
                &repo,
                &RemoveSelection {
                    names: args.experiments,
                    all_commits: args.revs.all_commits,
                    revs: args.revs.rev,
                    num: args.revs.num,
                    queue: args.queue,
                    keep: args.keep,
                },
                &queue_extras(&repo, ShowOptions::default()),
            )?;
            if removed.is_empty() {
                println!("No experiments to remove.");
            } else {
                println!("Removed experiments: {}", join_quoted(&removed));
            }
            Ok(ExitCode::SUCCESS)
        }
        ExpCommand::List(args) => list(&repo, args),
        ExpCommand::Rename(args) => {
            manage::rename(&repo, &args.experiment, &args.name, args.force)?;
            println!("Renamed experiments: '{}'", args.experiment);
            Ok(ExitCode::SUCCESS)
        }
        ExpCommand::Save(args) => {
            // `-I` paths are relative to the current directory.
            let mut include = Vec::new();
            for path in &args.include_untracked {
                let absolute = std::path::absolute(cwd.join(path))?;
                let root = std::fs::canonicalize(&repo.project.root)
                    .unwrap_or_else(|_| repo.project.root.clone());
                let absolute = match absolute
                    .parent()
                    .and_then(|parent| std::fs::canonicalize(parent).ok())
                {
                    Some(parent) => parent.join(absolute.file_name().unwrap_or_default()),
                    None => absolute,
                };
                let relative = absolute.strip_prefix(&root).map_err(|_| {
                    anyhow::anyhow!("'{path}' is outside the project at '{}'", root.display())
                })?;
                include.push(relative.to_string_lossy().replace('\\', "/"));
            }
            let saved = save(
                &repo,
                &SaveOptions {
                    name: args.name,
                    force: args.force,
                    include_untracked: include,
                    message: args.message,
                },
            )?;
            if !saved.untracked.is_empty() {
                eprintln!(
                    "warning: these untracked files are not in the experiment commit (add them with -I PATH):\n\t{}",
                    saved.untracked.join(", ")
                );
            }
            if args.json {
                print_json(&Json::object().with("ref", Json::str(&saved.recorded.sha)))?;
            } else {
                println!(
                    "Experiment has been saved as: {}",
                    saved.recorded.exp_ref.name
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        ExpCommand::Push(args) => {
            let result = sync::push(&repo, &args.git_remote, &sync_selection(&args))?;
            report_push(&result, &args.git_remote);
            // FIXME(cache): push cached outputs of the pushed experiments to the
            // DVC remote once the cache module can push; until then only git
            // refs move.
            if !args.no_cache {
                println!("To push cached outputs for these experiments, run `dvc push` (Retort moves only the git refs for now).");
            }
            Ok(ExitCode::SUCCESS)
        }
        ExpCommand::Pull(args) => {
            let result = sync::pull(&repo, &args.git_remote, &sync_selection(&args))?;
            if !result.diverged.is_empty() {
                eprintln!(
                    "warning: Local experiment {} has diverged from remote experiment with the same name. To override the local experiment re-run with '--force'.",
                    join_quoted(&result.diverged)
                );
            }
            if result.success.is_empty() {
                println!("No experiments to pull.");
            } else {
                println!(
                    "Pulled {} {} from Git remote '{}'.",
                    experiment_word(result.success.len()),
                    join_quoted(&result.success),
                    args.git_remote
                );
            }
            // FIXME(cache): fetch cached outputs of the pulled experiments from
            // the DVC remote once the cache module can pull.
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn experiment_word(count: usize) -> &'static str {
    if count == 1 {
        "experiment"
    } else {
        "experiments"
    }
}

fn capitalized(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

fn sync_selection(args: &PushArgs) -> SyncSelection {
    SyncSelection {
        names: args.experiments.clone(),
        all_commits: args.revs.all_commits,
        revs: args.revs.rev.clone(),
        num: args.revs.num,
        force: args.force,
    }
}

fn report_push(result: &SyncResult, remote: &str) {
    if !result.diverged.is_empty() {
        eprintln!(
            "Local experiment {} has diverged from remote experiment with the same name.\nTo override the remote experiment re-run with '--force'.",
            join_quoted(&result.diverged)
        );
    }
    if !result.up_to_date.is_empty() {
        let verb = if result.up_to_date.len() > 1 {
            "are"
        } else {
            "is"
        };
        println!(
            "{} {} {verb} up to date on Git remote '{remote}'.",
            capitalized(experiment_word(result.up_to_date.len())),
            join_quoted(&result.up_to_date)
        );
    }
    if !result.success.is_empty() {
        println!(
            "Pushed {} {} to Git remote '{remote}'.",
            experiment_word(result.success.len()),
            join_quoted(&result.success)
        );
    }
    if result.up_to_date.is_empty() && result.success.is_empty() {
        println!("No experiments to push.");
    }
}

fn show(repo: &ExpRepo, args: ShowArgs) -> Result<ExitCode> {
    let mut selection = args.revs.selection();
    selection.all_branches = args.all_branches;
    selection.all_tags = args.all_tags;
    let options = ShowOptions {
        selection,
        hide_queued: args.hide_queued,
        hide_failed: args.hide_failed,
        hide_workspace: args.hide_workspace,
        sha_only: args.sha,
        param_deps: args.param_deps,
        force: args.force,
    };
    // Queued, running and failed experiments come from the queue.
    let extras = queue_extras(repo, options.clone());
    let states = collect(repo, &options, &extras)?;
    if args.json {
        print_json(&states_json(&states))?;
        return Ok(ExitCode::SUCCESS);
    }
    let precision = match (args.csv, args.precision) {
        (true, Some(digits)) | (false, Some(digits)) if digits > 0 => {
            Precision::Significant(digits)
        }
        (true, _) => Precision::Full,
        (false, _) => Precision::Significant(DEFAULT_PRECISION),
    };
    let table_options = TableOptions {
        fill_value: if args.csv { String::new() } else { "-".into() },
        precision,
        iso: args.csv,
        sort_by: args.sort_by,
        descending: args.sort_order == "desc",
        ..TableOptions::default()
    };
    let (mut table, groups) = tabulate(&states, &table_options)?;
    let kinds = shape(
        &mut table,
        &ShapeOptions {
            keep: args.keep,
            drop: args.drop,
            only_changed: args.only_changed,
            csv: args.csv,
        },
    )
    .map_err(|error| anyhow::anyhow!("invalid --keep or --drop pattern: {error}"))?;
    let text = if args.csv {
        table.to_csv()
    } else if args.md {
        table.to_markdown()
    } else {
        render_exp_table(&table, &groups, &kinds)
    };
    print_text(&text)?;
    Ok(ExitCode::SUCCESS)
}

/// Quotes a path for a POSIX shell when it needs it.
fn shell_quote(text: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "/._-:+=,@%".contains(c);
    if !text.is_empty() && text.chars().all(plain) {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

/// The project's queue as the source of queued, running and failed rows.
fn queue_extras(repo: &ExpRepo, options: ShowOptions) -> QueueExtras<'_> {
    QueueExtras {
        repo,
        queue: Queue::open(&repo.project.dvc_dir()),
        options,
    }
}

/// Collects one revision for the diff commands.
pub fn revision_state(repo: &ExpRepo, rev: &str, param_deps: bool) -> Result<ExpState> {
    let options = ShowOptions {
        param_deps,
        ..ShowOptions::default()
    };
    let collector = Collector::new(repo, &options);
    Ok(match resolve_revision(repo, rev)? {
        Revision::Workspace => collector.workspace(),
        Revision::Commit(sha) => collector.commit(&sha),
    })
}

fn exp_diff(repo: &ExpRepo, args: DiffArgs) -> Result<ExitCode> {
    repo.head_sha()?;
    let old = revision_state(
        repo,
        args.a_rev.as_deref().unwrap_or("HEAD"),
        args.param_deps,
    )?;
    let new = revision_state(
        repo,
        args.b_rev.as_deref().unwrap_or("workspace"),
        args.param_deps,
    )?;
    let empty = Vec::new();
    let files = |state: &ExpState, metrics: bool| {
        state
            .data
            .as_ref()
            .map(|data| {
                if metrics {
                    data.metrics.clone()
                } else {
                    data.params.clone()
                }
            })
            .unwrap_or_else(|| empty.clone())
    };
    let metrics = diff(&files(&old, true), &files(&new, true), args.all);
    let params = diff(&files(&old, false), &files(&new, false), args.all);
    if args.json {
        print_json(
            &Json::object()
                .with("metrics", diff_json(&metrics))
                .with("params", diff_json(&params)),
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    let precision = Precision::Significant(
        args.precision
            .filter(|digits| *digits > 0)
            .unwrap_or(DEFAULT_PRECISION),
    );
    let mut out = String::new();
    for (index, (changes, title)) in [(&metrics, "Metric"), (&params, "Param")]
        .into_iter()
        .enumerate()
    {
        // Like DVC: a blank line between the tables, and no table (not even
        // its header) when nothing differs.
        if index > 0 {
            out.push('\n');
        }
        if changes.is_empty() {
            continue;
        }
        let table = diff_table(
            changes,
            &DiffTableOptions {
                title: title.into(),
                a_rev: args.a_rev.clone().unwrap_or_else(|| "HEAD".into()),
                b_rev: args.b_rev.clone().unwrap_or_else(|| "workspace".into()),
                no_path: args.no_path,
                show_changes: true,
                precision: if title == "Metric" {
                    precision
                } else {
                    Precision::Full
                },
                on_empty_diff: Some("diff not supported".into()),
            },
        );
        out.push_str(&if args.md {
            table.to_markdown()
        } else {
            table.to_plain()
        });
    }
    print_text(&out)?;
    Ok(ExitCode::SUCCESS)
}

fn list(repo: &ExpRepo, args: ListArgs) -> Result<ExitCode> {
    if let Some(remote) = &args.git_remote {
        if args.sha_only {
            anyhow::bail!("--sha-only is not supported with a git remote");
        }
        let baselines = if args.revs.all_commits {
            None
        } else {
            Some(retort_engine::exp::resolve::select_baselines(
                repo,
                &args.revs.selection(),
            )?)
        };
        let mut grouped: Vec<(String, Vec<String>)> = Vec::new();
        for target in sync::remote_exp_refs(repo, remote)? {
            if baselines
                .as_ref()
                .is_some_and(|wanted| !wanted.contains(&target.exp_ref.baseline))
            {
                continue;
            }
            match grouped
                .iter_mut()
                .find(|(baseline, _)| *baseline == target.exp_ref.baseline)
            {
                Some((_, names)) => names.push(target.exp_ref.name),
                None => grouped.push((target.exp_ref.baseline.clone(), vec![target.exp_ref.name])),
            }
        }
        let names = repo.describe(
            &grouped
                .iter()
                .map(|(baseline, _)| baseline.clone())
                .collect::<Vec<_>>(),
        );
        for (baseline, exps) in grouped {
            if !args.name_only {
                println!(
                    "{}:",
                    names
                        .get(&baseline)
                        .cloned()
                        .unwrap_or_else(|| baseline[..7].to_string())
                );
            }
            for name in exps {
                if args.name_only {
                    println!("{name}");
                } else {
                    println!("\t{name}");
                }
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    let grouped = manage::list(repo, &args.revs.selection())?;
    let names = repo.describe(
        &grouped
            .iter()
            .map(|(baseline, _)| baseline.clone())
            .collect::<Vec<_>>(),
    );
    let mut out = String::new();
    for (baseline, targets) in grouped {
        if !(args.name_only || args.sha_only) {
            out.push_str(&format!(
                "{}:\n",
                names
                    .get(&baseline)
                    .cloned()
                    .unwrap_or_else(|| baseline[..7].to_string())
            ));
        }
        for target in targets {
            if args.name_only {
                out.push_str(&format!("{}\n", target.exp_ref.name));
            } else if args.sha_only {
                out.push_str(&format!("{}\n", target.sha));
            } else {
                out.push_str(&format!(
                    "\t{} [{}]\n",
                    &target.sha[..7],
                    target.exp_ref.name
                ));
            }
        }
    }
    print_text(&out)?;
    Ok(ExitCode::SUCCESS)
}
