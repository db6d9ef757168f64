//! The git refs DVC keeps experiments under: `refs/exps/<sha[:2]>/<sha[2:]>/<name>`
//! for each experiment, plus a few special refs (stashes, the executor's refs,
//! temporary refs) that listing commands skip.

use std::fmt;

pub const EXPS_NAMESPACE: &str = "refs/exps";
pub const EXPS_STASH: &str = "refs/exps/stash";
pub const APPLY_NAMESPACE: &str = "refs/exps/apply";
pub const APPLY_HEAD: &str = "refs/exps/apply/ORIG_HEAD";
pub const APPLY_STASH: &str = "refs/exps/apply/stash";
pub const CELERY_NAMESPACE: &str = "refs/exps/celery";
pub const CELERY_STASH: &str = "refs/exps/celery/stash";
pub const CELERY_FAILED_STASH: &str = "refs/exps/celery/failed";
pub const EXEC_NAMESPACE: &str = "refs/exps/exec";
pub const EXEC_APPLY: &str = "refs/exps/exec/EXEC_APPLY";
pub const EXEC_BRANCH: &str = "refs/exps/exec/EXEC_BRANCH";
pub const EXEC_BASELINE: &str = "refs/exps/exec/EXEC_BASELINE";
pub const EXEC_HEAD: &str = "refs/exps/exec/EXEC_HEAD";
pub const EXEC_MERGE: &str = "refs/exps/exec/EXEC_MERGE";
pub const TEMP_NAMESPACE: &str = "refs/exps/temp";

/// Namespaces whose refs are not experiments.
const SKIPPED_NAMESPACES: [&str; 4] = [
    APPLY_NAMESPACE,
    CELERY_NAMESPACE,
    EXEC_NAMESPACE,
    TEMP_NAMESPACE,
];

/// Whether listing commands skip this ref: the stashes and everything in the
/// apply, celery, exec and temp namespaces. DVC compares plain prefixes here.
pub fn is_skipped(ref_name: &str) -> bool {
    SKIPPED_NAMESPACES
        .iter()
        .any(|namespace| ref_name.starts_with(namespace))
        || ref_name == EXPS_STASH
        || ref_name == CELERY_STASH
}

/// An experiment ref: the baseline commit and the experiment name.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ExpRef {
    pub baseline: String,
    pub name: String,
}

impl ExpRef {
    pub fn new(baseline: impl Into<String>, name: impl Into<String>) -> ExpRef {
        ExpRef {
            baseline: baseline.into(),
            name: name.into(),
        }
    }

    /// Parses `refs/exps/xx/yyyy.../name`. Like DVC it needs 4 or 5 `/`-separated
    /// parts; a ref with 4 parts names a baseline with no experiment name.
    pub fn parse(ref_name: &str) -> Option<ExpRef> {
        let parts: Vec<&str> = ref_name.split('/').collect();
        if !(4..=5).contains(&parts.len()) || parts[0] != "refs" || parts[1] != "exps" {
            return None;
        }
        Some(ExpRef {
            baseline: format!("{}{}", parts[2], parts[3]),
            name: parts
                .get(4)
                .map(|name| name.to_string())
                .unwrap_or_default(),
        })
    }

    /// The ref prefix under which all experiments of a baseline live, with a
    /// trailing `/`.
    pub fn baseline_prefix(baseline: &str) -> String {
        let split = baseline.len().min(2);
        format!(
            "{EXPS_NAMESPACE}/{}/{}/",
            &baseline[..split],
            &baseline[split..]
        )
    }
}

impl fmt::Display for ExpRef {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let split = self.baseline.len().min(2);
        write!(
            formatter,
            "{EXPS_NAMESPACE}/{}/{}",
            &self.baseline[..split],
            &self.baseline[split..]
        )?;
        if !self.name.is_empty() {
            write!(formatter, "/{}", self.name)?;
        }
        Ok(())
    }
}

/// Why an experiment name cannot be used in a ref.
pub fn name_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        return Some("it is empty");
    }
    if name.contains('/') {
        return Some("it contains '/'");
    }
    if name.starts_with('.') {
        return Some("it starts with '.'");
    }
    if name.ends_with('.') {
        return Some("it ends with '.'");
    }
    if name.ends_with(".lock") {
        return Some("it ends with '.lock'");
    }
    if name.contains("..") {
        return Some("it contains '..'");
    }
    if name.contains("@{") {
        return Some("it contains '@{'");
    }
    if name == "@" {
        return Some("it is '@'");
    }
    if name.chars().any(|ch| (ch as u32) < 0x20 || ch == '\u{7f}') {
        return Some("it contains a control character");
    }
    if let Some(bad) = name.chars().find(|ch| " ~^:?*[\\".contains(*ch)) {
        return Some(match bad {
            ' ' => "it contains a space",
            '~' => "it contains '~'",
            '^' => "it contains '^'",
            ':' => "it contains ':'",
            '?' => "it contains '?'",
            '*' => "it contains '*'",
            '[' => "it contains '['",
            _ => "it contains '\\'",
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refs_round_trip_and_special_refs_are_skipped() {
        let text = "refs/exps/85/c62388159314927193a00ad9ec6308b83e61ce/lr05";
        let parsed = ExpRef::parse(text).unwrap();
        assert_eq!(parsed.baseline, "85c62388159314927193a00ad9ec6308b83e61ce");
        assert_eq!(parsed.name, "lr05");
        assert_eq!(parsed.to_string(), text);
        assert!(ExpRef::parse("refs/exps/stash").is_none());
        assert!(ExpRef::parse("refs/heads/main").is_none());
        assert!(is_skipped("refs/exps/celery/stash"));
        assert!(is_skipped("refs/exps/exec/EXEC_BRANCH"));
        assert!(is_skipped("refs/exps/apply/ORIG_HEAD"));
        assert!(is_skipped(EXPS_STASH));
        assert!(!is_skipped(text));
    }

    #[test]
    fn names_follow_check_ref_format_without_slashes() {
        for good in ["lr05", "young-choc", "a.b", "exp_1"] {
            assert_eq!(name_problem(good), None, "{good}");
        }
        for bad in [
            "a/b", "a b", "a..b", ".a", "a.lock", "a:b", "a~1", "a^", "a?", "a*", "a[", "@",
            "x@{1}", "",
        ] {
            assert!(name_problem(bad).is_some(), "{bad}");
        }
    }
}
