//! Retort's own project settings, in `.dvc/retort.toml`:
//!
//! ```toml
//! [hash]
//! algorithm = "md5"   # or "blake3"
//!
//! [executor]
//! kind = "slurm"       # or "local"; see `executor` for [executor.slurm]
//! ```
//!
//! Every table and key is checked, so a misspelled setting is an error that names
//! its line instead of being silently ignored. To add a setting, add a field to
//! [`RetortConfig`] (or a new table struct) and a branch in `apply_table`.

use std::fs;
use std::io;
use std::path::Path;

use toml_edit::{Document, Item, Table};

use crate::config::executor::{parse_executor_table, ExecutorConfig, Report};
use crate::config::ConfigError;
use crate::hash_info::HashAlgorithm;

/// The file name inside `.dvc/`.
pub const RETORT_CONFIG_FILE: &str = "retort.toml";

/// Settings of the `[hash]` table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HashConfig {
    /// The algorithm for new hashes. `md5` keeps the project readable by DVC;
    /// `blake3` is faster, and DVC cannot read what it writes.
    pub algorithm: HashAlgorithm,
}

impl Default for HashConfig {
    fn default() -> HashConfig {
        HashConfig {
            algorithm: HashAlgorithm::Md5,
        }
    }
}

/// All of `.dvc/retort.toml`. A missing file or table means defaults.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RetortConfig {
    pub hash: HashConfig,
    pub executor: ExecutorConfig,
}

impl RetortConfig {
    /// Loads `retort.toml` from the `.dvc` directory `dvc_dir`.
    pub fn load(dvc_dir: &Path) -> Result<RetortConfig, ConfigError> {
        let file = dvc_dir.join(RETORT_CONFIG_FILE);
        match fs::read_to_string(&file) {
            Ok(text) => RetortConfig::parse(&file, &text),
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(RetortConfig::default()),
            Err(error) => Err(ConfigError::new(
                &file,
                None,
                format!("cannot read the file: {error}"),
                "check that it is readable UTF-8 text",
            )),
        }
    }

    /// Parses the text of `file`.
    pub fn parse(file: &Path, text: &str) -> Result<RetortConfig, ConfigError> {
        let document = Document::parse(text).map_err(|error| {
            let line = error.span().map(|span| line_of(text, span.start));
            ConfigError::new(
                file,
                line,
                format!("invalid TOML: {}", error.message()),
                "fix the syntax",
            )
        })?;

        let mut config = RetortConfig::default();
        let context = Context { file, text };
        for (key, item) in document.as_table().iter() {
            let line = context.line_of_key(document.as_table(), key);
            match key {
                "hash" => {
                    let table = context.table(item, "hash", line)?;
                    config.hash = parse_hash_table(&context, table)?;
                }
                "executor" => {
                    let table = context.table(item, "executor", line)?;
                    config.executor = parse_executor_table(&context, table)?;
                }
                other => {
                    return Err(context.error(
                        line,
                        format!("unknown table or key '{other}'"),
                        "remove it or fix its spelling; the known tables are [hash] and [executor]",
                    ))
                }
            }
        }
        Ok(config)
    }
}

fn parse_hash_table(context: &Context<'_>, table: &Table) -> Result<HashConfig, ConfigError> {
    let mut config = HashConfig::default();
    for (key, item) in table.iter() {
        let line = context.line_of_key(table, key);
        match key {
            "algorithm" => {
                let name = item.as_str().ok_or_else(|| {
                    context.error(
                        line,
                        "hash.algorithm must be a string",
                        "write algorithm = \"md5\" or \"blake3\"",
                    )
                })?;
                config.algorithm = match name {
                    "md5" => HashAlgorithm::Md5,
                    "blake3" => HashAlgorithm::Blake3,
                    other => {
                        return Err(context.error(
                            line,
                            format!("unknown hash algorithm '{other}'"),
                            "use \"md5\" (DVC-compatible) or \"blake3\"",
                        ))
                    }
                };
            }
            other => {
                return Err(context.error(
                    line,
                    format!("unknown key '{other}' in [hash]"),
                    "remove it or fix its spelling; the known key is algorithm",
                ))
            }
        }
    }
    Ok(config)
}

struct Context<'a> {
    file: &'a Path,
    text: &'a str,
}

impl Context<'_> {
    fn error(
        &self,
        line: Option<usize>,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) -> ConfigError {
        ConfigError::new(self.file, line, message, fix)
    }

    fn line_of_key(&self, table: &Table, key: &str) -> Option<usize> {
        let span = table.key(key)?.span()?;
        Some(line_of(self.text, span.start))
    }

    fn table<'t>(
        &self,
        item: &'t Item,
        name: &str,
        line: Option<usize>,
    ) -> Result<&'t Table, ConfigError> {
        item.as_table().ok_or_else(|| {
            self.error(
                line,
                format!("'{name}' must be a table"),
                format!("write it as a [{name}] section"),
            )
        })
    }
}

impl Report for Context<'_> {
    fn error(&self, line: Option<usize>, message: String, fix: String) -> ConfigError {
        ConfigError::new(self.file, line, message, fix)
    }

    fn line(&self, table: &Table, key: &str) -> Option<usize> {
        self.line_of_key(table, key)
    }
}

/// 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&byte| byte == b'\n')
        .count()
        + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_file_means_md5() {
        let dvc_dir = tempfile::tempdir().unwrap();
        let config = RetortConfig::load(dvc_dir.path()).unwrap();
        assert_eq!(config.hash.algorithm, HashAlgorithm::Md5);
    }

    #[test]
    fn blake3_is_selectable() {
        let dvc_dir = tempfile::tempdir().unwrap();
        fs::write(
            dvc_dir.path().join(RETORT_CONFIG_FILE),
            "[hash]\nalgorithm = \"blake3\"\n",
        )
        .unwrap();
        let config = RetortConfig::load(dvc_dir.path()).unwrap();
        assert_eq!(config.hash.algorithm, HashAlgorithm::Blake3);
    }

    #[test]
    fn slurm_defaults_are_read() {
        let file = Path::new(".dvc/retort.toml");
        let config = RetortConfig::parse(
            file,
            "[executor]\nkind = \"slurm\"\n\n[executor.slurm]\npartition = \"gpu\"\ntime = \"1:00:00\"\ncpus_per_task = 4\nmem = \"8G\"\ngres = \"gpu:1\"\nsbatch_args = [\"--qos=high\"]\nwork_dir = \"/shared/runs\"\n",
        )
        .unwrap();
        assert_eq!(
            config.executor.kind,
            crate::config::executor::ExecutorKind::Slurm
        );
        let slurm = &config.executor.slurm;
        assert_eq!(
            slurm.sbatch_resource_args(),
            [
                "--partition=gpu",
                "--time=1:00:00",
                "--cpus-per-task=4",
                "--mem=8G",
                "--gres=gpu:1",
                "--qos=high"
            ]
        );
        assert_eq!(slurm.work_dir.as_deref(), Some(Path::new("/shared/runs")));
    }

    #[test]
    fn unknown_keys_are_errors_with_lines() {
        let file = Path::new(".dvc/retort.toml");
        let error =
            RetortConfig::parse(file, "[hash]\nalgorithm = \"md5\"\nalgorithmm = 1\n").unwrap_err();
        assert_eq!(error.line, Some(3));
        assert!(error.message.contains("algorithmm"));

        let error = RetortConfig::parse(file, "\n[executors]\n").unwrap_err();
        assert_eq!(error.line, Some(2));

        let error = RetortConfig::parse(file, "[hash]\nalgorithm = \"sha1\"\n").unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with(".dvc/retort.toml:2: unknown hash algorithm 'sha1'"),
            "{error}"
        );

        let error = RetortConfig::parse(file, "[executor]\nkind = \"pbs\"\n").unwrap_err();
        assert_eq!(error.line, Some(2));
        assert!(error.message.contains("\"pbs\""), "{error}");

        let error = RetortConfig::parse(
            file,
            "[executor.slurm]\npartition = \"gpu\"\ncpus_per_task = 0\n",
        )
        .unwrap_err();
        assert_eq!(error.line, Some(3));

        let error = RetortConfig::parse(file, "[hash\n").unwrap_err();
        assert_eq!(error.line, Some(1));
    }
}
