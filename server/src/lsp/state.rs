//! Server state and the analysis loop.
//!
//! Invariants: document changes are applied synchronously when a notification
//! arrives (before its handler's first `.await`), each bumping a generation
//! counter; a single worker task turns the latest state into a [`World`] on a
//! blocking thread and publishes it through a watch channel; requests wait for
//! a world at least as new as the state they saw and read it without locks.
//! No lock is held across an `.await` or an analysis.

use std::collections::{HashMap, HashSet};
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use retort_engine::project::{find_pipeline_files, ProjectRoot};
use retort_engine::text::PositionEncoding;
use tokio::sync::{watch, Notify};
use tower_lsp_server::jsonrpc;
use tower_lsp_server::ls_types as lsp;
use tower_lsp_server::Client;

use super::convert::{self, LineMap};
use super::documents::Document;
use crate::analysis::disk::KindMemo;
use crate::analysis::values::Revision;
use crate::analysis::{World, WorldInput};
use crate::integration::Insights;
use crate::jobs::CancelFlag;

/// What the client supports and what was agreed at `initialize`.
#[derive(Clone, Debug)]
pub struct Session {
    pub root: ProjectRoot,
    pub encoding: PositionEncoding,
    pub work_done_progress: bool,
    pub pull_diagnostics: bool,
    pub diagnostic_refresh: bool,
    pub code_lens_refresh: bool,
    pub inlay_hint_refresh: bool,
    pub resource_create: bool,
    pub related_document_versions: bool,
    /// Wait this long after a change before analysing, so a burst of edits
    /// is analysed once.
    pub debounce: Duration,
}

pub struct ServerState {
    pub client: Client,
    session: OnceLock<Session>,
    documents: Mutex<HashMap<String, Document>>,
    generation: AtomicU64,
    changed: Notify,
    world: watch::Sender<Option<Arc<World>>>,
    /// The cached list of `dvc.yaml` files; `None` means walk the project again.
    pipeline_files: Mutex<Option<Vec<String>>>,
    head: Mutex<Option<Option<Arc<Revision>>>>,
    /// Files the server has published diagnostics for, to clear them later.
    published: Mutex<HashSet<String>>,
    /// Set when files changed on disk, so the next world refreshes lenses and
    /// hints in the client.
    refresh_views: AtomicBool,
    /// Cancellation flags of running commands by progress token.
    pub jobs: Mutex<HashMap<String, CancelFlag>>,
    pub watcher: Mutex<Option<super::watcher::Watcher>>,
    /// Stage status and experiments, kept between worlds.
    pub insights: Arc<Insights>,
    /// Kinds of paths on disk, kept between worlds.
    kinds: KindMemo,
}

/// The world to answer a request with, and the session.
pub struct Snapshot {
    pub world: Arc<World>,
    pub session: Session,
}

impl Snapshot {
    /// Converts positions in a project file of this world.
    pub fn with_map<T>(&self, file: &str, f: impl FnOnce(&LineMap<'_>) -> T) -> Option<T> {
        let text = self.world.text(file)?;
        let index = self.world.line_index(file)?;
        Some(f(&LineMap {
            text: &text,
            index: &index,
            encoding: self.session.encoding,
        }))
    }
}

impl ServerState {
    pub fn new(client: Client) -> Arc<ServerState> {
        let (world, _) = watch::channel(None);
        Arc::new(ServerState {
            client,
            session: OnceLock::new(),
            documents: Mutex::new(HashMap::new()),
            generation: AtomicU64::new(0),
            changed: Notify::new(),
            world,
            pipeline_files: Mutex::new(None),
            head: Mutex::new(None),
            published: Mutex::new(HashSet::new()),
            refresh_views: AtomicBool::new(false),
            jobs: Mutex::new(HashMap::new()),
            watcher: Mutex::new(None),
            insights: Insights::new(),
            kinds: KindMemo::default(),
        })
    }

    pub fn set_session(&self, session: Session) {
        let _ = self.session.set(session);
    }

    pub fn session(&self) -> Option<&Session> {
        self.session.get()
    }

    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// Records that the state changed and wakes the analysis loop.
    pub fn touch(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        self.changed.notify_one();
    }

    /// Changes the open documents and records the change. The generation is
    /// bumped under the same lock that snapshots read it under, so a world
    /// never pairs new text with an old generation.
    pub fn edit_documents<T>(&self, f: impl FnOnce(&mut HashMap<String, Document>) -> T) -> T {
        let result = {
            let mut documents = self
                .documents
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            let result = f(&mut documents);
            self.generation.fetch_add(1, Ordering::SeqCst);
            result
        };
        self.changed.notify_one();
        result
    }

    /// Forgets the list of pipeline files, after one was created or removed.
    pub fn rescan_pipelines(&self) {
        *self
            .pipeline_files
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = None;
    }

    /// Files changed on disk (by the CLI, DVC or a command): forget what
    /// was read from them.
    pub fn files_changed(&self) {
        self.kinds.clear();
        self.insights.files_changed();
    }

    /// Forgets the `HEAD` snapshot and the experiments, after git refs
    /// changed.
    pub fn head_moved(&self) {
        self.kinds.clear();
        self.insights.refs_changed();
        *self
            .head
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = None;
    }

    pub fn request_view_refresh(&self) {
        self.refresh_views.store(true, Ordering::SeqCst);
    }

    /// A world that reflects at least every change made so far. Waits for the
    /// analysis loop; after a timeout (a stuck or failed analysis) it answers
    /// with the newest world there is rather than never.
    pub async fn snapshot(&self) -> jsonrpc::Result<Snapshot> {
        let session = self
            .session()
            .cloned()
            .ok_or_else(jsonrpc::Error::invalid_request)?;
        let wanted = self.generation();
        let mut receiver = self.world.subscribe();
        let waited = tokio::time::timeout(
            Duration::from_secs(10),
            receiver.wait_for(|world| {
                world
                    .as_ref()
                    .is_some_and(|world| world.generation >= wanted)
            }),
        )
        .await
        .ok()
        .and_then(|found| found.ok().map(|world| world.clone()));
        let world = match waited {
            Some(world) => world,
            None => receiver.borrow().clone(),
        };
        match world {
            Some(world) => Ok(Snapshot { world, session }),
            None => Err(jsonrpc::Error {
                code: jsonrpc::ErrorCode::ServerError(-32002),
                message: "the project is still being loaded".into(),
                data: None,
            }),
        }
    }

    /// Copies what an analysis needs, holding each lock briefly.
    fn world_input(&self, session: &Session) -> WorldInput {
        let (generation, buffers, versions) = {
            let documents = self
                .documents
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            let generation = self.generation();
            let buffers = documents
                .iter()
                .map(|(path, document)| (path.clone(), document.text()))
                .collect();
            let versions = documents
                .iter()
                .map(|(path, document)| (path.clone(), document.version))
                .collect();
            (generation, buffers, versions)
        };
        let cached = self
            .pipeline_files
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone();
        let pipeline_files = match cached {
            Some(files) => files,
            None => {
                let files = find_pipeline_files(&session.root.root);
                *self
                    .pipeline_files
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(files.clone());
                files
            }
        };
        let head = {
            let mut head = self
                .head
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            head.get_or_insert_with(|| Revision::open(&session.root, "HEAD").map(Arc::new))
                .clone()
        };
        // Clone the map out before building: the world is not kept borrowed.
        let previous = self.world.borrow().clone();
        let parsed_before = previous
            .as_ref()
            .map(|world| world.parsed_files())
            .unwrap_or_default();
        let dag_before = previous.map(|world| (world.dag_key, world.dag.clone()));
        WorldInput {
            root: session.root.clone(),
            buffers,
            versions,
            pipeline_files,
            head,
            generation,
            insights: self.insights.clone(),
            parsed_before,
            dag_before,
            kinds: self.kinds.clone(),
        }
    }

    /// The analysis loop: waits for changes, builds a world for the latest
    /// state, publishes it and its diagnostics. Results for a state that
    /// changed while they were computed are not published as diagnostics:
    /// the next round replaces them.
    pub async fn analysis_loop(self: Arc<Self>) {
        loop {
            self.changed.notified().await;
            let Some(session) = self.session().cloned() else {
                continue;
            };
            // A wake-up for a change that the last analysis already saw.
            let current = self.world.borrow().as_ref().map(|world| world.generation);
            if current == Some(self.generation()) {
                continue;
            }
            if !session.debounce.is_zero() {
                tokio::time::sleep(session.debounce).await;
            }
            let state = self.clone();
            let built = tokio::task::spawn_blocking(move || {
                std::panic::catch_unwind(AssertUnwindSafe(|| {
                    World::build(state.world_input(&session))
                }))
            })
            .await;
            let world = match built {
                Ok(Ok(result)) => result,
                Ok(Err(_)) | Err(_) => {
                    tracing::error!("analysing the project panicked; waiting for the next change");
                    continue;
                }
            };
            tracing::debug!(generation = world.generation, "analysed the project");
            let world = Arc::new(world);
            let watch_started = std::time::Instant::now();
            // Watch before publishing: a client that reacts to diagnostics by
            // writing a file must have its write seen.
            self.update_watches(&world);
            tracing::debug!(
                ms = watch_started.elapsed().as_secs_f64() * 1000.0,
                "updated file watches"
            );
            let generation = world.generation;
            let previous = self.world.send_replace(Some(world.clone()));
            // Freeing a large world takes a while; do it off the path to
            // the client.
            tokio::task::spawn_blocking(move || drop(previous));
            if generation != self.generation() {
                tracing::debug!(generation, "dropping diagnostics of a stale analysis");
                continue;
            }
            self.publish_diagnostics(&world).await;
            if self.refresh_views.swap(false, Ordering::SeqCst) {
                self.refresh_views(&world).await;
            }
        }
    }

    async fn publish_diagnostics(&self, world: &World) {
        let Some(session) = self.session() else {
            return;
        };
        let mut batches = Vec::new();
        let mut now_published = HashSet::new();
        let mut pulled_changed = false;
        // Open documents get a (possibly empty) list every round, so the
        // client sees that each version was checked.
        let empty = Vec::new();
        let mut files: Vec<(&String, &Vec<retort_engine::diagnostic::Diagnostic>)> =
            world.diagnostics.iter().collect();
        for open in world.open_files() {
            if !world.diagnostics.contains_key(open) {
                files.push((open, &empty));
            }
        }
        for (file, diagnostics) in files {
            if session.pull_diagnostics && world.is_open(file) {
                pulled_changed = true;
                continue;
            }
            let (Some(text), Some(index)) = (world.text(file), world.line_index(file)) else {
                continue;
            };
            let map = LineMap {
                text: &text,
                index: &index,
                encoding: session.encoding,
            };
            let converted: Vec<lsp::Diagnostic> = diagnostics
                .iter()
                .map(|diagnostic| convert::diagnostic(&map, diagnostic))
                .collect();
            now_published.insert(file.clone());
            batches.push((file.clone(), converted));
        }
        let cleared: Vec<String> = {
            let mut published = self
                .published
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            let cleared = published.difference(&now_published).cloned().collect();
            *published = now_published;
            cleared
        };
        for file in cleared {
            batches.push((file, Vec::new()));
        }
        for (file, diagnostics) in batches {
            let Some(uri) = convert::file_uri(&session.root.root, &file) else {
                continue;
            };
            let version = world.version(&file);
            self.client
                .publish_diagnostics(uri, diagnostics, version)
                .await;
        }
        if session.pull_diagnostics && session.diagnostic_refresh && pulled_changed {
            let _ = self.client.workspace_diagnostic_refresh().await;
        }
    }

    async fn refresh_views(&self, _world: &World) {
        let Some(session) = self.session() else {
            return;
        };
        if session.code_lens_refresh {
            let _ = self.client.code_lens_refresh().await;
        }
        if session.inlay_hint_refresh {
            let _ = self.client.inlay_hint_refresh().await;
        }
        if session.pull_diagnostics && session.diagnostic_refresh {
            let _ = self.client.workspace_diagnostic_refresh().await;
        }
    }

    fn update_watches(&self, world: &World) {
        let mut watcher = self
            .watcher
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(watcher) = watcher.as_mut() {
            watcher.update(world);
        }
    }
}
