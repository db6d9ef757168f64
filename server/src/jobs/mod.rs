//! The commands the server runs for `workspace/executeCommand`, as blocking
//! jobs over a [`World`] with a progress callback and a cancellation flag.
//! Nothing here knows the protocol; `lsp::commands` turns progress events
//! into `$/progress` and the outcome into the response.

mod engine;
pub mod events;
mod runcache;

use retort_engine::repro::CancelToken;
use serde::Deserialize;
use serde_json::{json, Value as Json};

use crate::analysis::diff::{diff, DiffRequest};
use crate::analysis::values::{scalar_entries, Revision};
use crate::analysis::World;
use crate::integration;

/// Every command the server executes. The ids are part of the protocol
/// contract (`docs/lsp-extensions.md`) and are listed in
/// `executeCommandProvider`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CommandId {
    Check,
    Repro,
    Status,
    ExpRun,
    ExpQueue,
    ExpDiff,
    ExpShow,
    ExpApply,
    ExpBranch,
    ExpRemove,
    RunCacheCheckout,
    QueueStart,
}

impl CommandId {
    pub const ALL: [CommandId; 12] = [
        CommandId::Check,
        CommandId::Repro,
        CommandId::Status,
        CommandId::ExpRun,
        CommandId::ExpQueue,
        CommandId::ExpDiff,
        CommandId::ExpShow,
        CommandId::ExpApply,
        CommandId::ExpBranch,
        CommandId::ExpRemove,
        CommandId::RunCacheCheckout,
        CommandId::QueueStart,
    ];

    pub fn name(self) -> &'static str {
        match self {
            CommandId::Check => "retort.check",
            CommandId::Repro => "retort.repro",
            CommandId::Status => "retort.status",
            CommandId::ExpRun => "retort.exp.run",
            CommandId::ExpQueue => "retort.exp.queue",
            CommandId::ExpDiff => "retort.exp.diff",
            CommandId::ExpShow => "retort.exp.show",
            CommandId::ExpApply => "retort.exp.apply",
            CommandId::ExpBranch => "retort.exp.branch",
            CommandId::ExpRemove => "retort.exp.remove",
            CommandId::RunCacheCheckout => "retort.runCache.checkout",
            CommandId::QueueStart => "retort.queue.start",
        }
    }

    pub fn parse(name: &str) -> Option<CommandId> {
        CommandId::ALL
            .into_iter()
            .find(|command| command.name() == name)
    }

    /// The title of the command's progress.
    pub fn title(self) -> &'static str {
        match self {
            CommandId::Check => "Checking pipelines",
            CommandId::Repro => "Reproducing stages",
            CommandId::Status => "Checking what changed",
            CommandId::ExpRun => "Running experiment",
            CommandId::ExpQueue => "Queueing experiment",
            CommandId::ExpDiff => "Comparing with a revision",
            CommandId::ExpShow => "Reading experiments",
            CommandId::ExpApply => "Applying experiment",
            CommandId::ExpBranch => "Creating a branch from an experiment",
            CommandId::ExpRemove => "Removing experiments",
            CommandId::RunCacheCheckout => "Restoring a cached run",
            CommandId::QueueStart => "Starting queue workers",
        }
    }

    /// Whether the command may change files, `dvc.lock` or experiment refs.
    pub fn changes_files(self) -> bool {
        !matches!(
            self,
            CommandId::Check | CommandId::Status | CommandId::ExpDiff | CommandId::ExpShow
        )
    }

    /// Whether the command runs stages, so its progress is also sent as
    /// `retort/progress` for clients that show live experiment progress.
    pub fn runs_stages(self) -> bool {
        matches!(
            self,
            CommandId::Repro
                | CommandId::ExpRun
                | CommandId::QueueStart
                | CommandId::RunCacheCheckout
        )
    }
}

/// Something that happened while a job ran.
#[derive(Clone, Debug, PartialEq)]
pub enum ProgressEvent {
    Message(String),
    StageStarted(String),
    StageFinished(String),
    StageRestored(String),
    /// The last line a stage command wrote.
    Output(String),
    /// Live metrics of a running experiment (from dvclive or a similar
    /// logger), forwarded as `retort/progress` with kind `metrics`.
    Metrics(LiveMetrics),
    /// A checkpoint commit recorded on a running experiment's ref.
    Checkpoint {
        experiment: Option<String>,
        stage: String,
        step: Option<u64>,
        sha: String,
    },
}

/// One step of live metrics reported by a running stage.
#[derive(Clone, Debug, PartialEq)]
pub struct LiveMetrics {
    pub experiment: Option<String>,
    pub stage: Option<String>,
    pub step: Option<u64>,
    pub metrics: serde_json::Map<String, Json>,
}

impl ProgressEvent {
    pub fn text(&self) -> String {
        match self {
            ProgressEvent::Message(text) => text.clone(),
            ProgressEvent::StageStarted(stage) => format!("Running stage '{stage}'"),
            ProgressEvent::StageFinished(stage) => format!("Stage '{stage}' finished"),
            ProgressEvent::StageRestored(stage) => {
                format!("Stage '{stage}' restored from the run-cache")
            }
            ProgressEvent::Output(line) => line.clone(),
            ProgressEvent::Checkpoint { sha, step, .. } => {
                let short = &sha[..sha.len().min(7)];
                match step {
                    Some(step) => format!("Checkpoint {short} at step {step}"),
                    None => format!("Checkpoint {short}"),
                }
            }
            ProgressEvent::Metrics(live) => {
                let values: Vec<String> = live
                    .metrics
                    .iter()
                    .map(|(name, value)| format!("{name}={value}"))
                    .collect();
                match live.step {
                    Some(step) => format!("step {step}: {}", values.join(", ")),
                    None => values.join(", "),
                }
            }
        }
    }
}

/// A flag set when the user cancels a command. Jobs check it between steps,
/// and the engine kills a running command's process group when it is set.
#[derive(Clone, Debug, Default)]
pub struct CancelFlag(CancelToken);

impl CancelFlag {
    pub fn cancel(&self) {
        self.0.cancel();
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.is_cancelled()
    }

    /// The engine's view of the flag.
    pub fn token(&self) -> &CancelToken {
        &self.0
    }
}

#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error("{0}")]
    InvalidArguments(String),
    /// The engine part the command needs is not in this build yet.
    #[error("{0}")]
    Unavailable(String),
    #[error("{0}")]
    Failed(String),
    #[error("cancelled")]
    Cancelled,
}

/// What a job produced: a one-line summary for `window/showMessage` and
/// structured data for the response.
#[derive(Clone, Debug)]
pub struct JobOutcome {
    pub summary: String,
    pub data: Json,
}

/// The arguments every command accepts, as the first element of the
/// command's `arguments`; each command reads the fields it needs.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CommandArguments {
    /// Stage names as DVC addresses them (`train`, `sub/dvc.yaml:train`).
    pub targets: Vec<String>,
    /// The pipeline file the command came from.
    pub pipeline: Option<String>,
    /// The params file an experiment takes its values from.
    pub params_file: Option<String>,
    /// `key=value` overrides, as `exp run -S`.
    pub set: Vec<String>,
    /// An experiment name: the one to apply, branch or remove, or the name
    /// of a new experiment for `exp.run` and `exp.queue`.
    pub experiment: Option<String>,
    /// A branch name, for `exp branch`.
    pub branch: Option<String>,
    /// The revision to compare with (default `HEAD`).
    pub revision: Option<String>,
    /// Limit a diff to these files.
    pub files: Option<Vec<String>>,
    /// Include unchanged values in a diff.
    pub all: bool,
    /// Queue workers to start.
    pub jobs: Option<usize>,
    /// Lets `exp.apply` overwrite uncommitted changes; they are kept in a
    /// stash commit, as the CLI's `exp apply --force` keeps them.
    pub force: bool,
}

impl CommandArguments {
    pub fn parse(arguments: &[Json]) -> Result<CommandArguments, JobError> {
        match arguments.first() {
            None | Some(Json::Null) => Ok(CommandArguments::default()),
            Some(value) => serde_json::from_value(value.clone()).map_err(|error| {
                JobError::InvalidArguments(format!("invalid command arguments: {error}"))
            }),
        }
    }
}

/// One running command.
pub struct Job<'a> {
    pub world: &'a World,
    pub arguments: &'a CommandArguments,
    pub report: &'a (dyn Fn(ProgressEvent) + Sync),
    pub cancel: &'a CancelFlag,
}

impl Job<'_> {
    fn step(&self, message: impl Into<String>) -> Result<(), JobError> {
        if self.cancel.is_cancelled() {
            return Err(JobError::Cancelled);
        }
        (self.report)(ProgressEvent::Message(message.into()));
        Ok(())
    }

    /// Checks that every target names a stage or a `foreach`/`matrix` group.
    fn check_targets(&self) -> Result<(), JobError> {
        for target in &self.arguments.targets {
            let (file, name) = match target.rsplit_once(':') {
                Some((file, name)) => (file.to_string(), name),
                None => ("dvc.yaml".to_string(), target.as_str()),
            };
            let known = self.world.pipeline(&file).is_some_and(|pipeline| {
                pipeline.definitions.iter().any(|definition| {
                    definition.name == name
                        || definition
                            .generated
                            .iter()
                            .any(|generated| generated == name)
                })
            });
            if !known {
                return Err(JobError::InvalidArguments(format!(
                    "'{target}' is not a stage of this project; name a stage from dvc.yaml, or 'path/dvc.yaml:stage' for another pipeline"
                )));
            }
        }
        Ok(())
    }
}

/// Runs a command to completion, cancellation or failure.
pub fn run(command: CommandId, job: &Job<'_>) -> Result<JobOutcome, JobError> {
    match command {
        CommandId::Check => check(job),
        CommandId::ExpDiff => exp_diff(job),
        CommandId::ExpShow => exp_show(job),
        CommandId::Repro => {
            job.check_targets()?;
            engine::repro(job)
        }
        CommandId::Status => {
            job.check_targets()?;
            engine::status(job)
        }
        CommandId::ExpRun => {
            job.check_targets()?;
            engine::exp_run(job)
        }
        CommandId::ExpQueue => {
            job.check_targets()?;
            engine::exp_queue(job)
        }
        CommandId::QueueStart => engine::queue_start(job),
        CommandId::ExpApply => engine::exp_apply(job),
        CommandId::ExpBranch => engine::exp_branch(job),
        CommandId::ExpRemove => engine::exp_remove(job),
        CommandId::RunCacheCheckout => {
            job.check_targets()?;
            runcache::checkout(job)
        }
    }
}

/// Runs every check, as `retort check --json` does.
fn check(job: &Job<'_>) -> Result<JobOutcome, JobError> {
    job.step("Checking pipelines")?;
    let world = job.world;
    let diagnostics = retort_engine::check::check_project(&world.project, world.source());
    let errors = diagnostics
        .iter()
        .filter(|diagnostic| diagnostic.severity == retort_engine::diagnostic::Severity::Error)
        .count();
    let warnings = diagnostics
        .iter()
        .filter(|diagnostic| diagnostic.severity == retort_engine::diagnostic::Severity::Warning)
        .count();
    let stages = world.project.stages().count();
    let summary = if diagnostics.is_empty() {
        format!(
            "No problems found in {stages} stages of {} pipeline files.",
            world.project.files.len()
        )
    } else {
        format!("{errors} errors and {warnings} warnings in {stages} stages.")
    };
    Ok(JobOutcome {
        summary,
        data: json!({
            "errors": errors,
            "warnings": warnings,
            "stages": stages,
            "diagnostics": diagnostics,
        }),
    })
}

/// Params and metrics of the workspace against a revision, shaped like
/// `dvc params diff --json` and `dvc metrics diff --json`.
fn exp_diff(job: &Job<'_>) -> Result<JobOutcome, JobError> {
    let world = job.world;
    let name = job
        .arguments
        .revision
        .clone()
        .unwrap_or_else(|| "HEAD".to_string());
    job.step(format!("Opening {name}"))?;
    let opened;
    let revision: &Revision = match (&world.head, name.as_str()) {
        (Some(head), "HEAD") => head,
        _ => {
            opened = Revision::open(&world.root, &name).ok_or_else(|| {
                JobError::Failed(format!(
                    "unable to read revision '{name}': the project is not in a git repository, or no commit has that name"
                ))
            })?;
            &opened
        }
    };
    let request = DiffRequest {
        only: job.arguments.files.clone(),
        all: job.arguments.all,
    };
    let report = diff(world, revision, &request, |file| {
        if job.cancel.is_cancelled() {
            return false;
        }
        (job.report)(ProgressEvent::Message(format!("Comparing {file}")));
        true
    })
    .ok_or(JobError::Cancelled)?;
    let changed = report.changed_count();
    Ok(JobOutcome {
        summary: if changed == 0 {
            format!("No params or metrics changed since {name}.")
        } else {
            format!("{changed} params and metrics changed since {name}.")
        },
        data: json!({
            "revision": name,
            "commit": revision.commit,
            "params": report.params,
            "metrics": report.metrics,
        }),
    })
}

fn exp_show(job: &Job<'_>) -> Result<JobOutcome, JobError> {
    job.step("Reading params and metrics")?;
    let table = experiments_table(job.world);
    let rows = table["rows"].as_array().map_or(0, Vec::len);
    Ok(JobOutcome {
        summary: format!("{rows} rows"),
        data: table,
    })
}

/// The `exp show` table: a row for the workspace and one for `HEAD` with
/// their params and metrics, then one per experiment of `HEAD` (queued,
/// running and failed ones included), and the whole `exp show --json`
/// output for clients that want DVC's shape.
pub fn experiments_table(world: &World) -> Json {
    let row = |source: &dyn Fn(&str) -> Option<Json>, rev: Json, name: Json| {
        let mut params = serde_json::Map::new();
        for file in world.params_files() {
            if let Some(values) = source(&file) {
                params.insert(file, values);
            }
        }
        let mut metrics = serde_json::Map::new();
        for file in world.metrics_files() {
            if let Some(values) = source(&file) {
                metrics.insert(file, values);
            }
        }
        json!({ "rev": rev, "name": name, "params": params, "metrics": metrics })
    };
    let flat = |root: Option<&retort_engine::node::Node>| -> Option<Json> {
        let root = root?;
        Some(Json::Object(
            scalar_entries(root)
                .into_iter()
                .map(|(key, node)| (key, node.value.to_json()))
                .collect(),
        ))
    };
    let mut rows = vec![row(
        &|file| world.data(file).and_then(|data| flat(data.root())),
        json!("workspace"),
        Json::Null,
    )];
    if let Some(head) = &world.head {
        rows.push(row(
            &|file| head.data(file).and_then(|data| flat(data.root())),
            json!(head.commit),
            json!("HEAD"),
        ));
    }
    let experiments = integration::experiment_rows(world);
    let available = experiments.is_some();
    rows.extend(experiments.unwrap_or_default());
    json!({
        "rows": rows,
        "experiments_available": available,
        "exp_show": integration::exp_show_json(world),
    })
}
