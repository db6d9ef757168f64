//! The hashes over lock entries: run-cache keys and values (`_get_cache_hash`)
//! and experiment hashes (`BaseExecutor.hash_exp`). Each is the SHA-256 of
//! Python's `json.dumps(data, sort_keys=True)` of the entry as DVC serializes it.

use indexmap::IndexMap;
use sha2::{Digest, Sha256};

use crate::lock::LockStage;
use crate::node::{Entry, Node, Value};
use crate::pyfmt::json_dumps_sorted_value;

/// Keys that run-cache hashes leave out at every depth, params values included,
/// so that only content hashes decide a match.
const META_KEYS: [&str; 2] = ["size", "nfiles"];

/// Computes the run-cache value of a stage run: the hash of its whole entry
/// without `size` and `nfiles`. It names the entry file.
pub fn run_cache_value(stage: &LockStage) -> String {
    sha256_of(&without_meta(&stage.to_value()))
}

/// Computes the run-cache key of a stage: like the value, but with `outs`
/// replaced by the list of output paths, because the key is computed before the
/// outputs exist. Entries with the same key are runs of the same command on the
/// same inputs.
pub fn run_cache_key(stage: &LockStage) -> String {
    let mut entry = without_meta(&stage.to_value());
    if let Value::Map(map) = &mut entry {
        let paths: Vec<Node> = stage_out_paths(map)
            .into_iter()
            .map(|path| Node::synthetic(Value::Str(path)))
            .collect();
        let outs = Entry {
            key_span: Default::default(),
            value: Node::synthetic(Value::List(paths)),
        };
        // DVC sets the key even when there are no outs; the position does not
        // matter, because keys are sorted before hashing.
        map.insert("outs".to_string(), outs);
    }
    sha256_of(&entry)
}

/// Computes the experiment hash that `dvc exp run` puts in its commit message:
/// the hash of the entries of the stages that ran, keyed by stage name, with
/// sizes included. With no stages it is the hash of `{}`.
///
/// Build the entries from the runs, as the run-cache has them, not from a
/// re-read `dvc.lock`: DVC's round trip may have rewritten floats there.
pub fn exp_hash(stages: &IndexMap<String, LockStage>) -> String {
    let entries = stages
        .iter()
        .map(|(name, stage)| {
            let entry = Entry {
                key_span: Default::default(),
                value: Node::synthetic(stage.to_value()),
            };
            (name.clone(), entry)
        })
        .collect();
    sha256_of(&Value::Map(entries))
}

fn stage_out_paths(entry: &crate::node::Map) -> Vec<String> {
    entry
        .get("outs")
        .and_then(|outs| outs.value.as_list())
        .unwrap_or_default()
        .iter()
        .filter_map(|out| out.get("path").and_then(Node::as_str))
        .map(str::to_string)
        .collect()
}

/// DVC's `dict_filter` with `size` and `nfiles`: drops those keys from every
/// mapping, including mappings inside lists.
fn without_meta(value: &Value) -> Value {
    match value {
        Value::Map(map) => Value::Map(
            map.iter()
                .filter(|(key, _)| !META_KEYS.contains(&key.as_str()))
                .map(|(key, entry)| {
                    let entry = Entry {
                        key_span: entry.key_span,
                        value: Node::new(without_meta(&entry.value.value), entry.value.span),
                    };
                    (key.clone(), entry)
                })
                .collect(),
        ),
        Value::List(items) => Value::List(
            items
                .iter()
                .map(|item| Node::new(without_meta(&item.value), item.span))
                .collect(),
        ),
        scalar => scalar.clone(),
    }
}

fn sha256_of(value: &Value) -> String {
    let json = json_dumps_sorted_value(value);
    let digest = Sha256::digest(json.as_bytes());
    digest.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lock::parse;

    /// The `prepare` stage of the lock file example in DVC's format notes. The
    /// expected hashes are what DVC's `_get_cache_hash` returns for it.
    const PREPARE: &str = "\
schema: '2.0'
stages:
  prepare:
    cmd: python src/prepare.py
    deps:
    - path: data/raw.csv
      hash: md5
      md5: c3c6bc2ae8ece4bd2510dca21225c041
      size: 12
    - path: src/prepare.py
      hash: md5
      md5: f2d22c1090cb98c2aa0729e44b9c313b
      size: 246
    params:
      params.yaml:
        prepare:
          split: 0.2
          seed: 42
    outs:
    - path: data/prepared
      hash: md5
      md5: a8a1cd04f672fbab8f4735e3d1912703.dir
      size: 11
      nfiles: 2
";

    #[test]
    fn key_and_value_of_documented_example() {
        let lock = parse(PREPARE, "dvc.lock").lock;
        let stage = &lock.stages["prepare"];
        assert_eq!(
            run_cache_key(stage),
            "7e8f70bcc369d457bb36effde46e953e1dfb92b4145daa5a0072a1a50ab69841"
        );
        assert_eq!(
            run_cache_value(stage),
            "6dc7f24536dd3863716990b0b4bfb759a633522e26ff06ca40bc59a2e3fe5aab"
        );
    }

    #[test]
    fn exp_hash_of_no_stages() {
        assert_eq!(
            exp_hash(&IndexMap::new()),
            "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
        );
    }

    #[test]
    fn size_keys_are_dropped_inside_params_too() {
        let with_size = PREPARE.replace("seed: 42", "seed: 42\n          size: 7");
        let plain = parse(PREPARE, "dvc.lock").lock;
        let sized = parse(&with_size, "dvc.lock").lock;
        assert_eq!(
            run_cache_value(&plain.stages["prepare"]),
            run_cache_value(&sized.stages["prepare"])
        );
        assert_ne!(exp_hash(&plain.stages), exp_hash(&sized.stages));
    }
}
