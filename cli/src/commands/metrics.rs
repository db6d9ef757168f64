//! `retort metrics show` and `retort metrics diff`: metrics of the workspace
//! and of commits or experiments, as DVC prints them.

use std::process::ExitCode;

use anyhow::Result;
use retort_engine::exp::collect::{Collector, ExpState, ShowOptions};
use retort_engine::exp::data::FileResult;
use retort_engine::exp::diff::{diff, diff_json, diff_table, DiffTableOptions};
use retort_engine::exp::format::{format_field, Precision};
use retort_engine::exp::json::Json;
use retort_engine::exp::show::flatten;
use retort_engine::exp::table::TabularData;
use retort_engine::exp::ExpRepo;

use super::exp::{revision_state, DEFAULT_PRECISION};
use super::exp_output::{from_cwd, print_json, print_text};

#[derive(clap::Subcommand)]
pub enum MetricsCommand {
    /// Print metrics, of the workspace or of branches, tags and commits.
    Show(ShowArgs),
    /// Show how metrics changed between two commits or experiments.
    Diff(DiffArgs),
}

#[derive(clap::Args)]
pub struct ShowArgs {
    /// Only these metrics files (or directories).
    targets: Vec<String>,
    /// Metrics of every branch tip.
    #[arg(short = 'a', long = "all-branches")]
    all_branches: bool,
    /// Metrics of every tag.
    #[arg(short = 'T', long = "all-tags")]
    all_tags: bool,
    /// Metrics of every commit.
    #[arg(short = 'A', long = "all-commits")]
    all_commits: bool,
    /// Print JSON.
    #[arg(long, conflicts_with = "md")]
    json: bool,
    /// Print a Markdown table.
    #[arg(long)]
    md: bool,
    /// Decimal places of floats (5 by default).
    #[arg(long, value_name = "N")]
    precision: Option<usize>,
}

#[derive(clap::Args)]
pub struct DiffArgs {
    /// Old commit or experiment.
    #[arg(default_value = "HEAD")]
    a_rev: String,
    /// New commit or experiment.
    #[arg(default_value = "workspace")]
    b_rev: String,
    /// Only these metrics files.
    #[arg(long, num_args = 0.., value_name = "PATH")]
    targets: Vec<String>,
    /// Show unchanged metrics too.
    #[arg(long)]
    all: bool,
    /// Print JSON.
    #[arg(long, conflicts_with = "md")]
    json: bool,
    /// Print a Markdown table.
    #[arg(long)]
    md: bool,
    /// Leave out the Path column.
    #[arg(long = "no-path")]
    no_path: bool,
    /// Decimal places of floats (5 by default).
    #[arg(long, value_name = "N")]
    precision: Option<usize>,
}

pub fn run(command: MetricsCommand) -> Result<ExitCode> {
    let cwd = std::env::current_dir()?;
    let repo = ExpRepo::discover(&cwd)?;
    match command {
        MetricsCommand::Show(args) => show(&repo, &cwd, args),
        MetricsCommand::Diff(args) => metrics_diff(&repo, &cwd, args),
    }
}

/// Keeps the files a `--targets` list names (a directory keeps what is in it).
pub fn filter_targets(
    files: Vec<(String, FileResult)>,
    targets: &[String],
) -> Vec<(String, FileResult)> {
    if targets.is_empty() {
        return files;
    }
    let targets: Vec<String> = targets
        .iter()
        .filter_map(|target| retort_engine::paths::normalize(target))
        .collect();
    files
        .into_iter()
        .filter(|(path, _)| {
            targets
                .iter()
                .any(|target| retort_engine::paths::is_within(path, target))
        })
        .collect()
}

/// Lists the commits `-a`, `-T` and `-A` select, each labelled as DVC
/// labels it: the names that select it, joined by commas.
fn labelled_revisions(repo: &ExpRepo, args: &ShowArgs) -> Result<Vec<(String, String)>> {
    let mut labelled: Vec<(String, Vec<String>)> = Vec::new();
    let mut add = |sha: String, label: String| match labelled
        .iter_mut()
        .find(|(existing, _)| *existing == sha)
    {
        Some((_, labels)) => {
            if !labels.contains(&label) {
                labels.push(label)
            }
        }
        None => labelled.push((sha, vec![label])),
    };
    if args.all_commits {
        for sha in repo.all_commits()? {
            add(sha.clone(), sha);
        }
    } else {
        if args.all_branches {
            for branch in repo.branches() {
                if let Some(sha) = repo.ref_sha(&format!("refs/heads/{branch}")) {
                    add(sha, branch);
                }
            }
        }
        if args.all_tags {
            for tag in repo.tags() {
                if let Some(sha) = repo.ref_sha(&format!("refs/tags/{tag}")) {
                    add(sha, tag);
                }
            }
        }
    }
    Ok(labelled
        .into_iter()
        .map(|(sha, labels)| (sha, labels.join(",")))
        .collect())
}

fn rev_json(files: &[(String, FileResult)], repo: &ExpRepo, cwd: &std::path::Path) -> Json {
    Json::object().with(
        "data",
        Json::Object(
            files
                .iter()
                .map(|(path, result)| {
                    let value = match result {
                        FileResult::Data(data) => Json::object().with("data", data.clone()),
                        FileResult::Error(error) => Json::object().with(
                            "error",
                            Json::object()
                                .with("type", Json::str(&error.kind))
                                .with("msg", Json::str(&error.msg)),
                        ),
                    };
                    (from_cwd(&repo.project.root, cwd, path), value)
                })
                .collect(),
        ),
    )
}

fn metrics_of(state: &ExpState) -> Vec<(String, FileResult)> {
    state
        .data
        .as_ref()
        .map(|data| data.metrics.clone())
        .unwrap_or_default()
}

fn show(repo: &ExpRepo, cwd: &std::path::Path, args: ShowArgs) -> Result<ExitCode> {
    let collector = Collector::new(repo, &ShowOptions::default());
    let many = args.all_branches || args.all_tags || args.all_commits;
    let mut revisions: Vec<(String, Vec<(String, FileResult)>)> = Vec::new();
    let workspace = filter_targets(metrics_of(&collector.workspace()), &args.targets);
    if !many {
        revisions.push((String::new(), workspace));
    } else {
        revisions.push(("workspace".into(), workspace));
        let labelled = labelled_revisions(repo, &args)?;
        let shas: Vec<String> = labelled.iter().map(|(sha, _)| sha.clone()).collect();
        let states = collector.commits(&shas);
        for (sha, label) in labelled {
            let files = states.get(&sha).map(metrics_of).unwrap_or_default();
            revisions.push((label, filter_targets(files, &args.targets)));
        }
        // The workspace is left out when it equals the active branch.
        if let Some(branch) = repo.head_branch() {
            let same = revisions
                .iter()
                .find(|(label, _)| *label == branch)
                .map(|(_, files)| files.clone());
            if same.as_ref() == Some(&revisions[0].1) {
                revisions.remove(0);
            }
        }
    }
    let errored: Vec<String> = revisions
        .iter()
        .filter(|(_, files)| {
            files
                .iter()
                .any(|(_, result)| matches!(result, FileResult::Error(_)))
        })
        .map(|(label, _)| label.clone())
        .collect();
    if !errored.is_empty() {
        eprintln!(
            "error: failed to load some metrics for these revisions: '{}'.",
            errored.join(", ")
        );
    }
    if args.json {
        let json = Json::Object(
            revisions
                .iter()
                .map(|(label, files)| (label.clone(), rev_json(files, repo, cwd)))
                .collect(),
        );
        print_json(&json)?;
        return Ok(ExitCode::SUCCESS);
    }
    let precision = Precision::Round(
        args.precision
            .filter(|digits| *digits > 0)
            .unwrap_or(DEFAULT_PRECISION),
    );
    let mut table = TabularData::new(vec!["Revision".into(), "Path".into()], "-");
    for (label, files) in &revisions {
        for (path, result) in files {
            let mut cells = vec![
                ("Revision".to_string(), label.clone()),
                ("Path".to_string(), from_cwd(&repo.project.root, cwd, path)),
            ];
            let data = match result {
                FileResult::Data(data) => data.clone(),
                FileResult::Error(_) => Json::object(),
            };
            let values = match &data {
                Json::Object(_) => flatten(&format_lists(&data)),
                other => vec![(String::new(), other.clone())],
            };
            for (key, value) in values {
                cells.push((key, format_field(&value, precision)));
            }
            table.push_row_map(cells);
        }
    }
    let mut headers: Vec<String> = table.keys()[2..].to_vec();
    headers.sort();
    let mut order = vec!["Revision".to_string(), "Path".to_string()];
    order.extend(headers);
    table.project(&order);
    if !many {
        table.drop(&["Revision"]);
    }
    print_text(&if args.md {
        table.to_markdown()
    } else {
        table.to_plain()
    })?;
    Ok(ExitCode::SUCCESS)
}

/// DVC's `format_dict`: lists shown as their Python text.
fn format_lists(value: &Json) -> Json {
    match value {
        Json::Object(entries) => Json::Object(
            entries
                .iter()
                .map(|(key, item)| (key.clone(), format_lists(item)))
                .collect(),
        ),
        Json::List(_) => Json::Str(retort_engine::exp::format::python_str(value)),
        other => other.clone(),
    }
}

/// Prints a diff of params or metrics files in DVC's form.
pub fn print_file_diff(
    repo: &ExpRepo,
    cwd: &std::path::Path,
    changes: &retort_engine::exp::diff::Diff,
    json: bool,
    md: bool,
    options: &DiffTableOptions,
) -> Result<()> {
    let relative: retort_engine::exp::diff::Diff = changes
        .iter()
        .map(|(path, items)| (from_cwd(&repo.project.root, cwd, path), items.clone()))
        .collect();
    if json {
        return print_json(&diff_json(&relative));
    }
    let table = diff_table(&relative, options);
    if relative.is_empty() {
        return Ok(());
    }
    print_text(&if md {
        table.to_markdown()
    } else {
        table.to_plain()
    })
}

fn metrics_diff(repo: &ExpRepo, cwd: &std::path::Path, args: DiffArgs) -> Result<ExitCode> {
    repo.head_sha()?;
    let old = revision_state(repo, &args.a_rev, false)?;
    let new = revision_state(repo, &args.b_rev, false)?;
    report_errors(
        &[(&args.a_rev, &old), (&args.b_rev, &new)],
        "metrics",
        metrics_of,
    );
    let changes = diff(
        &filter_targets(metrics_of(&old), &args.targets),
        &filter_targets(metrics_of(&new), &args.targets),
        args.all,
    );
    let precision = Precision::Round(
        args.precision
            .filter(|digits| *digits > 0)
            .unwrap_or(DEFAULT_PRECISION),
    );
    print_file_diff(
        repo,
        cwd,
        &changes,
        args.json,
        args.md,
        &DiffTableOptions {
            title: "Metric".into(),
            a_rev: args.a_rev.clone(),
            b_rev: args.b_rev.clone(),
            no_path: args.no_path,
            show_changes: true,
            precision,
            on_empty_diff: None,
        },
    )?;
    Ok(ExitCode::SUCCESS)
}

/// Says which revisions had files that could not be read.
pub fn report_errors(
    revisions: &[(&String, &ExpState)],
    _what: &str,
    files: impl Fn(&ExpState) -> Vec<(String, FileResult)>,
) {
    let errored: Vec<&str> = revisions
        .iter()
        .filter(|(_, state)| {
            state.error.is_some()
                || files(state)
                    .iter()
                    .any(|(_, result)| matches!(result, FileResult::Error(_)))
        })
        .map(|(label, _)| label.as_str())
        .collect();
    if !errored.is_empty() {
        eprintln!(
            "error: failed to load some metrics for these revisions: '{}'.",
            errored.join(", ")
        );
    }
}
