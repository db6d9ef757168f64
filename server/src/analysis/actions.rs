//! The commands a file offers, shown as code lenses and, for clients without
//! lenses (Helix), as code actions on the stage or file they belong to; and the
//! quick fixes that diagnostics carry.

use retort_engine::diagnostic::{Diagnostic, Fix};
use retort_engine::pipeline::{DefinitionKind, PipelineFile};
use retort_engine::text::Span;
use serde_json::{json, Value as Json};

use super::diagnostics::is_data_file;
use super::World;
use crate::integration;
use crate::jobs::CommandId;

/// One command offered at a place in a file.
#[derive(Clone, Debug, PartialEq)]
pub struct Action {
    /// Where a lens is shown: the stage name or metrics entry, or the start of
    /// a params file.
    pub span: Span,
    /// The range in which a code action is offered: the whole stage
    /// definition, or the whole file.
    pub scope: Span,
    /// The short lens title.
    pub title: String,
    /// The title of the same action in a code action menu, which has no
    /// surrounding context.
    pub action_title: String,
    pub command: CommandId,
    pub arguments: Json,
}

/// Every lens of a project file, in file order.
pub fn file_actions(world: &World, file: &str) -> Vec<Action> {
    if let Some(pipeline) = world.pipeline(file) {
        return pipeline_actions(world, pipeline);
    }
    if is_data_file(file) && world.is_params_file(file) {
        let whole = Span::new(0, world.text(file).map_or(0, |text| text.len()));
        let arguments = json!({ "params_file": file });
        return vec![
            Action {
                span: Span::default(),
                scope: whole,
                title: "Run experiment".to_string(),
                action_title: format!("Run an experiment with the values in '{file}'"),
                command: CommandId::ExpRun,
                arguments: arguments.clone(),
            },
            Action {
                span: Span::default(),
                scope: whole,
                title: "Queue experiment".to_string(),
                action_title: format!("Queue an experiment with the values in '{file}'"),
                command: CommandId::ExpQueue,
                arguments,
            },
        ];
    }
    Vec::new()
}

fn pipeline_actions(world: &World, pipeline: &PipelineFile) -> Vec<Action> {
    let mut actions = Vec::new();
    for definition in &pipeline.definitions {
        let scope = definition.span.cover(definition.name_span);
        // A group runs as all of its generated stages.
        let target = if pipeline.path == "dvc.yaml" {
            definition.name.clone()
        } else {
            format!("{}:{}", pipeline.path, definition.name)
        };
        let targets = json!({ "targets": [target], "pipeline": pipeline.path });
        let what = match definition.kind {
            DefinitionKind::Plain => format!("stage '{}'", definition.name),
            _ => format!("the stages of '{}'", definition.name),
        };
        actions.push(Action {
            span: definition.name_span,
            scope,
            title: "▶ Run stage".to_string(),
            action_title: format!("Run {what}"),
            command: CommandId::Repro,
            arguments: targets.clone(),
        });
        actions.push(Action {
            span: definition.name_span,
            scope,
            title: "Run experiment".to_string(),
            action_title: format!("Run an experiment up to {what}"),
            command: CommandId::ExpRun,
            arguments: targets.clone(),
        });
        actions.push(Action {
            span: definition.name_span,
            scope,
            title: "Show changes".to_string(),
            action_title: format!("Show what changed for {what}"),
            command: CommandId::Status,
            arguments: targets.clone(),
        });
        // The lens is shown only when every member's count is known.
        let counts: Vec<Option<usize>> = definition
            .generated
            .iter()
            .filter_map(|name| pipeline.stage(name))
            .map(|stage| integration::run_cache_entries(world, stage))
            .collect();
        let cached: Option<usize> = if counts.is_empty() {
            None
        } else {
            counts.into_iter().sum()
        };
        if let Some(count) = cached {
            actions.push(Action {
                span: definition.name_span,
                scope,
                title: format!("{count} cached runs"),
                action_title: format!("Restore a cached run of {what}"),
                command: CommandId::RunCacheCheckout,
                arguments: targets.clone(),
            });
        }
    }
    for stage in &pipeline.stages {
        for out in &stage.metrics {
            let Some(path) = stage.resolve_path(&out.path) else {
                continue;
            };
            let scope = stage.spans.definition.cover(stage.spans.name);
            push_metrics_diff(&mut actions, out.span, scope, &path);
        }
    }
    for entry in &pipeline.top.metrics {
        if let Some(path) = retort_engine::paths::join_normalized(&pipeline.dir, &entry.path) {
            push_metrics_diff(&mut actions, entry.span, entry.span, &path);
        }
    }
    actions.sort_by_key(|action| action.span.start);
    actions
}

fn push_metrics_diff(actions: &mut Vec<Action>, span: Span, scope: Span, path: &str) {
    // Generated stages share one template entry; one lens is enough.
    if actions
        .iter()
        .any(|action| action.span == span && action.command == CommandId::ExpDiff)
    {
        return;
    }
    actions.push(Action {
        span,
        scope,
        title: "Diff with HEAD".to_string(),
        action_title: format!("Diff '{path}' with HEAD"),
        command: CommandId::ExpDiff,
        arguments: json!({ "revision": "HEAD", "files": [path] }),
    });
}

/// The actions offered as code actions for a selection: those whose scope
/// contains it.
pub fn actions_at(world: &World, file: &str, selection: Span) -> Vec<Action> {
    file_actions(world, file)
        .into_iter()
        .filter(|action| {
            action.scope.touches(selection.start) && action.scope.touches(selection.end)
        })
        .collect()
}

/// The diagnostics of `file` that overlap `selection`, with their fixes.
pub fn fixes_at<'w>(
    world: &'w World,
    file: &str,
    selection: Span,
) -> Vec<(&'w Diagnostic, &'w Fix)> {
    let Some(diagnostics) = world.diagnostics.get(file) else {
        return Vec::new();
    };
    diagnostics
        .iter()
        .filter(|diagnostic| {
            diagnostic.span.start <= selection.end && selection.start <= diagnostic.span.end
        })
        .flat_map(|diagnostic| diagnostic.fixes.iter().map(move |fix| (diagnostic, fix)))
        .collect()
}
