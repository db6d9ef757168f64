//! Plot data for `retort/plots`: the output of `retort plots diff --json`
//! for the requested revisions.

use std::path::Path;

use retort_engine::plots::output::to_json;
use retort_engine::plots::show::templates_dir;
use retort_engine::plots::{collect_plots, prepare, PlotsOptions};
use serde_json::Value as Json;

use crate::analysis::World;

/// Plot data for a set of revisions (`workspace`, commits, branches, tags),
/// in the shape of `dvc plots diff --json`. Image plots are written under
/// `.dvc/tmp/lsp-plots` and referred to by path. `None` when the revisions
/// cannot be read; the reason is logged.
pub fn plots_data(world: &World, revisions: &[String]) -> Option<Json> {
    let root = &world.root;
    let result = match collect_plots(root, revisions, &PlotsOptions::default()) {
        Ok(result) => result,
        Err(error) => {
            tracing::warn!(%error, "unable to collect plots");
            return None;
        }
    };
    let templates = templates_dir(root);
    let (prepared, issues) = prepare(&result, templates.as_deref(), &root.root);
    let image_dir = root.dvc_dir().join("tmp").join("lsp-plots");
    let mut write_image = |path: &Path, bytes: &[u8]| {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        retort_engine::fsutil::atomic_write(path, bytes)
            .map_err(|error| std::io::Error::other(error.to_string()))
    };
    let json = match to_json(&prepared, &issues, &image_dir, &mut write_image) {
        Ok(json) => json,
        Err(error) => {
            tracing::warn!(%error, "unable to write plot images");
            return None;
        }
    };
    serde_json::from_str(&json.to_compact()).ok()
}
