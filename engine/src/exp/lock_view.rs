//! A read-only view of the hashes a `dvc.lock` records for each stage's deps
//! and outs: what `exp show` reports as `deps` and `outs` columns. Only the
//! fields experiments need are read; the full lock model lives in `lock`.

use std::collections::HashMap;

use crate::formats::yaml;
use crate::node::{Node, Value};

/// The recorded state of one dep or out.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LockedPath {
    /// The hash value (`md5` in DVC 3 lock files; `.dir` for directories).
    pub hash: Option<String>,
    pub size: Option<i64>,
    pub nfiles: Option<i64>,
}

/// The lock entries of one `dvc.lock`: stage name → path as written → state.
#[derive(Clone, Debug, Default)]
pub struct LockView {
    pub deps: HashMap<String, HashMap<String, LockedPath>>,
    pub outs: HashMap<String, HashMap<String, LockedPath>>,
}

impl LockView {
    /// Parses lock text; anything unreadable is left out, as DVC treats a stage
    /// without a lock entry as never run.
    pub fn parse(text: &str) -> LockView {
        let mut view = LockView::default();
        let Some(root) = yaml::parse(text).root else {
            return view;
        };
        let Some(stages) = root.get("stages").and_then(Node::as_map) else {
            return view;
        };
        for (name, entry) in stages {
            for (section, target) in [("deps", &mut view.deps), ("outs", &mut view.outs)] {
                let items = entry
                    .value
                    .get(section)
                    .and_then(Node::as_list)
                    .unwrap_or_default();
                let recorded = target.entry(name.clone()).or_default();
                for item in items {
                    let Some(path) = item.get("path").and_then(Node::as_str) else {
                        continue;
                    };
                    recorded.insert(path.to_string(), locked_path(item));
                }
            }
        }
        view
    }

    pub fn dep(&self, stage: &str, path: &str) -> Option<&LockedPath> {
        self.deps.get(stage)?.get(path)
    }

    pub fn out(&self, stage: &str, path: &str) -> Option<&LockedPath> {
        self.outs.get(stage)?.get(path)
    }
}

fn locked_path(item: &Node) -> LockedPath {
    // DVC 3 writes `hash: md5` beside `md5: <value>`; DVC 2 wrote only `md5`.
    let algorithm = item.get("hash").and_then(Node::as_str).unwrap_or("md5");
    let hash = item
        .get(algorithm)
        .or_else(|| item.get("md5"))
        .and_then(Node::as_str)
        .map(str::to_string);
    let number = |key: &str| match item.get(key).map(|node| &node.value) {
        Some(Value::Int(number)) => Some(*number),
        _ => None,
    };
    LockedPath {
        hash,
        size: number("size"),
        nfiles: number("nfiles"),
    }
}
