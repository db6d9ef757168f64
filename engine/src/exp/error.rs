//! Errors of the experiment commands. Each says what failed, on which name,
//! revision or file, and what to do about it.

use std::path::PathBuf;

use thiserror::Error;

use crate::suggest;

#[derive(Debug, Error)]
pub enum ExpError {
    #[error("the git repository at '{0}' has no commits yet; experiments are recorded on top of a commit, so commit the project first (git add -A && git commit -m \"Initial commit\")")]
    NoCommits(PathBuf),

    #[error("{0}")]
    NoProject(String),

    #[error("'{0}' is not inside a git repository; experiments live in git, so run `git init` in the project first")]
    NotGit(PathBuf),

    #[error("'{rev}' is not a commit, branch, tag or experiment name{}", did_you_mean(.suggestions))]
    UnknownRevision {
        rev: String,
        suggestions: Vec<String>,
    },

    #[error("{} not {}{}", quoted_list(.names), if .names.len() > 1 { "experiment names" } else { "an experiment name" }, did_you_mean(.suggestions))]
    UnknownNames {
        names: Vec<String>,
        suggestions: Vec<String>,
    },

    #[error("the name '{name}' refers to experiments of several baselines; use one of these full refs instead:\n{}", .refs.iter().map(|r| format!("\t{r}")).collect::<Vec<_>>().join("\n"))]
    AmbiguousName { name: String, refs: Vec<String> },

    #[error("invalid experiment name '{name}': {reason}; names must be valid git ref names (see `git check-ref-format`) and must not contain '/'")]
    InvalidName { name: String, reason: &'static str },

    #[error("an experiment named '{name}' already exists for baseline {} with different files; pick another name with -n, or replace it with -f", short(.baseline))]
    ExperimentExists { name: String, baseline: String },

    #[error("'{0}' does not appear to be an experiment commit")]
    NotAnExperiment(String),

    #[error("git branch '{0}' already exists; pass another branch name")]
    BranchExists(String),

    #[error("applying '{name}' would overwrite uncommitted changes in: {}\nCommit or stash them first, or pass --force (your changes are then saved in refs/exps/apply/stash)", .paths.join(", "))]
    WouldOverwrite { name: String, paths: Vec<String> },

    #[error("invalid argument: {0}")]
    InvalidArgument(String),

    #[error("git remote '{remote}': {message}")]
    Remote { remote: String, message: String },

    #[error("{context}: {source}")]
    Git {
        context: String,
        #[source]
        source: git2::Error,
    },

    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
}

pub type Result<T, E = ExpError> = std::result::Result<T, E>;

/// Adds what was being done to a git error.
pub trait GitContext<T> {
    fn git(self, context: impl FnOnce() -> String) -> Result<T>;
}

impl<T> GitContext<T> for std::result::Result<T, git2::Error> {
    fn git(self, context: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|source| ExpError::Git {
            context: context(),
            source,
        })
    }
}

/// Adds what was being done to an I/O error.
pub trait IoContext<T> {
    fn io(self, context: impl FnOnce() -> String) -> Result<T>;
}

impl<T> IoContext<T> for std::result::Result<T, std::io::Error> {
    fn io(self, context: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|source| ExpError::Io {
            context: context(),
            source,
        })
    }
}

fn did_you_mean(suggestions: &[String]) -> String {
    if suggestions.is_empty() {
        String::new()
    } else {
        format!("; did you mean {}?", suggest::or_list(suggestions))
    }
}

fn quoted_list(names: &[String]) -> String {
    let quoted: Vec<String> = names.iter().map(|name| format!("'{name}'")).collect();
    format!(
        "{} {}",
        quoted.join(", "),
        if names.len() > 1 { "are" } else { "is" }
    )
}

fn short(sha: &str) -> &str {
    &sha[..sha.len().min(7)]
}
