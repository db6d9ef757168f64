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

/// What to show: targets (plot ids, paths or patterns) and properties from the
/// command line that apply to every plot.
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
        "unknown revision '{revision}': {message}. Name a commit, branch or tag, or `workspace`"
    )]
    UnknownRevision { revision: String, message: String },
    #[error("unable to read the git repository of '{path}': {message}")]
    Git { path: String, message: String },
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
            // FIXME(experiments): resolve experiment names (`exp-1a2b3`) to their
            // commits once the experiments module lands; commits, branches and
            // tags work now.
            Box::new(RevisionFiles::open(root, revision).map_err(|error| {
                PlotsError::UnknownRevision {
                    revision: revision.clone(),
                    message: error.message().to_string(),
                }
            })?)
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

/// The revisions `plots diff` compares, as DVC picks them: the ones given, with
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

/// The `header` flag of the stage-level plot output that holds `source`.
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

/// The directory DVC keeps custom templates in.
pub fn templates_dir(root: &ProjectRoot) -> Option<std::path::PathBuf> {
    let dir = root.dvc_dir().join("plots");
    dir.is_dir().then_some(dir)
}
