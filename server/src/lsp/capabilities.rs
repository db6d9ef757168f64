//! What the server advertises at `initialize`, and what it reads from the
//! client's capabilities.

use std::time::Duration;

use retort_engine::project::ProjectRoot;
use tower_lsp_server::ls_types as lsp;

use super::convert::{encoding_kind, negotiate_encoding};
use super::state::Session;
use crate::jobs::CommandId;

pub fn server_capabilities(session: &Session) -> lsp::ServerCapabilities {
    lsp::ServerCapabilities {
        position_encoding: Some(encoding_kind(session.encoding)),
        text_document_sync: Some(lsp::TextDocumentSyncCapability::Options(
            lsp::TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(lsp::TextDocumentSyncKind::INCREMENTAL),
                save: Some(lsp::TextDocumentSyncSaveOptions::Supported(true)),
                ..Default::default()
            },
        )),
        hover_provider: Some(lsp::HoverProviderCapability::Simple(true)),
        completion_provider: Some(lsp::CompletionOptions {
            trigger_characters: Some(vec![
                "{".to_string(),
                ".".to_string(),
                "/".to_string(),
                " ".to_string(),
            ]),
            ..Default::default()
        }),
        definition_provider: Some(lsp::OneOf::Left(true)),
        references_provider: Some(lsp::OneOf::Left(true)),
        document_symbol_provider: Some(lsp::OneOf::Left(true)),
        workspace_symbol_provider: Some(lsp::OneOf::Left(true)),
        code_action_provider: Some(lsp::CodeActionProviderCapability::Options(
            lsp::CodeActionOptions {
                code_action_kinds: Some(vec![
                    lsp::CodeActionKind::QUICKFIX,
                    lsp::CodeActionKind::new("source.retort"),
                ]),
                ..Default::default()
            },
        )),
        code_lens_provider: Some(lsp::CodeLensOptions {
            resolve_provider: Some(false),
        }),
        execute_command_provider: Some(lsp::ExecuteCommandOptions {
            commands: CommandId::ALL
                .iter()
                .map(|command| command.name().to_string())
                .collect(),
            work_done_progress_options: lsp::WorkDoneProgressOptions {
                work_done_progress: Some(true),
            },
        }),
        inlay_hint_provider: Some(lsp::OneOf::Left(true)),
        diagnostic_provider: session.pull_diagnostics.then(|| {
            lsp::DiagnosticServerCapabilities::Options(lsp::DiagnosticOptions {
                identifier: Some("retort".to_string()),
                inter_file_dependencies: true,
                workspace_diagnostics: false,
                work_done_progress_options: Default::default(),
            })
        }),
        ..Default::default()
    }
}

/// Options a client may pass in `initializationOptions`.
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct InitOptions {
    /// A `tracing` filter such as `debug` or `retort_server=trace`.
    pub log_level: Option<String>,
    /// Write logs to this file instead of stderr.
    pub log_file: Option<String>,
    /// Milliseconds to wait after an edit before analysing.
    pub diagnostics_delay_ms: Option<u64>,
}

impl InitOptions {
    pub fn from_params(params: &lsp::InitializeParams) -> InitOptions {
        params
            .initialization_options
            .as_ref()
            .and_then(|value| serde_json::from_value(value.clone()).ok())
            .unwrap_or_default()
    }
}

pub fn session(
    params: &lsp::InitializeParams,
    root: ProjectRoot,
    options: &InitOptions,
) -> Session {
    let capabilities = &params.capabilities;
    let text = capabilities.text_document.as_ref();
    let workspace = capabilities.workspace.as_ref();
    Session {
        root,
        encoding: negotiate_encoding(capabilities),
        work_done_progress: capabilities
            .window
            .as_ref()
            .and_then(|window| window.work_done_progress)
            .unwrap_or(false),
        pull_diagnostics: text.and_then(|text| text.diagnostic.as_ref()).is_some(),
        diagnostic_refresh: workspace
            .and_then(|workspace| workspace.diagnostics.as_ref())
            .and_then(|diagnostics| diagnostics.refresh_support)
            .unwrap_or(false),
        code_lens_refresh: workspace
            .and_then(|workspace| workspace.code_lens.as_ref())
            .and_then(|lens| lens.refresh_support)
            .unwrap_or(false),
        inlay_hint_refresh: workspace
            .and_then(|workspace| workspace.inlay_hint.as_ref())
            .and_then(|hints| hints.refresh_support)
            .unwrap_or(false),
        resource_create: workspace
            .and_then(|workspace| workspace.workspace_edit.as_ref())
            .and_then(|edit| edit.resource_operations.as_ref())
            .is_some_and(|operations| operations.contains(&lsp::ResourceOperationKind::Create)),
        related_document_versions: workspace
            .and_then(|workspace| workspace.workspace_edit.as_ref())
            .and_then(|edit| edit.document_changes)
            .unwrap_or(false),
        debounce: Duration::from_millis(options.diagnostics_delay_ms.unwrap_or(0)),
    }
}
