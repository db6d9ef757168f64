//! End-to-end tests of `retort plots show` and `retort plots diff`: the digits
//! example run with real DVC, then drawn by Retort; the drawings are read back
//! (series, legend entries, data points) and the `--json` rows are compared
//! with what `dvc plots show --json` reports for the same files.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use retort_tests::{repo_root, retort_bin};
use serde_json::Value;

/// The DVC executable: `RETORT_DVC`, else `dvc` on PATH. `None` (with a
/// message) when neither exists, unless `RETORT_REQUIRE_DVC=1`.
fn find_dvc() -> Option<PathBuf> {
    let candidate = match std::env::var_os("RETORT_DVC") {
        Some(path) => Some(PathBuf::from(path)),
        None => std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join("dvc"))
                .find(|path| path.is_file())
        }),
    };
    match candidate.filter(|path| path.is_file()) {
        Some(path) => Some(path),
        None => {
            assert!(
                std::env::var("RETORT_REQUIRE_DVC").as_deref() != Ok("1"),
                "RETORT_REQUIRE_DVC=1 but DVC was not found (set RETORT_DVC)"
            );
            eprintln!("skipped: DVC not found (set RETORT_DVC to the dvc executable)");
            None
        }
    }
}

fn run(command: &mut Command) -> Output {
    let output = command.output().expect("start a child process");
    assert!(
        output.status.success(),
        "{command:?} failed: {}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn git(dir: &Path, args: &[&str]) -> Output {
    run(Command::new("git")
        .current_dir(dir)
        .args([
            "-c",
            "user.email=tests@retort.invalid",
            "-c",
            "user.name=Retort tests",
        ])
        .args(args))
}

fn retort(dir: &Path, args: &[&str]) -> Output {
    run(Command::new(retort_bin()).current_dir(dir).args(args))
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// The digits example in a fresh git repository, run once with DVC and
/// committed as the baseline.
fn digits_project(dvc: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&repo_root().join("examples/digits"), dir.path());
    git(dir.path(), &["init", "-q"]);
    git(dir.path(), &["add", "-A"]);
    git(dir.path(), &["commit", "-qm", "digits example"]);
    run(Command::new(dvc)
        .current_dir(dir.path())
        .args(["repro", "-q"]));
    git(dir.path(), &["add", "-A"]);
    git(dir.path(), &["commit", "-qm", "baseline"]);
    dir
}

/// Changes the learning rate and runs the pipeline again, leaving the change
/// uncommitted.
fn change_learning_rate(dvc: &Path, dir: &Path) {
    let params = dir.join("params.yaml");
    let text = std::fs::read_to_string(&params).unwrap();
    assert!(
        text.contains("lr: 0.05"),
        "the example's learning rate moved"
    );
    std::fs::write(&params, text.replacen("lr: 0.05", "lr: 0.2", 1)).unwrap();
    run(Command::new(dvc).current_dir(dir).args(["repro", "-q"]));
}

fn json_output(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).expect("the output is JSON")
}

/// Compares the plots of two `plots show --json` outputs: the same ids in the
/// same order, the same revisions, the same rows, and the same colour, dash
/// and title encodings. The rest of the specs comes from different templates.
fn assert_same_plots(dvc: &Value, retort: &Value) {
    let dvc_data = dvc["data"].as_object().expect("DVC gave data");
    let retort_data = retort["data"].as_object().expect("Retort gave data");
    let dvc_ids: Vec<&String> = dvc_data.keys().collect();
    let retort_ids: Vec<&String> = retort_data.keys().collect();
    // serde_json sorts keys here, so compare the sets; the order is checked
    // on the page.
    assert_eq!(dvc_ids, retort_ids);
    for (id, dvc_entries) in dvc_data {
        let retort_entries = &retort_data[id];
        assert_eq!(
            dvc_entries.as_array().unwrap().len(),
            retort_entries.as_array().unwrap().len(),
            "{id}"
        );
        for (want, got) in dvc_entries
            .as_array()
            .unwrap()
            .iter()
            .zip(retort_entries.as_array().unwrap())
        {
            assert_eq!(want["type"], got["type"], "{id}");
            assert_eq!(want["revisions"], got["revisions"], "{id}");
            let (want, got) = (&want["content"], &got["content"]);
            assert_eq!(
                want["data"]["values"], got["data"]["values"],
                "rows of {id}"
            );
            assert_eq!(want["title"], got["title"], "title of {id}");
            for channel in ["color", "strokeDash", "shape"] {
                assert_eq!(
                    want["encoding"][channel], got["encoding"][channel],
                    "{channel} of {id}"
                );
            }
        }
    }
}

/// A parsed SVG drawing.
struct Drawing {
    text: String,
}

impl Drawing {
    fn read(path: &Path) -> Drawing {
        let text = std::fs::read_to_string(path)
            .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
        roxmltree::Document::parse(&text)
            .unwrap_or_else(|error| panic!("{} is not valid XML: {error}", path.display()));
        Drawing { text }
    }

    fn with<T>(&self, f: impl FnOnce(&roxmltree::Document) -> T) -> T {
        f(&roxmltree::Document::parse(&self.text).unwrap())
    }

    fn count(&self, class: &str) -> usize {
        self.with(|doc| {
            doc.descendants()
                .filter(|node| has_class(node, class))
                .count()
        })
    }

    /// `(revision, series)` of every legend entry.
    fn legend(&self) -> Vec<(String, String)> {
        self.with(|doc| {
            doc.descendants()
                .filter(|node| has_class(node, "legend-entry"))
                .map(|node| {
                    (
                        node.attribute("data-rev").unwrap_or_default().to_string(),
                        node.attribute("data-series")
                            .unwrap_or_default()
                            .to_string(),
                    )
                })
                .collect()
        })
    }

    /// The stroke colour of each revision's lines.
    fn line_colours(&self) -> Vec<(String, String)> {
        self.with(|doc| {
            doc.descendants()
                .filter(|node| has_class(node, "series"))
                .filter_map(|group| {
                    let line = group.descendants().find(|node| has_class(node, "line"))?;
                    Some((
                        group.attribute("data-rev")?.to_string(),
                        line.attribute("stroke")?.to_string(),
                    ))
                })
                .collect()
        })
    }

    /// The data points a series' line passes through, mapped back from pixels
    /// with the plot area's box and domains.
    fn series_points(&self, revision: &str, series: &str) -> Vec<(f64, f64)> {
        self.with(|doc| {
            let area = doc
                .descendants()
                .find(|node| has_class(node, "plot-area"))
                .expect("a plot area");
            let numbers = |name: &str| -> Vec<f64> {
                area.attribute(name)
                    .unwrap_or_default()
                    .split_whitespace()
                    .map(|part| part.parse().unwrap())
                    .collect()
            };
            let (bbox, xd, yd) = (
                numbers("data-box"),
                numbers("data-x-domain"),
                numbers("data-y-domain"),
            );
            let group = doc
                .descendants()
                .find(|node| {
                    has_class(node, "series")
                        && node.attribute("data-rev") == Some(revision)
                        && node.attribute("data-series") == Some(series)
                })
                .unwrap_or_else(|| panic!("no series {revision}/{series}"));
            let line = group
                .descendants()
                .find(|node| has_class(node, "line"))
                .expect("a line");
            line.attribute("points")
                .unwrap()
                .split_whitespace()
                .map(|pair| {
                    let (px, py) = pair.split_once(',').unwrap();
                    let (px, py): (f64, f64) = (px.parse().unwrap(), py.parse().unwrap());
                    let x = xd[0] + (px - bbox[0]) / bbox[2] * (xd[1] - xd[0]);
                    let y = yd[0] + (bbox[1] + bbox[3] - py) / bbox[3] * (yd[1] - yd[0]);
                    (x, y)
                })
                .collect()
        })
    }
}

fn has_class(node: &roxmltree::Node, class: &str) -> bool {
    node.attribute("class")
        .is_some_and(|classes| classes.split_whitespace().any(|found| found == class))
}

/// `(x, y)` pairs of two columns of a CSV file's text.
fn csv_columns(text: &str, x: &str, y: &str) -> Vec<(f64, f64)> {
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let (xi, yi) = (
        header.iter().position(|name| *name == x).unwrap(),
        header.iter().position(|name| *name == y).unwrap(),
    );
    lines
        .filter(|line| !line.is_empty())
        .map(|line| {
            let cells: Vec<&str> = line.split(',').collect();
            (cells[xi].parse().unwrap(), cells[yi].parse().unwrap())
        })
        .collect()
}

fn assert_points_match(drawn: &[(f64, f64)], data: &[(f64, f64)], what: &str) {
    assert_eq!(drawn.len(), data.len(), "{what}: number of points");
    for ((dx, dy), (x, y)) in drawn.iter().zip(data) {
        assert!(
            (dx - x).abs() < 0.01 && (dy - y).abs() < 0.001,
            "{what}: drew ({dx}, {dy}) for ({x}, {y})"
        );
    }
}

/// The `.svg` files of an output directory.
fn svg_files(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|entry| {
            let name = entry.unwrap().file_name().to_string_lossy().to_string();
            name.ends_with(".svg").then_some(name)
        })
        .collect()
}

/// The charts of the digits example, as `retort plots` names their files.
const DIGITS_SVGS: [&str; 7] = [
    "Accuracy.svg",
    "dvclive_plots_metrics_test_acc_tsv.svg",
    "dvclive_plots_metrics_test_loss_tsv.svg",
    "dvclive_plots_metrics_train_acc_tsv.svg",
    "dvclive_plots_metrics_train_loss_tsv.svg",
    "reports_confusion_csv.svg",
    "reports_train_history_csv.svg",
];

fn assert_offline_page(index: &Path, charts: usize) {
    let html = std::fs::read_to_string(index).unwrap();
    assert_eq!(
        html.matches("<svg ").count(),
        charts,
        "one inline drawing per chart"
    );
    assert!(!html.contains("<script"), "the page needs no JavaScript");
    assert!(
        !html.contains("src=\"http"),
        "the page loads nothing from the network"
    );
    assert!(
        !html.contains("<link"),
        "the page has no external style sheet"
    );
}

#[test]
fn show_draws_example_series_like_dvc() {
    let Some(dvc) = find_dvc() else { return };
    let project = digits_project(&dvc);
    let dir = project.path();

    retort(dir, &["plots", "show", "-o", "out"]);
    let out = dir.join("out");
    assert_offline_page(&out.join("index.html"), DIGITS_SVGS.len());
    assert_eq!(
        svg_files(&out),
        DIGITS_SVGS.iter().map(|name| name.to_string()).collect()
    );

    // Loss: one revision times two fields.
    let loss = Drawing::read(&out.join("reports_train_history_csv.svg"));
    assert_eq!(loss.count("line"), 2);
    assert_eq!(
        loss.legend(),
        vec![
            ("workspace".to_string(), "test_loss".to_string()),
            ("workspace".to_string(), "train_loss".to_string()),
        ]
    );
    let history = std::fs::read_to_string(dir.join("reports/train_history.csv")).unwrap();
    assert_points_match(
        &loss.series_points("workspace", "test_loss"),
        &csv_columns(&history, "epoch", "test_loss"),
        "workspace test_loss",
    );
    // A dvclive history: one line, one legend entry.
    let accuracy = Drawing::read(&out.join("dvclive_plots_metrics_test_acc_tsv.svg"));
    assert_eq!(accuracy.count("line"), 1);
    assert_eq!(accuracy.legend().len(), 1);
    // The confusion matrix counts every test image once.
    let confusion = Drawing::read(&out.join("reports_confusion_csv.svg"));
    assert_eq!(confusion.count("panel"), 1);
    assert_eq!(confusion.count("cell"), 100);
    let images = std::fs::read_to_string(dir.join("reports/confusion.csv"))
        .unwrap()
        .lines()
        .count()
        - 1;
    let counted: f64 = confusion.with(|doc| {
        doc.descendants()
            .filter(|node| has_class(node, "cell"))
            .map(|node| {
                node.attribute("data-value")
                    .unwrap()
                    .parse::<f64>()
                    .unwrap()
            })
            .sum()
    });
    assert_eq!(counted as usize, images);

    let want = json_output(&run(Command::new(&dvc)
        .current_dir(dir)
        .args(["plots", "show", "--json"])));
    let got = json_output(&retort(dir, &["plots", "show", "--json"]));
    assert_same_plots(&want, &got);
}

#[test]
fn diff_colours_each_revision() {
    let Some(dvc) = find_dvc() else { return };
    let project = digits_project(&dvc);
    let dir = project.path();
    change_learning_rate(&dvc, dir);

    retort(dir, &["plots", "diff", "HEAD", "workspace", "-o", "out"]);
    let out = dir.join("out");
    assert_offline_page(&out.join("index.html"), DIGITS_SVGS.len());
    assert_eq!(
        svg_files(&out),
        DIGITS_SVGS.iter().map(|name| name.to_string()).collect()
    );

    // Two revisions times two fields, workspace first as in DVC.
    let loss = Drawing::read(&out.join("reports_train_history_csv.svg"));
    assert_eq!(loss.count("line"), 4);
    let legend = loss.legend();
    assert_eq!(legend.len(), 4);
    assert_eq!(legend[0].0, "workspace");
    assert_eq!(legend[3].0, "HEAD");
    let colours = loss.line_colours();
    let workspace: BTreeSet<&str> = colours
        .iter()
        .filter(|(rev, _)| rev == "workspace")
        .map(|(_, c)| c.as_str())
        .collect();
    let head: BTreeSet<&str> = colours
        .iter()
        .filter(|(rev, _)| rev == "HEAD")
        .map(|(_, c)| c.as_str())
        .collect();
    assert_eq!(workspace.len(), 1, "one colour for the workspace");
    assert_eq!(head.len(), 1, "one colour for HEAD");
    assert_ne!(workspace, head, "revisions have different colours");

    let now = std::fs::read_to_string(dir.join("reports/train_history.csv")).unwrap();
    let before =
        String::from_utf8(git(dir, &["show", "HEAD:reports/train_history.csv"]).stdout).unwrap();
    assert_ne!(
        now, before,
        "the change of learning rate changed the history"
    );
    assert_points_match(
        &loss.series_points("workspace", "train_loss"),
        &csv_columns(&now, "epoch", "train_loss"),
        "workspace train_loss",
    );
    assert_points_match(
        &loss.series_points("HEAD", "train_loss"),
        &csv_columns(&before, "epoch", "train_loss"),
        "HEAD train_loss",
    );
    let accuracy = Drawing::read(&out.join("dvclive_plots_metrics_test_acc_tsv.svg"));
    assert_eq!(accuracy.count("line"), 2);
    assert_eq!(accuracy.legend().len(), 2);
    let confusion = Drawing::read(&out.join("reports_confusion_csv.svg"));
    assert_eq!(confusion.count("panel"), 2);

    let want = json_output(&run(Command::new(&dvc).current_dir(dir).args([
        "plots",
        "diff",
        "HEAD",
        "workspace",
        "--json",
    ])));
    let got = json_output(&retort(
        dir,
        &["plots", "diff", "HEAD", "workspace", "--json"],
    ));
    assert_same_plots(&want, &got);
}

fn write(root: &Path, path: &str, text: &[u8]) {
    let path = root.join(path);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// A project with one plot per built-in template, made by the test.
fn template_project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join(".dvc")).unwrap();
    let mut curve = String::from("epoch,loss,acc\n");
    for epoch in 0..12 {
        curve.push_str(&format!(
            "{epoch},{},{}\n",
            1.0 / (epoch as f64 + 1.0),
            epoch as f64 / 12.0
        ));
    }
    write(root, "curve.csv", curve.as_bytes());
    write(
        root,
        "pred.csv",
        b"actual,predicted\ncat,cat\ncat,dog\ndog,dog\nbird,bird\ndog,dog\n",
    );
    write(
        root,
        "importance.yaml",
        b"- {name: age, weight: 0.2}\n- {name: income, weight: 0.5}\n- {name: height, weight: 0.1}\n",
    );
    write(root, "picture.png", b"\x89PNG\r\n\x1a\nnot really an image");
    write(
        root,
        "dvc.yaml",
        b"plots:
  - Smooth:
      template: smooth
      x: epoch
      y: {curve.csv: loss}
  - Simple:
      template: simple
      x: epoch
      y: {curve.csv: [loss, acc]}
  - Scatter:
      template: scatter
      x: loss
      y: {curve.csv: acc}
  - Jitter:
      template: scatter_jitter
      x: actual
      y: {pred.csv: predicted}
  - Confusion:
      template: confusion_normalized
      x: actual
      y: {pred.csv: predicted}
  - importance.yaml:
      template: bar_horizontal_sorted
      x: weight
      y: name
  - Bars:
      template: bar_horizontal
      x: weight
      y: {importance.yaml: name}
  - picture.png
",
    );
    dir
}

#[test]
fn built_in_templates_draw_their_marks() {
    let project = template_project();
    let dir = project.path();
    retort(dir, &["plots", "show", "-o", "out"]);
    let out = dir.join("out");
    assert_offline_page(&out.join("index.html"), 7);

    let smooth = Drawing::read(&out.join("Smooth.svg"));
    assert_eq!(smooth.count("line"), 1);
    assert_eq!(smooth.count("raw-line"), 1);
    let simple = Drawing::read(&out.join("Simple.svg"));
    assert_eq!(simple.count("line"), 2);
    assert_eq!(simple.legend().len(), 2);
    assert_eq!(Drawing::read(&out.join("Scatter.svg")).count("point"), 12);
    assert_eq!(Drawing::read(&out.join("Jitter.svg")).count("point"), 5);
    let confusion = Drawing::read(&out.join("Confusion.svg"));
    assert_eq!(confusion.count("cell"), 9);
    // Each row of a normalized matrix sums to one.
    let cat_row: f64 = confusion.with(|doc| {
        doc.descendants()
            .filter(|node| has_class(node, "cell") && node.attribute("data-y") == Some("cat"))
            .map(|node| {
                node.attribute("data-value")
                    .unwrap()
                    .parse::<f64>()
                    .unwrap()
            })
            .sum()
    });
    assert!((cat_row - 1.0).abs() < 1e-9, "{cat_row}");
    let sorted = Drawing::read(&out.join("importance_yaml.svg"));
    let order: Vec<String> = sorted.with(|doc| {
        doc.descendants()
            .filter(|node| has_class(node, "bar"))
            .map(|node| node.attribute("data-category").unwrap().to_string())
            .collect()
    });
    assert_eq!(order.len(), 3);
    let tops: Vec<f64> = sorted.with(|doc| {
        ["income", "age", "height"]
            .iter()
            .map(|name| {
                doc.descendants()
                    .find(|node| {
                        has_class(node, "bar") && node.attribute("data-category") == Some(name)
                    })
                    .and_then(|node| node.attribute("y"))
                    .unwrap()
                    .parse()
                    .unwrap()
            })
            .collect()
    });
    assert!(
        tops[0] < tops[1] && tops[1] < tops[2],
        "largest first: {tops:?}"
    );
    assert_eq!(Drawing::read(&out.join("Bars.svg")).count("bar"), 3);

    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(
        html.contains("src=\"data:image/png;base64,iVBORw0KGg"),
        "the image is embedded"
    );
}

#[test]
fn open_without_xdg_open_succeeds() {
    let project = template_project();
    let dir = project.path();
    let empty_path = tempfile::tempdir().unwrap();
    let output = run(Command::new(retort_bin())
        .current_dir(dir)
        .env("PATH", empty_path.path())
        .args(["plots", "show", "--open", "Simple"]));
    let printed = String::from_utf8(output.stdout).unwrap();
    assert!(
        printed.trim_end().ends_with("dvc_plots/index.html"),
        "{printed}"
    );
    assert!(dir.join("dvc_plots/Simple.svg").is_file());
    assert_eq!(
        svg_files(&dir.join("dvc_plots")).len(),
        1,
        "only the target is drawn"
    );
}

#[test]
fn diff_takes_experiment_names() {
    let Some(dvc) = find_dvc() else { return };
    let project = digits_project(&dvc);
    let dir = project.path();
    git(dir, &["config", "user.name", "Retort Tests"]);
    git(dir, &["config", "user.email", "tests@retort.invalid"]);
    retort(dir, &["exp", "run", "-n", "lr-high", "-S", "train.lr=0.2"]);

    retort(dir, &["plots", "diff", "HEAD", "lr-high", "-o", "out"]);
    let loss = Drawing::read(&dir.join("out/reports_train_history_csv.svg"));
    let legend: Vec<String> = loss.legend().into_iter().map(|entry| entry.0).collect();
    assert!(legend.iter().any(|rev| rev == "lr-high"), "{legend:?}");
    assert!(legend.iter().any(|rev| rev == "HEAD"), "{legend:?}");
    let sha = String::from_utf8(
        git(
            dir,
            &["for-each-ref", "--format=%(objectname)", "refs/exps"],
        )
        .stdout,
    )
    .unwrap();
    let recorded = String::from_utf8(
        git(
            dir,
            &["show", &format!("{}:reports/train_history.csv", sha.trim())],
        )
        .stdout,
    )
    .unwrap();
    assert_points_match(
        &loss.series_points("lr-high", "train_loss"),
        &csv_columns(&recorded, "epoch", "train_loss"),
        "lr-high train_loss",
    );

    let want = json_output(&run(Command::new(&dvc)
        .current_dir(dir)
        .args(["plots", "diff", "HEAD", "lr-high", "--json"])));
    let got = json_output(&retort(
        dir,
        &["plots", "diff", "HEAD", "lr-high", "--json"],
    ));
    assert_same_plots(&want, &got);
}
