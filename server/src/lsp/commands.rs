//! `workspace/executeCommand`: runs a job on a blocking thread, reports its
//! progress with `$/progress` (and `retort/progress`), lets the user cancel it
//! (`window/workDoneProgress/cancel`, or `$/cancelRequest` on the request),
//! answers with a structured result and tells the user how it ended with
//! `window/showMessage`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use serde_json::{json, Value as Json};
use tokio::sync::mpsc;
use tower_lsp_server::jsonrpc;
use tower_lsp_server::ls_types as lsp;

use super::extensions::{RetortProgress, RetortProgressParams};
use super::state::ServerState;
use crate::jobs::{self, CancelFlag, CommandArguments, CommandId, Job, JobError, ProgressEvent};

static NEXT_TOKEN: AtomicU64 = AtomicU64::new(1);

/// Cancels the job when the request future is dropped, which is what
/// `$/cancelRequest` does to it.
struct CancelOnDrop {
    flag: CancelFlag,
    finished: bool,
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if !self.finished {
            self.flag.cancel();
        }
    }
}

pub async fn execute(
    state: &Arc<ServerState>,
    params: lsp::ExecuteCommandParams,
) -> jsonrpc::Result<Option<Json>> {
    let Some(command) = CommandId::parse(&params.command) else {
        return Err(jsonrpc::Error::invalid_params(format!(
            "unknown command '{}'; the server lists its commands in executeCommandProvider",
            params.command
        )));
    };
    let arguments = CommandArguments::parse(&params.arguments)
        .map_err(|error| jsonrpc::Error::invalid_params(error.to_string()))?;
    let snapshot = state.snapshot().await?;
    let token = progress_token(state, &params, snapshot.session.work_done_progress).await;

    let cancel = CancelFlag::default();
    let mut guard = CancelOnDrop {
        flag: cancel.clone(),
        finished: false,
    };
    let token_key = token.as_ref().map(token_key);
    if let Some(key) = &token_key {
        state
            .jobs
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(key.clone(), cancel.clone());
    }
    let reporter = Reporter {
        state: state.clone(),
        token: token.clone(),
        command,
    };
    reporter
        .progress(lsp::WorkDoneProgress::Begin(lsp::WorkDoneProgressBegin {
            title: command.title().to_string(),
            cancellable: Some(true),
            message: None,
            percentage: None,
        }))
        .await;
    reporter
        .notify("begin", None, command.title().to_string())
        .await;

    let (sender, mut receiver) = mpsc::unbounded_channel::<ProgressEvent>();
    let world = snapshot.world.clone();
    let job_cancel = cancel.clone();
    let mut handle = tokio::task::spawn_blocking(move || {
        let report = move |event: ProgressEvent| {
            let _ = sender.send(event);
        };
        let job = Job {
            world: &world,
            arguments: &arguments,
            report: &report,
            cancel: &job_cancel,
        };
        jobs::run(command, &job)
    });
    let outcome = loop {
        tokio::select! {
            Some(event) = receiver.recv() => reporter.event(event).await,
            result = &mut handle => break result,
        }
    };
    while let Ok(event) = receiver.try_recv() {
        reporter.event(event).await;
    }
    guard.finished = true;
    if command.changes_files() {
        // The watcher sees the writes too, but not before the client asks
        // for fresh lenses; make the next world read everything again.
        state.head_moved();
        state.request_view_refresh();
        state.touch();
    }
    if let Some(key) = &token_key {
        state
            .jobs
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .remove(key);
    }

    let outcome = match outcome {
        Ok(outcome) => outcome,
        Err(error) => {
            tracing::error!("command '{}' panicked: {error}", command.name());
            Err(JobError::Failed(format!(
                "'{}' failed inside Retort (a bug, please report it)",
                command.name()
            )))
        }
    };
    let (status, message, data, kind) = match outcome {
        Ok(outcome) => ("ok", outcome.summary, outcome.data, lsp::MessageType::INFO),
        Err(JobError::InvalidArguments(message)) => {
            reporter.finish(&message).await;
            return Err(jsonrpc::Error::invalid_params(message));
        }
        Err(JobError::Unavailable(message)) => (
            "unavailable",
            message,
            Json::Null,
            lsp::MessageType::WARNING,
        ),
        Err(JobError::Cancelled) => (
            "cancelled",
            format!("{} was cancelled", command.name()),
            Json::Null,
            lsp::MessageType::INFO,
        ),
        Err(JobError::Failed(message)) => ("failed", message, Json::Null, lsp::MessageType::ERROR),
    };
    reporter.finish(&message).await;
    reporter.notify("end", None, status.to_string()).await;
    state.client.show_message(kind, &message).await;
    Ok(Some(json!({
        "command": command.name(),
        "status": status,
        "message": message,
        "data": data,
    })))
}

/// The client's token when it sent one, else a new one the client agreed to
/// with `window/workDoneProgress/create`; none when it shows no progress.
async fn progress_token(
    state: &Arc<ServerState>,
    params: &lsp::ExecuteCommandParams,
    supported: bool,
) -> Option<lsp::ProgressToken> {
    if let Some(token) = &params.work_done_progress_params.work_done_token {
        return Some(token.clone());
    }
    if !supported {
        return None;
    }
    let token = lsp::ProgressToken::String(format!(
        "retort/{}",
        NEXT_TOKEN.fetch_add(1, Ordering::SeqCst)
    ));
    match state.client.create_work_done_progress(token.clone()).await {
        Ok(()) => Some(token),
        Err(error) => {
            tracing::warn!("the client refused a progress token: {error}");
            None
        }
    }
}

pub fn token_key(token: &lsp::ProgressToken) -> String {
    match token {
        lsp::ProgressToken::Number(number) => number.to_string(),
        lsp::ProgressToken::String(text) => text.clone(),
    }
}

/// Cancels the command that reports progress with `token`.
pub fn cancel(state: &ServerState, token: &lsp::ProgressToken) {
    let jobs = state
        .jobs
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(flag) = jobs.get(&token_key(token)) {
        flag.cancel();
    }
}

struct Reporter {
    state: Arc<ServerState>,
    token: Option<lsp::ProgressToken>,
    command: CommandId,
}

impl Reporter {
    async fn progress(&self, value: lsp::WorkDoneProgress) {
        let Some(token) = &self.token else {
            return;
        };
        self.state
            .client
            .send_notification::<lsp::notification::Progress>(lsp::ProgressParams {
                token: token.clone(),
                value: lsp::ProgressParamsValue::WorkDone(value),
            })
            .await;
    }

    async fn notify(&self, kind: &str, stage: Option<String>, text: String) {
        self.send(RetortProgressParams {
            token: self.token.as_ref().map(token_key),
            command: self.command.name().to_string(),
            kind: kind.to_string(),
            stage,
            text,
            experiment: None,
            step: None,
            metrics: None,
            checkpoint: None,
        })
        .await;
    }

    async fn send(&self, params: RetortProgressParams) {
        self.state
            .client
            .send_notification::<RetortProgress>(params)
            .await;
    }

    async fn event(&self, event: ProgressEvent) {
        let text = event.text();
        self.progress(lsp::WorkDoneProgress::Report(lsp::WorkDoneProgressReport {
            cancellable: Some(true),
            message: Some(text.clone()),
            percentage: None,
        }))
        .await;
        let (kind, stage) = match event {
            ProgressEvent::Metrics(live) => {
                self.send(RetortProgressParams {
                    token: self.token.as_ref().map(token_key),
                    command: self.command.name().to_string(),
                    kind: "metrics".to_string(),
                    stage: live.stage,
                    text,
                    experiment: live.experiment,
                    step: live.step,
                    metrics: Some(live.metrics),
                    checkpoint: None,
                })
                .await;
                return;
            }
            ProgressEvent::Checkpoint {
                experiment,
                stage,
                step,
                sha,
            } => {
                self.send(RetortProgressParams {
                    token: self.token.as_ref().map(token_key),
                    command: self.command.name().to_string(),
                    kind: "checkpoint".to_string(),
                    stage: Some(stage),
                    text,
                    experiment,
                    step,
                    metrics: None,
                    checkpoint: Some(sha),
                })
                .await;
                return;
            }
            ProgressEvent::Message(_) => ("message", None),
            ProgressEvent::StageStarted(stage) => ("stage-started", Some(stage)),
            ProgressEvent::StageFinished(stage) => ("stage-finished", Some(stage)),
            ProgressEvent::StageRestored(stage) => ("stage-restored", Some(stage)),
            ProgressEvent::Output(_) => ("output", None),
        };
        self.notify(kind, stage, text).await;
    }

    async fn finish(&self, message: &str) {
        self.progress(lsp::WorkDoneProgress::End(lsp::WorkDoneProgressEnd {
            message: Some(message.to_string()),
        }))
        .await;
    }
}
