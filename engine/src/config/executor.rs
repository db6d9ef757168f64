//! The `[executor]` table of `.dvc/retort.toml`: which executor runs the
//! queue, and the defaults of Slurm jobs.
//!
//! ```toml
//! [executor]
//! kind = "slurm"            # or "local" (the default)
//!
//! [executor.slurm]
//! partition = "gpu"
//! time = "2:00:00"
//! cpus_per_task = 4
//! mem = "16G"
//! gres = "gpu:1"
//! sbatch_args = ["--qos=high"]
//! work_dir = "/shared/scratch/retort"   # every node must see it
//! program = "/shared/bin/retort"        # retort as the nodes see it
//! ```

use std::path::PathBuf;

use toml_edit::Table;

use crate::config::ConfigError;
use crate::queue::slurm::SlurmOptions;

/// The executor that runs queued experiments.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ExecutorKind {
    #[default]
    Local,
    Slurm,
}

impl ExecutorKind {
    pub fn parse(name: &str) -> Option<ExecutorKind> {
        match name {
            "local" => Some(ExecutorKind::Local),
            "slurm" => Some(ExecutorKind::Slurm),
            _ => None,
        }
    }
}

/// Settings of the `[executor]` table.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExecutorConfig {
    pub kind: ExecutorKind,
    /// Defaults of every Slurm job, from `[executor.slurm]`.
    pub slurm: SlurmOptions,
}

/// Reports a problem at a line of the file being parsed.
pub(crate) trait Report {
    fn error(&self, line: Option<usize>, message: String, fix: String) -> ConfigError;
    fn line(&self, table: &Table, key: &str) -> Option<usize>;
}

pub(crate) fn parse_executor_table(
    report: &dyn Report,
    table: &Table,
) -> Result<ExecutorConfig, ConfigError> {
    let mut config = ExecutorConfig::default();
    for (key, item) in table.iter() {
        let line = report.line(table, key);
        match key {
            "kind" => {
                let name = item.as_str().unwrap_or_default();
                config.kind = ExecutorKind::parse(name).ok_or_else(|| {
                    report.error(
                        line,
                        format!("unknown executor kind {}", item.to_string().trim()),
                        "write kind = \"local\" or kind = \"slurm\"".to_string(),
                    )
                })?;
            }
            "slurm" => {
                let slurm = item.as_table().ok_or_else(|| {
                    report.error(
                        line,
                        "'executor.slurm' must be a table".to_string(),
                        "write it as an [executor.slurm] section".to_string(),
                    )
                })?;
                config.slurm = parse_slurm_table(report, slurm)?;
            }
            other => {
                return Err(report.error(
                    line,
                    format!("unknown key '{other}' in [executor]"),
                    "remove it or fix its spelling; the known keys are kind and the [executor.slurm] table".to_string(),
                ))
            }
        }
    }
    Ok(config)
}

fn parse_slurm_table(report: &dyn Report, table: &Table) -> Result<SlurmOptions, ConfigError> {
    let mut options = SlurmOptions::default();
    for (key, item) in table.iter() {
        let line = report.line(table, key);
        let string = || -> Result<String, ConfigError> {
            let value = item.as_str().ok_or_else(|| {
                report.error(
                    line,
                    format!("executor.slurm.{key} must be a string"),
                    format!("write {key} = \"...\""),
                )
            })?;
            if value.contains(['\n', '\r', '\0']) {
                return Err(report.error(
                    line,
                    format!("executor.slurm.{key} contains a line break"),
                    "write the value on one line".to_string(),
                ));
            }
            Ok(value.to_string())
        };
        match key {
            "partition" => options.partition = Some(string()?),
            "time" => options.time = Some(string()?),
            "mem" => options.mem = Some(string()?),
            "gres" => options.gres = Some(string()?),
            "work_dir" => options.work_dir = Some(PathBuf::from(string()?)),
            "program" => options.program = Some(PathBuf::from(string()?)),
            "cpus_per_task" => {
                let count = item
                    .as_integer()
                    .filter(|count| (1..=i64::from(u32::MAX)).contains(count));
                options.cpus_per_task = Some(count.ok_or_else(|| {
                    report.error(
                        line,
                        format!(
                            "executor.slurm.cpus_per_task must be a whole number of at least 1, not {}",
                            item.to_string().trim()
                        ),
                        "write cpus_per_task = 4".to_string(),
                    )
                })? as u32);
            }
            "sbatch_args" => {
                let array = item.as_array().ok_or_else(|| {
                    report.error(
                        line,
                        "executor.slurm.sbatch_args must be a list of strings".to_string(),
                        "write sbatch_args = [\"--qos=high\"]".to_string(),
                    )
                })?;
                for value in array.iter() {
                    let arg = value.as_str().filter(|arg| !arg.contains(['\n', '\r', '\0']));
                    options.sbatch_args.push(
                        arg.ok_or_else(|| {
                            report.error(
                                line,
                                format!(
                                    "executor.slurm.sbatch_args holds {}, which is not a one-line string",
                                    value.to_string().trim()
                                ),
                                "write each argument as a string, such as \"--qos=high\"".to_string(),
                            )
                        })?
                        .to_string(),
                    );
                }
            }
            other => {
                return Err(report.error(
                    line,
                    format!("unknown key '{other}' in [executor.slurm]"),
                    "remove it or fix its spelling; the known keys are partition, time, cpus_per_task, mem, gres, sbatch_args, work_dir and program".to_string(),
                ))
            }
        }
    }
    Ok(options)
}
