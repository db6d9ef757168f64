//! Calls into engine parts that the server does not use yet: stage status,
//! the run-cache, experiments and plots. Each returns "unknown" today, and
//! every caller handles that, so a feature appears once its function is
//! filled in.

use retort_engine::node::Value;
use retort_engine::pipeline::Stage;

use crate::analysis::World;

/// Whether a stage is up to date, or what changed since `dvc.lock`.
pub fn stage_status(_world: &World, _stage: &Stage) -> Option<String> {
    // FIXME: call `retort_engine::repro::status::compare`; it
    // hashes dependencies, so it needs a cache of fingerprints that the
    // server keeps between edits before it can run on every hover.
    None
}

/// How many entries the run-cache holds for a stage (`.dvc/cache/runs/...`).
/// The "N cached runs" lens is shown only when this is known.
pub fn run_cache_entries(_world: &World, _stage: &Stage) -> Option<usize> {
    // FIXME: count `retort_engine::runcache::store::list_entries` under the
    // stage's `run_cache_key`; the key needs the stage's lock entry
    // with dependency hashes, which the server does not compute yet.
    None
}

/// The value of a params key in the most recent experiments, newest first.
pub fn latest_experiment_values(_world: &World, _file: &str, _key: &str) -> Vec<(String, Value)> {
    // FIXME: read the experiment refs through the experiments API.
    Vec::new()
}

/// Rows of the experiments table beyond the workspace and `HEAD`: one per
/// experiment, each a JSON object shaped like a workspace row.
pub fn experiment_rows(_world: &World) -> Option<Vec<serde_json::Value>> {
    // FIXME: list experiments and queued runs through the experiments API
    //.
    None
}

/// Plot data for a set of revisions.
pub fn plots_data(_world: &World, _revisions: &[String]) -> Option<serde_json::Value> {
    // FIXME: call the plots module for templates and data.
    None
}
