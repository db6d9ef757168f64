//! The order stages run in: the targets and everything upstream of them (or,
//! with `--downstream`, everything that depends on them), in DVC's depth-first
//! post-order so that upstream stages come first.

use crate::dag::{Dag, StageIndex};
use crate::pipeline::Stage;

/// Which stages around the targets to include.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Scope {
    /// The targets and all their upstream stages (the default).
    #[default]
    WithUpstream,
    /// Only the targets (`-s/--single-item`).
    Single,
    /// The targets and every stage downstream of them (`--downstream`).
    Downstream,
}

/// Orders the stages to visit. Frozen stages keep their place but their edges
/// to upstream stages are cut, as in DVC, so what feeds only a frozen stage is
/// not visited.
pub fn plan(stages: &[&Stage], dag: &Dag, targets: &[StageIndex], scope: Scope) -> Vec<StageIndex> {
    match scope {
        Scope::Single => targets.to_vec(),
        Scope::WithUpstream => {
            let mut cut = dag.clone();
            for (index, stage) in stages.iter().enumerate() {
                if stage.frozen {
                    cut.upstream[index].clear();
                }
            }
            cut.post_order(targets, false)
        }
        Scope::Downstream => {
            let mut order = Vec::new();
            for &target in targets {
                for index in dag.post_order(&[target], true) {
                    if !order.contains(&index) {
                        order.push(index);
                    }
                }
            }
            // Keep upstream-first order across several targets.
            let rank = dag.topological_order();
            order.sort_by_key(|index| {
                rank.iter()
                    .position(|other| other == index)
                    .unwrap_or(usize::MAX)
            });
            order
        }
    }
}
