//! Logging for the language server. Stdout carries the protocol, so logs go
//! to stderr, or to a file that the client names in `initializationOptions`.
//! The level comes from `RETORT_LOG` at start and can be changed by the
//! client at `initialize`.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::sync::{Arc, Mutex};

use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{fmt, reload, EnvFilter, Registry};

/// Changes the log level and destination after start.
#[derive(Clone)]
pub struct LogHandle {
    filter: Option<reload::Handle<EnvFilter, Registry>>,
    file: Arc<Mutex<Option<File>>>,
}

impl LogHandle {
    /// A handle that changes nothing, for embedding the server in a process
    /// that set up logging itself.
    pub fn disabled() -> LogHandle {
        LogHandle {
            filter: None,
            file: Arc::new(Mutex::new(None)),
        }
    }

    pub fn configure(&self, level: Option<&str>, file: Option<&str>) {
        if let (Some(level), Some(handle)) = (level, &self.filter) {
            match EnvFilter::try_new(level) {
                Ok(filter) => {
                    let _ = handle.reload(filter);
                }
                Err(error) => tracing::warn!("ignoring the log level '{level}': {error}"),
            }
        }
        if let Some(path) = file {
            match OpenOptions::new().create(true).append(true).open(path) {
                Ok(opened) => {
                    *self
                        .file
                        .lock()
                        .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(opened);
                }
                Err(error) => tracing::warn!(
                    "unable to open the log file '{path}', logging to stderr: {error}"
                ),
            }
        }
    }
}

/// Installs the global subscriber, logging to stderr at `default_level`
/// (or `RETORT_LOG` when set). Panics are logged as errors too.
pub fn init(default_level: &str) -> LogHandle {
    let level = std::env::var("RETORT_LOG").unwrap_or_else(|_| default_level.to_string());
    let filter = EnvFilter::try_new(&level).unwrap_or_else(|_| EnvFilter::new("warn"));
    let (filter, handle) = reload::Layer::new(filter);
    let file: Arc<Mutex<Option<File>>> = Arc::new(Mutex::new(None));
    let writer_file = file.clone();
    let layer = fmt::layer()
        .with_ansi(false)
        .with_target(false)
        .with_writer(move || LogWriter {
            file: writer_file.clone(),
        });
    let installed = tracing_subscriber::registry()
        .with(filter)
        .with(layer)
        .try_init()
        .is_ok();
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        tracing::error!("panic: {info}");
        default_hook(info);
    }));
    LogHandle {
        filter: installed.then_some(handle),
        file,
    }
}

struct LogWriter {
    file: Arc<Mutex<Option<File>>>,
}

impl Write for LogWriter {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let mut file = self
            .file
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        match file.as_mut() {
            Some(file) => file.write(bytes),
            None => io::stderr().write(bytes),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        let mut file = self
            .file
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        match file.as_mut() {
            Some(file) => file.flush(),
            None => io::stderr().flush(),
        }
    }
}
