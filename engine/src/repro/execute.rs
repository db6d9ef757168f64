//! Runs a stage's commands: each through `/bin/sh -c` in the stage's working
//! directory, in a process group of its own so that cancelling kills the whole
//! tree, with output streamed line by line as events.

use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use super::events::{CancelToken, Event, EventSink, Stream};

/// How a command ended when it did not succeed.
#[derive(Debug, PartialEq, Eq)]
pub enum CommandFailure {
    /// It exited with a non-zero code.
    Exit(i32),
    /// A signal ended it.
    Signal(i32),
    /// The run was cancelled and the command's process group was killed.
    Cancelled,
    /// It could not be started.
    Spawn(String),
}

impl std::fmt::Display for CommandFailure {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CommandFailure::Exit(code) => write!(formatter, "exited with {code}"),
            CommandFailure::Signal(signal) => write!(formatter, "was killed by signal {signal}"),
            CommandFailure::Cancelled => write!(formatter, "was cancelled"),
            CommandFailure::Spawn(reason) => write!(formatter, "could not be started: {reason}"),
        }
    }
}

/// How long a cancelled command gets between SIGTERM and SIGKILL.
const KILL_GRACE: Duration = Duration::from_secs(3);

/// Runs one shell command to completion, sending each output line as an event.
pub fn run_command(
    command: &str,
    dir: &Path,
    env: &[(String, String)],
    stage: &str,
    events: &dyn EventSink,
    cancel: &CancelToken,
) -> Result<(), CommandFailure> {
    run_command_watched(command, dir, env, stage, events, cancel, &mut |_| {})
}

/// [`run_command`], calling `watch` with the command's process group id
/// about every 50 ms while it runs, so that its files can be followed.
pub fn run_command_watched(
    command: &str,
    dir: &Path,
    env: &[(String, String)],
    stage: &str,
    events: &dyn EventSink,
    cancel: &CancelToken,
    watch: &mut dyn FnMut(i32),
) -> Result<(), CommandFailure> {
    let mut process = Command::new("/bin/sh");
    process
        .arg("-c")
        .arg(command)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    for (key, value) in env {
        process.env(key, value);
    }
    let mut child = process
        .spawn()
        .map_err(|error| CommandFailure::Spawn(error.to_string()))?;
    let pid = child.id() as libc::pid_t;

    let (lines, received) = mpsc::channel::<(Stream, String)>();
    let mut readers = Vec::new();
    if let Some(stdout) = child.stdout.take() {
        readers.push(spawn_reader(stdout, Stream::Stdout, lines.clone()));
    }
    if let Some(stderr) = child.stderr.take() {
        readers.push(spawn_reader(stderr, Stream::Stderr, lines.clone()));
    }
    drop(lines);

    let mut cancelled_at = None;
    let status = loop {
        watch(pid);
        // Forward output as it arrives, waking up regularly to check whether the
        // command ended or the run was cancelled.
        match received.recv_timeout(Duration::from_millis(50)) {
            Ok((stream, line)) => {
                events.event(Event::Output {
                    stage: stage.to_string(),
                    stream,
                    line,
                });
                continue;
            }
            Err(mpsc::RecvTimeoutError::Timeout | mpsc::RecvTimeoutError::Disconnected) => {}
        }
        if cancel.is_cancelled() {
            match cancelled_at {
                None => {
                    kill_group(pid, libc::SIGTERM);
                    cancelled_at = Some(std::time::Instant::now());
                }
                Some(started) if started.elapsed() > KILL_GRACE => kill_group(pid, libc::SIGKILL),
                Some(_) => {}
            }
        }
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) => {}
            Err(error) => return Err(CommandFailure::Spawn(error.to_string())),
        }
    };

    // The shell has exited; its children may still hold the pipes open, so the
    // group is ended before collecting the rest of the output.
    if cancelled_at.is_some() {
        kill_group(pid, libc::SIGKILL);
    }
    // Drain what the command wrote before it exited. A background process it
    // started may keep the pipes open; its later output is not waited for.
    while let Ok((stream, line)) = received.recv_timeout(Duration::from_millis(200)) {
        events.event(Event::Output {
            stage: stage.to_string(),
            stream,
            line,
        });
    }
    for reader in readers {
        if reader.is_finished() {
            let _ = reader.join();
        }
    }

    if cancelled_at.is_some() {
        return Err(CommandFailure::Cancelled);
    }
    match (status.code(), status.signal()) {
        (Some(0), _) => Ok(()),
        (Some(code), _) => Err(CommandFailure::Exit(code)),
        (None, Some(signal)) => Err(CommandFailure::Signal(signal)),
        (None, None) => Err(CommandFailure::Exit(-1)),
    }
}

fn spawn_reader<R: Read + Send + 'static>(
    source: R,
    stream: Stream,
    lines: mpsc::Sender<(Stream, String)>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let mut reader = BufReader::new(source);
        let mut buffer = Vec::new();
        loop {
            buffer.clear();
            match reader.read_until(b'\n', &mut buffer) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    while buffer
                        .last()
                        .is_some_and(|byte| *byte == b'\n' || *byte == b'\r')
                    {
                        buffer.pop();
                    }
                    let line = String::from_utf8_lossy(&buffer).into_owned();
                    if lines.send((stream, line)).is_err() {
                        break;
                    }
                }
            }
        }
    })
}

fn kill_group(pid: libc::pid_t, signal: libc::c_int) {
    // SAFETY: sends a signal to the process group the child leads; no memory is
    // touched.
    unsafe {
        libc::killpg(pid, signal);
    }
}
