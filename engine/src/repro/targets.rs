//! Repro targets as DVC accepts them: `stage`, `group` (every member of a
//! foreach or matrix group), `group@key`, `path/to/dvc.yaml` (every stage in it),
//! `path/to/dvc.yaml:stage`, and glob patterns over stage names with `--glob`.

use thiserror::Error;

use crate::params::lookup::glob_match;
use crate::paths;
use crate::project::Project;

#[derive(Debug, Error, PartialEq)]
pub enum TargetError {
    #[error("'{target}' does not name a stage{hint}")]
    Unknown { target: String, hint: String },
    #[error("'{0}' is a lock file; name the pipeline file instead: '{1}'")]
    LockFile(String, String),
    #[error("no dvc.yaml found at '{0}'")]
    NoPipelineFile(String),
    #[error("stage name '{name}' is ambiguous: it is defined in {files}; write it as FILE:{name}")]
    Ambiguous { name: String, files: String },
}

/// Resolves targets to stage positions in [`Project::stages`] order, each once.
/// `cwd` is the project-relative directory the command runs in, against which
/// file paths in targets are resolved. No targets means every stage in the
/// `dvc.yaml` of `cwd`.
pub fn resolve_targets(
    project: &Project,
    targets: &[String],
    cwd: &str,
    glob: bool,
) -> Result<Vec<usize>, TargetError> {
    let stages: Vec<(usize, &crate::pipeline::Stage)> = project.stages().enumerate().collect();
    let mut selected = Vec::new();
    let mut push = |index: usize| {
        if !selected.contains(&index) {
            selected.push(index);
        }
    };

    if targets.is_empty() {
        let default =
            paths::join_normalized(cwd, "dvc.yaml").unwrap_or_else(|| "dvc.yaml".to_string());
        if project.file(&default).is_none() {
            return Err(TargetError::NoPipelineFile(default));
        }
        for (index, stage) in &stages {
            if stage.dvcfile == default {
                push(*index);
            }
        }
        return Ok(selected);
    }

    for target in targets {
        let (file_part, name_part) = split_target(target);
        if let Some(file) = file_part {
            let path = paths::join_normalized(cwd, file).unwrap_or_else(|| file.to_string());
            let path = if path.ends_with("dvc.yaml") || path.ends_with("dvc.lock") {
                path
            } else {
                paths::join_normalized(&path, "dvc.yaml").unwrap_or(path)
            };
            if path.ends_with("dvc.lock") {
                let pipeline = format!("{}dvc.yaml", path.trim_end_matches("dvc.lock"));
                return Err(TargetError::LockFile(target.clone(), pipeline));
            }
            if project.file(&path).is_none() {
                return Err(TargetError::NoPipelineFile(path));
            }
            let before = selected_len(&stages, &path);
            let mut matched = false;
            for (index, stage) in &stages {
                if stage.dvcfile != path {
                    continue;
                }
                if name_part.is_none_or(|name| name_matches(stage, name, glob)) {
                    push(*index);
                    matched = true;
                }
            }
            if !matched && before > 0 {
                return Err(unknown(target, &stages, name_part.unwrap_or_default()));
            }
            continue;
        }

        let name = name_part.unwrap_or_default();
        // A bare name: stages of the pipeline in `cwd` first, then anywhere.
        let local =
            paths::join_normalized(cwd, "dvc.yaml").unwrap_or_else(|| "dvc.yaml".to_string());
        let in_local: Vec<usize> = stages
            .iter()
            .filter(|(_, stage)| stage.dvcfile == local && name_matches(stage, name, glob))
            .map(|(index, _)| *index)
            .collect();
        let found: Vec<usize> = if in_local.is_empty() {
            stages
                .iter()
                .filter(|(_, stage)| name_matches(stage, name, glob))
                .map(|(index, _)| *index)
                .collect()
        } else {
            in_local
        };
        if found.is_empty() {
            return Err(unknown(target, &stages, name));
        }
        let mut files: Vec<&str> = found
            .iter()
            .map(|&index| stages[index].1.dvcfile.as_str())
            .collect();
        files.dedup();
        if files.len() > 1 && !glob {
            return Err(TargetError::Ambiguous {
                name: name.to_string(),
                files: files.join(", "),
            });
        }
        for index in found {
            push(index);
        }
    }
    Ok(selected)
}

fn selected_len(stages: &[(usize, &crate::pipeline::Stage)], path: &str) -> usize {
    stages
        .iter()
        .filter(|(_, stage)| stage.dvcfile == path)
        .count()
}

/// Splits `file:stage` (the file part contains a `/` or ends in `dvc.yaml`), or
/// returns a bare name or a bare file.
fn split_target(target: &str) -> (Option<&str>, Option<&str>) {
    if let Some((file, name)) = target.rsplit_once(':') {
        if file.ends_with("dvc.yaml") || file.ends_with("dvc.lock") || file.contains('/') {
            return (Some(file), Some(name));
        }
    }
    if target.ends_with("dvc.yaml") || target.ends_with("dvc.lock") || target.ends_with('/') {
        return (Some(target), None);
    }
    (None, Some(target))
}

fn name_matches(stage: &crate::pipeline::Stage, name: &str, glob: bool) -> bool {
    if glob {
        return glob_match(name, &stage.name);
    }
    stage.name == name || stage.group.as_deref() == Some(name)
}

fn unknown(target: &str, stages: &[(usize, &crate::pipeline::Stage)], name: &str) -> TargetError {
    let mut names: Vec<&str> = stages
        .iter()
        .map(|(_, stage)| stage.name.as_str())
        .collect();
    names.extend(
        stages
            .iter()
            .filter_map(|(_, stage)| stage.group.as_deref()),
    );
    let closest = crate::suggest::closest(name, names, 3);
    let hint = if closest.is_empty() {
        "; run `retort stage list` to see the stages".to_string()
    } else {
        format!("; did you mean {}?", crate::suggest::or_list(&closest))
    };
    TargetError::Unknown {
        target: target.to_string(),
        hint,
    }
}
