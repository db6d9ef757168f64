//! Forwards the engine's live events (`Event::LiveMetrics`,
//! `Event::Checkpoint`) of a running experiment to the client: as a
//! `$/progress` report on the command's token, and as `retort/progress` with
//! kind `metrics` (or `checkpoint`) carrying the experiment, the stage, the
//! step and the values. Documented in `docs/lsp-extensions.md`.
//!
//! The hook for a job that runs the engine in-process: pass a [`LiveEvents`]
//! (or wrap the job's sink with [`LiveEvents::with`]) as the engine's event
//! sink, and drain its receiver through [`LiveForwarder::forward`].

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};
use tokio::sync::mpsc;
use tower_lsp_server::ls_types::notification::Notification;
use tower_lsp_server::ls_types::{self as lsp, ProgressToken};
use tower_lsp_server::Client;

use retort_engine::live::LiveValues;
use retort_engine::repro::{Event, EventSink};

/// `retort/progress` for live values; the same method as the command
/// progress of [`super::RetortProgress`], with more fields.
pub enum LiveProgress {}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LiveProgressParams {
    /// The `$/progress` token of the command, when there is one.
    pub token: Option<String>,
    pub command: String,
    /// `metrics` for new values, `checkpoint` for a recorded checkpoint.
    pub kind: String,
    pub experiment: Option<String>,
    pub stage: String,
    pub step: Option<u64>,
    /// Flattened names (`train.loss`) and their latest values.
    pub metrics: Map<String, Json>,
    /// The same in one line: `step 3: acc=0.91 loss=0.2`.
    pub text: String,
    /// The checkpoint commit, for kind `checkpoint`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoint: Option<String>,
}

impl Notification for LiveProgress {
    type Params = LiveProgressParams;
    const METHOD: &'static str = "retort/progress";
}

/// Turns live events of one command into notifications.
#[derive(Clone, Debug)]
pub struct LiveForwarder {
    pub token: Option<ProgressToken>,
    /// The command id, such as `retort.exp.run`.
    pub command: String,
}

impl LiveForwarder {
    /// Builds the `$/progress` report (when the command has a token) and the
    /// `retort/progress` notification for an event. Returns `None` for events
    /// that are not live values.
    pub fn messages(
        &self,
        event: &Event,
    ) -> Option<(Option<lsp::ProgressParams>, LiveProgressParams)> {
        let params = match event {
            Event::LiveMetrics {
                stage,
                experiment,
                step,
                metrics,
            } => {
                let text = LiveValues {
                    step: *step,
                    metrics: metrics.clone(),
                    files: Vec::new(),
                }
                .summary();
                LiveProgressParams {
                    token: self.token.as_ref().map(token_text),
                    command: self.command.clone(),
                    kind: "metrics".to_string(),
                    experiment: experiment.clone(),
                    stage: stage.clone(),
                    step: *step,
                    metrics: metrics.iter().cloned().collect(),
                    text,
                    checkpoint: None,
                }
            }
            Event::Checkpoint {
                stage,
                experiment,
                step,
                sha,
            } => LiveProgressParams {
                token: self.token.as_ref().map(token_text),
                command: self.command.clone(),
                kind: "checkpoint".to_string(),
                experiment: experiment.clone(),
                stage: stage.clone(),
                step: *step,
                metrics: Map::new(),
                text: format!("Checkpoint '{}'", &sha[..sha.len().min(7)]),
                checkpoint: Some(sha.clone()),
            },
            _ => return None,
        };
        let report = self.token.clone().map(|token| lsp::ProgressParams {
            token,
            value: lsp::ProgressParamsValue::WorkDone(lsp::WorkDoneProgress::Report(
                lsp::WorkDoneProgressReport {
                    cancellable: Some(true),
                    message: Some(match &params.experiment {
                        Some(name) => format!("{name} [{}] {}", params.stage, params.text),
                        None => format!("[{}] {}", params.stage, params.text),
                    }),
                    percentage: None,
                },
            )),
        });
        Some((report, params))
    }

    /// Sends the messages of an event.
    pub async fn forward(&self, client: &Client, event: &Event) {
        let Some((report, params)) = self.messages(event) else {
            return;
        };
        if let Some(report) = report {
            client
                .send_notification::<lsp::notification::Progress>(report)
                .await;
        }
        client.send_notification::<LiveProgress>(params).await;
    }
}

fn token_text(token: &ProgressToken) -> String {
    match token {
        ProgressToken::Number(number) => number.to_string(),
        ProgressToken::String(text) => text.clone(),
    }
}

/// An engine event sink that passes live events to an async task and every
/// event to an optional inner sink. It is cheap, as sinks must be: it only
/// queues the event.
pub struct LiveEvents<'a> {
    sender: mpsc::UnboundedSender<Event>,
    inner: Option<&'a dyn EventSink>,
}

impl<'a> LiveEvents<'a> {
    pub fn new() -> (LiveEvents<'a>, mpsc::UnboundedReceiver<Event>) {
        let (sender, receiver) = mpsc::unbounded_channel();
        (
            LiveEvents {
                sender,
                inner: None,
            },
            receiver,
        )
    }

    /// Also passes every event to `inner` (the job's own progress sink).
    pub fn with(inner: &'a dyn EventSink) -> (LiveEvents<'a>, mpsc::UnboundedReceiver<Event>) {
        let (mut events, receiver) = LiveEvents::new();
        events.inner = Some(inner);
        (events, receiver)
    }
}

impl EventSink for LiveEvents<'_> {
    fn event(&self, event: Event) {
        if matches!(event, Event::LiveMetrics { .. } | Event::Checkpoint { .. }) {
            // A closed receiver means the command's response was sent.
            let _ = self.sender.send(event.clone());
        }
        if let Some(inner) = self.inner {
            inner.event(event);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn forwarder() -> LiveForwarder {
        LiveForwarder {
            token: Some(ProgressToken::String("retort/7".into())),
            command: "retort.exp.run".into(),
        }
    }

    #[test]
    fn live_metrics_become_two_notifications() {
        let event = Event::LiveMetrics {
            stage: "train".into(),
            experiment: Some("lucid-moth".into()),
            step: Some(3),
            metrics: vec![
                ("acc".into(), json!(0.91)),
                ("train.loss".into(), json!(0.2)),
            ],
        };
        let (report, params) = forwarder().messages(&event).unwrap();
        assert_eq!(
            serde_json::to_value(&params).unwrap(),
            json!({
                "token": "retort/7",
                "command": "retort.exp.run",
                "kind": "metrics",
                "experiment": "lucid-moth",
                "stage": "train",
                "step": 3,
                "metrics": { "acc": 0.91, "train.loss": 0.2 },
                "text": "step 3: acc=0.91 train.loss=0.2",
            })
        );
        let report = serde_json::to_value(report.unwrap()).unwrap();
        assert_eq!(report["token"], "retort/7");
        assert_eq!(report["value"]["kind"], "report");
        assert_eq!(
            report["value"]["message"],
            "lucid-moth [train] step 3: acc=0.91 train.loss=0.2"
        );
        assert_eq!(
            <LiveProgress as Notification>::METHOD,
            <super::super::RetortProgress as Notification>::METHOD
        );
    }

    #[test]
    fn checkpoints_are_forwarded_and_other_events_are_not() {
        let event = Event::Checkpoint {
            stage: "train".into(),
            experiment: Some("cp".into()),
            step: Some(1),
            sha: "0123456789abcdef".into(),
        };
        let without_token = LiveForwarder {
            token: None,
            command: "retort.exp.run".into(),
        };
        let (report, params) = without_token.messages(&event).unwrap();
        assert!(report.is_none());
        assert_eq!(params.kind, "checkpoint");
        assert_eq!(params.checkpoint.as_deref(), Some("0123456789abcdef"));
        assert_eq!(params.token, None);
        let other = Event::Message {
            text: "hello".into(),
        };
        assert!(forwarder().messages(&other).is_none());
    }

    /// A real engine run: a stage that writes dvclive's files step by step,
    /// followed by the engine, its events sent through `LiveEvents` and
    /// turned into notifications.
    #[test]
    fn engine_run_events_reach_the_forwarder() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join(".dvc")).unwrap();
        std::fs::write(root.join(".dvc/config"), "").unwrap();
        std::fs::write(
            root.join("train.py"),
            "import json, os, time\nos.makedirs('dvclive', exist_ok=True)\nfor step in range(3):\n    tmp = 'dvclive/metrics.json.tmp'\n    json.dump({'acc': 0.5 + step / 10, 'step': step}, open(tmp, 'w'))\n    os.replace(tmp, 'dvclive/metrics.json')\n    time.sleep(0.5)\n",
        )
        .unwrap();
        std::fs::write(
            root.join("dvc.yaml"),
            "stages:\n  train:\n    cmd: python3 train.py\n    outs:\n      - dvclive:\n          cache: false\n",
        )
        .unwrap();
        let project = retort_engine::project::discover(root).unwrap();
        let mut workspace = retort_engine::repro::Workspace::open(project).unwrap();
        let (sink, mut receiver) = LiveEvents::new();
        let options = retort_engine::repro::ReproOptions {
            env: vec![("DVC_EXP_NAME".into(), "from-engine".into())],
            ..Default::default()
        };
        let report = retort_engine::repro::reproduce(
            &mut workspace,
            &options,
            &sink,
            &retort_engine::repro::CancelToken::new(),
        )
        .unwrap();
        assert!(!report.failed());
        drop(sink);
        let forwarder = forwarder();
        let mut texts = Vec::new();
        while let Ok(event) = receiver.try_recv() {
            let (_, params) = forwarder.messages(&event).unwrap();
            assert_eq!(params.experiment.as_deref(), Some("from-engine"));
            assert_eq!(params.stage, "train");
            texts.push(params.text);
        }
        assert_eq!(
            texts,
            ["step 0: acc=0.5", "step 1: acc=0.6", "step 2: acc=0.7"]
        );
    }
}
