//! Live values in `exp show` and `queue status`: running experiments read
//! from their `live.json` status files.

use std::path::Path;

use crate::exp::collect::ExpState;
use crate::exp::collect::{
    Collector, ExecutorState, ExpExecutor, ExpRange, ExtraEntry, ExtraExperiments, LocalExecutor,
    ShowOptions,
};
use crate::exp::data::FileResult;
use crate::exp::json::Json;
use crate::exp::ExpRepo;

use super::status::{self, LiveStatus, WORKSPACE_RUN};

/// Reads the live status of a queued or temporary run, when it is running.
pub fn queued_status(dvc_dir: &Path, id: &str) -> Option<LiveStatus> {
    status::read(&status::status_path(dvc_dir, id)).filter(LiveStatus::is_live)
}

/// Reads the live status of an experiment running in the workspace.
pub fn workspace_status(dvc_dir: &Path) -> Option<LiveStatus> {
    queued_status(dvc_dir, WORKSPACE_RUN)
}

/// Puts the live values into a row: each metrics file the run is writing
/// replaces the committed one.
pub fn overlay(row: &mut ExpState, live: &LiveStatus) {
    let Some(data) = row.data.as_mut() else {
        return;
    };
    for (path, value) in &live.files {
        let Ok(json) = Json::parse(&value.to_string()) else {
            continue;
        };
        match data.metrics.iter_mut().find(|(known, _)| known == path) {
            Some(slot) => slot.1 = FileResult::Data(json),
            None => data.metrics.push((path.clone(), FileResult::Data(json))),
        }
    }
}

/// The queue's entries plus the experiment running in the workspace.
pub struct LiveExtras<'a> {
    pub repo: &'a ExpRepo,
    pub options: ShowOptions,
    pub inner: &'a dyn ExtraExperiments,
}

impl ExtraExperiments for LiveExtras<'_> {
    fn entries(&self, baselines: &[String]) -> Vec<ExtraEntry> {
        let mut entries = self.inner.entries(baselines);
        let Some(live) = workspace_status(&self.repo.project.dvc_dir()) else {
            return entries;
        };
        let Some(baseline) = live.baseline.clone().filter(|sha| baselines.contains(sha)) else {
            return entries;
        };

        let collector = Collector::new(self.repo, &self.options);
        let mut row = collector.workspace();
        row.rev = "workspace".to_string();
        row.name = live.experiment.clone();
        overlay(&mut row, &live);
        // Checkpoints recorded so far come from the experiment's ref, which
        // `collect` puts under this row.
        let revs = vec![row];
        entries.push(ExtraEntry {
            baseline,
            range: ExpRange {
                revs,
                executor: Some(ExpExecutor {
                    state: ExecutorState::Running,
                    name: Some("workspace".to_string()),
                    local: Some(LocalExecutor {
                        root: Some(self.repo.project.root.display().to_string()),
                        pid: Some(i64::from(live.pid)),
                        ..LocalExecutor::default()
                    }),
                }),
                name: live.experiment.clone(),
            },
        });
        entries
    }

    fn success_executors(
        &self,
        baselines: &[String],
    ) -> std::collections::HashMap<String, ExpExecutor> {
        self.inner.success_executors(baselines)
    }

    fn remove_queued(&self, names: Option<&[String]>) -> Vec<String> {
        self.inner.remove_queued(names)
    }
}
