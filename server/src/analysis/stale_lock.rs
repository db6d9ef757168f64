//! Hints on `dvc.lock` entries that no longer match `dvc.yaml`: a stage that
//! is gone, or one whose command changed since it last ran. Both are read
//! from the texts alone, so they cost nothing per edit; changes that need
//! hashing (dependencies, outputs) show in the stage hover instead.

use retort_engine::diagnostic::{Diagnostic, Severity};
use retort_engine::files::FileSource;
use retort_engine::lock::{self, LOCK_FILE_NAME};
use retort_engine::pipeline::PipelineFile;
use retort_engine::repro::state::lock_cmd;

/// A stable code for these hints.
pub const STALE_LOCK: &str = "lock-stale";

/// Returns the hints for the `dvc.lock` next to `file`.
pub fn stale_lock_entries(file: &PipelineFile, source: &dyn FileSource) -> Vec<Diagnostic> {
    let lock_path = if file.dir.is_empty() {
        LOCK_FILE_NAME.to_string()
    } else {
        format!("{}/{LOCK_FILE_NAME}", file.dir)
    };
    let Ok(text) = source.read(&lock_path) else {
        return Vec::new();
    };
    let parsed = lock::parse(&text, &lock_path);
    let Some(stages) = parsed.root.as_ref().and_then(|root| root.get("stages")) else {
        return Vec::new();
    };
    let Some(entries) = stages.as_map() else {
        return Vec::new();
    };
    let mut hints = Vec::new();
    for (name, entry) in entries {
        let message = match file.stages.iter().find(|stage| &stage.name == name) {
            None => format!(
                "the entry '{name}' names no stage of {}; remove the entry, or restore the stage",
                file.path
            ),
            Some(stage) => match parsed.lock.stages.get(name) {
                Some(recorded) if recorded.cmd != lock_cmd(&stage.cmd) => format!(
                    "the command of '{name}' changed since it last ran; run `retort repro {name}` to update this entry"
                ),
                _ => continue,
            },
        };
        hints.push(Diagnostic::new(
            lock_path.clone(),
            entry.key_span,
            Severity::Hint,
            STALE_LOCK,
            message,
        ));
    }
    hints
}
