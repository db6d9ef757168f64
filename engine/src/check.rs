//! Project-wide checks beyond what resolving one file finds: the graph checks DVC
//! makes (one output in two stages, outputs inside outputs, cycles) and the ones
//! it leaves to run time (missing dependencies, params files and keys, paths that
//! leave the project, metrics that nothing writes).

use crate::dag::{dependency_paths, Dag};
use crate::diagnostic::{Diagnostic, Fix, Severity, TextEdit};
use crate::files::{FileSource, ParsedFiles, ReadFailure};
use crate::params::lookup;
use crate::paths;
use crate::pipeline::{PipelineFile, Stage, TopPlot};
use crate::project::Project;
use crate::suggest;
use crate::text::Span;

/// Runs every check: the diagnostics found while loading each file plus the
/// project-wide ones, sorted by file and position.
pub fn check_project(project: &Project, source: &dyn FileSource) -> Vec<Diagnostic> {
    check_project_with(project, &Dag::build(project), source)
}

/// [`check_project`] with the project's stage graph already built, for
/// callers that keep it (the language server builds it once per edit).
pub fn check_project_with(
    project: &Project,
    dag: &Dag,
    source: &dyn FileSource,
) -> Vec<Diagnostic> {
    check_project_parsed(project, dag, &ParsedFiles::new(source))
}

/// [`check_project_with`] reading data files through the caller's memo, so
/// that a params file the load already parsed is not parsed again.
pub fn check_project_parsed(
    project: &Project,
    dag: &Dag,
    files: &ParsedFiles<'_>,
) -> Vec<Diagnostic> {
    let source = files.source();
    let mut diagnostics: Vec<Diagnostic> = project
        .files
        .iter()
        .flat_map(|file| file.diagnostics.iter().cloned())
        .collect();
    // DVC validates the lock file whenever it loads a pipeline, so a broken
    // `dvc.lock` makes the whole pipeline fail to load.
    for file in &project.files {
        diagnostics.extend(crate::lock::check_lock_for(source, &file.path));
    }
    let mut checker = Checker {
        project,
        dag,
        files,
        out: Vec::new(),
    };
    checker.run();
    diagnostics.extend(checker.out);
    diagnostics.sort_by(|a, b| a.file.cmp(&b.file).then(a.span.start.cmp(&b.span.start)));
    // One cause can surface twice, such as a broken params file that is both a
    // templating source and a params dependency; report it once.
    let mut seen = std::collections::HashSet::new();
    diagnostics.retain(|diagnostic| {
        seen.insert((diagnostic.file.clone(), diagnostic.span, diagnostic.code))
    });
    diagnostics
}

struct Checker<'a, 'f> {
    project: &'a Project,
    dag: &'a Dag,
    files: &'f ParsedFiles<'f>,
    out: Vec<Diagnostic>,
}

impl Checker<'_, '_> {
    fn run(&mut self) {
        let stages: Vec<&Stage> = self.project.stages().collect();
        // Stages of a file with syntax errors come from a partial tree; checking
        // them would only add noise until the file parses again.
        let broken: Vec<&str> = self
            .project
            .files
            .iter()
            .filter(|file| {
                file.diagnostics
                    .iter()
                    .any(|diagnostic| diagnostic.code == "yaml-syntax")
            })
            .map(|file| file.path.as_str())
            .collect();
        for stage in &stages {
            if !broken.contains(&stage.dvcfile.as_str()) {
                self.check_stage(stage);
            }
        }
        self.check_outputs(&stages);
        self.check_cycles(&stages);
        for file in &self.project.files {
            self.check_top_level(file);
            self.check_file_inside_output(file, &stages);
        }
    }

    fn check_stage(&mut self, stage: &Stage) {
        let file = stage.dvcfile.as_str();
        let mut seen_deps: Vec<String> = Vec::new();
        for dep in &stage.deps {
            if dep.path.contains("://") {
                continue;
            }
            let Some(path) = stage.resolve_path(&dep.path) else {
                // DVC accepts external dependencies; Retort cannot track them.
                self.out.push(Diagnostic::warning(
                    file,
                    dep.span,
                    "external-dependency",
                    format!(
                        "dependency '{}' of stage '{}' is outside the project; Retort does not read it, so changes to it do not make the stage run again",
                        dep.path, stage.name
                    ),
                ));
                continue;
            };
            if seen_deps.contains(&path) {
                self.out.push(Diagnostic::warning(
                    file,
                    dep.span,
                    "duplicate-dep",
                    format!(
                        "'{}' is listed twice in the deps of stage '{}'; remove one",
                        dep.path, stage.name
                    ),
                ));
                continue;
            }
            seen_deps.push(path.clone());
            if !self.files.source().exists(&path) && self.dag.producers_of(&path).is_empty() {
                self.out.push(Diagnostic::warning(
                    file,
                    dep.span,
                    "missing-dep",
                    format!(
                        "dependency '{}' of stage '{}' does not exist and no stage writes it; create it, or add the stage that produces it",
                        dep.path, stage.name
                    ),
                ));
            }
        }

        let dep_paths = dependency_paths(stage);
        for out in stage.all_outs() {
            let Some(path) = stage.resolve_path(&out.path) else {
                // DVC 3 loads external outputs but refuses to cache them when
                // the stage runs; uncached ones are only left alone.
                if out.cache {
                    self.out.push(Diagnostic::error(
                        file,
                        out.span,
                        "path-outside-project",
                        format!(
                            "output '{}' of stage '{}' is outside the project, where DVC 3 cannot cache it; set 'cache: false' or move it inside the project",
                            out.path, stage.name
                        ),
                    ));
                } else {
                    self.out.push(Diagnostic::warning(
                        file,
                        out.span,
                        "external-output",
                        format!(
                            "output '{}' of stage '{}' is outside the project; Retort does not write or check it",
                            out.path, stage.name
                        ),
                    ));
                }
                continue;
            };
            if dep_paths.contains(&path) {
                self.out.push(Diagnostic::error(
                    file,
                    out.span,
                    "dep-is-out",
                    format!(
                        "'{}' is both a dependency and an output of stage '{}'; a stage cannot depend on what it writes, so remove it from one of the lists",
                        out.path, stage.name
                    ),
                ));
            }
        }

        for params in &stage.params {
            self.check_params(stage, params);
        }
    }

    fn check_params(&mut self, stage: &Stage, params: &crate::pipeline::ParamsDep) {
        let file = stage.dvcfile.as_str();
        let Some(path) = stage.params_file_path(params) else {
            self.out.push(outside(
                file,
                params.span,
                "params file",
                &params.file,
                stage,
            ));
            return;
        };
        let produced = !self.dag.producers_of(&path).is_empty();
        let data = match self.files.get(&path) {
            Ok(data) => data,
            Err(ReadFailure::Missing) => {
                if !produced {
                    self.out.push(missing_params_file(stage, params, &path));
                }
                return;
            }
            Err(ReadFailure::IsDirectory) => {
                self.out.push(Diagnostic::error(
                    file,
                    params.span,
                    "params-is-directory",
                    format!("'{path}' is a directory, but stage '{}' lists it as a params file; name a file", stage.name),
                ));
                return;
            }
            Err(ReadFailure::Unreadable(reason)) => {
                self.out.push(Diagnostic::error(
                    file,
                    params.span,
                    "unreadable-params",
                    format!("unable to read params file '{path}': {reason}"),
                ));
                return;
            }
        };
        if let Some(error) = data.parsed.errors.first() {
            // The params file gets its own syntax diagnostic; here we say why the
            // keys cannot be checked.
            self.out.push(Diagnostic::error(
                path.clone(),
                error.span,
                "params-syntax",
                format!(
                    "invalid {} in params file '{path}': {}",
                    data.format.name(),
                    error.message
                ),
            ));
            return;
        }
        let Some(root) = data.parsed.root.as_ref() else {
            return;
        };
        if produced {
            return;
        }
        // Flattening a large params file is costly, and most stages name only
        // keys that exist, so the candidates are listed on the first miss only.
        let mut available: Option<Vec<String>> = None;
        for key in &params.keys {
            if lookup::exists(root, &key.key) {
                continue;
            }
            let available = available.get_or_insert_with(|| {
                crate::node::flatten(root)
                    .into_iter()
                    .map(|(key, _)| key)
                    .collect()
            });
            let closest = suggest::closest(&key.key, available.iter().map(String::as_str), 3);
            let mut message = format!(
                "params key '{}' of stage '{}' is missing from '{path}'",
                key.key, stage.name
            );
            if closest.is_empty() {
                message.push_str(&format!("; add it to '{path}'"));
            } else {
                message.push_str(&format!("; did you mean {}?", suggest::or_list(&closest)));
            }
            let mut diagnostic = Diagnostic::error(file, key.span, "missing-param", message);
            for candidate in &closest {
                diagnostic = diagnostic.with_fix(Fix {
                    title: format!("Replace '{}' with '{candidate}'", key.key),
                    edits: vec![TextEdit {
                        file: file.into(),
                        span: key.span,
                        new_text: candidate.clone(),
                    }],
                    create_file: None,
                });
            }
            if data.format == crate::formats::Format::Yaml {
                if let Some(fix) = add_param_fix(&path, &data.text, root, &key.key) {
                    diagnostic = diagnostic.with_fix(fix);
                }
            }
            self.out.push(diagnostic);
        }
    }

    fn check_outputs(&mut self, stages: &[&Stage]) {
        let outputs = self.dag.outputs();
        for (position, owner) in outputs.iter().enumerate() {
            let stage = stages[owner.stage];
            let Some(out) = stage.all_outs().nth(owner.out) else {
                continue;
            };
            // Outputs are sorted by path, so an equal or nested path follows.
            for other in &outputs[position + 1..] {
                if !paths::is_within(&other.path, &owner.path) {
                    break;
                }
                let other_stage = stages[other.stage];
                let Some(other_out) = other_stage.all_outs().nth(other.out) else {
                    continue;
                };
                if other.path == owner.path {
                    if other.stage == owner.stage {
                        continue;
                    }
                    for (at_stage, at_out, with) in
                        [(stage, out, other_stage), (other_stage, other_out, stage)]
                    {
                        self.out.push(Diagnostic::error(
                            at_stage.dvcfile.as_str(),
                            at_out.span,
                            "duplicate-output",
                            format!(
                                "output '{}' is specified in stages '{}' and '{}'; each output must belong to one stage, so remove it from one",
                                owner.path,
                                at_stage.addressing(),
                                with.addressing()
                            ),
                        ));
                    }
                } else {
                    self.out.push(Diagnostic::error(
                        other_stage.dvcfile.as_str(),
                        other_out.span,
                        "overlapping-outputs",
                        format!(
                            "output '{}' of stage '{}' is inside output '{}' of stage '{}'; outputs overlap and would share a tracked directory, so track them separately or as one",
                            other.path,
                            other_stage.addressing(),
                            owner.path,
                            stage.addressing()
                        ),
                    ));
                }
            }
        }
    }

    fn check_cycles(&mut self, stages: &[&Stage]) {
        for cycle in self.dag.cycles() {
            let names: Vec<String> = cycle
                .iter()
                .map(|&index| format!("'{}'", stages[index].addressing()))
                .collect();
            if cycle.len() == 1 {
                // A stage reading its own output; `dep-is-out` reports the exact path.
                continue;
            }
            for &index in &cycle {
                let stage = stages[index];
                self.out.push(Diagnostic::error(
                    stage.dvcfile.as_str(),
                    stage.spans.name,
                    "cycle",
                    format!(
                        "stages {} depend on each other in a cycle (each reads an output of another); break the cycle by removing one of those dependencies",
                        suggest_join(&names)
                    ),
                ));
            }
        }
    }

    fn check_top_level(&mut self, file: &PipelineFile) {
        let source = self.files.source();
        let missing = |path: &str| -> bool {
            source.kind(path).is_none() && self.dag.producers_of(path).is_empty()
        };
        let mut report = Vec::new();
        for entry in &file.top.metrics {
            match paths::join_normalized(&file.dir, &entry.path) {
                Some(path) if missing(&path) => {
                    report.push((entry.span, "metrics file", entry.path.clone()))
                }
                Some(_) => {}
                None => report.push((entry.span, "outside", entry.path.clone())),
            }
        }
        for entry in &file.top.params {
            match paths::join_normalized(&file.dir, &entry.path) {
                Some(path) if missing(&path) => {
                    report.push((entry.span, "params file", entry.path.clone()))
                }
                Some(_) => {}
                None => report.push((entry.span, "outside", entry.path.clone())),
            }
        }
        for plot in &file.top.plots {
            for (span, plot_path) in plot_files(plot) {
                match paths::join_normalized(&file.dir, &plot_path) {
                    Some(path) if missing(&path) => report.push((span, "plots file", plot_path)),
                    Some(_) => {}
                    None => report.push((span, "outside", plot_path)),
                }
            }
        }
        for (span, kind, path) in report {
            if kind == "outside" {
                self.out.push(Diagnostic::error(
                    file.path.as_str(),
                    span,
                    "path-outside-project",
                    format!("'{path}' points outside the project; paths in dvc.yaml must stay inside it"),
                ));
            } else {
                self.out.push(Diagnostic::warning(
                    file.path.as_str(),
                    span,
                    "missing-file",
                    format!("{kind} '{path}' does not exist and no stage writes it; run the stage that creates it, or fix the path"),
                ));
            }
        }
    }

    fn check_file_inside_output(&mut self, file: &PipelineFile, stages: &[&Stage]) {
        for owner in self.dag.outputs() {
            if !owner.path.is_empty()
                && paths::is_within(&file.path, &owner.path)
                && file.path != owner.path
            {
                let stage = stages[owner.stage];
                self.out.push(Diagnostic::error(
                    file.path.as_str(),
                    Span::default(),
                    "pipeline-inside-output",
                    format!(
                        "'{}' is inside output '{}' of stage '{}'; move the pipeline file out of the output directory",
                        file.path,
                        owner.path,
                        stage.addressing()
                    ),
                ));
            }
        }
    }
}

/// The data files a top-level plot reads: its path, or the files named in `y`
/// and `x` of a definition.
fn plot_files(plot: &TopPlot) -> Vec<(Span, String)> {
    match plot {
        TopPlot::Path(entry) => vec![(entry.span, entry.path.clone())],
        TopPlot::Definition {
            id,
            id_span,
            definition,
            ..
        } => {
            let mut files = Vec::new();
            for axis in ["y", "x"] {
                if let Some(map) = definition
                    .as_ref()
                    .and_then(|node| node.get(axis))
                    .and_then(|node| node.as_map())
                {
                    for (path, entry) in map {
                        if !files.iter().any(|(_, known)| known == path) {
                            files.push((entry.key_span, path.clone()));
                        }
                    }
                }
            }
            // An id that is itself a path (`eval/loss.csv: {x: step}`) names the file.
            if files.is_empty()
                && definition
                    .as_ref()
                    .is_none_or(|node| node.get("y").is_none_or(|y| y.as_map().is_none()))
                && looks_like_path(id)
            {
                files.push((*id_span, id.clone()));
            }
            files
        }
    }
}

fn looks_like_path(id: &str) -> bool {
    id.contains('/') || id.contains('.')
}

fn outside(file: &str, span: Span, what: &str, path: &str, stage: &Stage) -> Diagnostic {
    Diagnostic::error(
        file,
        span,
        "path-outside-project",
        format!(
            "{what} '{path}' of stage '{}' points outside the project; Retort only reads and writes paths inside it",
            stage.name
        ),
    )
}

fn missing_params_file(
    stage: &Stage,
    params: &crate::pipeline::ParamsDep,
    path: &str,
) -> Diagnostic {
    let mut contents = String::new();
    for key in &params.keys {
        contents.push_str(&params_skeleton(&key.key));
    }
    let fix = Fix {
        title: format!("Create '{path}'"),
        edits: vec![TextEdit {
            file: path.into(),
            span: Span::default(),
            new_text: contents,
        }],
        create_file: Some(path.into()),
    };
    Diagnostic::new(
        stage.dvcfile.as_str(),
        params.span,
        Severity::Warning,
        "missing-params-file",
        format!(
            "params file '{path}' of stage '{}' does not exist and no stage writes it; create it with the keys the stage reads",
            stage.name
        ),
    )
    .with_fix(fix)
}

/// A fix that adds a missing dotted key to a YAML params file with a null
/// value: under the deepest mapping that already exists, after its last entry
/// and with its indentation. Flow mappings and keys under a non-mapping value
/// get no fix. Glob keys name no single key and get none either.
fn add_param_fix(path: &str, text: &str, root: &crate::node::Node, key: &str) -> Option<Fix> {
    if lookup::is_glob(key) {
        return None;
    }
    let parts: Vec<&str> = key.split('.').collect();
    let mut node = root;
    let mut depth = 0;
    while depth + 1 < parts.len() {
        match node.get(parts[depth]) {
            Some(child) if child.as_map().is_some() => {
                node = child;
                depth += 1;
            }
            Some(_) => return None,
            None => break,
        }
    }
    let map = node.as_map()?;
    if text[node.span.start.min(text.len())..].starts_with('{') {
        return None;
    }
    let (insert_at, indent) = match (map.values().next(), map.values().last()) {
        (Some(first), Some(last)) => {
            let first_key = first.key_span.start;
            let line_start = text[..first_key].rfind('\n').map_or(0, |index| index + 1);
            let end = last.value.span.end.max(last.key_span.end).min(text.len());
            // A block value's span may end at the start of the next line.
            let insert_at = if text[..end].ends_with('\n') {
                end
            } else {
                text[end..]
                    .find('\n')
                    .map_or(text.len(), |index| end + index + 1)
            };
            (insert_at, first_key - line_start)
        }
        _ if depth == 0 => (text.len(), 0),
        _ => return None,
    };
    let mut new_text = String::new();
    if insert_at == text.len() && !text.is_empty() && !text.ends_with('\n') {
        new_text.push('\n');
    }
    for (level, part) in parts[depth..].iter().enumerate() {
        new_text.push_str(&" ".repeat(indent + level * 2));
        new_text.push_str(part);
        new_text.push(':');
        new_text.push_str(if depth + level + 1 == parts.len() {
            " null\n"
        } else {
            "\n"
        });
    }
    Some(Fix {
        title: format!("Add '{key}' to '{path}'"),
        edits: vec![TextEdit {
            file: path.into(),
            span: Span::at(insert_at),
            new_text,
        }],
        create_file: None,
    })
}

/// A YAML skeleton that defines a dotted key with a null value.
fn params_skeleton(key: &str) -> String {
    let mut text = String::new();
    let parts: Vec<&str> = key.split('.').collect();
    for (depth, part) in parts.iter().enumerate() {
        text.push_str(&"  ".repeat(depth));
        text.push_str(part);
        text.push(':');
        text.push_str(if depth + 1 == parts.len() {
            " null\n"
        } else {
            "\n"
        });
    }
    text
}

fn suggest_join(names: &[String]) -> String {
    crate::pipeline::context::join_names(names)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::yaml;

    fn apply_add(text: &str, key: &str) -> Option<String> {
        let root = yaml::parse(text).root?;
        let fix = add_param_fix("params.yaml", text, &root, key)?;
        let edit = &fix.edits[0];
        let mut out = text.to_string();
        out.insert_str(edit.span.start, &edit.new_text);
        assert!(yaml::parse(&out).is_ok(), "{out}");
        Some(out)
    }

    #[test]
    fn missing_param_fix_adds_the_key_under_its_parent() {
        let text = "train:\n    lr: 0.1   # rate\n    opt:\n        name: sgd\nprep:\n  seed: 1\n";
        assert_eq!(
            apply_add(text, "train.epochs").unwrap(),
            "train:\n    lr: 0.1   # rate\n    opt:\n        name: sgd\n    epochs: null\nprep:\n  seed: 1\n"
        );
        assert_eq!(
            apply_add(text, "eval.split.ratio").unwrap(),
            format!("{text}eval:\n  split:\n    ratio: null\n")
        );
        assert_eq!(apply_add("a: 1", "b").unwrap(), "a: 1\nb: null\n");
        assert!(apply_add("a: {b: 1}\n", "a.c").is_none());
        assert!(apply_add("a: 1\n", "a.b").is_none());
    }
}
