//! The diagnostics of a project: everything `retort check` reports, plus
//! syntax errors of params files (including open buffers that no stage reads
//! yet) and of `dvc.lock` files.

use std::collections::BTreeMap;
use std::path::Path;

use retort_engine::check::check_project_parsed;
use retort_engine::dag::Dag;
use retort_engine::diagnostic::Diagnostic;
use retort_engine::files::ParsedFiles;
use retort_engine::paths;
use retort_engine::project::Project;

/// Runs every check and groups the diagnostics by project-relative file.
/// `open` lists the editor buffers: params-like ones get syntax checks even
/// when no stage reads them yet.
pub fn collect<'a>(
    project: &Project,
    dag: &Dag,
    parsed: &ParsedFiles<'_>,
    open: impl Iterator<Item = &'a String>,
) -> BTreeMap<String, Vec<Diagnostic>> {
    let mut all = check_project_parsed(project, dag, parsed);

    let mut data_files: Vec<String> = Vec::new();
    let mut add = |path: String| {
        if !data_files.contains(&path) {
            data_files.push(path);
        }
    };
    for stage in project.stages() {
        for params in &stage.params {
            if let Some(path) = stage.params_file_path(params) {
                add(path);
            }
        }
    }
    for file in &project.files {
        if let Some(default) = paths::join_normalized(&file.dir, "params.yaml") {
            add(default);
        }
    }
    for path in open {
        if is_data_file(path) {
            add(path.clone());
        }
    }
    for path in &data_files {
        all.extend(syntax_diagnostics(parsed, path, "syntax"));
    }
    // The checks above include the syntax and schema errors of the
    // `dvc.lock` next to each pipeline.
    for file in &project.files {
        all.extend(super::stale_lock::stale_lock_entries(file, parsed.source()));
    }

    let mut grouped: BTreeMap<String, Vec<Diagnostic>> = BTreeMap::new();
    for diagnostic in all {
        let file = diagnostic.file.to_string_lossy().replace('\\', "/");
        let list = grouped.entry(file).or_default();
        // The checker already reports the first syntax error of a params file
        // that a stage reads; keep one diagnostic per place.
        if is_syntax(&diagnostic)
            && list
                .iter()
                .any(|known| known.span == diagnostic.span && is_syntax(known))
        {
            continue;
        }
        list.push(diagnostic);
    }
    for list in grouped.values_mut() {
        list.sort_by_key(|diagnostic| (diagnostic.span.start, diagnostic.span.end));
    }
    grouped
}

fn is_syntax(diagnostic: &Diagnostic) -> bool {
    matches!(diagnostic.code, "syntax" | "params-syntax" | "lock-syntax")
}

/// Whether a path names a params or metrics file by its extension. Pipelines
/// and lock files have their own checks.
pub fn is_data_file(path: &str) -> bool {
    let name = paths::file_name(path);
    if name == "dvc.yaml" || name == "dvc.lock" || name.ends_with(".dvc") {
        return false;
    }
    matches!(
        Path::new(name).extension().and_then(|ext| ext.to_str()),
        Some("yaml" | "yml" | "json" | "toml" | "py")
    )
}

/// The syntax errors of one data file, or nothing when it does not exist.
fn syntax_diagnostics(parsed: &ParsedFiles<'_>, path: &str, code: &'static str) -> Vec<Diagnostic> {
    let Ok(data) = parsed.get(path) else {
        return Vec::new();
    };
    let format = data.format;
    data.parsed
        .errors
        .iter()
        .map(|error| {
            Diagnostic::error(
                path,
                error.span,
                code,
                format!("invalid {} in '{path}': {}", format.name(), error.message),
            )
        })
        .collect()
}
