//! A language-server client for tests and benchmarks: starts the real
//! `retort lsp` binary and speaks JSON-RPC over its stdin and stdout, the way
//! an editor does.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// How long a test waits for one answer before failing.
pub const TIMEOUT: Duration = Duration::from_secs(20);

/// The `retort` binary: `RETORT_BIN` when set, else the one in this build's
/// target directory, built first with the same profile so that it is never
/// stale (`cargo test -p retort-tests` alone does not build other packages'
/// binaries).
pub fn retort_binary() -> PathBuf {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY
        .get_or_init(|| {
            if let Some(path) = std::env::var_os("RETORT_BIN") {
                return PathBuf::from(path);
            }
            let exe = std::env::current_exe().expect("test executable path");
            // target/<profile>/deps/<test> -> target/<profile>
            let profile_dir = exe
                .parent()
                .and_then(Path::parent)
                .expect("test executable in target/<profile>/deps")
                .to_path_buf();
            let target_dir = profile_dir
                .parent()
                .expect("target directory")
                .to_path_buf();
            let profile = match profile_dir.file_name().and_then(|name| name.to_str()) {
                Some("debug") | None => "dev".to_string(),
                Some(other) => other.to_string(),
            };
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
            let status = Command::new(cargo)
                .args([
                    "build",
                    "--quiet",
                    "-p",
                    "retort",
                    "--bin",
                    "retort",
                    "--profile",
                    &profile,
                ])
                .env("CARGO_TARGET_DIR", &target_dir)
                .current_dir(crate::repo_root())
                .status()
                .expect("run cargo build for the retort binary");
            assert!(status.success(), "building the retort binary failed");
            profile_dir.join(format!("retort{}", std::env::consts::EXE_SUFFIX))
        })
        .clone()
}

/// What the client tells the server it supports.
#[derive(Clone, Debug)]
pub struct ClientOptions {
    /// Offer UTF-8 positions (else only UTF-16, the LSP default).
    pub utf8: bool,
    pub pull_diagnostics: bool,
    pub work_done_progress: bool,
    pub initialization_options: Value,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            utf8: false,
            pull_diagnostics: false,
            work_done_progress: true,
            initialization_options: json!({}),
        }
    }
}

/// A running `retort lsp` with an initialized session.
pub struct LspClient {
    child: Child,
    stdin: ChildStdin,
    incoming: Receiver<Value>,
    next_id: i64,
    /// Notifications and server requests received while waiting for
    /// something else, oldest first.
    pub pending: VecDeque<Value>,
    pub root: PathBuf,
    pub initialize_result: Value,
}

impl LspClient {
    /// Starts the server on the project at `root` and initializes it.
    pub fn start(root: &Path, options: ClientOptions) -> LspClient {
        let mut child = Command::new(retort_binary())
            .arg("lsp")
            .current_dir(root)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start retort lsp");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let (sender, incoming) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            while let Some(message) = read_message(&mut reader) {
                if sender.send(message).is_err() {
                    break;
                }
            }
        });
        let mut client = LspClient {
            child,
            stdin,
            incoming,
            next_id: 1,
            pending: VecDeque::new(),
            root: root.to_path_buf(),
            initialize_result: Value::Null,
        };
        let mut general = json!({});
        if options.utf8 {
            general = json!({ "positionEncodings": ["utf-8", "utf-16"] });
        }
        let mut text_document = json!({
            "hover": { "contentFormat": ["markdown"] },
            "completion": {},
            "codeAction": {},
            "codeLens": {},
            "inlayHint": {},
        });
        if options.pull_diagnostics {
            text_document["diagnostic"] = json!({ "dynamicRegistration": false });
        }
        let result = client
            .request(
                "initialize",
                json!({
                    "processId": std::process::id(),
                    "rootUri": file_uri(root),
                    "workspaceFolders": [{ "uri": file_uri(root), "name": "project" }],
                    "capabilities": {
                        "general": general,
                        "textDocument": text_document,
                        "window": { "workDoneProgress": options.work_done_progress },
                        "workspace": {
                            "codeLens": { "refreshSupport": true },
                            "inlayHint": { "refreshSupport": true },
                            "workspaceEdit": {
                                "documentChanges": true,
                                "resourceOperations": ["create"],
                            },
                        },
                    },
                    "initializationOptions": options.initialization_options,
                }),
            )
            .expect("initialize succeeds");
        client.initialize_result = result;
        client.notify("initialized", json!({}));
        client
    }

    pub fn uri(&self, relative: &str) -> String {
        file_uri(&self.root.join(relative))
    }

    pub fn send(&mut self, message: &Value) {
        let body = serde_json::to_string(message).expect("serialize");
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len())
            .expect("write to server");
        self.stdin.flush().expect("flush");
    }

    pub fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    /// Sends a request and waits for its response: `Ok(result)` or
    /// `Err(error object)`.
    pub fn request(&mut self, method: &str, params: Value) -> Result<Value, Value> {
        let id = self.start_request(method, params);
        self.response(id)
    }

    pub fn start_request(&mut self, method: &str, params: Value) -> i64 {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        id
    }

    /// Waits for the response to request `id`, keeping other messages.
    pub fn response(&mut self, id: i64) -> Result<Value, Value> {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let message = self
                .next_message(deadline)
                .unwrap_or_else(|| panic!("no response to request {id} within {TIMEOUT:?}"));
            if message.get("method").is_none() && message["id"] == json!(id) {
                return match message.get("error") {
                    Some(error) => Err(error.clone()),
                    None => Ok(message["result"].clone()),
                };
            }
            self.pending.push_back(message);
        }
    }

    /// Waits for a notification or server request with `method` that
    /// satisfies `accept`, looking at kept messages first.
    pub fn wait_for(&mut self, method: &str, accept: impl Fn(&Value) -> bool) -> Value {
        self.wait_for_within(method, TIMEOUT, accept)
            .unwrap_or_else(|| {
                let recent: Vec<&Value> = self.pending.iter().rev().take(8).collect();
                panic!("no '{method}' message within {TIMEOUT:?}; the last ones kept: {recent:#?}")
            })
    }

    pub fn wait_for_within(
        &mut self,
        method: &str,
        timeout: Duration,
        accept: impl Fn(&Value) -> bool,
    ) -> Option<Value> {
        if let Some(position) = self
            .pending
            .iter()
            .position(|message| message["method"] == json!(method) && accept(&message["params"]))
        {
            return self.pending.remove(position);
        }
        let deadline = Instant::now() + timeout;
        loop {
            let message = self.next_message(deadline)?;
            if message["method"] == json!(method) && accept(&message["params"]) {
                return Some(message);
            }
            self.pending.push_back(message);
        }
    }

    /// The diagnostics published for `relative` that satisfy `accept`.
    pub fn diagnostics_for(
        &mut self,
        relative: &str,
        accept: impl Fn(&[Value]) -> bool,
    ) -> Vec<Value> {
        let uri = self.uri(relative);
        let message = self.wait_for("textDocument/publishDiagnostics", |params| {
            params["uri"] == json!(uri)
                && params["diagnostics"]
                    .as_array()
                    .is_some_and(|list| accept(list))
        });
        message["params"]["diagnostics"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// The latest diagnostics of every file, collected until no message has
    /// arrived for `quiet`.
    pub fn settled_diagnostics(
        &mut self,
        quiet: Duration,
    ) -> std::collections::BTreeMap<String, Vec<Value>> {
        while let Some(message) = self.next_message(Instant::now() + quiet) {
            self.pending.push_back(message);
        }
        let mut latest = std::collections::BTreeMap::new();
        for message in &self.pending {
            if message["method"] == json!("textDocument/publishDiagnostics") {
                let uri = message["params"]["uri"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                let list = message["params"]["diagnostics"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                latest.insert(uri, list);
            }
        }
        latest
    }

    /// Reads the next message, answering server requests that need an answer
    /// (progress tokens, refreshes) as an editor would, and keeping them.
    fn next_message(&mut self, deadline: Instant) -> Option<Value> {
        let left = deadline.saturating_duration_since(Instant::now());
        let message = match self.incoming.recv_timeout(left) {
            Ok(message) => message,
            Err(RecvTimeoutError::Timeout) => return None,
            Err(RecvTimeoutError::Disconnected) => {
                panic!("the server closed its output (it exited)")
            }
        };
        if message.get("method").is_some() && message.get("id").is_some() {
            let answer = json!({ "jsonrpc": "2.0", "id": message["id"], "result": null });
            self.send(&answer);
        }
        Some(message)
    }

    pub fn open(&mut self, relative: &str, text: &str) {
        let uri = self.uri(relative);
        self.notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": uri, "languageId": "yaml", "version": 1, "text": text } }),
        );
    }

    /// Sends one incremental change replacing `range` (LSP positions).
    pub fn change(&mut self, relative: &str, version: i32, range: Value, text: &str) {
        let uri = self.uri(relative);
        self.notify(
            "textDocument/didChange",
            json!({
                "textDocument": { "uri": uri, "version": version },
                "contentChanges": [{ "range": range, "text": text }],
            }),
        );
    }

    pub fn replace_all(&mut self, relative: &str, version: i32, text: &str) {
        let uri = self.uri(relative);
        self.notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": uri, "version": version }, "contentChanges": [{ "text": text }] }),
        );
    }

    /// A request on a position of a document.
    pub fn at(&mut self, method: &str, relative: &str, line: u32, character: u32) -> Value {
        let uri = self.uri(relative);
        self.request(
            method,
            json!({ "textDocument": { "uri": uri }, "position": { "line": line, "character": character } }),
        )
        .unwrap_or_else(|error| panic!("{method} failed: {error}"))
    }

    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Resident memory of the server process in bytes (Linux only).
    pub fn resident_bytes(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
        let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kb * 1024)
    }

    /// Shuts the server down as an editor does and waits for it to exit.
    pub fn shutdown(mut self) -> std::process::ExitStatus {
        let _ = self.request("shutdown", Value::Null);
        self.notify("exit", Value::Null);
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "the server did not exit after 'exit'"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for LspClient {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn read_message(reader: &mut impl BufRead) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(value) = line.strip_prefix("Content-Length:") {
            length = value.trim().parse::<usize>().ok();
        }
    }
    let mut body = vec![0; length?];
    reader.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

pub fn file_uri(path: &Path) -> String {
    let text = path.to_string_lossy().replace('\\', "/");
    let mut encoded = String::new();
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' | b'~' => {
                encoded.push(byte as char)
            }
            other => encoded.push_str(&format!("%{other:02X}")),
        }
    }
    if encoded.starts_with('/') {
        format!("file://{encoded}")
    } else {
        format!("file:///{encoded}")
    }
}

/// A range value from line/character pairs.
pub fn range(start: (u32, u32), end: (u32, u32)) -> Value {
    json!({
        "start": { "line": start.0, "character": start.1 },
        "end": { "line": end.0, "character": end.1 },
    })
}

/// A project in a fresh temporary git repository with one commit.
pub struct Fixture {
    pub dir: tempfile::TempDir,
}

impl Fixture {
    /// Writes `files` (path, content), runs `git init` and commits them.
    pub fn new(files: &[(&str, &str)]) -> Fixture {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir_all(dir.path().join(".dvc")).expect("create .dvc");
        std::fs::write(dir.path().join(".dvc/config"), "").expect("write .dvc/config");
        for (path, content) in files {
            write_file(dir.path(), path, content);
        }
        git(dir.path(), &["init", "-q"]);
        git(dir.path(), &["add", "-A"]);
        git(dir.path(), &["commit", "-q", "-m", "fixture"]);
        Fixture { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn write(&self, path: &str, content: &str) {
        write_file(self.path(), path, content);
    }

    pub fn commit(&self, message: &str) {
        git(self.path(), &["add", "-A"]);
        git(self.path(), &["commit", "-q", "-m", message]);
    }
}

fn write_file(root: &Path, path: &str, content: &str) {
    let full = root.join(path);
    if let Some(parent) = full.parent() {
        std::fs::create_dir_all(parent).expect("create directories");
    }
    std::fs::write(full, content).expect("write fixture file");
}

pub fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .args([
            "-c",
            "user.name=Retort Tests",
            "-c",
            "user.email=tests@retort.invalid",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::null())
        .status()
        .expect("run git");
    assert!(status.success(), "git {args:?} failed");
}

/// The text of a document with a `$0` cursor marker removed, and the
/// marker's line and UTF-16 column.
pub fn cursor(text_with_marker: &str) -> (String, u32, u32) {
    let offset = text_with_marker.find("$0").expect("a $0 cursor marker");
    let before = &text_with_marker[..offset];
    let line = before.matches('\n').count() as u32;
    let line_start = before.rfind('\n').map_or(0, |index| index + 1);
    let column = before[line_start..].encode_utf16().count() as u32;
    (text_with_marker.replacen("$0", "", 1), line, column)
}
