//! Collecting the plot definitions of one revision as DVC does: top-level
//! `plots:` entries of every `dvc.yaml` (path-keyed and named), stage-level plot
//! outputs, and files named on the command line. Directory ids expand to every
//! file inside; named definitions keep their name and point at the files their
//! `y` (and `x`) maps name.

use indexmap::IndexMap;
use regex::Regex;

use crate::files::FileKind;
use crate::paths;
use crate::pipeline::{PipelineFile, TopPlot};

use super::files::PlotFiles;
use super::props::{Axis, PlotProps};

/// The definitions of one revision: config file (the `dvc.yaml` path, or `""`
/// for stage-level plot outputs and command-line targets), then plot id, then
/// properties. Both levels keep DVC's order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Definitions {
    pub configs: IndexMap<String, IndexMap<String, PlotProps>>,
}

impl Definitions {
    fn merge(&mut self, config: &str, id: String, props: PlotProps) {
        let plots = self.configs.entry(config.to_string()).or_default();
        match plots.get_mut(&id) {
            Some(existing) => *existing = existing.overlay(&props),
            None => {
                plots.insert(id, props);
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.configs.values().all(IndexMap::is_empty)
    }

    /// Every data file the definitions read, in order and without repeats.
    pub fn data_sources(&self) -> Vec<String> {
        let mut found: Vec<String> = Vec::new();
        for plots in self.configs.values() {
            for (id, props) in plots {
                for source in data_sources(id, props) {
                    if !found.contains(&source) {
                        found.push(source);
                    }
                }
            }
        }
        found
    }
}

/// The files one definition reads: the keys of a `y` map (and the first key of
/// an `x` map), or the id itself for a path-keyed definition.
pub fn data_sources(id: &str, props: &PlotProps) -> Vec<String> {
    let mut sources: Vec<String> = match &props.y {
        Some(Axis::Files(files)) => files.keys().cloned().collect(),
        _ => vec![id.to_string()],
    };
    if let Some(Axis::Files(files)) = &props.x {
        if let Some(first) = files.keys().next() {
            sources.push(first.clone());
        }
    }
    let mut distinct = Vec::new();
    for source in sources {
        if !distinct.contains(&source) {
            distinct.push(source);
        }
    }
    distinct
}

/// `config::id`, or the bare id when there is no config file.
pub fn full_id(config: &str, id: &str) -> String {
    if config.is_empty() {
        id.to_string()
    } else {
        format!("{config}::{id}")
    }
}

/// Plot targets from the command line. Like DVC, each is a regular expression
/// matched at the start of a plot id or of `dvc.yaml::id`.
#[derive(Clone, Debug, Default)]
pub struct Targets {
    targets: Vec<(String, Option<Regex>)>,
}

impl Targets {
    pub fn new(targets: &[String]) -> Targets {
        Targets {
            targets: targets
                .iter()
                .map(|target| (target.clone(), Regex::new(&format!("^(?:{target})")).ok()))
                .collect(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.targets.is_empty()
    }

    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.targets.iter().map(|(target, _)| target.as_str())
    }

    pub fn matches(&self, config: &str, id: &str) -> bool {
        if self.targets.is_empty() {
            return true;
        }
        let full = full_id(config, id);
        self.targets.iter().any(|(target, regex)| match regex {
            Some(regex) => regex.is_match(id) || regex.is_match(&full),
            // Not a valid pattern: match it as plain text.
            None => id.starts_with(target.as_str()) || full.starts_with(target.as_str()),
        })
    }
}

/// Collects the definitions of one revision.
pub fn collect_definitions(
    pipelines: &[PipelineFile],
    files: &dyn PlotFiles,
    targets: &Targets,
    cli_props: &PlotProps,
) -> Definitions {
    let mut definitions = Definitions::default();
    // DVC's "nothing collected yet" test: a pipeline file with top-level plots,
    // or a matching stage-level plot, counts as something.
    let mut collected_any = false;

    for pipeline in pipelines {
        if pipeline.top.plots.is_empty() {
            continue;
        }
        collected_any = true;
        definitions
            .configs
            .entry(pipeline.path.clone())
            .or_default();
        resolve_top_level(pipeline, files, targets, cli_props, &mut definitions);
    }

    for pipeline in pipelines {
        for stage in &pipeline.stages {
            for out in &stage.plots {
                let Some(path) = stage.resolve_path(&out.path) else {
                    continue;
                };
                if !targets.matches(&stage.dvcfile, &path) {
                    continue;
                }
                collected_any = true;
                let props = PlotProps::from_map(
                    out.plot_props
                        .iter()
                        .map(|(key, value)| (key.as_str(), value)),
                )
                .overlay(cli_props);
                for file in unpack_if_dir(files, &path) {
                    definitions.merge("", file, props.clone());
                }
            }
        }
    }

    for target in targets.paths() {
        let Some(target) = paths::normalize(target) else {
            continue;
        };
        if !collected_any || files.kind(&target).is_some() {
            for file in unpack_if_dir(files, &target) {
                definitions.merge("", file, cli_props.clone());
            }
        }
    }
    definitions
}

fn resolve_top_level(
    pipeline: &PipelineFile,
    files: &dyn PlotFiles,
    targets: &Targets,
    cli_props: &PlotProps,
    definitions: &mut Definitions,
) {
    let config = pipeline.path.as_str();
    let config_dir = paths::parent(config);
    // Later entries with the same id replace earlier ones, as in a Python dict.
    let mut entries: IndexMap<String, PlotProps> = IndexMap::new();
    for plot in &pipeline.top.plots {
        let (id, props) = match plot {
            TopPlot::Path(entry) => (entry.path.clone(), PlotProps::default()),
            TopPlot::Definition { id, definition, .. } => {
                (id.clone(), PlotProps::from_node(definition.as_ref()))
            }
        };
        entries.insert(id, props);
    }
    let parents: Vec<String> = entries
        .keys()
        .filter_map(|id| paths::join_normalized(config_dir, id))
        .collect();

    for (id, props) in &entries {
        if !targets.matches(config, id) {
            continue;
        }
        if props.id_is_path() {
            let Some(data_path) = paths::join_normalized(config_dir, id) else {
                continue;
            };
            let merged = props.overlay(cli_props);
            for file in unpack_if_dir(files, &data_path) {
                // A file inside several plotted directories belongs to the most
                // specific definition.
                if closest_parent(&file, &parents) == data_path {
                    definitions.merge(config, file, merged.clone());
                }
            }
        } else {
            let adjusted = adjust_sources(props, config_dir);
            definitions.merge(config, id.clone(), adjusted.overlay(cli_props));
        }
    }
}

/// Makes the file keys of `x` and `y` maps project-relative.
fn adjust_sources(props: &PlotProps, config_dir: &str) -> PlotProps {
    let reroot = |axis: &Option<Axis>| -> Option<Axis> {
        match axis {
            Some(Axis::Files(map)) => Some(Axis::Files(
                map.iter()
                    .map(|(file, fields)| {
                        let path = paths::join_normalized(config_dir, file)
                            .unwrap_or_else(|| file.clone());
                        (path, fields.clone())
                    })
                    .collect(),
            )),
            other => other.clone(),
        }
    };
    PlotProps {
        x: reroot(&props.x),
        y: reroot(&props.y),
        ..props.clone()
    }
}

/// The files a plot path stands for: every file inside a directory, else the
/// path itself (even when it does not exist, so that the missing file is
/// reported).
fn unpack_if_dir(files: &dyn PlotFiles, path: &str) -> Vec<String> {
    if files.kind(path) == Some(FileKind::Directory) {
        files.files_under(path).unwrap_or_default()
    } else {
        vec![path.to_string()]
    }
}

/// The entry of `parents` that shares the longest leading path with `path`.
fn closest_parent(path: &str, parents: &[String]) -> String {
    let mut best = String::new();
    for parent in parents {
        let common = common_path(path, parent);
        if common.len() > best.len() {
            best = common;
        }
    }
    best
}

/// The longest leading run of whole path components two paths share.
fn common_path(a: &str, b: &str) -> String {
    let shared: Vec<&str> = a
        .split('/')
        .zip(b.split('/'))
        .take_while(|(left, right)| left == right)
        .map(|(left, _)| left)
        .collect();
    shared.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_match_id_prefixes() {
        let targets = Targets::new(&["dvclive/".to_string(), "dvc.yaml::Acc".to_string()]);
        assert!(targets.matches("dvc.yaml", "dvclive/plots/metrics/loss.tsv"));
        assert!(targets.matches("dvc.yaml", "Accuracy"));
        assert!(!targets.matches("dvc.yaml", "reports/dvclive/x.csv"));
        assert!(Targets::new(&[]).matches("", "anything"));
    }

    #[test]
    fn closest_parent_compares_whole_components() {
        let parents = vec![
            "logs".to_string(),
            "logs/deep".to_string(),
            "eval/loss.csv".to_string(),
        ];
        assert_eq!(closest_parent("logs/deep/c.tsv", &parents), "logs/deep");
        assert_eq!(closest_parent("logs/a.tsv", &parents), "logs");
        assert_eq!(common_path("logs2/a", "logs"), "");
    }
}
