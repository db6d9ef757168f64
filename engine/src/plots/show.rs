//! Collecting plots at one or more revisions: reads each revision's pipelines,
//! collects the definitions, loads every data file they name and groups the
//! result into plots.

use indexmap::IndexMap;

use crate::paths;
use crate::pipeline::interpolate::ParsingConfig;
use crate::pipeline::PipelineFile;
use crate::project::{Project, ProjectRoot};

use super::collect::{collect_definitions, Targets};
use super::data;
use super::files::{PlotFiles, RevisionFiles, WorkspaceFiles};
use super::group::{group_plots, DefinitionsError, Plot, PlotIssue, RevisionData};
use super::props::PlotProps;

/// The revision name for the files on disk.
pub const WORKSPACE: &str = "workspace";

/// Options of a plots request: targets (plot ids, paths or patterns) and
/// properties from the command line that apply to every plot.
#[derive(Clone, Debug, Default)]
pub struct PlotsOptions {
    pub targets: Vec<String>,
    pub props: PlotProps,
}

/// Plots across revisions, with the problems met.
#[derive(Clone, Debug)]
pub struct PlotsResult {
    pub plots: Vec<Plot>,
    pub issues: Vec<PlotIssue>,
    /// The revisions collected, in order (`workspace` first when present).
    pub revisions: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum PlotsError {
    #[error(
        "unknown revision '{revision}': {message}. Name a commit, branch, tag, experiment, or `workspace`"
    )]
    UnknownRevision { revision: String, message: String },
    #[error("unable to read the git repository of '{path}': {message}")]
    Git { path: String, message: String },
}

/// Opens a commit, branch or tag, or else an experiment name (or a
/// checkpoint, `NAME~N`) as `exp show` lists it; the plots keep the name the
/// user gave, as DVC labels them.
fn open_revision(root: &ProjectRoot, revision: &str) -> Result<RevisionFiles, PlotsError> {
    let git_error = match RevisionFiles::open(root, revision) {
        Ok(files) => return Ok(files),
        Err(error) => error,
    };
    let experiment = crate::exp::ExpRepo::open(root.clone())
        .and_then(|repo| crate::exp::resolve::resolve_rev(&repo, revision));
    match experiment {
        Ok(sha) => RevisionFiles::open(root, &sha).map_err(|error| PlotsError::UnknownRevision {
            revision: revision.to_string(),
            message: error.message().to_string(),
        }),
        Err(_) => Err(PlotsError::UnknownRevision {
            revision: revision.to_string(),
            message: git_error.message().to_string(),
        }),
    }
}

/// Collects the plots of every revision. `workspace` means the files on disk;
/// anything else is resolved by git.
pub fn collect_plots(
    root: &ProjectRoot,
    revisions: &[String],
    options: &PlotsOptions,
) -> Result<PlotsResult, PlotsError> {
    let revisions = order_revisions(revisions);
    let targets = Targets::new(&options.targets);
    let mut collected = Vec::new();
    for revision in &revisions {
        let files: Box<dyn PlotFiles> = if revision == WORKSPACE {
            Box::new(WorkspaceFiles::new(root.root.clone()))
        } else {
            Box::new(open_revision(root, revision)?)
        };
        collected.push(collect_revision(
            root,
            revision,
            files.as_ref(),
            &targets,
            &options.props,
        ));
    }
    let (plots, issues) = group_plots(&collected);
    Ok(PlotsResult {
        plots,
        issues,
        revisions,
    })
}

/// `workspace` goes first, as DVC's brancher orders revisions; repeats go.
pub fn order_revisions(revisions: &[String]) -> Vec<String> {
    let mut ordered: Vec<String> = Vec::new();
    if revisions.iter().any(|revision| revision == WORKSPACE) {
        ordered.push(WORKSPACE.to_string());
    }
    for revision in revisions {
        if !ordered.contains(revision) {
            ordered.push(revision.clone());
        }
    }
    ordered
}

/// Picks the revisions `plots diff` compares, as DVC does: the ones given, with
/// `workspace` added when fewer than two are given, and `HEAD` too when none
/// are given and tracked files have changes.
pub fn diff_revisions(root: &ProjectRoot, revisions: &[String]) -> Result<Vec<String>, PlotsError> {
    let mut chosen = revisions.to_vec();
    if chosen.len() <= 1 {
        if chosen.is_empty() && has_tracked_changes(root)? {
            chosen.push("HEAD".to_string());
        }
        chosen.push(WORKSPACE.to_string());
    }
    Ok(chosen)
}

fn has_tracked_changes(root: &ProjectRoot) -> Result<bool, PlotsError> {
    let Some(git_root) = &root.git_root else {
        return Ok(false);
    };
    let git_error = |error: git2::Error| PlotsError::Git {
        path: git_root.display().to_string(),
        message: error.message().to_string(),
    };
    let repo = git2::Repository::open(git_root).map_err(git_error)?;
    if repo.head().is_err() {
        return Ok(false);
    }
    let mut options = git2::StatusOptions::new();
    options.include_untracked(false).include_ignored(false);
    let statuses = repo.statuses(Some(&mut options)).map_err(git_error)?;
    Ok(!statuses.is_empty())
}

/// Collects one revision: definitions and every data file they read.
pub fn collect_revision(
    root: &ProjectRoot,
    revision: &str,
    files: &dyn PlotFiles,
    targets: &Targets,
    cli_props: &PlotProps,
) -> RevisionData {
    let pipeline_paths = files.pipeline_files();
    let project = Project::load_files(
        root.clone(),
        files.source(),
        &pipeline_paths,
        ParsingConfig::default(),
    );
    if let Some(error) = first_error(&project.files) {
        return RevisionData {
            revision: revision.to_string(),
            definitions: Err(error),
            sources: IndexMap::new(),
        };
    }
    let definitions = collect_definitions(&project.files, files, targets, cli_props);
    let sources = definitions
        .data_sources()
        .into_iter()
        .map(|source| {
            let header = cli_props
                .header
                .or_else(|| output_header(&project.files, &source))
                .unwrap_or(true);
            let loaded = data::load(files, &source, header);
            (source, loaded)
        })
        .collect();
    RevisionData {
        revision: revision.to_string(),
        definitions: Ok(definitions),
        sources,
    }
}

/// DVC refuses a revision whose pipeline files do not validate.
fn first_error(pipelines: &[PipelineFile]) -> Option<DefinitionsError> {
    pipelines.iter().find(|file| file.has_errors()).map(|file| {
        let detail = file
            .diagnostics
            .iter()
            .find(|diagnostic| diagnostic.severity == crate::diagnostic::Severity::Error)
            .map(|diagnostic| diagnostic.message.clone())
            .unwrap_or_default();
        DefinitionsError {
            kind: "YAMLValidationError".to_string(),
            message: format!("'{}' validation failed: {detail}", file.path),
        }
    })
}

/// Finds the `header` flag of the stage-level plot output that contains `source`.
fn output_header(pipelines: &[PipelineFile], source: &str) -> Option<bool> {
    pipelines
        .iter()
        .flat_map(|file| &file.stages)
        .flat_map(|stage| {
            stage
                .plots
                .iter()
                .filter_map(move |out| Some((stage.resolve_path(&out.path)?, out)))
        })
        .find(|(path, _)| paths::is_within(source, path))
        .and_then(|(_, out)| match out.plot_props.get("header") {
            Some(crate::node::Value::Bool(flag)) => Some(*flag),
            _ => None,
        })
}

/// Returns `.dvc/plots`, where DVC looks up custom templates, when it exists.
pub fn templates_dir(root: &ProjectRoot) -> Option<std::path::PathBuf> {
    let dir = root.dvc_dir().join("plots");
    dir.is_dir().then_some(dir)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plots::group::Plot;

    fn write(root: &std::path::Path, path: &str, text: &str) {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    /// Writes a project with every definition form: path-keyed, named (several files),
    /// `x` per file, a directory, an image, stage-level outputs (one also
    /// defined at the top level, one a directory inside a top-level one) and a
    /// nested `dvc.yaml`.
    fn fixture() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join(".dvc")).unwrap();
        write(
            root,
            "eval/loss.csv",
            "step,loss,val_loss\n0,1.0,1.2\n1,0.5,0.7\n2,0.25,0.4\n",
        );
        write(root, "eval/other.csv", "a,b\n1,2\n3,4\n");
        write(root, "logs/a.tsv", "step\tm\n0\t1\n1\t2\n");
        write(root, "logs/b.tsv", "step\tm\n0\t3\n1\t4\n");
        write(root, "logs/deep/c.tsv", "step\tq\n0\t3\n");
        write(root, "imgs/a.png", "PNG");
        write(
            root,
            "eval/nested.json",
            r#"{"train": [{"x": 1, "acc": 0.5}, {"x": 2, "acc": 0.7}], "n": 3}"#,
        );
        write(root, "sub/s.csv", "step,z\n0,1\n1,2\n");
        write(
            root,
            "dvc.yaml",
            "stages:\n  s:\n    cmd: echo hi\n    plots:\n      - eval/loss.csv:\n          cache: false\n          y: loss\n      - logs/deep:\n          cache: false\n\
             plots:\n  - eval/loss.csv:\n      x: step\n      y: [loss, val_loss]\n  - Combined:\n      x: step\n      y: {eval/loss.csv: loss, eval/other.csv: [a, b]}\n\
             \x20 - XY:\n      x: {eval/loss.csv: step}\n      y: {eval/loss.csv: val_loss}\n      template: scatter\n  - eval/nested.json\n  - logs:\n      x: step\n  - imgs/a.png\n",
        );
        write(
            root,
            "sub/dvc.yaml",
            "plots:\n  - s.csv:\n      y: z\n  - SubNamed:\n      y: {s.csv: z}\n",
        );
        dir
    }

    fn rows(plot: &Plot) -> String {
        match plot {
            Plot::Vega(vega) => crate::plots::Json::Array(vega.rows.clone()).to_compact(),
            Plot::Image(_) => String::new(),
        }
    }

    #[test]
    fn ids_and_rows_match_dvc() {
        let dir = fixture();
        let root = crate::project::discover(dir.path()).unwrap();
        let result =
            collect_plots(&root, &[WORKSPACE.to_string()], &PlotsOptions::default()).unwrap();
        let ids: Vec<&str> = result.plots.iter().map(Plot::id).collect();
        // Recorded from `dvc plots show --json` (DVC 3.67.1) on the same files.
        assert_eq!(
            ids,
            vec![
                "dvc.yaml::eval/loss.csv",
                "eval/loss.csv",
                "Combined",
                "XY",
                "eval/nested.json",
                "logs/a.tsv",
                "logs/b.tsv",
                "dvc.yaml::logs/deep/c.tsv",
                "logs/deep/c.tsv",
                "imgs/a.png",
                "sub/s.csv",
                "SubNamed",
            ]
        );
        let by_id = |id: &str| result.plots.iter().find(|plot| plot.id() == id).unwrap();
        assert_eq!(rows(by_id("Combined")), "[]");
        assert_eq!(
            result
                .issues
                .iter()
                .map(|issue| issue.kind.as_str())
                .collect::<Vec<_>>(),
            vec!["FieldNotFoundError"]
        );
        assert_eq!(
            rows(by_id("SubNamed")),
            r#"[{"step":0,"z":"1","rev":"workspace","filename":"sub/s.csv","field":"z"},{"step":1,"z":"2","rev":"workspace","filename":"sub/s.csv","field":"z"}]"#
        );
        assert_eq!(
            rows(by_id("eval/nested.json")),
            r#"[{"x":1,"acc":0.5,"step":0,"rev":"workspace","filename":"eval/nested.json","field":"acc"},{"x":2,"acc":0.7,"step":1,"rev":"workspace","filename":"eval/nested.json","field":"acc"}]"#
        );
    }

    #[test]
    fn targets_select_by_id_prefix() {
        let dir = fixture();
        let root = crate::project::discover(dir.path()).unwrap();
        let options = PlotsOptions {
            targets: vec!["sub".to_string()],
            props: PlotProps::default(),
        };
        let result = collect_plots(&root, &[WORKSPACE.to_string()], &options).unwrap();
        let ids: Vec<&str> = result.plots.iter().map(Plot::id).collect();
        // Recorded from `dvc plots show sub --json`: the directory target adds
        // its files (not `dvc.yaml`) as plots of their own.
        assert_eq!(
            ids,
            vec!["sub/dvc.yaml::sub/s.csv", "sub/s.csv", "SubNamed"]
        );
    }

    #[test]
    fn workspace_comes_first_among_revisions() {
        let revisions = [
            "HEAD".to_string(),
            "main".to_string(),
            WORKSPACE.to_string(),
            "HEAD".to_string(),
        ];
        assert_eq!(
            order_revisions(&revisions),
            vec!["workspace", "HEAD", "main"]
        );
    }
}
