//! The `LanguageServer` implementation. Each handler converts its parameters
//! in, runs an analysis on a snapshot on a blocking thread, and converts the
//! answer out; panics become error responses and the server keeps running.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::sync::Arc;

use futures::FutureExt;
use retort_engine::diagnostic::Fix;
use retort_engine::project::{discover, ProjectRoot};
use retort_engine::text::Span;
use serde_json::Value as Json;
use tower_lsp_server::jsonrpc::{self, Result};
use tower_lsp_server::ls_types::{self as lsp, Uri};
use tower_lsp_server::{Client, LanguageServer};

use super::capabilities::{self, InitOptions};
use super::convert::{self, LineMap};
use super::documents::Document;
use super::state::{ServerState, Snapshot};
use super::watcher::{self, Watcher};
use super::{commands, extensions};
use crate::analysis::{self, Location};
use crate::logging::LogHandle;

pub struct Backend {
    pub state: Arc<ServerState>,
    log: LogHandle,
}

impl Backend {
    pub fn new(client: Client, log: LogHandle) -> Backend {
        Backend {
            state: ServerState::new(client),
            log,
        }
    }

    /// Runs an analysis on the current snapshot on a blocking thread.
    async fn read<T, F>(&self, name: &'static str, f: F) -> Result<T>
    where
        F: FnOnce(&Snapshot) -> T + Send + 'static,
        T: Send + 'static,
    {
        let snapshot = self.state.snapshot().await?;
        let span = tracing::debug_span!("request", method = name);
        tokio::task::spawn_blocking(move || {
            let _entered = span.enter();
            f(&snapshot)
        })
        .await
        .map_err(|error| {
            tracing::error!("{name} failed: {error}");
            internal_error(name)
        })
    }

    fn relative(&self, uri: &Uri) -> Option<String> {
        let session = self.state.session()?;
        convert::relative_path(&session.root.root, uri)
    }

    /// Applies a notification's effect synchronously, catching panics so that
    /// a bug in one handler cannot stop the server.
    fn apply(&self, name: &str, f: impl FnOnce()) {
        if std::panic::catch_unwind(AssertUnwindSafe(f)).is_err() {
            tracing::error!("handling {name} panicked");
        }
    }

    fn file_position(
        &self,
        params: &lsp::TextDocumentPositionParams,
    ) -> Option<(String, lsp::Position)> {
        Some((self.relative(&params.text_document.uri)?, params.position))
    }
}

fn internal_error(name: &str) -> jsonrpc::Error {
    jsonrpc::Error {
        code: jsonrpc::ErrorCode::InternalError,
        message: format!("{name} failed inside the Retort server; the server keeps running").into(),
        data: None,
    }
}

/// Catches a panic in a request handler's async part.
async fn guarded<T>(name: &'static str, future: impl Future<Output = Result<T>>) -> Result<T> {
    match AssertUnwindSafe(future).catch_unwind().await {
        Ok(result) => result,
        Err(_) => {
            tracing::error!("{name} panicked");
            Err(internal_error(name))
        }
    }
}

/// The project for the workspace: the DVC project that contains the folder
/// (or the folder itself while it has no project yet).
fn project_root(folder: &Path) -> ProjectRoot {
    match discover(folder) {
        Ok(root) => root,
        Err(_) => ProjectRoot {
            root: folder.to_path_buf(),
            git_root: folder
                .ancestors()
                .find(|dir| dir.join(".git").exists())
                .map(Path::to_path_buf),
            has_dvc_dir: false,
        },
    }
}

fn workspace_folder(params: &lsp::InitializeParams) -> Option<std::path::PathBuf> {
    if let Some(folder) = params
        .workspace_folders
        .as_ref()
        .and_then(|folders| folders.first())
    {
        return folder.uri.to_file_path().map(|path| path.into_owned());
    }
    #[allow(deprecated)]
    let root_uri = params.root_uri.as_ref();
    if let Some(path) = root_uri.and_then(|uri| uri.to_file_path()) {
        return Some(path.into_owned());
    }
    std::env::current_dir().ok()
}

impl LanguageServer for Backend {
    async fn initialize(&self, params: lsp::InitializeParams) -> Result<lsp::InitializeResult> {
        let options = InitOptions::from_params(&params);
        self.log
            .configure(options.log_level.as_deref(), options.log_file.as_deref());
        let folder = workspace_folder(&params).ok_or_else(|| {
            jsonrpc::Error::invalid_params(
                "no workspace folder; open a folder that holds a DVC project",
            )
        })?;
        let root = project_root(&folder);
        tracing::info!(root = %root.root.display(), "initializing");
        let session = capabilities::session(&params, root, &options);
        let capabilities = capabilities::server_capabilities(&session);
        self.state.set_session(session);
        Ok(lsp::InitializeResult {
            capabilities,
            server_info: Some(lsp::ServerInfo {
                name: "retort".to_string(),
                version: Some(env!("CARGO_PKG_VERSION").to_string()),
            }),
            offset_encoding: None,
        })
    }

    async fn initialized(&self, _: lsp::InitializedParams) {
        let Some(session) = self.state.session().cloned() else {
            return;
        };
        tokio::spawn(self.state.clone().analysis_loop());
        let watcher = Watcher::start(
            self.state.clone(),
            &session.root.root,
            session.root.git_root.as_deref(),
        );
        *self
            .state
            .watcher
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = watcher;
        // Editors open their documents right after `initialized`; waiting
        // a moment lets the first analysis include them instead of being
        // thrown away.
        let state = self.state.clone();
        tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_millis(30)).await;
            if state.generation() == 0 {
                state.touch();
            }
        });
    }

    async fn shutdown(&self) -> Result<()> {
        Ok(())
    }

    async fn did_open(&self, params: lsp::DidOpenTextDocumentParams) {
        self.apply("didOpen", || {
            let document = params.text_document;
            let Some(path) = self.relative(&document.uri) else {
                tracing::debug!(
                    "ignoring a document outside the project: {}",
                    document.uri.as_str()
                );
                return;
            };
            let opened = Document::new(document.version, &document.text);
            self.state
                .edit_documents(|documents| documents.insert(path, opened));
        });
    }

    async fn did_change(&self, params: lsp::DidChangeTextDocumentParams) {
        self.apply("didChange", || {
            let Some(path) = self.relative(&params.text_document.uri) else {
                return;
            };
            let Some(encoding) = self.state.session().map(|session| session.encoding) else {
                return;
            };
            let applied = self
                .state
                .edit_documents(|documents| match documents.get_mut(&path) {
                    Some(document) => {
                        document.apply(
                            params.text_document.version,
                            params.content_changes,
                            encoding,
                        );
                        true
                    }
                    None => false,
                });
            if !applied {
                tracing::warn!("a change arrived for '{path}', which is not open");
            }
        });
    }

    async fn did_close(&self, params: lsp::DidCloseTextDocumentParams) {
        self.apply("didClose", || {
            if let Some(path) = self.relative(&params.text_document.uri) {
                self.state
                    .edit_documents(|documents| documents.remove(&path));
            }
        });
    }

    async fn did_save(&self, _: lsp::DidSaveTextDocumentParams) {
        // The buffer was already analysed; the file watcher sees the write.
    }

    async fn did_change_watched_files(&self, params: lsp::DidChangeWatchedFilesParams) {
        self.apply("didChangeWatchedFiles", || {
            let Some(session) = self.state.session() else {
                return;
            };
            let git_dir = session.root.git_root.as_ref().map(|git| git.join(".git"));
            let mut relevant = false;
            for change in params.changes {
                let Some(path) = change.uri.to_file_path() else {
                    continue;
                };
                match watcher::classify(&path, &session.root.root, git_dir.as_deref()) {
                    watcher::Change::Ignored => {}
                    watcher::Change::GitRefs => {
                        self.state.head_moved();
                        relevant = true;
                    }
                    watcher::Change::Pipeline => {
                        self.state.rescan_pipelines();
                        self.state.files_changed();
                        relevant = true;
                    }
                    watcher::Change::File => {
                        self.state.files_changed();
                        relevant = true;
                    }
                }
            }
            if relevant {
                self.state.request_view_refresh();
                self.state.touch();
            }
        });
    }

    async fn hover(&self, params: lsp::HoverParams) -> Result<Option<lsp::Hover>> {
        let Some((file, position)) = self.file_position(&params.text_document_position_params)
        else {
            return Ok(None);
        };
        guarded(
            "hover",
            self.read("hover", move |snapshot| {
                snapshot
                    .with_map(&file, |map| {
                        let offset = map.offset(position);
                        let info = analysis::hover::hover(&snapshot.world, &file, offset)?;
                        Some(lsp::Hover {
                            contents: lsp::HoverContents::Markup(lsp::MarkupContent {
                                kind: lsp::MarkupKind::Markdown,
                                value: info.markdown,
                            }),
                            range: Some(map.range(info.span)),
                        })
                    })
                    .flatten()
            }),
        )
        .await
    }

    async fn completion(
        &self,
        params: lsp::CompletionParams,
    ) -> Result<Option<lsp::CompletionResponse>> {
        let Some((file, position)) = self.file_position(&params.text_document_position) else {
            return Ok(None);
        };
        guarded(
            "completion",
            self.read("completion", move |snapshot| {
                snapshot.with_map(&file, |map| {
                    let offset = map.offset(position);
                    let items: Vec<lsp::CompletionItem> =
                        analysis::completion::completions(&snapshot.world, &file, offset)
                            .into_iter()
                            .map(|item| completion_item(map, item))
                            .collect();
                    lsp::CompletionResponse::Array(items)
                })
            }),
        )
        .await
    }

    async fn goto_definition(
        &self,
        params: lsp::GotoDefinitionParams,
    ) -> Result<Option<lsp::GotoDefinitionResponse>> {
        let Some((file, position)) = self.file_position(&params.text_document_position_params)
        else {
            return Ok(None);
        };
        guarded(
            "definition",
            self.read("definition", move |snapshot| {
                let offset = snapshot.with_map(&file, |map| map.offset(position))?;
                let locations = locations(
                    snapshot,
                    analysis::navigation::definition(&snapshot.world, &file, offset),
                );
                (!locations.is_empty()).then_some(lsp::GotoDefinitionResponse::Array(locations))
            }),
        )
        .await
    }

    async fn references(&self, params: lsp::ReferenceParams) -> Result<Option<Vec<lsp::Location>>> {
        let Some((file, position)) = self.file_position(&params.text_document_position) else {
            return Ok(None);
        };
        guarded(
            "references",
            self.read("references", move |snapshot| {
                let offset = snapshot.with_map(&file, |map| map.offset(position))?;
                Some(locations(
                    snapshot,
                    analysis::navigation::references(&snapshot.world, &file, offset),
                ))
            }),
        )
        .await
    }

    async fn document_symbol(
        &self,
        params: lsp::DocumentSymbolParams,
    ) -> Result<Option<lsp::DocumentSymbolResponse>> {
        let Some(file) = self.relative(&params.text_document.uri) else {
            return Ok(None);
        };
        guarded(
            "documentSymbol",
            self.read("documentSymbol", move |snapshot| {
                snapshot.with_map(&file, |map| {
                    let symbols = analysis::navigation::document_symbols(&snapshot.world, &file);
                    lsp::DocumentSymbolResponse::Nested(
                        symbols
                            .into_iter()
                            .map(|symbol| document_symbol(map, symbol))
                            .collect(),
                    )
                })
            }),
        )
        .await
    }

    async fn symbol(
        &self,
        params: lsp::WorkspaceSymbolParams,
    ) -> Result<Option<lsp::WorkspaceSymbolResponse>> {
        guarded(
            "workspaceSymbol",
            self.read("workspaceSymbol", move |snapshot| {
                let found = analysis::navigation::workspace_symbols(&snapshot.world, &params.query);
                let symbols: Vec<lsp::SymbolInformation> = found
                    .into_iter()
                    .filter_map(|symbol| {
                        let location = location(snapshot, &symbol.location)?;
                        #[allow(deprecated)]
                        Some(lsp::SymbolInformation {
                            name: symbol.name,
                            kind: lsp::SymbolKind::FUNCTION,
                            tags: None,
                            deprecated: None,
                            location,
                            container_name: Some(symbol.container),
                        })
                    })
                    .collect();
                Some(lsp::WorkspaceSymbolResponse::Flat(symbols))
            }),
        )
        .await
    }

    async fn code_lens(&self, params: lsp::CodeLensParams) -> Result<Option<Vec<lsp::CodeLens>>> {
        let Some(file) = self.relative(&params.text_document.uri) else {
            return Ok(None);
        };
        guarded(
            "codeLens",
            self.read("codeLens", move |snapshot| {
                snapshot.with_map(&file, |map| {
                    analysis::actions::file_actions(&snapshot.world, &file)
                        .into_iter()
                        .map(|action| lsp::CodeLens {
                            range: map.range(action.span),
                            command: Some(lsp::Command {
                                title: action.title,
                                command: action.command.name().to_string(),
                                arguments: Some(vec![action.arguments]),
                            }),
                            data: None,
                        })
                        .collect()
                })
            }),
        )
        .await
    }

    async fn code_action(
        &self,
        params: lsp::CodeActionParams,
    ) -> Result<Option<lsp::CodeActionResponse>> {
        let Some(file) = self.relative(&params.text_document.uri) else {
            return Ok(None);
        };
        guarded(
            "codeAction",
            self.read("codeAction", move |snapshot| {
                code_actions(snapshot, &file, &params)
            }),
        )
        .await
    }

    async fn inlay_hint(
        &self,
        params: lsp::InlayHintParams,
    ) -> Result<Option<Vec<lsp::InlayHint>>> {
        let Some(file) = self.relative(&params.text_document.uri) else {
            return Ok(None);
        };
        guarded(
            "inlayHint",
            self.read("inlayHint", move |snapshot| {
                snapshot.with_map(&file, |map| {
                    let range = map.span(params.range);
                    analysis::inlay::hints(&snapshot.world, &file, range)
                        .into_iter()
                        .map(|hint| lsp::InlayHint {
                            position: map.position(hint.offset),
                            label: lsp::InlayHintLabel::String(hint.label),
                            kind: None,
                            text_edits: None,
                            tooltip: hint.tooltip.map(lsp::InlayHintTooltip::String),
                            padding_left: Some(false),
                            padding_right: None,
                            data: None,
                        })
                        .collect()
                })
            }),
        )
        .await
    }

    async fn diagnostic(
        &self,
        params: lsp::DocumentDiagnosticParams,
    ) -> Result<lsp::DocumentDiagnosticReportResult> {
        let file = self.relative(&params.text_document.uri);
        guarded(
            "diagnostic",
            self.read("diagnostic", move |snapshot| {
                let items = file
                    .as_deref()
                    .and_then(|file| {
                        let diagnostics = snapshot.world.diagnostics.get(file);
                        snapshot.with_map(file, |map| {
                            diagnostics
                                .map(|list| {
                                    list.iter()
                                        .map(|diagnostic| convert::diagnostic(map, diagnostic))
                                        .collect()
                                })
                                .unwrap_or_default()
                        })
                    })
                    .unwrap_or_default();
                lsp::DocumentDiagnosticReportResult::Report(lsp::DocumentDiagnosticReport::Full(
                    lsp::RelatedFullDocumentDiagnosticReport {
                        related_documents: None,
                        full_document_diagnostic_report: lsp::FullDocumentDiagnosticReport {
                            result_id: Some(snapshot.world.generation.to_string()),
                            items,
                        },
                    },
                ))
            }),
        )
        .await
    }

    async fn execute_command(&self, params: lsp::ExecuteCommandParams) -> Result<Option<Json>> {
        guarded("executeCommand", commands::execute(&self.state, params)).await
    }
}

/// Custom methods, registered on the service builder.
impl Backend {
    pub async fn experiments(&self, _params: Option<Json>) -> Result<Json> {
        guarded(
            "retort/experiments",
            self.read("retort/experiments", |snapshot| {
                crate::jobs::experiments_table(&snapshot.world)
            }),
        )
        .await
    }

    pub async fn plots(&self, params: Option<extensions::PlotsParams>) -> Result<Json> {
        let params = params.unwrap_or_default();
        guarded(
            "retort/plots",
            self.read("retort/plots", move |snapshot| {
                extensions::plots(&snapshot.world, &params)
            }),
        )
        .await
    }

    pub async fn cancel_progress(&self, params: lsp::WorkDoneProgressCancelParams) {
        commands::cancel(&self.state, &params.token);
    }
}

fn location(snapshot: &Snapshot, location: &Location) -> Option<lsp::Location> {
    let uri = convert::file_uri(&snapshot.session.root.root, &location.file)?;
    let range = snapshot
        .with_map(&location.file, |map| map.range(location.span))
        .unwrap_or_default();
    Some(lsp::Location { uri, range })
}

fn locations(snapshot: &Snapshot, found: Vec<Location>) -> Vec<lsp::Location> {
    found
        .iter()
        .filter_map(|found| location(snapshot, found))
        .collect()
}

fn completion_item(
    map: &LineMap<'_>,
    item: analysis::completion::Completion,
) -> lsp::CompletionItem {
    use analysis::completion::CompletionKind;
    let kind = match item.kind {
        CompletionKind::Field => lsp::CompletionItemKind::PROPERTY,
        CompletionKind::File => lsp::CompletionItemKind::FILE,
        CompletionKind::Folder => lsp::CompletionItemKind::FOLDER,
        CompletionKind::Variable => lsp::CompletionItemKind::VARIABLE,
        CompletionKind::Param => lsp::CompletionItemKind::VALUE,
        CompletionKind::Stage => lsp::CompletionItemKind::FUNCTION,
    };
    let new_text = item.insert.clone().unwrap_or_else(|| item.label.clone());
    lsp::CompletionItem {
        label: item.label.clone(),
        kind: Some(kind),
        detail: item.detail,
        documentation: item.documentation.map(|value| {
            lsp::Documentation::MarkupContent(lsp::MarkupContent {
                kind: lsp::MarkupKind::Markdown,
                value,
            })
        }),
        filter_text: Some(item.label),
        text_edit: Some(lsp::CompletionTextEdit::Edit(lsp::TextEdit {
            range: map.range(item.replace),
            new_text,
        })),
        ..Default::default()
    }
}

#[allow(deprecated)]
fn document_symbol(map: &LineMap<'_>, symbol: analysis::navigation::Symbol) -> lsp::DocumentSymbol {
    use analysis::navigation::SymbolKind;
    lsp::DocumentSymbol {
        name: symbol.name,
        detail: symbol.detail,
        kind: match symbol.kind {
            SymbolKind::Stage => lsp::SymbolKind::FUNCTION,
            SymbolKind::GeneratedStage => lsp::SymbolKind::METHOD,
            SymbolKind::Key => lsp::SymbolKind::KEY,
        },
        tags: None,
        deprecated: None,
        range: map.range(symbol.span),
        selection_range: map.range(symbol.selection),
        children: (!symbol.children.is_empty()).then(|| {
            symbol
                .children
                .into_iter()
                .map(|child| document_symbol(map, child))
                .collect()
        }),
    }
}

fn code_actions(
    snapshot: &Snapshot,
    file: &str,
    params: &lsp::CodeActionParams,
) -> Option<lsp::CodeActionResponse> {
    let world = &snapshot.world;
    let selection = snapshot.with_map(file, |map| map.span(params.range))?;
    let wanted = |kind: &lsp::CodeActionKind| {
        params.context.only.as_ref().is_none_or(|only| {
            only.iter().any(|allowed| {
                kind.as_str() == allowed.as_str()
                    || kind.as_str().starts_with(&format!("{}.", allowed.as_str()))
            })
        })
    };
    let mut response = Vec::new();
    if wanted(&lsp::CodeActionKind::QUICKFIX) {
        for (index, (diagnostic, fix)) in analysis::actions::fixes_at(world, file, selection)
            .into_iter()
            .enumerate()
        {
            let Some(edit) = workspace_edit(snapshot, fix) else {
                continue;
            };
            let converted = snapshot.with_map(file, |map| convert::diagnostic(map, diagnostic));
            response.push(lsp::CodeActionOrCommand::CodeAction(lsp::CodeAction {
                title: fix.title.clone(),
                kind: Some(lsp::CodeActionKind::QUICKFIX),
                diagnostics: converted.map(|diagnostic| vec![diagnostic]),
                edit: Some(edit),
                is_preferred: Some(index == 0),
                ..Default::default()
            }));
        }
    }
    let source_kind = lsp::CodeActionKind::new("source.retort");
    if wanted(&source_kind) {
        for action in analysis::actions::actions_at(world, file, selection) {
            response.push(lsp::CodeActionOrCommand::CodeAction(lsp::CodeAction {
                title: action.action_title,
                kind: Some(source_kind.clone()),
                command: Some(lsp::Command {
                    title: action.title,
                    command: action.command.name().to_string(),
                    arguments: Some(vec![action.arguments]),
                }),
                ..Default::default()
            }));
        }
    }
    Some(response)
}

/// A fix as a workspace edit. A fix that creates a file needs the client's
/// support for resource operations and is left out without it.
fn workspace_edit(snapshot: &Snapshot, fix: &Fix) -> Option<lsp::WorkspaceEdit> {
    let root = &snapshot.session.root.root;
    let mut operations = Vec::new();
    if let Some(created) = &fix.create_file {
        if !snapshot.session.resource_create {
            return None;
        }
        let path = created.to_string_lossy().replace('\\', "/");
        operations.push(lsp::DocumentChangeOperation::Op(lsp::ResourceOp::Create(
            lsp::CreateFile {
                uri: convert::file_uri(root, &path)?,
                options: Some(lsp::CreateFileOptions {
                    overwrite: Some(false),
                    ignore_if_exists: Some(true),
                }),
                annotation_id: None,
            },
        )));
    }
    let mut files: Vec<String> = Vec::new();
    for edit in &fix.edits {
        let path = edit.file.to_string_lossy().replace('\\', "/");
        if !files.contains(&path) {
            files.push(path);
        }
    }
    for path in files {
        let uri = convert::file_uri(root, &path)?;
        let creating = fix
            .create_file
            .as_ref()
            .is_some_and(|created| created.to_string_lossy().replace('\\', "/") == path);
        let file_text = if creating {
            None
        } else {
            snapshot.world.text(&path)
        };
        let edits: Vec<lsp::OneOf<lsp::TextEdit, lsp::AnnotatedTextEdit>> = fix
            .edits
            .iter()
            .filter(|edit| edit.file.to_string_lossy().replace('\\', "/") == path)
            .map(|edit| {
                let (range, new_text) = match &file_text {
                    Some(text) => (
                        snapshot
                            .with_map(&path, |map| map.range(edit.span))
                            .unwrap_or_default(),
                        convert::with_line_endings(&edit.new_text, text),
                    ),
                    None => (range_at_start(edit.span), edit.new_text.clone()),
                };
                lsp::OneOf::Left(lsp::TextEdit { range, new_text })
            })
            .collect();
        let version = snapshot.world.version(&path);
        operations.push(lsp::DocumentChangeOperation::Edit(lsp::TextDocumentEdit {
            text_document: lsp::OptionalVersionedTextDocumentIdentifier { uri, version },
            edits,
        }));
    }
    if snapshot.session.related_document_versions || fix.create_file.is_some() {
        Some(lsp::WorkspaceEdit {
            document_changes: Some(lsp::DocumentChanges::Operations(operations)),
            ..Default::default()
        })
    } else {
        // Clients without `documentChanges` take plain per-file edits.
        let mut changes = std::collections::HashMap::new();
        for operation in operations {
            if let lsp::DocumentChangeOperation::Edit(edit) = operation {
                let edits = edit
                    .edits
                    .into_iter()
                    .filter_map(|edit| match edit {
                        lsp::OneOf::Left(edit) => Some(edit),
                        lsp::OneOf::Right(_) => None,
                    })
                    .collect();
                changes.insert(edit.text_document.uri, edits);
            }
        }
        Some(lsp::WorkspaceEdit {
            changes: Some(changes),
            ..Default::default()
        })
    }
}

/// An edit into a file that does not exist yet: only the start of the empty
/// file is a valid place.
fn range_at_start(_span: Span) -> lsp::Range {
    lsp::Range::default()
}
