//! Project configuration: DVC's own `.dvc/config` and `.dvc/config.local`
//! ([`DvcConfig`]), and Retort's settings in `.dvc/retort.toml`
//! ([`RetortConfig`]). Retort's settings live in a file of their own because DVC
//! rejects unknown sections in its config files.

pub mod configobj;
pub mod dvc;
pub mod executor;
pub mod retort;

use std::fmt;
use std::path::{Path, PathBuf};

pub use dvc::{DvcConfig, ParsingBool, ParsingList, Setting};
pub use executor::{ExecutorConfig, ExecutorKind};
pub use retort::{HashConfig, RetortConfig};

/// An invalid or unreadable config file, with where the problem is and how to
/// fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    pub path: PathBuf,
    /// 1-based line number, when the problem is on one line.
    pub line: Option<usize>,
    pub message: String,
    pub fix: String,
}

impl ConfigError {
    pub fn new(
        path: &Path,
        line: Option<usize>,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) -> ConfigError {
        ConfigError {
            path: path.to_path_buf(),
            line,
            message: message.into(),
            fix: fix.into(),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}", self.path.display())?;
        if let Some(line) = self.line {
            write!(formatter, ":{line}")?;
        }
        write!(formatter, ": {}; {}", self.message, self.fix)
    }
}

/// Both configurations of one repository.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProjectConfig {
    pub dvc: DvcConfig,
    pub retort: RetortConfig,
}

impl ProjectConfig {
    /// Loads the configuration of the repository whose `.dvc` directory is
    /// `dvc_dir`. Missing files mean defaults.
    pub fn load(dvc_dir: &Path) -> Result<ProjectConfig, ConfigError> {
        Ok(ProjectConfig {
            dvc: DvcConfig::load(dvc_dir)?,
            retort: RetortConfig::load(dvc_dir)?,
        })
    }
}
