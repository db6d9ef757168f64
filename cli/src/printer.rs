//! Prints run events the way `dvc repro` does, draws a progress bar while
//! hashing takes long, and installs the Ctrl-C handler that cancels a run.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use retort_engine::repro::{CancelToken, Event, EventSink, RestoreSource, SkipReason, Stream};

/// Prints events to the terminal. Stage output goes to the stream it came from.
/// Live metrics go to stderr: one line rewritten in place on a terminal,
/// plain log lines (`step 3: acc=0.91 loss=0.2`) otherwise.
pub struct TerminalPrinter {
    /// Whether a stage ran before, to put a blank line between stages as DVC does.
    state: Mutex<PrinterState>,
    bar: HashingBar,
}

#[derive(Default)]
struct PrinterState {
    stage_ran: bool,
    lock_created: Vec<String>,
    /// stderr is a terminal, so live values update one line in place.
    live_in_place: bool,
    /// The live line on screen, which other output moves down.
    live_line: Option<String>,
}

impl TerminalPrinter {
    pub fn new() -> TerminalPrinter {
        TerminalPrinter {
            state: Mutex::new(PrinterState {
                live_in_place: std::io::stderr().is_terminal(),
                ..PrinterState::default()
            }),
            bar: HashingBar::new(),
        }
    }
}

impl PrinterState {
    /// Takes the live line off the screen before other output.
    fn hide_live(&self) {
        if self.live_line.is_some() {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[2K");
            let _ = err.flush();
        }
    }

    /// Draws the live line again below the output just printed.
    fn redraw_live(&self) {
        if let Some(line) = &self.live_line {
            let _ = std::io::stdout().flush();
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "{line}");
            let _ = err.flush();
        }
    }

    /// Ends the live line for good, leaving the last values on screen.
    fn end_live(&mut self) {
        if self.live_line.take().is_some() {
            let mut err = std::io::stderr().lock();
            let _ = writeln!(err);
            let _ = err.flush();
        }
    }

    fn live(&mut self, stage: &str, line: &str) -> std::io::Result<()> {
        let mut err = std::io::stderr().lock();
        if self.live_in_place {
            let line = format!("[{stage}] {line}");
            write!(err, "\r\x1b[2K{line}")?;
            self.live_line = Some(line);
            err.flush()
        } else {
            writeln!(err, "{line}")
        }
    }
}

impl EventSink for TerminalPrinter {
    fn event(&self, event: Event) {
        if let Event::Hashing { .. } = event {
            self.bar.update(&event);
            return;
        }
        // Lines must not be drawn through the bar.
        self.bar.clear();
        let mut state = self.state.lock().expect("printer state lock");
        if let Event::LiveMetrics {
            stage,
            step,
            metrics,
            ..
        } = &event
        {
            let values = retort_engine::live::LiveValues {
                step: *step,
                metrics: metrics.clone(),
                files: Vec::new(),
            };
            let _ = state.live(stage, &values.summary());
            return;
        }
        if let Event::Output { stream, line, .. } = &event {
            // Command output scrolls above the live line.
            state.hide_live();
            let _ = match stream {
                Stream::Stdout => writeln!(std::io::stdout(), "{line}"),
                Stream::Stderr => writeln!(std::io::stderr(), "{line}"),
            };
            state.redraw_live();
            return;
        }
        state.end_live();
        let mut out = std::io::stdout().lock();
        // A closed stdout (`retort repro | head`) must not stop the run.
        let _ = match event {
            Event::StageStarted { stage, .. } => {
                if state.stage_ran {
                    let _ = writeln!(out);
                }
                state.stage_ran = true;
                writeln!(out, "Running stage '{stage}':")
            }
            Event::CommandStarted { command, .. } => writeln!(out, "> {command}"),
            Event::Output { stream, line, .. } => match stream {
                Stream::Stdout => writeln!(out, "{line}"),
                Stream::Stderr => writeln!(std::io::stderr(), "{line}"),
            },
            Event::StageSkipped { stage, reason } => match reason {
                SkipReason::Unchanged => writeln!(out, "Stage '{stage}' didn't change, skipping"),
                SkipReason::Frozen => writeln!(out, "Stage '{stage}' is frozen, skipping"),
                SkipReason::UpstreamFailed(upstream) => {
                    writeln!(out, "Stage '{stage}' skipped because '{upstream}' failed")
                }
            },
            Event::StageRestored { stage, source } => {
                if state.stage_ran {
                    let _ = writeln!(out);
                }
                state.stage_ran = true;
                let from = match source {
                    RestoreSource::LockEntry => "",
                    RestoreSource::RunCache => " (from the run-cache)",
                };
                writeln!(
                    out,
                    "Stage '{stage}' is cached - skipping run, checking out outputs{from}"
                )
            }
            Event::StageFinished { .. } => Ok(()),
            Event::StageFailed { .. } => Ok(()),
            Event::LockWritten { path, created } => {
                if created && !state.lock_created.contains(&path) {
                    state.lock_created.push(path.clone());
                    let _ = writeln!(out, "Generating lock file '{path}'");
                }
                writeln!(out, "Updating lock file '{path}'")
            }
            Event::Hashing { .. } => Ok(()),
            Event::Message { text } => writeln!(std::io::stderr(), "{text}"),
            Event::Checkpoint { sha, step, .. } => match step {
                Some(step) => writeln!(
                    out,
                    "Checkpoint experiment iteration '{}' (step {step}).",
                    &sha[..sha.len().min(7)]
                ),
                None => writeln!(
                    out,
                    "Checkpoint experiment iteration '{}'.",
                    &sha[..sha.len().min(7)]
                ),
            },
            Event::LiveMetrics { .. } => Ok(()),
        };
    }
}

/// The hashing progress bar on stderr. Nothing is drawn when stderr is not a
/// terminal, so logs and pipes stay clean. The engine sends events only once
/// hashing has taken a while, so quick hashes draw nothing either.
pub struct HashingBar {
    enabled: bool,
    bar: Mutex<Option<ProgressBar>>,
}

impl HashingBar {
    pub fn new() -> HashingBar {
        HashingBar {
            enabled: std::io::stderr().is_terminal(),
            bar: Mutex::new(None),
        }
    }

    /// Draws an [`Event::Hashing`] and ignores other events.
    pub fn update(&self, event: &Event) {
        let Event::Hashing {
            stage,
            files_done,
            files_total,
            bytes_done,
            bytes_total,
        } = event
        else {
            return;
        };
        if !self.enabled {
            return;
        }
        let Ok(mut slot) = self.bar.lock() else {
            return;
        };
        // A path that finishes before any bar was drawn needs none.
        if slot.is_none() && files_done == files_total {
            return;
        }
        let bar = slot.get_or_insert_with(|| {
            let bar = ProgressBar::with_draw_target(
                Some(*bytes_total),
                ProgressDrawTarget::stderr_with_hz(10),
            );
            if let Ok(style) = ProgressStyle::with_template(
                "{msg} [{bar:20}] {binary_bytes}/{binary_total_bytes} {eta}",
            ) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar
        });
        bar.set_message(format!("Hashing '{stage}' {files_done}/{files_total}"));
        bar.set_length(*bytes_total);
        bar.set_position(*bytes_done);
        if files_done == files_total {
            bar.finish_and_clear();
            *slot = None;
        }
    }

    /// Removes the bar from the screen, if one is drawn.
    pub fn clear(&self) {
        if let Ok(mut slot) = self.bar.lock() {
            if let Some(bar) = slot.take() {
                bar.finish_and_clear();
            }
        }
    }
}

/// A token that Ctrl-C or SIGTERM sets. The first signal asks the run to stop
/// and kill the running command; the run then leaves every file consistent.
pub fn cancel_on_signal() -> CancelToken {
    let token = CancelToken::new();
    let handler_token = token.clone();
    let installed = ctrlc::set_handler(move || {
        if !handler_token.is_cancelled() {
            eprintln!("\nInterrupted: stopping the running command...");
        }
        handler_token.cancel();
    });
    if let Err(error) = installed {
        tracing::warn!(%error, "unable to install the Ctrl-C handler");
    }
    token
}
