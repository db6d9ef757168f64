//! Turns the engine's run events into the progress events a job reports:
//! stage started, finished and restored, and the last line a command wrote,
//! at a pace an editor can show.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use retort_engine::repro::{Event, EventSink, RestoreSource, SkipReason};
use serde_json::Value as Json;

use super::{LiveMetrics, ProgressEvent};

/// Output lines closer together than this are not all sent: a chatty
/// training loop would flood the client. The latest held-back line is sent
/// before the stage's next milestone, so the last line always arrives.
const OUTPUT_INTERVAL: Duration = Duration::from_millis(100);

/// An [`EventSink`] that forwards engine events to a job's `report`.
pub struct JobSink<'a> {
    report: &'a (dyn Fn(ProgressEvent) + Sync),
    output: Mutex<OutputPace>,
}

#[derive(Default)]
struct OutputPace {
    sent_at: Option<Instant>,
    held: Option<String>,
}

impl<'a> JobSink<'a> {
    pub fn new(report: &'a (dyn Fn(ProgressEvent) + Sync)) -> JobSink<'a> {
        JobSink {
            report,
            output: Mutex::new(OutputPace::default()),
        }
    }

    fn send(&self, event: ProgressEvent) {
        (self.report)(event);
    }

    fn output(&self, line: String) {
        let mut pace = self
            .output
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let now = Instant::now();
        let due = pace
            .sent_at
            .is_none_or(|sent| now.duration_since(sent) >= OUTPUT_INTERVAL);
        if due {
            pace.sent_at = Some(now);
            pace.held = None;
            drop(pace);
            self.send(ProgressEvent::Output(line));
        } else {
            pace.held = Some(line);
        }
    }

    /// Sends the line held back by the pacing, if any.
    fn flush_output(&self) {
        let held = self
            .output
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .held
            .take();
        if let Some(line) = held {
            self.send(ProgressEvent::Output(line));
        }
    }

    /// Forwards one step of live metrics of a running experiment (the
    /// engine's `Event::LiveMetrics`, read from dvclive's files); the client
    /// receives `retort/progress` with kind `metrics`.
    pub fn live_metrics(
        &self,
        experiment: Option<&str>,
        stage: Option<&str>,
        step: Option<u64>,
        metrics: serde_json::Map<String, Json>,
    ) {
        self.send(ProgressEvent::Metrics(LiveMetrics {
            experiment: experiment.map(str::to_string),
            stage: stage.map(str::to_string),
            step,
            metrics,
        }));
    }
}

impl EventSink for JobSink<'_> {
    fn event(&self, event: Event) {
        match event {
            Event::StageStarted { stage, .. } => {
                self.flush_output();
                self.send(ProgressEvent::StageStarted(stage));
            }
            Event::CommandStarted { command, .. } => {
                self.send(ProgressEvent::Message(format!("> {command}")))
            }
            Event::Output { line, .. } => {
                let line = line.trim_end().to_string();
                if !line.is_empty() {
                    self.output(line);
                }
            }
            Event::StageSkipped { stage, reason } => {
                let why = match reason {
                    SkipReason::Unchanged => "did not change".to_string(),
                    SkipReason::Frozen => "is frozen".to_string(),
                    SkipReason::UpstreamFailed(upstream) => {
                        format!("depends on '{upstream}', which failed")
                    }
                };
                self.send(ProgressEvent::Message(format!(
                    "Stage '{stage}' {why}, skipping"
                )));
            }
            Event::StageRestored { stage, source } => {
                self.flush_output();
                match source {
                    RestoreSource::RunCache => self.send(ProgressEvent::StageRestored(stage)),
                    RestoreSource::LockEntry => self.send(ProgressEvent::Message(format!(
                        "Stage '{stage}' outputs restored from the cache"
                    ))),
                }
            }
            Event::StageFinished { stage, .. } => {
                self.flush_output();
                self.send(ProgressEvent::StageFinished(stage));
            }
            Event::StageFailed { stage, message } => {
                self.flush_output();
                self.send(ProgressEvent::Message(format!(
                    "Stage '{stage}' failed: {message}"
                )));
            }
            Event::LockWritten { path, .. } => self.send(ProgressEvent::Message(format!(
                "Updating lock file '{path}'"
            ))),
            Event::Hashing {
                files_done,
                files_total,
                ..
            } => self.send(ProgressEvent::Message(format!(
                "Hashing files: {files_done}/{files_total}"
            ))),
            Event::Message { text } => self.send(ProgressEvent::Message(text)),
            Event::LiveMetrics {
                stage,
                experiment,
                step,
                metrics,
            } => self.live_metrics(
                experiment.as_deref(),
                Some(&stage),
                step,
                metrics.into_iter().collect(),
            ),
            Event::Checkpoint {
                stage,
                experiment,
                step,
                sha,
            } => self.send(ProgressEvent::Checkpoint {
                experiment,
                stage,
                step,
                sha,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex as StdMutex;

    #[test]
    fn held_back_output_is_sent_before_the_stage_finishes() {
        let seen = StdMutex::new(Vec::new());
        let report = |event: ProgressEvent| seen.lock().unwrap().push(event);
        let sink = JobSink::new(&report);
        for line in ["1", "2", "3"] {
            sink.event(Event::Output {
                stage: "s".into(),
                stream: retort_engine::repro::Stream::Stdout,
                line: line.into(),
            });
        }
        sink.event(Event::StageFinished {
            stage: "s".into(),
            duration: Duration::ZERO,
        });
        let seen = seen.into_inner().unwrap();
        assert_eq!(
            seen,
            vec![
                ProgressEvent::Output("1".into()),
                ProgressEvent::Output("3".into()),
                ProgressEvent::StageFinished("s".into()),
            ]
        );
    }

    #[test]
    fn live_metrics_become_a_metrics_event() {
        let seen = StdMutex::new(Vec::new());
        let report = |event: ProgressEvent| seen.lock().unwrap().push(event);
        let sink = JobSink::new(&report);
        let mut metrics = serde_json::Map::new();
        metrics.insert("loss".into(), serde_json::json!(0.5));
        sink.event(Event::LiveMetrics {
            stage: "train".into(),
            experiment: Some("exp-1".into()),
            step: Some(3),
            metrics: vec![("loss".into(), serde_json::json!(0.5))],
        });
        let seen = seen.into_inner().unwrap();
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].text(), "step 3: loss=0.5");
        assert_eq!(
            seen[0],
            ProgressEvent::Metrics(LiveMetrics {
                experiment: Some("exp-1".into()),
                stage: Some("train".into()),
                step: Some(3),
                metrics,
            })
        );
    }
}
