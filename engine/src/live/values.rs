//! Reading the latest step and metric values from the files a stage writes.
//!
//! Sources, later ones winning for the same name: the last row of each
//! `plots/metrics/**/*.tsv` under a dvclive directory, then the dvclive
//! `metrics.json` summary, then every other declared metrics file. Names are
//! flattened with `.` as `exp show` does (`train.loss`); a TSV file
//! `plots/metrics/train/loss.tsv` gives the same name.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

/// One reading of a run's metrics.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LiveValues {
    /// The step the values belong to, when a source names one.
    pub step: Option<u64>,
    /// Flattened metric names and their latest values, in reading order.
    pub metrics: Vec<(String, Value)>,
    /// The metrics files read, project-relative, with their (nested) values;
    /// `exp show` puts these in a running experiment's row.
    pub files: Vec<(String, Value)>,
}

impl LiveValues {
    pub fn is_empty(&self) -> bool {
        self.step.is_none() && self.metrics.is_empty()
    }

    fn set(&mut self, name: String, value: Value) {
        match self.metrics.iter_mut().find(|(known, _)| *known == name) {
            Some(slot) => slot.1 = value,
            None => self.metrics.push((name, value)),
        }
    }

    /// `step 3: acc=0.91 loss=0.2`, the form the command line prints.
    pub fn summary(&self) -> String {
        let values = self
            .metrics
            .iter()
            .map(|(name, value)| format!("{name}={}", format_value(value)))
            .collect::<Vec<_>>()
            .join(" ");
        match (self.step, values.is_empty()) {
            (Some(step), true) => format!("step {step}"),
            (Some(step), false) => format!("step {step}: {values}"),
            (None, _) => values,
        }
    }
}

/// Numbers with at most five significant digits, as `exp show` prints them.
pub fn format_value(value: &Value) -> String {
    match value {
        Value::Number(number) if number.is_f64() => {
            crate::exp::format::format_g(number.as_f64().unwrap_or_default(), 5)
        }
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// The files to read: the project root (absolute), the dvclive directories
/// and the declared metrics files (both project-relative).
#[derive(Clone, Debug, Default)]
pub struct Sources {
    pub root: PathBuf,
    pub dvclive_dirs: Vec<String>,
    pub metrics_files: Vec<String>,
}

impl Sources {
    /// Lists every file whose change means new values, as absolute paths.
    pub fn watched_files(&self) -> Vec<PathBuf> {
        let mut files = Vec::new();
        for dir in &self.dvclive_dirs {
            let dir_path = self.root.join(dir);
            files.push(dir_path.join("metrics.json"));
            collect_tsv(&dir_path.join("plots").join("metrics"), &mut files);
        }
        files.extend(self.metrics_files.iter().map(|file| self.root.join(file)));
        files
    }

    /// Reads the latest values. Files that do not exist yet, or that are
    /// half-written, are left out of this reading.
    pub fn read(&self) -> LiveValues {
        self.read_where(|_| true)
    }

    /// Reads the latest values of the files `keep` accepts (absolute paths).
    pub fn read_where(&self, keep: impl Fn(&Path) -> bool) -> LiveValues {
        let mut values = LiveValues::default();
        for dir in &self.dvclive_dirs {
            let metrics_dir = self.root.join(dir).join("plots").join("metrics");
            let mut tsv_files = Vec::new();
            collect_tsv(&metrics_dir, &mut tsv_files);
            tsv_files.retain(|file| keep(file));
            for file in tsv_files {
                let Ok(relative) = file.strip_prefix(&metrics_dir) else {
                    continue;
                };
                let name = relative
                    .with_extension("")
                    .to_string_lossy()
                    .replace(std::path::MAIN_SEPARATOR, ".");
                if let Some((step, value)) = read_tsv_last(&file, &name) {
                    if let Some(step) = step {
                        values.step = Some(values.step.map_or(step, |known| known.max(step)));
                    }
                    values.set(name, value);
                }
            }
            let summary = crate::paths::join_normalized(dir, "metrics.json")
                .unwrap_or_else(|| format!("{dir}/metrics.json"));
            if keep(&self.root.join(&summary)) {
                self.read_metrics_file(&summary, &mut values);
            }
        }
        for file in &self.metrics_files {
            if values.files.iter().any(|(known, _)| known == file) || !keep(&self.root.join(file)) {
                continue;
            }
            self.read_metrics_file(file, &mut values);
        }
        values
    }

    fn read_metrics_file(&self, relative: &str, values: &mut LiveValues) {
        let Some(data) = read_metrics(&self.root.join(relative)) else {
            return;
        };
        if let Some(step) = data.get("step").and_then(Value::as_u64) {
            values.step = Some(step);
        }
        let mut flat = Vec::new();
        flatten("", &data, &mut flat);
        for (name, value) in flat {
            if name != "step" {
                values.set(name, value);
            }
        }
        values.files.push((relative.to_string(), data));
    }
}

/// Loads a metrics file in any params format as JSON, keeping what DVC keeps
/// (numbers, strings, booleans; mappings walked).
fn read_metrics(path: &Path) -> Option<Value> {
    let text = std::fs::read_to_string(path).ok()?;
    let format = crate::formats::Format::from_path(path);
    let parsed = crate::formats::parse(format, &text);
    if !parsed.is_ok() {
        return None;
    }
    let extracted = crate::metrics::extract(parsed.root.as_ref());
    serde_json::from_str(&extracted.dumps()).ok()
}

fn flatten(prefix: &str, value: &Value, out: &mut Vec<(String, Value)>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                let name = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                flatten(&name, inner, out);
            }
        }
        other => out.push((prefix.to_string(), other.clone())),
    }
}

fn collect_tsv(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.flatten().map(|entry| entry.path()).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            collect_tsv(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "tsv") {
            out.push(path);
        }
    }
}

/// Reads the step and value of the last complete row of a dvclive TSV file, whose
/// header is `step\t<name>` (plus `timestamp` when dvclive logs times).
fn read_tsv_last(path: &Path, name: &str) -> Option<(Option<u64>, Value)> {
    let text = std::fs::read_to_string(path).ok()?;
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next()?.split('\t').collect();
    // A row without its line end may still be being written.
    let complete = if text.ends_with('\n') {
        text.lines().count()
    } else {
        text.lines().count().saturating_sub(1)
    };
    let last = text.lines().take(complete).skip(1).last()?;
    let cells: Vec<&str> = last.split('\t').collect();
    let leaf = name.rsplit('.').next().unwrap_or(name);
    let column = header
        .iter()
        .position(|column| *column == leaf)
        .or_else(|| (header.len() >= 2).then_some(header.len() - 1))?;
    let step = header
        .iter()
        .position(|column| *column == "step")
        .and_then(|index| cells.get(index))
        .and_then(|cell| cell.trim().parse::<u64>().ok());
    let cell = cells.get(column)?.trim();
    let value = serde_json::from_str::<serde_json::Number>(cell)
        .map(Value::Number)
        .unwrap_or_else(|_| Value::String(cell.to_string()));
    Some((step, value))
}

/// Converts flattened values to a JSON object, for `live.json` and clients.
pub fn metrics_object(metrics: &[(String, Value)]) -> Map<String, Value> {
    metrics.iter().cloned().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, relative: &str, text: &str) {
        let path = root.join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn reads_the_dvclive_layout() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "dvclive/plots/metrics/acc.tsv",
            "step\tacc\n0\t0.5\n1\t0.75\n",
        );
        write(
            dir.path(),
            "dvclive/plots/metrics/train/loss.tsv",
            "step\tloss\n0\t1.0\n1\t0.5\n2\t0.2",
        );
        let sources = Sources {
            root: dir.path().to_path_buf(),
            dvclive_dirs: vec!["dvclive".into()],
            metrics_files: Vec::new(),
        };
        let values = sources.read();
        // The unterminated last row of loss.tsv is not read yet.
        assert_eq!(values.step, Some(1));
        assert_eq!(values.summary(), "step 1: acc=0.75 train.loss=0.5");

        write(
            dir.path(),
            "dvclive/metrics.json",
            r#"{"acc": 0.8, "train": {"loss": 0.125}, "step": 2}"#,
        );
        let values = sources.read();
        assert_eq!(values.step, Some(2));
        assert_eq!(values.summary(), "step 2: acc=0.8 train.loss=0.125");
        assert_eq!(values.files.len(), 1);
        assert_eq!(values.files[0].0, "dvclive/metrics.json");
    }

    #[test]
    fn reads_declared_metrics_files_in_any_format() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "eval/metrics.yaml", "acc: 0.9\nhist: [1, 2]\n");
        let sources = Sources {
            root: dir.path().to_path_buf(),
            dvclive_dirs: Vec::new(),
            metrics_files: vec!["eval/metrics.yaml".into()],
        };
        let values = sources.read();
        assert_eq!(values.step, None);
        assert_eq!(values.summary(), "acc=0.9");
    }
}
