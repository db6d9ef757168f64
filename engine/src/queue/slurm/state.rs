//! Slurm's job states, as `squeue -o %T` prints them, sorted into what the
//! queue needs to know: still waiting, running, or ended and why.

/// The meaning of a Slurm job state for a queued experiment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JobPhase {
    /// Waiting for resources, held, or requeued.
    Pending,
    /// Started (or suspended, or cleaning up).
    Running,
    /// The batch script exited 0.
    Completed,
    /// The batch script exited non-zero.
    Failed,
    /// Someone ran `scancel`.
    Cancelled,
    /// Slurm stopped the job for a reason of its own, given in one sentence.
    Killed(String),
}

impl JobPhase {
    /// The phase of a state name such as `RUNNING` or `CANCELLED+`.
    pub fn of(state: &str) -> JobPhase {
        // `CANCELLED by 0` and `CANCELLED+` are both cancellations.
        let state = state
            .split([' ', '+'])
            .next()
            .unwrap_or_default()
            .to_ascii_uppercase();
        match state.as_str() {
            "PENDING" | "CONFIGURING" | "REQUEUED" | "REQUEUE_HOLD" | "REQUEUE_FED"
            | "RESV_DEL_HOLD" => JobPhase::Pending,
            "COMPLETED" => JobPhase::Completed,
            "FAILED" => JobPhase::Failed,
            "CANCELLED" => JobPhase::Cancelled,
            "TIMEOUT" => JobPhase::Killed("it reached its time limit".to_string()),
            "OUT_OF_MEMORY" => JobPhase::Killed("it ran out of memory".to_string()),
            "NODE_FAIL" => JobPhase::Killed("its node failed".to_string()),
            "BOOT_FAIL" => JobPhase::Killed("its node failed to boot".to_string()),
            "DEADLINE" => JobPhase::Killed("it reached its deadline".to_string()),
            "PREEMPTED" => JobPhase::Killed("a job of higher priority preempted it".to_string()),
            "SPECIAL_EXIT" => {
                JobPhase::Killed("it ended in Slurm's special exit state".to_string())
            }
            "REVOKED" => JobPhase::Killed("another cluster of the federation took it".to_string()),
            // RUNNING, COMPLETING, SUSPENDED, STOPPED, SIGNALING, STAGE_OUT,
            // RESIZING, and states of newer Slurm versions: keep watching.
            _ => JobPhase::Running,
        }
    }

    pub fn is_finished(&self) -> bool {
        !matches!(self, JobPhase::Pending | JobPhase::Running)
    }
}

/// The state words `queue status` prints: pending, running, completed,
/// failed, cancelled, or Slurm's own word in lower case for the rest.
pub fn display_state(state: &str) -> String {
    match JobPhase::of(state) {
        JobPhase::Pending => "pending".to_string(),
        JobPhase::Completed => "completed".to_string(),
        JobPhase::Failed => "failed".to_string(),
        JobPhase::Cancelled => "cancelled".to_string(),
        JobPhase::Running if state.eq_ignore_ascii_case("RUNNING") => "running".to_string(),
        _ => state
            .split([' ', '+'])
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_sort_into_phases() {
        assert_eq!(JobPhase::of("PENDING"), JobPhase::Pending);
        assert_eq!(JobPhase::of("RUNNING"), JobPhase::Running);
        assert_eq!(JobPhase::of("COMPLETING"), JobPhase::Running);
        assert_eq!(JobPhase::of("COMPLETED"), JobPhase::Completed);
        assert_eq!(JobPhase::of("CANCELLED by 0"), JobPhase::Cancelled);
        assert_eq!(JobPhase::of("CANCELLED+"), JobPhase::Cancelled);
        assert_eq!(
            JobPhase::of("TIMEOUT"),
            JobPhase::Killed("it reached its time limit".to_string())
        );
        assert!(JobPhase::of("OUT_OF_MEMORY").is_finished());
        assert!(!JobPhase::of("SUSPENDED").is_finished());
    }

    #[test]
    fn display_uses_plain_words() {
        assert_eq!(display_state("PENDING"), "pending");
        assert_eq!(display_state("RUNNING"), "running");
        assert_eq!(display_state("CANCELLED by 0"), "cancelled");
        assert_eq!(display_state("TIMEOUT"), "timeout");
        assert_eq!(display_state("COMPLETING"), "completing");
    }
}
