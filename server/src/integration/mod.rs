//! What the editor shows from the engine beyond the pipeline model: stage
//! status, run-cache entries, experiments and plots. Hovers, lenses and hints
//! call these on every request, so the costly parts are kept in an
//! [`Insights`] store that lives as long as the server and is cleared when
//! files change on disk (`dvc.lock`, params, metrics) or git refs move
//! (new experiments).

mod experiments;
mod plots;
mod stages;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use retort_engine::exp::collect::ExpState;
use retort_engine::lock::LockFile;
use retort_engine::repro::Workspace;

pub use experiments::{
    exp_show_json, experiment_rows, latest_experiment_metrics, latest_experiment_values,
};
pub use plots::plots_data;
pub use stages::{run_cache_entries, stage_status, stage_status_text, stage_statuses};

/// Engine state kept between worlds. Every field is a cache that can be
/// dropped at any time; locks are held only to copy data in or out, never
/// across an engine call that reads many files.
#[derive(Default)]
pub struct Insights {
    /// The workspace (config, object cache, fingerprints), opened on first
    /// use. The fingerprint store makes re-hashing an unchanged file a `stat`.
    workspace: Mutex<Option<Arc<Mutex<Workspace>>>>,
    /// Parsed `dvc.lock` files by project-relative path.
    locks: Mutex<HashMap<String, Arc<LockFile>>>,
    /// Per stage (by address): a digest of the inputs of the result, and the result.
    stages: Mutex<HashMap<String, (u64, Arc<stages::StageInsight>)>>,
    /// The experiments of `HEAD`, collected on first use.
    experiments: Mutex<Option<Arc<Vec<ExpState>>>>,
}

impl Insights {
    pub fn new() -> Arc<Insights> {
        Arc::new(Insights::default())
    }

    /// Files changed on disk: lock files, params, outputs or the run-cache
    /// may be different now.
    pub fn files_changed(&self) {
        lock(&self.locks).clear();
        lock(&self.stages).clear();
    }

    /// Git refs moved: experiments were created, removed or queued, or
    /// `HEAD` moved.
    pub fn refs_changed(&self) {
        *lock(&self.experiments) = None;
        self.files_changed();
    }

    fn workspace(&self, world: &crate::analysis::World) -> Option<Arc<Mutex<Workspace>>> {
        if !world.root.has_dvc_dir {
            return None;
        }
        let mut slot = lock(&self.workspace);
        if let Some(workspace) = slot.as_ref() {
            return Some(workspace.clone());
        }
        match Workspace::open(world.root.clone()) {
            Ok(workspace) => {
                let shared = Arc::new(Mutex::new(workspace));
                *slot = Some(shared.clone());
                Some(shared)
            }
            Err(error) => {
                tracing::debug!(%error, "unable to open the workspace for status");
                None
            }
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
