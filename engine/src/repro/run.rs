//! `repro`: runs the stages that changed, in order, and records the results.
//!
//! For each planned stage: compare the workspace with `dvc.lock`; skip it when
//! nothing changed; otherwise delete its non-persistent outputs and restore them
//! from the cache when its own lock entry or a run-cache entry matches (unless
//! forced), else run its commands. Then save the outputs to the cache, write a
//! run-cache entry when the stage is eligible, and update its `dvc.lock` entry.
//! A failed command leaves the stage's lock entry and the run-cache untouched.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Instant;

use indexmap::IndexMap;

use crate::cache::{CacheError, CacheOptions, LinkType};
use crate::dag::Dag;
use crate::diagnostic::{Diagnostic, Severity};
use crate::files::{DiskFiles, ParsedFiles};
use crate::hash_info::HashInfo;
use crate::lock::{self, LockError, LockOut, LockStage};
use crate::pipeline::Stage;
use crate::project::Project;
use crate::runcache::{self, DepFacts, OutFacts, StageFacts};

use super::events::{CancelToken, Event, EventSink, HashingReporter, RestoreSource, SkipReason};
use super::execute::{run_command_watched, CommandFailure};
use super::plan::{plan, Scope};
use super::project_lock::{ProjectLock, ProjectLockError};
use super::state::{self, StageState, StateError};
use super::status::{self, StageStatus};
use super::targets::{resolve_targets, TargetError};
use super::workspace::Workspace;
use crate::live::checkpoint::CheckpointRecorder;
use crate::live::follow::{Follower, Signal};
use crate::live::status::LiveStatus;
use crate::live::values::{LiveValues, Sources};

/// What to reproduce and how.
#[derive(Clone, Debug, Default)]
pub struct ReproOptions {
    /// Stage names, groups, `file:stage` or `dvc.yaml` paths; empty means the
    /// pipeline in `cwd`.
    pub targets: Vec<String>,
    /// The project-relative directory the command runs in.
    pub cwd: String,
    pub scope: Scope,
    /// Run every planned stage, changed or not, without restoring from caches.
    pub force: bool,
    /// Print what would run without running or writing anything.
    pub dry: bool,
    /// Do not restore from run-cache entries (a stage's own lock entry is still
    /// used when only its outputs are missing).
    pub no_run_cache: bool,
    /// After a failure, skip the failed stage's descendants and go on.
    pub keep_going: bool,
    /// Targets are glob patterns over stage names.
    pub glob: bool,
    /// Do not save outputs to the cache or write run-cache entries.
    pub no_commit: bool,
    /// Extra environment for stage commands, such as `DVC_EXP_NAME`.
    pub env: Vec<(String, String)>,
    /// The caller holds the project lock already, as `exp run` does while it
    /// edits params, runs and commits.
    pub already_locked: bool,
    /// The file that keeps the latest live values of a running stage for
    /// other processes (`.dvc/tmp/exps/run/<id>/live.json`). It is removed
    /// at the end.
    pub live_status: Option<PathBuf>,
    /// Records checkpoints (`exp run`). Without it, checkpoint signals are
    /// acknowledged and nothing is recorded.
    pub checkpoints: Option<std::sync::Arc<dyn CheckpointRecorder>>,
}

/// What happened to one stage.
#[derive(Clone, Debug, PartialEq)]
pub enum StageResult {
    Ran,
    Restored(RestoreSource),
    Skipped(SkipReason),
    /// `--dry`: the stage would run.
    WouldRun,
    Failed(String),
}

#[derive(Clone, Debug)]
pub struct StageReport {
    /// DVC's addressing: `name` or `dir/dvc.yaml:name`.
    pub stage: String,
    pub name: String,
    pub dvcfile: String,
    pub result: StageResult,
    /// The lock entry written for the stage, when it ran or was restored.
    pub lock: Option<LockStage>,
}

/// The outcome of a repro.
#[derive(Clone, Debug, Default)]
pub struct ReproReport {
    pub stages: Vec<StageReport>,
}

impl ReproReport {
    pub fn failed(&self) -> bool {
        self.stages
            .iter()
            .any(|report| matches!(report.result, StageResult::Failed(_)))
    }

    /// Whether any stage ran or was restored.
    pub fn changed_anything(&self) -> bool {
        self.stages.iter().any(|report| report.lock.is_some())
    }

    /// The lock entries of the stages that ran or were restored, keyed by stage
    /// name; DVC hashes these into an experiment's name.
    pub fn reproduced(&self) -> IndexMap<String, LockStage> {
        self.stages
            .iter()
            .filter_map(|report| Some((report.name.clone(), report.lock.clone()?)))
            .collect()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ReproError {
    #[error(
        "'{0}' is not a DVC project yet (it has no .dvc directory); run `dvc init` there first"
    )]
    NotInitialized(PathBuf),
    #[error(transparent)]
    Lock(#[from] ProjectLockError),
    #[error("the pipeline has errors; run `retort check` to see them:\n{}", render_diagnostics(.0))]
    Pipeline(Vec<Diagnostic>),
    #[error(transparent)]
    Target(#[from] TargetError),
    #[error(transparent)]
    State(#[from] StateError),
    #[error(transparent)]
    Cache(#[from] CacheError),
    #[error(transparent)]
    LockFile(#[from] LockError),
    #[error("failed to reproduce '{stage}': {message}")]
    StageFailed {
        stage: String,
        message: String,
        /// The exit code of the failed command, when it exited with one.
        exit_code: Option<i32>,
    },
    #[error("the run was cancelled during stage '{stage}'; its outputs were not recorded")]
    Cancelled { stage: String },
}

fn render_diagnostics(diagnostics: &[Diagnostic]) -> String {
    diagnostics
        .iter()
        .map(|diagnostic| format!("  {}: {}", diagnostic.file.display(), diagnostic.message))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The diagnostic codes that stop DVC from loading a project at all; problems
/// that concern one stage only are found when that stage runs.
const BLOCKING_CODES: &[&str] = &[
    "yaml-syntax",
    "wrong-type",
    "unknown-key",
    "missing-cmd",
    "missing-key",
    "undefined-variable",
    "interpolate-collection",
    "invalid-expression",
    "vars-redefinition",
    "missing-vars-file",
    "vars-error",
    "params-syntax",
    "interpolation-in-vars",
    "foreach-not-iterable",
    "duplicate-output",
    "overlapping-outputs",
    "cycle",
    "dep-is-out",
    "pipeline-inside-output",
    "path-outside-project",
];

/// Reproduces the targets of `options` in `workspace`. The project is loaded
/// under the project lock, so the run sees one consistent state.
pub fn reproduce(
    workspace: &mut Workspace,
    options: &ReproOptions,
    events: &dyn EventSink,
    cancel: &CancelToken,
) -> Result<ReproReport, ReproError> {
    let result = reproduce_stages(workspace, options, events, cancel);
    if let Some(path) = &options.live_status {
        crate::live::status::remove(path);
    }
    result
}

fn reproduce_stages(
    workspace: &mut Workspace,
    options: &ReproOptions,
    events: &dyn EventSink,
    cancel: &CancelToken,
) -> Result<ReproReport, ReproError> {
    if !workspace.root.has_dvc_dir {
        return Err(ReproError::NotInitialized(workspace.root.root.clone()));
    }
    let _lock = if options.dry || options.already_locked {
        None
    } else {
        Some(ProjectLock::acquire(&workspace.root.dvc_dir())?)
    };

    let disk = DiskFiles::new(workspace.root.root.clone());
    let project = Project::load(workspace.root.clone(), &disk, workspace.parsing_config());
    let blocking: Vec<Diagnostic> = crate::check::check_project(&project, &disk)
        .into_iter()
        .filter(|diagnostic| {
            diagnostic.severity == Severity::Error
                && (BLOCKING_CODES.contains(&diagnostic.code)
                    || diagnostic.file.ends_with("dvc.lock"))
        })
        .collect();
    if !blocking.is_empty() {
        return Err(ReproError::Pipeline(blocking));
    }

    let stages: Vec<&Stage> = project.stages().collect();
    let dag = Dag::from_stages(&stages);
    let targets = resolve_targets(&project, &options.targets, &options.cwd, options.glob)?;
    let order = plan(&stages, &dag, &targets, options.scope);

    let mut runner = Runner {
        workspace,
        options,
        events,
        cancel,
        disk: &disk,
        parsed: ParsedFiles::new(&disk),
        locks: HashMap::new(),
        report: ReproReport::default(),
    };
    let mut failed: Vec<usize> = Vec::new();
    for index in order {
        let stage = stages[index];
        if let Some(&upstream) = failed
            .iter()
            .find(|&&failed_index| depends_on(&dag, index, failed_index))
        {
            let reason = SkipReason::UpstreamFailed(stages[upstream].addressing());
            runner.skip(stage, reason);
            continue;
        }
        match runner.reproduce_stage(stage) {
            Ok(()) => {}
            Err(ReproError::StageFailed {
                stage: name,
                message,
                ..
            }) if options.keep_going => {
                tracing::warn!(stage = %name, %message, "stage failed; continuing with independent stages");
                // The failed command may have written files before it stopped.
                runner.parsed = ParsedFiles::new(&disk);
                failed.push(index);
            }
            Err(error) => {
                runner.workspace.save_fingerprints();
                return Err(error);
            }
        }
    }
    runner.workspace.save_fingerprints();
    let report = runner.report;
    if let Some(failure) = report.stages.iter().find_map(|stage| match &stage.result {
        StageResult::Failed(message) => Some((stage.stage.clone(), message.clone())),
        _ => None,
    }) {
        // With --keep-going the independent stages ran; the run still failed.
        tracing::debug!(stage = %failure.0, "repro finished with failures");
    }
    Ok(report)
}

/// Whether stage `index` reads, directly or through other stages, an output of
/// stage `upstream`.
fn depends_on(dag: &Dag, index: usize, upstream: usize) -> bool {
    dag.post_order(&[index], false).contains(&upstream) && index != upstream
}

struct Runner<'a> {
    workspace: &'a mut Workspace,
    options: &'a ReproOptions,
    events: &'a dyn EventSink,
    cancel: &'a CancelToken,
    disk: &'a DiskFiles,
    /// Params files parsed so far. Stages that are up to date share them, and
    /// the memo starts over after a stage writes files.
    parsed: ParsedFiles<'a>,
    /// Each `dvc.lock` touched so far: its text as on disk (None when absent) and
    /// its parsed entries.
    locks: HashMap<String, (Option<String>, lock::LockFile)>,
    report: ReproReport,
}

impl Runner<'_> {
    fn skip(&mut self, stage: &Stage, reason: SkipReason) {
        self.events.event(Event::StageSkipped {
            stage: stage.addressing(),
            reason: reason.clone(),
        });
        self.push(stage, StageResult::Skipped(reason), None);
    }

    fn push(&mut self, stage: &Stage, result: StageResult, lock: Option<LockStage>) {
        self.report.stages.push(StageReport {
            stage: stage.addressing(),
            name: stage.name.clone(),
            dvcfile: stage.dvcfile.clone(),
            result,
            lock,
        });
    }

    fn lock_path(stage: &Stage) -> String {
        match stage.dvcfile.rsplit_once('/') {
            Some((dir, _)) => format!("{dir}/{}", lock::LOCK_FILE_NAME),
            None => lock::LOCK_FILE_NAME.to_string(),
        }
    }

    /// The recorded entry of a stage, reading its `dvc.lock` on first use.
    fn recorded(&mut self, stage: &Stage) -> Result<Option<LockStage>, ReproError> {
        let path = Self::lock_path(stage);
        if !self.locks.contains_key(&path) {
            let absolute = self.workspace.path(&path);
            let text = std::fs::read_to_string(&absolute).ok();
            let parsed = match &text {
                Some(text) => {
                    let parsed = lock::parse(text, &path);
                    if !parsed.is_valid() {
                        return Err(ReproError::Pipeline(parsed.diagnostics));
                    }
                    parsed.lock
                }
                None => lock::LockFile::default(),
            };
            self.locks.insert(path.clone(), (text, parsed));
        }
        Ok(self.locks[&path].1.stages.get(&stage.name).cloned())
    }

    fn reproduce_stage(&mut self, stage: &Stage) -> Result<(), ReproError> {
        if self.cancel.is_cancelled() {
            return Err(ReproError::Cancelled {
                stage: stage.addressing(),
            });
        }
        let recorded = self.recorded(stage)?;
        let reporter = HashingReporter::new(self.events, stage.addressing());
        let progress = |update| reporter.report(update);
        // Outputs are hashed only when the inputs alone do not decide: a stage
        // whose inputs changed runs (or is restored) whatever its outputs are.
        let mut current = state::read_inputs(
            self.workspace,
            &self.parsed,
            stage,
            recorded.as_ref(),
            Some(&progress),
        )?;
        let mut status = status::compare(self.workspace, stage, &current, recorded.as_ref());
        let inputs_changed =
            status.changed_command || !status.changed_deps.is_empty() || status.always_changed;
        if stage.frozen || !inputs_changed {
            current.hash_outputs(self.workspace, recorded.as_ref(), Some(&progress))?;
            status = status::compare(self.workspace, stage, &current, recorded.as_ref());
        }

        if stage.frozen && !self.options.force {
            return self.verify_frozen(stage, &current);
        }
        // A stage with checkpoint outputs always runs, as in DVC 2.
        if !self.options.force && !status.is_changed() && !has_checkpoint_out(stage) {
            self.skip(stage, SkipReason::Unchanged);
            return Ok(());
        }
        if self.options.dry {
            self.events.event(Event::StageStarted {
                stage: stage.addressing(),
                commands: stage
                    .cmd
                    .commands()
                    .iter()
                    .map(|command| command.to_string())
                    .collect(),
            });
            self.push(stage, StageResult::WouldRun, None);
            return Ok(());
        }

        self.remove_outputs(stage, &current)?;
        let restored = if self.options.force {
            None
        } else {
            self.try_restore(stage, &current, &status, recorded.as_ref())?
        };
        let started = Instant::now();
        match &restored {
            Some((source, _)) => self.events.event(Event::StageRestored {
                stage: stage.addressing(),
                source: source.clone(),
            }),
            None => self.run_commands(stage, &current)?,
        }

        // The stage wrote files, which may be params files of later stages.
        self.parsed = ParsedFiles::new(self.disk);
        let entry = match &restored {
            Some((_, used)) => self.record_restored(stage, &current, used)?,
            None => self.save_results(stage)?,
        };
        let result = match restored {
            Some((source, _)) => StageResult::Restored(source),
            None => {
                self.events.event(Event::StageFinished {
                    stage: stage.addressing(),
                    duration: started.elapsed(),
                });
                StageResult::Ran
            }
        };
        self.push(stage, result, Some(entry));
        Ok(())
    }

    /// A frozen stage never runs; its outputs must exist.
    fn verify_frozen(&mut self, stage: &Stage, current: &StageState) -> Result<(), ReproError> {
        if let Some(missing) = current.outs.iter().find(|out| out.hash.is_none()) {
            return Err(ReproError::StageFailed {
                stage: stage.addressing(),
                message: format!(
                    "output '{}' of frozen stage '{}' does not exist; unfreeze the stage or restore the output",
                    missing.path,
                    stage.addressing()
                ),
                exit_code: None,
            });
        }
        self.skip(stage, SkipReason::Frozen);
        Ok(())
    }

    /// Deletes the outputs the command will write again; persistent ones stay.
    fn remove_outputs(&mut self, stage: &Stage, current: &StageState) -> Result<(), ReproError> {
        for out in current.outs.iter().filter(|out| !out.persist) {
            crate::fsutil::remove_path(&out.absolute).map_err(CacheError::from)?;
        }
        let _ = stage;
        Ok(())
    }

    /// Restores the outputs from the stage's own lock entry (when only outputs
    /// changed) or from a run-cache entry with the same inputs. Returns where
    /// they came from, or `None` when the stage has to run.
    fn try_restore(
        &mut self,
        stage: &Stage,
        current: &StageState,
        status: &StageStatus,
        recorded: Option<&LockStage>,
    ) -> Result<Option<(RestoreSource, LockStage)>, ReproError> {
        let facts = stage_facts(stage, current);
        if runcache::can_hash(&facts).is_err() {
            return Ok(None);
        }

        let lock_entry_usable = recorded.is_some_and(|entry| {
            !status.changed_command
                && status.changed_deps.is_empty()
                && entry.outs.iter().all(|out| out.hash.is_some())
                && entry.outs.len() == current.outs.len()
        });
        let (entry, source) = if lock_entry_usable {
            (recorded.cloned(), RestoreSource::LockEntry)
        } else if self.options.no_run_cache {
            (None, RestoreSource::RunCache)
        } else {
            let key = runcache::run_cache_key(&current.to_lock_stage(stage));
            match runcache::load_newest(&self.workspace.cache_dir, &key) {
                Ok(entry) => (entry, RestoreSource::RunCache),
                Err(error) => {
                    tracing::warn!(stage = %stage.addressing(), %error, "unable to read the run-cache entry");
                    (None, RestoreSource::RunCache)
                }
            }
        };
        let Some(entry) = entry else {
            return Ok(None);
        };
        let hashes: Vec<(&LockOut, &HashInfo)> = entry
            .outs
            .iter()
            .filter_map(|out| Some((out, out.hash.as_ref()?)))
            .collect();
        if hashes.len() != entry.outs.len()
            || !hashes
                .iter()
                .all(|(_, hash)| self.workspace.cache.contains(hash))
        {
            return Ok(None);
        }
        for (out, hash) in hashes {
            let relative = state::project_path(stage, &out.path)?;
            let absolute = self.workspace.path(&relative);
            let cached = stage
                .all_outs()
                .find(|candidate| candidate.path == out.path)
                .is_none_or(|candidate| candidate.cache);
            // Outputs that git tracks are restored as plain copies.
            let link_types: &[LinkType] = if cached {
                &self.workspace.link_types
            } else {
                &[LinkType::Copy]
            };
            let options =
                CacheOptions::new(link_types).with_fingerprints(&self.workspace.fingerprints);
            self.workspace.cache.checkout(&absolute, hash, &options)?;
        }
        Ok(Some((source, entry)))
    }

    /// Records a stage whose outputs were restored from `used`: the outputs are
    /// the cached objects, so their hashes come from the entry instead of
    /// reading them again (a restored 1 GiB output would otherwise be hashed).
    /// NOTE: the fingerprint recorded at checkout is inside the racy window of the
    /// new link's ctime, so the next `status` still reads a restored file once.
    fn record_restored(
        &mut self,
        stage: &Stage,
        current: &StageState,
        used: &LockStage,
    ) -> Result<LockStage, ReproError> {
        let mut entry = current.to_lock_stage(stage);
        entry.outs = used.outs.clone();
        if !self.options.no_commit {
            if let Some(git_root) = self.workspace.root.git_root.clone() {
                for out in current.outs.iter().filter(|out| out.cache) {
                    if let Err(error) =
                        crate::cache::gitignore::ignore_output(&git_root, &out.absolute)
                    {
                        tracing::warn!(output = %out.path, %error, "unable to add the output to .gitignore");
                    }
                }
            }
        }
        let facts = stage_facts(stage, current);
        if runcache::saves_runs(&facts, self.options.no_commit).is_ok() {
            if let Err(error) = runcache::write_entry(&self.workspace.cache_dir, &entry) {
                tracing::warn!(stage = %stage.addressing(), %error, "unable to write the run-cache entry");
            }
        }
        self.write_lock(stage, &entry)?;
        Ok(entry)
    }

    fn run_commands(&mut self, stage: &Stage, current: &StageState) -> Result<(), ReproError> {
        if let Some(missing) = current.deps.iter().find(|dep| dep.hash.is_none()) {
            return self.fail(
                stage,
                format!(
                    "dependency '{}' does not exist; create it or run the stage that produces it",
                    missing.path
                ),
            );
        }
        let commands: Vec<String> = stage
            .cmd
            .commands()
            .iter()
            .map(|command| command.to_string())
            .collect();
        self.events.event(Event::StageStarted {
            stage: stage.addressing(),
            commands: commands.clone(),
        });
        let dir = self.workspace.path(&stage.wdir);
        let mut env = vec![
            (
                "DVC_ROOT".to_string(),
                self.workspace.root.root.display().to_string(),
            ),
            ("DVC_STAGE".to_string(), stage.addressing()),
        ];
        if self.options.checkpoints.is_some() {
            env.push(("DVC_CHECKPOINT".to_string(), "1".to_string()));
        }
        env.extend(self.options.env.iter().cloned());
        let mut live = self.live_session(stage, &env);
        let (events, cancel) = (self.events, self.cancel);
        for command in commands {
            self.events.event(Event::CommandStarted {
                stage: stage.addressing(),
                command: command.clone(),
            });
            let outcome = run_command_watched(
                &command,
                &dir,
                &env,
                &stage.addressing(),
                events,
                cancel,
                &mut |group| self.live_tick(stage, &mut live, group),
            );
            if let Some(values) = live.follower.finish() {
                self.live_values(stage, &mut live, &values);
            }
            match outcome {
                Ok(()) => {}
                Err(CommandFailure::Cancelled) => {
                    self.events.event(Event::StageFailed {
                        stage: stage.addressing(),
                        message: "cancelled".to_string(),
                    });
                    return Err(ReproError::Cancelled {
                        stage: stage.addressing(),
                    });
                }
                Err(failure) => {
                    let code = match failure {
                        CommandFailure::Exit(code) => Some(code),
                        CommandFailure::Signal(signal) => Some(128 + signal),
                        _ => None,
                    };
                    return self.fail_with_code(
                        stage,
                        format!("failed to run: {command}, {failure}"),
                        code,
                    );
                }
            }
        }
        Ok(())
    }

    fn live_session(&self, stage: &Stage, env: &[(String, String)]) -> LiveSession {
        let root = self.workspace.root.root.clone();
        let env_value = |key: &str| {
            env.iter()
                .rev()
                .find(|(name, _)| name == key)
                .map(|(_, value)| value.clone())
        };
        let mut dvclive_dirs = Vec::new();
        for dir in stage
            .resolve_path("dvclive")
            .into_iter()
            .chain(stage.all_outs().filter_map(|out| {
                // A declared dvclive directory (`Live(dir=...)`) is an output.
                let path = stage.resolve_path(&out.path)?;
                self.workspace.path(&path).is_dir().then_some(path)
            }))
        {
            if !dvclive_dirs.contains(&dir) {
                dvclive_dirs.push(dir);
            }
        }
        let metrics_files = stage
            .metrics
            .iter()
            .filter_map(|out| stage.resolve_path(&out.path))
            .collect();
        let mut signal_roots = vec![root.clone()];
        if let Some(dvc_root) = env_value("DVC_ROOT") {
            signal_roots.push(PathBuf::from(dvc_root));
        }
        let follower = Follower::new(
            Sources {
                root,
                dvclive_dirs,
                metrics_files,
            },
            &signal_roots,
        );
        let status = self.options.live_status.clone().map(|path| {
            let status = LiveStatus {
                experiment: env_value("DVC_EXP_NAME"),
                baseline: env_value("DVC_EXP_BASELINE_REV"),
                stage: stage.addressing(),
                pid: std::process::id(),
                updated: crate::queue::store::now(),
                ..LiveStatus::default()
            };
            if let Err(error) = crate::live::status::write(&path, &status) {
                tracing::warn!(%error, "unable to write the live status file");
            }
            (path, status)
        });
        LiveSession {
            follower,
            experiment: env_value("DVC_EXP_NAME"),
            status,
        }
    }

    /// Called while a command runs: reports new values, and records a
    /// checkpoint when the command marks a step.
    fn live_tick(&mut self, stage: &Stage, live: &mut LiveSession, group: i32) {
        let poll = live.follower.poll(Some(group));
        if let Some(values) = &poll.values {
            self.live_values(stage, live, values);
        }
        let Some(signal) = poll.signal else {
            return;
        };
        // dvclive's step signal makes a checkpoint only in a stage that opted
        // in with a checkpoint output; `DVC_CHECKPOINT` always does.
        let wanted = match &signal {
            Signal::Checkpoint { .. } => true,
            Signal::Step { .. } => has_checkpoint_out(stage),
        };
        if let (true, Some(recorder)) = (wanted, self.options.checkpoints.clone()) {
            let step = match &signal {
                Signal::Step { step } => Some(*step),
                Signal::Checkpoint { .. } => live.follower.latest().step,
            };
            self.checkpoint(stage, live, recorder.as_ref(), step);
        }
        live.follower.release(&signal);
    }

    fn live_values(&mut self, stage: &Stage, live: &mut LiveSession, values: &LiveValues) {
        self.events.event(Event::LiveMetrics {
            stage: stage.addressing(),
            experiment: live.experiment.clone(),
            step: values.step,
            metrics: values.metrics.clone(),
        });
        if let Some((path, status)) = &mut live.status {
            status.update(&stage.addressing(), values);
            if let Err(error) = crate::live::status::write(path, status) {
                tracing::warn!(%error, "unable to write the live status file");
            }
        }
    }

    /// Saves the stage's outputs to the cache, updates its `dvc.lock` entry
    /// and has the recorder commit the result.
    fn checkpoint(
        &mut self,
        stage: &Stage,
        live: &mut LiveSession,
        recorder: &dyn CheckpointRecorder,
        step: Option<u64>,
    ) {
        let saved = self.save_checkpoint(stage);
        let recorded = saved.and_then(|()| recorder.record(&stage.addressing(), step));
        match recorded {
            Ok(sha) => {
                self.events.event(Event::Checkpoint {
                    stage: stage.addressing(),
                    experiment: live.experiment.clone(),
                    step,
                    sha: sha.clone(),
                });
                if let Some((path, status)) = &mut live.status {
                    status.checkpoints.push(sha);
                    let _ = crate::live::status::write(path, status);
                }
            }
            Err(message) => self.events.event(Event::Message {
                text: format!(
                    "WARNING: no checkpoint recorded for stage '{}': {message}",
                    stage.addressing()
                ),
            }),
        }
    }

    fn save_checkpoint(&mut self, stage: &Stage) -> Result<(), String> {
        let files = ParsedFiles::new(self.disk);
        let mut current = state::read_state(self.workspace, &files, stage, None)
            .map_err(|error| error.to_string())?;
        if let Some(missing) = current.outs.iter().find(|out| out.hash.is_none()) {
            return Err(format!(
                "output '{}' does not exist yet; write it before marking the step",
                missing.path
            ));
        }
        if !self.options.no_commit {
            for out in current.outs.iter_mut().filter(|out| out.cache) {
                let options = self.workspace.cache_options();
                out.hash = Some(
                    self.workspace
                        .cache
                        .save(&out.absolute, &options)
                        .map_err(|error| error.to_string())?,
                );
            }
        }
        let entry = current.to_lock_stage(stage);
        self.write_lock(stage, &entry)
            .map_err(|error| error.to_string())
    }

    fn fail(&mut self, stage: &Stage, message: String) -> Result<(), ReproError> {
        self.fail_with_code(stage, message, None)
    }

    fn fail_with_code(
        &mut self,
        stage: &Stage,
        message: String,
        exit_code: Option<i32>,
    ) -> Result<(), ReproError> {
        self.events.event(Event::StageFailed {
            stage: stage.addressing(),
            message: message.clone(),
        });
        self.push(stage, StageResult::Failed(message.clone()), None);
        Err(ReproError::StageFailed {
            stage: stage.addressing(),
            message,
            exit_code,
        })
    }

    /// Hashes and caches the outputs, records the run-cache entry when the
    /// stage is eligible, and updates `dvc.lock`.
    fn save_results(&mut self, stage: &Stage) -> Result<LockStage, ReproError> {
        // Dependencies are hashed again: the command may have changed them.
        let fresh_files = ParsedFiles::new(self.disk);
        let reporter = HashingReporter::new(self.events, stage.addressing());
        let progress = |update| reporter.report(update);
        let mut current = state::read_state_with_progress(
            self.workspace,
            &fresh_files,
            stage,
            None,
            Some(&progress),
        )?;
        if let Some(missing) = current.outs.iter().find(|out| out.hash.is_none()) {
            let message = format!(
                "output '{}' does not exist after the command ran; check that the command writes it",
                missing.path
            );
            self.fail(stage, message)?;
        }
        if let Some(missing) = current.deps.iter().find(|dep| dep.hash.is_none()) {
            let message = format!(
                "dependency '{}' was deleted while the stage ran",
                missing.path
            );
            self.fail(stage, message)?;
        }
        for params in &current.params {
            if !params.exists {
                let message = format!("params file '{}' does not exist; create it", params.file);
                self.fail(stage, message)?;
            }
            if let Some(key) = params
                .keys
                .iter()
                .find(|key| !params.values.contains_key(*key))
            {
                let message = format!(
                    "params '{key}' are missing from '{}'; add the key or remove it from the stage",
                    params.file
                );
                self.fail(stage, message)?;
            }
        }

        let commit = !self.options.no_commit;
        let facts = stage_facts(stage, &current);
        let saves_runs = runcache::saves_runs(&facts, self.options.no_commit).is_ok();
        for out in &mut current.outs {
            if out.cache && commit {
                let options = self.workspace.cache_options().with_progress(&progress);
                out.hash = Some(self.workspace.cache.save(&out.absolute, &options)?);
            } else if saves_runs && out.metric_or_plot {
                // DVC copies uncached metrics and plots into the cache so that a
                // run-cache entry can restore them; the workspace file stays.
                let options = CacheOptions::new(&[LinkType::Copy])
                    .with_fingerprints(&self.workspace.fingerprints);
                out.hash = Some(self.workspace.cache.save(&out.absolute, &options)?);
            }
        }
        if commit {
            let git_root = self.workspace.root.git_root.clone();
            if let Some(git_root) = git_root {
                for out in current.outs.iter().filter(|out| out.cache) {
                    if let Err(error) =
                        crate::cache::gitignore::ignore_output(&git_root, &out.absolute)
                    {
                        tracing::warn!(output = %out.path, %error, "unable to add the output to .gitignore");
                    }
                }
            }
        }

        let entry = current.to_lock_stage(stage);
        if saves_runs {
            if let Err(error) = runcache::write_entry(&self.workspace.cache_dir, &entry) {
                tracing::warn!(stage = %stage.addressing(), %error, "unable to write the run-cache entry");
            }
        }
        self.write_lock(stage, &entry)?;
        Ok(entry)
    }

    fn write_lock(&mut self, stage: &Stage, entry: &LockStage) -> Result<(), ReproError> {
        let path = Self::lock_path(stage);
        let absolute = self.workspace.path(&path);
        let (existing, parsed) = self.locks.entry(path.clone()).or_default();
        let update = lock::update_stages(
            existing.as_deref(),
            std::path::Path::new(&path),
            &[(&stage.name, entry)],
        )?;
        if update.changed || existing.is_none() {
            crate::fsutil::atomic_write(&absolute, update.text.as_bytes())
                .map_err(CacheError::from)?;
            self.events.event(Event::LockWritten {
                path: path.clone(),
                created: update.created,
            });
        }
        parsed.stages.insert(stage.name.clone(), entry.clone());
        *existing = Some(update.text);
        Ok(())
    }
}

/// The state of following one running stage.
struct LiveSession {
    follower: Follower,
    experiment: Option<String>,
    status: Option<(PathBuf, LiveStatus)>,
}

fn has_checkpoint_out(stage: &Stage) -> bool {
    stage.all_outs().any(|out| out.checkpoint)
}

/// Describes a stage for the run-cache eligibility rules.
/// The facts that decide whether the run-cache covers a stage in its
/// current state.
pub fn stage_facts(stage: &Stage, current: &StageState) -> StageFacts {
    let mut deps: Vec<DepFacts> = current
        .deps
        .iter()
        .map(|dep| DepFacts {
            path: dep.path.clone(),
            local: true,
            hashed: dep.hash.is_some(),
        })
        .collect();
    deps.extend(current.params.iter().map(|params| DepFacts {
        path: params.file.clone(),
        local: true,
        hashed: params.exists,
    }));
    let outs = stage
        .all_outs()
        .map(|out| OutFacts {
            path: out.path.clone(),
            local: !out.path.contains("://"),
            in_repo: stage.resolve_path(&out.path).is_some(),
            persist: out.persist || out.checkpoint,
            cache: out.cache,
            metric_or_plot: out.kind != crate::pipeline::OutKind::Out,
        })
        .collect();
    StageFacts {
        has_cmd: !stage.cmd.commands().is_empty(),
        always_changed: stage.always_changed || has_checkpoint_out(stage),
        deps,
        outs,
    }
}
