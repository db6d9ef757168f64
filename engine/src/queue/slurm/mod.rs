//! Running queued experiments as Slurm batch jobs: the `sbatch` options and
//! where they come from (`options`), Slurm's job states (`state`), the Slurm
//! commands (`commands`) and the executor that ties them to the queue
//! (`executor`). `docs/cluster.md` describes what the cluster must provide.

pub mod commands;
pub mod executor;
pub mod options;
pub mod state;

pub use commands::{JobInfo, SlurmError};
pub use executor::{batch_script, live_states, SlurmExecutor};
pub use options::{OptionError, SlurmOptions};
pub use state::{display_state, JobPhase};
