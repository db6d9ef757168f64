//! Which stages the run-cache covers, as DVC 3.67 decides it (`_can_hash` in
//! `dvc/stage/cache.py` and `Stage.run` in `dvc/stage/__init__.py`). The facts
//! come from the pipeline model, which fills a [`StageFacts`] per stage.

/// The facts about a stage that decide whether the run-cache covers it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StageFacts {
    pub has_cmd: bool,
    pub always_changed: bool,
    /// Every dependency, params dependencies included.
    pub deps: Vec<DepFacts>,
    pub outs: Vec<OutFacts>,
}

/// One dependency of a stage.
#[derive(Clone, Debug, PartialEq)]
pub struct DepFacts {
    /// The path as written in `dvc.yaml` (`def_path`), empty if there is none.
    pub path: String,
    /// On the local filesystem rather than a remote URL such as `s3://...`.
    pub local: bool,
    /// Its content hash could be computed (it exists and was read).
    pub hashed: bool,
}

/// One output of a stage, metrics and plots included.
#[derive(Clone, Debug, PartialEq)]
pub struct OutFacts {
    /// The path as written in `dvc.yaml`, empty if there is none.
    pub path: String,
    pub local: bool,
    /// Inside the repository (not absolute, not a `remote://` path, not outside
    /// the root).
    pub in_repo: bool,
    pub persist: bool,
    /// `cache: true`, the default.
    pub cache: bool,
    /// Declared under `metrics:` or `plots:`.
    pub metric_or_plot: bool,
}

/// The reason the run-cache does not cover a stage.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Ineligible {
    #[error("the stage has a command but no dependencies or outputs, so it always runs")]
    Callback,
    #[error("the stage is marked always_changed")]
    AlwaysChanged,
    #[error("the stage has no command")]
    NoCmd,
    #[error("the stage has no dependencies (params count as dependencies)")]
    NoDeps,
    #[error("the stage has no outputs")]
    NoOuts,
    #[error("dependency '{0}' is not a local file")]
    RemoteDep(String),
    #[error("dependency '{0}' has no path or could not be hashed")]
    UnhashedDep(String),
    #[error("output '{0}' is not a local path inside the repository")]
    OutOutsideRepo(String),
    #[error("output '{0}' has persist: true")]
    PersistOut(String),
    #[error("the run used --no-commit")]
    NoCommit,
    #[error("output '{0}' has cache: false and is not a metric or plot")]
    UncachedOut(String),
}

/// DVC's `_can_hash`: whether the run-cache can key this stage at all. Both
/// saving and restoring need it.
pub fn can_hash(stage: &StageFacts) -> Result<(), Ineligible> {
    let is_callback = stage.has_cmd && stage.deps.is_empty() && stage.outs.is_empty();
    if is_callback {
        return Err(Ineligible::Callback);
    }
    if stage.always_changed {
        return Err(Ineligible::AlwaysChanged);
    }
    if !stage.has_cmd {
        return Err(Ineligible::NoCmd);
    }
    if stage.deps.is_empty() {
        return Err(Ineligible::NoDeps);
    }
    if stage.outs.is_empty() {
        return Err(Ineligible::NoOuts);
    }
    for dep in &stage.deps {
        if !dep.local {
            return Err(Ineligible::RemoteDep(dep.path.clone()));
        }
        if dep.path.is_empty() || !dep.hashed {
            return Err(Ineligible::UnhashedDep(dep.path.clone()));
        }
    }
    for out in &stage.outs {
        if !out.local || out.path.is_empty() || !out.in_repo {
            return Err(Ineligible::OutOutsideRepo(out.path.clone()));
        }
        if out.persist {
            return Err(Ineligible::PersistOut(out.path.clone()));
        }
    }
    Ok(())
}

/// Tells whether a successful run of the stage is saved to the run-cache. The
/// stage must be hashable and the run must commit. Every output that is not a
/// metric or plot must be cached, while `cache: false` metrics and plots are
/// allowed because DVC copies them into the cache.
pub fn saves_runs(stage: &StageFacts, no_commit: bool) -> Result<(), Ineligible> {
    if no_commit {
        return Err(Ineligible::NoCommit);
    }
    if let Some(out) = stage
        .outs
        .iter()
        .find(|out| !out.cache && !out.metric_or_plot)
    {
        return Err(Ineligible::UncachedOut(out.path.clone()));
    }
    can_hash(stage)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dep(path: &str) -> DepFacts {
        DepFacts {
            path: path.to_string(),
            local: true,
            hashed: true,
        }
    }

    fn out(path: &str) -> OutFacts {
        OutFacts {
            path: path.to_string(),
            local: true,
            in_repo: true,
            persist: false,
            cache: true,
            metric_or_plot: false,
        }
    }

    fn stage() -> StageFacts {
        StageFacts {
            has_cmd: true,
            always_changed: false,
            deps: vec![dep("data.csv")],
            outs: vec![out("model.pkl")],
        }
    }

    #[test]
    fn reasons_follow_dvc_order() {
        assert_eq!(can_hash(&stage()), Ok(()));

        let callback = StageFacts {
            deps: vec![],
            outs: vec![],
            ..stage()
        };
        assert_eq!(can_hash(&callback), Err(Ineligible::Callback));

        let always = StageFacts {
            always_changed: true,
            ..stage()
        };
        assert_eq!(can_hash(&always), Err(Ineligible::AlwaysChanged));

        let no_deps = StageFacts {
            deps: vec![],
            ..stage()
        };
        assert_eq!(can_hash(&no_deps), Err(Ineligible::NoDeps));

        let no_outs = StageFacts {
            outs: vec![],
            ..stage()
        };
        assert_eq!(can_hash(&no_outs), Err(Ineligible::NoOuts));

        let remote = StageFacts {
            deps: vec![DepFacts {
                local: false,
                ..dep("s3://bucket/data.csv")
            }],
            ..stage()
        };
        assert!(matches!(can_hash(&remote), Err(Ineligible::RemoteDep(_))));

        let persist = StageFacts {
            outs: vec![OutFacts {
                persist: true,
                ..out("model.pkl")
            }],
            ..stage()
        };
        assert!(matches!(can_hash(&persist), Err(Ineligible::PersistOut(_))));
    }

    #[test]
    fn uncached_outputs_stop_saving_unless_metrics() {
        let uncached = |metric_or_plot| StageFacts {
            outs: vec![
                out("model.pkl"),
                OutFacts {
                    cache: false,
                    metric_or_plot,
                    ..out("metrics.json")
                },
            ],
            ..stage()
        };
        assert_eq!(saves_runs(&uncached(true), false), Ok(()));
        assert!(matches!(
            saves_runs(&uncached(false), false),
            Err(Ineligible::UncachedOut(_))
        ));
        assert_eq!(saves_runs(&stage(), true), Err(Ineligible::NoCommit));
    }
}
