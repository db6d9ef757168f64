//! The Slurm commands the executor runs: `sbatch` to submit, `squeue` to
//! watch, `scancel` to stop. They are found on `PATH`, as a user's shell
//! finds them on a cluster's login node.

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// A Slurm command that could not run or that failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SlurmError {
    #[error("unable to run `{program}`: {message}; is Slurm installed and on PATH?")]
    Missing { program: String, message: String },
    #[error("`{program}` failed: {message}")]
    Refused { program: String, message: String },
}

/// The state of one job as `squeue` reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobInfo {
    /// Such as `PENDING`, `RUNNING`, `COMPLETED`, `TIMEOUT`.
    pub state: String,
    /// Slurm's reason code, such as `Resources` or `TimeLimit`; `None` when
    /// there is none.
    pub reason: String,
}

fn run(program: &str, args: &[String]) -> Result<Output, SlurmError> {
    Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|error| SlurmError::Missing {
            program: program.to_string(),
            message: error.to_string(),
        })
}

fn refused(program: &str, output: &Output) -> SlurmError {
    let stderr = String::from_utf8_lossy(&output.stderr);
    let message = stderr.trim();
    SlurmError::Refused {
        program: program.to_string(),
        message: if message.is_empty() {
            format!("it exited with {}", output.status)
        } else {
            message.replace('\n', "; ")
        },
    }
}

/// Submits `script` with `args` before it and returns the job id.
pub fn submit(args: &[String], script: &Path) -> Result<String, SlurmError> {
    let mut all = vec!["--parsable".to_string()];
    all.extend(args.iter().cloned());
    all.push(script.display().to_string());
    let output = run("sbatch", &all)?;
    if !output.status.success() {
        return Err(refused("sbatch", &output));
    }
    // `--parsable` prints `ID` or `ID;CLUSTER`.
    let stdout = String::from_utf8_lossy(&output.stdout);
    let id = stdout
        .lines()
        .last()
        .unwrap_or_default()
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_string();
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_digit() || c == '_') {
        return Err(SlurmError::Refused {
            program: "sbatch".to_string(),
            message: format!("it printed no job id (output: '{}')", stdout.trim()),
        });
    }
    Ok(id)
}

/// Queries the states of the given jobs. Jobs that Slurm has purged (finished
/// longer ago than its `MinJobAge`) are absent from the result.
pub fn query(job_ids: &[String]) -> Result<HashMap<String, JobInfo>, SlurmError> {
    if job_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let args = vec![
        "--noheader".to_string(),
        "--states=all".to_string(),
        format!("--jobs={}", job_ids.join(",")),
        "--format=%i|%T|%r".to_string(),
    ];
    let output = run("squeue", &args)?;
    if !output.status.success() {
        // For a single purged job, squeue fails instead of printing nothing.
        if String::from_utf8_lossy(&output.stderr).contains("Invalid job id") {
            return Ok(HashMap::new());
        }
        return Err(refused("squeue", &output));
    }
    Ok(parse_squeue(&String::from_utf8_lossy(&output.stdout)))
}

/// Parses `%i|%T|%r` lines.
fn parse_squeue(text: &str) -> HashMap<String, JobInfo> {
    text.lines()
        .filter_map(|line| {
            let mut fields = line.trim().splitn(3, '|');
            let id = fields.next()?.trim();
            let state = fields.next()?.trim();
            let reason = fields.next().unwrap_or_default().trim();
            if id.is_empty() || state.is_empty() {
                return None;
            }
            Some((
                id.to_string(),
                JobInfo {
                    state: state.to_string(),
                    reason: reason.to_string(),
                },
            ))
        })
        .collect()
}

/// Cancels a job. Cancelling a job that already ended is not an error.
pub fn cancel(job_id: &str) -> Result<(), SlurmError> {
    let output = run("scancel", &[job_id.to_string()])?;
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    if stderr.contains("already completing or completed") || stderr.contains("Invalid job id") {
        return Ok(());
    }
    Err(refused("scancel", &output))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn squeue_output_parses() {
        let jobs = parse_squeue("12|RUNNING|None\n13|PENDING|Resources\n\nbad\n");
        assert_eq!(jobs.len(), 2);
        assert_eq!(jobs["13"].state, "PENDING");
        assert_eq!(jobs["13"].reason, "Resources");
    }
}
