//! The run-cache: a record of every successful stage run, keyed by what went
//! into it, so that a rerun with the same command, dependencies and params can
//! restore the outputs instead of running. This module is the format side, as
//! DVC 3.67 defines it in `dvc/stage/cache.py`: the key and value hashes, the
//! entry files under `.dvc/cache/runs/<key[:2]>/<key>/<value>`, and which stages
//! qualify. It also computes the experiment hash that names `dvc exp run`
//! commits, which hashes the same lock entries. [`catalog`] and [`restore`]
//! read past runs back, restore one, and drop entries that cannot be restored.

pub mod catalog;
mod eligibility;
mod error;
mod hash;
pub mod restore;
mod store;

pub use catalog::{load_catalog, Catalog, CatalogError, RunRecord};
pub use eligibility::{can_hash, saves_runs, DepFacts, Ineligible, OutFacts, StageFacts};
pub use error::RunCacheError;
pub use hash::{exp_hash, run_cache_key, run_cache_value};
pub use restore::{checkout_run, gc, CheckoutReport, GcReport, RestoreError};
pub use store::{
    entry_dir, entry_path, entry_yaml, list_entries, load_newest, read_entry, write_entry, RUNS_DIR,
};
