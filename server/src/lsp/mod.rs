//! Everything that knows the Language Server Protocol: the handlers, the
//! conversion of positions and paths, document state, commands, file watching
//! and Retort's protocol extensions.

mod backend;
mod capabilities;
mod commands;
mod convert;
mod documents;
mod extensions;
mod state;
mod watcher;

use tower_lsp_server::{LspService, Server};

use crate::logging::LogHandle;

pub use extensions::{RetortProgress, RetortProgressParams};

/// Serves one client over stdin and stdout until it exits.
pub async fn serve_stdio(log: LogHandle) {
    let (service, socket) = LspService::build(|client| backend::Backend::new(client, log))
        .custom_method("retort/experiments", backend::Backend::experiments)
        .custom_method("retort/plots", backend::Backend::plots)
        .custom_method(
            "window/workDoneProgress/cancel",
            backend::Backend::cancel_progress,
        )
        .finish();
    // Commands can run for minutes; a high limit keeps them from holding up
    // edits and requests, which the default of four would.
    Server::new(tokio::io::stdin(), tokio::io::stdout(), socket)
        .concurrency_level(64)
        .serve(service)
        .await;
}
