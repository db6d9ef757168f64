//! Retort's protocol extensions, documented in `docs/lsp-extensions.md`: the
//! `retort/experiments` and `retort/plots` requests and the
//! `retort/progress` notification.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value as Json};
use tower_lsp_server::ls_types::notification::Notification;

use crate::analysis::World;
use crate::integration;

/// Live progress of a running command, for clients that show experiment
/// runs in their own views.
pub enum RetortProgress {}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RetortProgressParams {
    /// The `$/progress` token of the same command, when there is one.
    pub token: Option<String>,
    pub command: String,
    /// `begin`, `message`, `stage-started`, `stage-finished`,
    /// `stage-restored`, `output`, `metrics`, `checkpoint` or `end`.
    pub kind: String,
    pub stage: Option<String>,
    pub text: String,
    /// For `metrics`: the experiment that is running.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub experiment: Option<String>,
    /// For `metrics`: the step the values belong to (dvclive's `step`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<u64>,
    /// For `metrics`: metric name to value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics: Option<serde_json::Map<String, Json>>,
    /// For `checkpoint`: the commit recorded on the experiment's ref.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoint: Option<String>,
}

impl Notification for RetortProgress {
    type Params = RetortProgressParams;
    const METHOD: &'static str = "retort/progress";
}

/// Parameters of `retort/plots`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct PlotsParams {
    /// `workspace`, `HEAD` or other git revisions.
    pub revisions: Vec<String>,
}

/// The answer to `retort/plots`: the plots the pipelines define, and their
/// data once the plots module provides it.
pub fn plots(world: &World, params: &PlotsParams) -> Json {
    let revisions = if params.revisions.is_empty() {
        vec!["workspace".to_string()]
    } else {
        params.revisions.clone()
    };
    let mut definitions = Vec::new();
    for pipeline in &world.project.files {
        for plot in &pipeline.top.plots {
            match plot {
                retort_engine::pipeline::TopPlot::Path(entry) => {
                    definitions.push(json!({ "id": entry.path, "pipeline": pipeline.path }))
                }
                retort_engine::pipeline::TopPlot::Definition { id, definition, .. } => definitions
                    .push(json!({
                        "id": id,
                        "pipeline": pipeline.path,
                        "definition": definition.as_ref().map(|node| node.value.to_json()),
                    })),
            }
        }
    }
    for stage in world.project.stages() {
        for out in &stage.plots {
            if let Some(path) = stage.resolve_path(&out.path) {
                definitions.push(json!({ "id": path, "stage": stage.addressing() }));
            }
        }
    }
    let data = integration::plots_data(world, &revisions);
    json!({
        "revisions": revisions,
        "plots": definitions,
        "available": data.is_some(),
        "data": data,
    })
}
