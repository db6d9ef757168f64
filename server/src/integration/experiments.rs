//! Experiments of `HEAD` (refs under `refs/exps` and the queue), for param
//! hovers, stage hovers and the `retort/experiments` table. They are
//! collected once and kept until git refs move.

use std::sync::Arc;

use retort_engine::exp::collect::{collect, states_json, ExecutorState, ExpState, ShowOptions};
use retort_engine::exp::data::FileResult;
use retort_engine::exp::json::Json as ExpJson;
use retort_engine::exp::show::flatten;
use retort_engine::exp::ExpRepo;
use retort_engine::node::Value;
use retort_engine::queue::extras::QueueExtras;
use retort_engine::queue::Queue;
use serde_json::{json, Value as Json};

use super::lock;
use crate::analysis::World;

/// How many experiments a param hover lists.
const HOVER_EXPERIMENTS: usize = 5;

/// The value of a params key in the most recent experiments, newest first,
/// each labelled with its name (and its state when it did not succeed).
pub fn latest_experiment_values(world: &World, file: &str, key: &str) -> Vec<(String, Value)> {
    let Some(states) = experiments(world) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for (label, state) in ranges(&states) {
        let Some(data) = &state.data else {
            continue;
        };
        let value =
            data.params.iter().find(|(path, _)| path == file).and_then(
                |(_, result)| match result {
                    FileResult::Data(values) => lookup(values, key),
                    FileResult::Error(_) => None,
                },
            );
        if let Some(value) = value {
            found.push((label, value.to_value()));
        }
        if found.len() == HOVER_EXPERIMENTS {
            break;
        }
    }
    found
}

/// One metric value of an experiment.
pub struct ExperimentMetric {
    pub file: String,
    /// The dotted key inside the file.
    pub key: String,
    pub value: Value,
}

/// Returns the name and metrics of the newest successful experiment.
pub fn latest_experiment_metrics(world: &World) -> Option<(String, Vec<ExperimentMetric>)> {
    let states = experiments(world)?;
    let (label, state) = ranges(&states).into_iter().find(|(label, state)| {
        !label.contains(" (")
            && state
                .data
                .as_ref()
                .is_some_and(|data| !data.metrics.is_empty())
    })?;
    let data = state.data.as_ref()?;
    let mut rows = Vec::new();
    for (file, result) in &data.metrics {
        if let FileResult::Data(values) = result {
            for (key, value) in flatten(values) {
                rows.push(ExperimentMetric {
                    file: file.clone(),
                    key,
                    value: value.to_value(),
                });
            }
        }
    }
    Some((label, rows))
}

/// One row per experiment of `HEAD`, newest first, shaped like the
/// workspace row of the table plus the experiment's baseline and state.
pub fn experiment_rows(world: &World) -> Option<Vec<Json>> {
    let states = experiments(world)?;
    let mut rows = Vec::new();
    for baseline in states.iter() {
        for range in baseline.experiments.iter().flatten() {
            let Some(head) = range.revs.first() else {
                continue;
            };
            let state = range
                .executor
                .as_ref()
                .map_or(ExecutorState::Success, |executor| executor.state);
            let files = |results: Option<&Vec<(String, FileResult)>>| -> Json {
                let mut object = serde_json::Map::new();
                for (file, result) in results.into_iter().flatten() {
                    if let FileResult::Data(values) = result {
                        let flat: serde_json::Map<String, Json> = flatten(values)
                            .into_iter()
                            .map(|(key, value)| (key, value.to_serde()))
                            .collect();
                        object.insert(file.clone(), Json::Object(flat));
                    }
                }
                Json::Object(object)
            };
            rows.push(json!({
                "rev": head.rev,
                "name": range.name.clone().or_else(|| head.name.clone()),
                "baseline": baseline.rev,
                "state": state.as_str(),
                "params": files(head.data.as_ref().map(|data| &data.params)),
                "metrics": files(head.data.as_ref().map(|data| &data.metrics)),
            }));
        }
    }
    Some(rows)
}

/// The output of `retort exp show --json` (workspace, `HEAD` and its
/// experiments, queued ones included), collected now.
pub fn exp_show_json(world: &World) -> Option<Json> {
    let repo = ExpRepo::open(world.root.clone()).ok()?;
    let options = ShowOptions::default();
    let extras = QueueExtras {
        repo: &repo,
        queue: Queue::open(&repo.project.dvc_dir()),
        options: options.clone(),
    };
    let states = collect(&repo, &options, &extras).ok()?;
    Some(states_json(&states).to_serde())
}

/// Returns the experiments of `HEAD`, from the store or collected now.
fn experiments(world: &World) -> Option<Arc<Vec<ExpState>>> {
    let insights = &world.insights;
    if let Some(found) = lock(&insights.experiments).as_ref() {
        return Some(found.clone());
    }
    world.head.as_ref()?;
    let repo = ExpRepo::open(world.root.clone()).ok()?;
    let options = ShowOptions {
        hide_workspace: true,
        ..ShowOptions::default()
    };
    let extras = QueueExtras {
        repo: &repo,
        queue: Queue::open(&repo.project.dvc_dir()),
        options: options.clone(),
    };
    let states = match collect(&repo, &options, &extras) {
        Ok(states) => Arc::new(states),
        Err(error) => {
            tracing::debug!(%error, "unable to collect experiments");
            return None;
        }
    };
    *lock(&insights.experiments) = Some(states.clone());
    Some(states)
}

/// Every experiment's newest commit, newest experiment first, with a label:
/// its name, followed by its state when it did not succeed.
fn ranges(states: &[ExpState]) -> Vec<(String, &ExpState)> {
    let mut found = Vec::new();
    for baseline in states {
        for range in baseline.experiments.iter().flatten() {
            let Some(head) = range.revs.first() else {
                continue;
            };
            let name = range
                .name
                .clone()
                .or_else(|| head.name.clone())
                .unwrap_or_else(|| head.rev.chars().take(7).collect());
            let label = match range.executor.as_ref().map(|executor| executor.state) {
                None | Some(ExecutorState::Success) => name,
                Some(state) => format!("{name} ({})", state.as_str()),
            };
            found.push((label, head));
        }
    }
    found
}

/// Looks up a dotted key in nested params data.
fn lookup<'a>(values: &'a ExpJson, key: &str) -> Option<&'a ExpJson> {
    if let Some(found) = values.get(key) {
        return Some(found);
    }
    let mut current = values;
    for part in key.split('.') {
        current = current.get(part)?;
    }
    Some(current)
}
