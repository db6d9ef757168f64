//! The stage graph: a stage depends on another when one of its dependency paths
//! (data or params file) equals, contains or lies inside one of the other's
//! output paths, as in DVC.

use std::collections::HashMap;

use crate::paths;
use crate::pipeline::Stage;
use crate::project::Project;

/// Identifies a stage by its position in [`Project::stages`] order.
pub type StageIndex = usize;

/// An output path and the stage that writes it.
#[derive(Clone, Debug)]
pub struct OutputOwner {
    pub path: String,
    pub stage: StageIndex,
    /// Position of the output in the stage's [`Stage::all_outs`].
    pub out: usize,
}

/// The dependency graph of every stage in a project.
#[derive(Clone, Debug, Default)]
pub struct Dag {
    /// `upstream[s]` lists the stages whose outputs stage `s` reads, each once,
    /// in the order first found.
    pub upstream: Vec<Vec<StageIndex>>,
    /// `downstream[s]` lists the stages that read an output of stage `s`.
    pub downstream: Vec<Vec<StageIndex>>,
    /// Every output path, sorted by path, for prefix queries.
    outputs: Vec<OutputOwner>,
    by_path: HashMap<String, Vec<usize>>,
}

impl Dag {
    pub fn build(project: &Project) -> Dag {
        let stages: Vec<&Stage> = project.stages().collect();
        Dag::from_stages(&stages)
    }

    pub fn from_stages(stages: &[&Stage]) -> Dag {
        let mut outputs = Vec::new();
        for (index, stage) in stages.iter().enumerate() {
            for (out_index, out) in stage.all_outs().enumerate() {
                if let Some(path) = stage.resolve_path(&out.path) {
                    outputs.push(OutputOwner {
                        path,
                        stage: index,
                        out: out_index,
                    });
                }
            }
        }
        outputs.sort_by(|a, b| a.path.cmp(&b.path));
        let mut by_path: HashMap<String, Vec<usize>> = HashMap::new();
        for (position, owner) in outputs.iter().enumerate() {
            by_path
                .entry(owner.path.clone())
                .or_default()
                .push(position);
        }
        let mut dag = Dag {
            upstream: vec![Vec::new(); stages.len()],
            downstream: vec![Vec::new(); stages.len()],
            outputs,
            by_path,
        };
        for (index, stage) in stages.iter().enumerate() {
            for path in dependency_paths(stage) {
                for owner in dag.owners_overlapping(&path) {
                    let upstream = dag.outputs[owner].stage;
                    if !dag.upstream[index].contains(&upstream) {
                        dag.upstream[index].push(upstream);
                    }
                }
            }
        }
        for index in 0..stages.len() {
            for upstream in dag.upstream[index].clone() {
                if !dag.downstream[upstream].contains(&index) {
                    dag.downstream[upstream].push(index);
                }
            }
        }
        dag
    }

    pub fn outputs(&self) -> &[OutputOwner] {
        &self.outputs
    }

    /// Positions in [`Dag::outputs`] of the outputs that equal, contain or lie
    /// inside `path`.
    pub fn owners_overlapping(&self, path: &str) -> Vec<usize> {
        let mut found = Vec::new();
        // Outputs that are `path` or one of its ancestors.
        let mut ancestor = path;
        loop {
            if let Some(positions) = self.by_path.get(ancestor) {
                found.extend(positions.iter().copied());
            }
            if ancestor.is_empty() {
                break;
            }
            ancestor = paths::parent(ancestor);
        }
        // Outputs inside `path`: they sort right after `path/`.
        let prefix = format!("{path}/");
        let start = self
            .outputs
            .partition_point(|owner| owner.path.as_str() < prefix.as_str());
        for (position, owner) in self.outputs.iter().enumerate().skip(start) {
            if !owner.path.starts_with(&prefix) {
                break;
            }
            found.push(position);
        }
        found
    }

    /// The stages that write `path` or a directory containing it.
    pub fn producers_of(&self, path: &str) -> Vec<StageIndex> {
        let mut stages: Vec<StageIndex> = self
            .owners_overlapping(path)
            .into_iter()
            .map(|position| self.outputs[position].stage)
            .collect();
        stages.dedup();
        stages
    }

    /// Stages in an order where every stage comes after the stages it depends
    /// on: DVC's depth-first post-order from each stage in definition order.
    /// Stages in cycles are left out; [`Dag::cycles`] reports them.
    pub fn topological_order(&self) -> Vec<StageIndex> {
        let roots: Vec<StageIndex> = (0..self.upstream.len()).collect();
        self.post_order(&roots, false)
    }

    /// Depth-first post-order over upstream edges (or downstream edges when
    /// `downstream` is set), starting at `roots` in order, each stage once.
    pub fn post_order(&self, roots: &[StageIndex], downstream: bool) -> Vec<StageIndex> {
        let edges = if downstream {
            &self.downstream
        } else {
            &self.upstream
        };
        let mut state = vec![0u8; edges.len()];
        let mut order = Vec::new();
        for &root in roots {
            if state[root] != 0 {
                continue;
            }
            // An explicit stack of (stage, next edge to follow) avoids deep
            // recursion on long pipelines.
            let mut stack = vec![(root, 0usize)];
            state[root] = 1;
            while let Some((stage, next)) = stack.last_mut() {
                let stage = *stage;
                if let Some(&neighbour) = edges[stage].get(*next) {
                    *next += 1;
                    if state[neighbour] == 0 {
                        state[neighbour] = 1;
                        stack.push((neighbour, 0));
                    }
                } else {
                    stack.pop();
                    state[stage] = 2;
                    order.push(stage);
                }
            }
        }
        if downstream {
            order.reverse();
        }
        order
    }

    /// Groups of stages that depend on each other in a cycle, each in a stable
    /// order, with self-loops (a stage reading its own output) included.
    pub fn cycles(&self) -> Vec<Vec<StageIndex>> {
        strongly_connected(&self.upstream)
            .into_iter()
            .filter(|component| {
                component.len() > 1 || self.upstream[component[0]].contains(&component[0])
            })
            .collect()
    }
}

/// The project-relative paths a stage reads: its data dependencies and its
/// params files.
pub fn dependency_paths(stage: &Stage) -> Vec<String> {
    let mut paths: Vec<String> = stage
        .deps
        .iter()
        .filter(|dep| !dep.path.contains("://"))
        .filter_map(|dep| stage.resolve_path(&dep.path))
        .collect();
    for params in &stage.params {
        if let Some(path) = stage.params_file_path(params) {
            if !paths.contains(&path) {
                paths.push(path);
            }
        }
    }
    paths
}

/// Tarjan's algorithm, iterative. Components come out with their members sorted.
fn strongly_connected(edges: &[Vec<usize>]) -> Vec<Vec<usize>> {
    let count = edges.len();
    let mut index_of = vec![usize::MAX; count];
    let mut low = vec![0usize; count];
    let mut on_stack = vec![false; count];
    let mut stack = Vec::new();
    let mut components = Vec::new();
    let mut next_index = 0;

    for start in 0..count {
        if index_of[start] != usize::MAX {
            continue;
        }
        let mut work = vec![(start, 0usize)];
        index_of[start] = next_index;
        low[start] = next_index;
        next_index += 1;
        stack.push(start);
        on_stack[start] = true;

        while let Some(&mut (node, ref mut edge)) = work.last_mut() {
            if let Some(&next) = edges[node].get(*edge) {
                *edge += 1;
                if index_of[next] == usize::MAX {
                    index_of[next] = next_index;
                    low[next] = next_index;
                    next_index += 1;
                    stack.push(next);
                    on_stack[next] = true;
                    work.push((next, 0));
                } else if on_stack[next] {
                    low[node] = low[node].min(index_of[next]);
                }
                continue;
            }
            work.pop();
            if let Some(&(parent, _)) = work.last() {
                low[parent] = low[parent].min(low[node]);
            }
            if low[node] == index_of[node] {
                let mut component = Vec::new();
                while let Some(member) = stack.pop() {
                    on_stack[member] = false;
                    component.push(member);
                    if member == node {
                        break;
                    }
                }
                component.sort_unstable();
                components.push(component);
            }
        }
    }
    components
}
