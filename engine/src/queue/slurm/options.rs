//! The `sbatch` options of a Slurm run. They come from three places, each
//! overriding the one before: `[executor.slurm]` in `.dvc/retort.toml`, the
//! flags of `retort queue start`, and the flags given to `exp run --queue`
//! (stored in the entry as `key=value` strings).

use std::path::PathBuf;

/// Options for `sbatch`, plus where the job's temporary work tree goes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SlurmOptions {
    /// `--partition`.
    pub partition: Option<String>,
    /// `--time`, in any format Slurm accepts (`30`, `1:00:00`, `2-00:00:00`).
    pub time: Option<String>,
    /// `--cpus-per-task`.
    pub cpus_per_task: Option<u32>,
    /// `--mem`, such as `8G`.
    pub mem: Option<String>,
    /// `--gres`, such as `gpu:1`.
    pub gres: Option<String>,
    /// Further `sbatch` arguments, passed as given (`--qos=high`).
    pub sbatch_args: Vec<String>,
    /// A directory that every node can reach. The job's temporary work tree
    /// is created in it. Unset: the project's `.dvc/tmp/exps/run`.
    pub work_dir: Option<PathBuf>,
    /// The `retort` executable as the nodes see it. Unset: the path of the
    /// `retort` that runs the queue.
    pub program: Option<PathBuf>,
}

/// An executor option that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid Slurm option '{option}': {reason}")]
pub struct OptionError {
    pub option: String,
    pub reason: String,
}

impl SlurmOptions {
    /// These options with every option that `other` sets laid over them.
    /// Free `sbatch` arguments add up, `other`'s last, so they win in `sbatch`.
    pub fn overlay(&self, other: &SlurmOptions) -> SlurmOptions {
        SlurmOptions {
            partition: other.partition.clone().or_else(|| self.partition.clone()),
            time: other.time.clone().or_else(|| self.time.clone()),
            cpus_per_task: other.cpus_per_task.or(self.cpus_per_task),
            mem: other.mem.clone().or_else(|| self.mem.clone()),
            gres: other.gres.clone().or_else(|| self.gres.clone()),
            sbatch_args: self
                .sbatch_args
                .iter()
                .chain(&other.sbatch_args)
                .cloned()
                .collect(),
            work_dir: other.work_dir.clone().or_else(|| self.work_dir.clone()),
            program: other.program.clone().or_else(|| self.program.clone()),
        }
    }

    pub fn is_empty(&self) -> bool {
        *self == SlurmOptions::default()
    }

    /// Converts the options to the `key=value` strings a queue entry stores.
    pub fn to_entry_options(&self) -> Vec<String> {
        let mut options = Vec::new();
        let mut push = |key: &str, value: Option<String>| {
            if let Some(value) = value {
                options.push(format!("{key}={value}"));
            }
        };
        push("partition", self.partition.clone());
        push("time", self.time.clone());
        push("cpus-per-task", self.cpus_per_task.map(|n| n.to_string()));
        push("mem", self.mem.clone());
        push("gres", self.gres.clone());
        push(
            "work-dir",
            self.work_dir.as_ref().map(|dir| dir.display().to_string()),
        );
        for arg in &self.sbatch_args {
            options.push(format!("sbatch-arg={arg}"));
        }
        options
    }

    /// Reads what [`SlurmOptions::to_entry_options`] wrote.
    pub fn from_entry_options(options: &[String]) -> Result<SlurmOptions, OptionError> {
        let mut parsed = SlurmOptions::default();
        for option in options {
            let Some((key, value)) = option.split_once('=') else {
                return Err(OptionError {
                    option: option.clone(),
                    reason: "expected key=value".to_string(),
                });
            };
            parsed.set(key, value).map_err(|reason| OptionError {
                option: option.clone(),
                reason,
            })?;
        }
        Ok(parsed)
    }

    /// Sets one option by its entry key. The error describes the invalid value.
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), String> {
        if value.contains(['\n', '\r', '\0']) {
            return Err("values cannot contain line breaks or NUL bytes".to_string());
        }
        let text = || Some(value.to_string());
        match key {
            "partition" => self.partition = text(),
            "time" => self.time = text(),
            "cpus-per-task" => self.cpus_per_task = Some(parse_cpus(value)?),
            "mem" => self.mem = text(),
            "gres" => self.gres = text(),
            "work-dir" => self.work_dir = Some(PathBuf::from(value)),
            "sbatch-arg" => self.sbatch_args.push(value.to_string()),
            other => {
                return Err(format!(
                    "unknown key '{other}'; the keys are partition, time, cpus-per-task, mem, gres, work-dir and sbatch-arg"
                ))
            }
        }
        Ok(())
    }

    /// Returns the resource arguments for `sbatch`, in a fixed order.
    pub fn sbatch_resource_args(&self) -> Vec<String> {
        let mut args = Vec::new();
        if let Some(partition) = &self.partition {
            args.push(format!("--partition={partition}"));
        }
        if let Some(time) = &self.time {
            args.push(format!("--time={time}"));
        }
        if let Some(cpus) = self.cpus_per_task {
            args.push(format!("--cpus-per-task={cpus}"));
        }
        if let Some(mem) = &self.mem {
            args.push(format!("--mem={mem}"));
        }
        if let Some(gres) = &self.gres {
            args.push(format!("--gres={gres}"));
        }
        args.extend(self.sbatch_args.iter().cloned());
        args
    }
}

/// Parses a positive CPU count.
pub fn parse_cpus(value: &str) -> Result<u32, String> {
    match value.trim().parse::<u32>() {
        Ok(count) if count > 0 => Ok(count),
        _ => Err(format!(
            "cpus-per-task must be a whole number of at least 1, not '{value}'"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_options_round_trip() {
        let options = SlurmOptions {
            partition: Some("gpu".into()),
            time: Some("1:00:00".into()),
            cpus_per_task: Some(4),
            mem: Some("8G".into()),
            gres: Some("gpu:1".into()),
            sbatch_args: vec!["--qos=high".into(), "--account=ml".into()],
            work_dir: Some(PathBuf::from("/shared/tmp")),
            program: None,
        };
        let stored = options.to_entry_options();
        assert!(stored.contains(&"gres=gpu:1".to_string()));
        assert_eq!(SlurmOptions::from_entry_options(&stored).unwrap(), options);
    }

    #[test]
    fn overlay_prefers_per_run_options() {
        let defaults = SlurmOptions {
            partition: Some("cpu".into()),
            mem: Some("4G".into()),
            sbatch_args: vec!["--qos=low".into()],
            ..SlurmOptions::default()
        };
        let run = SlurmOptions {
            partition: Some("gpu".into()),
            sbatch_args: vec!["--qos=high".into()],
            ..SlurmOptions::default()
        };
        let merged = defaults.overlay(&run);
        assert_eq!(
            merged.sbatch_resource_args(),
            ["--partition=gpu", "--mem=4G", "--qos=low", "--qos=high"]
        );
    }

    #[test]
    fn invalid_options_are_errors() {
        let error = SlurmOptions::from_entry_options(&["cpus-per-task=0".into()]).unwrap_err();
        assert!(error.to_string().contains("at least 1"), "{error}");
        let error = SlurmOptions::from_entry_options(&["nodes=2".into()]).unwrap_err();
        assert!(error.to_string().contains("unknown key 'nodes'"), "{error}");
        let error = SlurmOptions::from_entry_options(&["partition".into()]).unwrap_err();
        assert!(error.to_string().contains("key=value"), "{error}");
    }
}
