//! Access to the files of a project. Loading goes through [`FileSource`] so that
//! the language server can put unsaved editor buffers in front of the disk, and
//! through [`ParsedFiles`] so that a params file used by many stages is read and
//! parsed once per load.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::formats::{self, Format, Parsed};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    File,
    Directory,
}

/// Reads project files by project-relative, `/`-separated path.
pub trait FileSource: Send + Sync {
    fn read(&self, path: &str) -> io::Result<Arc<str>>;
    fn kind(&self, path: &str) -> Option<FileKind>;

    fn exists(&self, path: &str) -> bool {
        self.kind(path).is_some()
    }
}

/// Files on disk under a project root.
#[derive(Clone, Debug)]
pub struct DiskFiles {
    root: PathBuf,
}

impl DiskFiles {
    pub fn new(root: impl Into<PathBuf>) -> DiskFiles {
        DiskFiles { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn absolute(&self, path: &str) -> PathBuf {
        if path.is_empty() {
            self.root.clone()
        } else {
            self.root.join(path)
        }
    }
}

impl FileSource for DiskFiles {
    fn read(&self, path: &str) -> io::Result<Arc<str>> {
        let bytes = std::fs::read(self.absolute(path))?;
        match String::from_utf8(bytes) {
            Ok(text) => Ok(Arc::from(text)),
            Err(_) => Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "the file is not valid UTF-8",
            )),
        }
    }

    fn kind(&self, path: &str) -> Option<FileKind> {
        let metadata = std::fs::metadata(self.absolute(path)).ok()?;
        Some(if metadata.is_dir() {
            FileKind::Directory
        } else {
            FileKind::File
        })
    }
}

/// Editor buffers laid over another source: a path with a buffer reads the buffer.
pub struct Overlay<S> {
    base: S,
    buffers: HashMap<String, Arc<str>>,
}

impl<S: FileSource> Overlay<S> {
    pub fn new(base: S, buffers: HashMap<String, Arc<str>>) -> Overlay<S> {
        Overlay { base, buffers }
    }
}

impl<S: FileSource> FileSource for Overlay<S> {
    fn read(&self, path: &str) -> io::Result<Arc<str>> {
        match self.buffers.get(path) {
            Some(text) => Ok(text.clone()),
            None => self.base.read(path),
        }
    }

    fn kind(&self, path: &str) -> Option<FileKind> {
        if self.buffers.contains_key(path) {
            Some(FileKind::File)
        } else {
            self.base.kind(path)
        }
    }
}

/// A data file read and parsed in the format its extension selects.
#[derive(Debug)]
pub struct DataFile {
    pub path: String,
    pub format: Format,
    pub text: Arc<str>,
    pub parsed: Parsed,
}

/// Why a data file could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReadFailure {
    Missing,
    IsDirectory,
    Unreadable(String),
}

impl DataFile {
    /// The parsed document, when the text parsed far enough to have one.
    pub fn root(&self) -> Option<&crate::node::Node> {
        self.parsed.root.as_ref()
    }
}

/// A memo of parsed data files, shared by everything that one load reads.
pub struct ParsedFiles<'a> {
    source: &'a dyn FileSource,
    memo: Mutex<HashMap<String, Result<Arc<DataFile>, ReadFailure>>>,
    /// Files parsed by an earlier load; one whose text is unchanged is
    /// reused instead of parsed again.
    earlier: HashMap<String, Arc<DataFile>>,
}

impl<'a> ParsedFiles<'a> {
    pub fn new(source: &'a dyn FileSource) -> ParsedFiles<'a> {
        ParsedFiles::reusing(source, HashMap::new())
    }

    /// A memo that reuses the files of an earlier load whose text has not
    /// changed, for callers that load the same project again and again (the
    /// language server, on every edit).
    pub fn reusing(
        source: &'a dyn FileSource,
        earlier: HashMap<String, Arc<DataFile>>,
    ) -> ParsedFiles<'a> {
        ParsedFiles {
            source,
            memo: Mutex::new(HashMap::new()),
            earlier,
        }
    }

    /// A memo that starts with files already parsed from this same source,
    /// trusted without reading them again.
    pub fn with_loaded(
        source: &'a dyn FileSource,
        loaded: HashMap<String, Arc<DataFile>>,
    ) -> ParsedFiles<'a> {
        let memo = loaded
            .into_iter()
            .map(|(path, file)| (path, Ok(file)))
            .collect();
        ParsedFiles {
            source,
            memo: Mutex::new(memo),
            earlier: HashMap::new(),
        }
    }

    /// The files read and parsed so far, by path.
    pub fn loaded(&self) -> HashMap<String, Arc<DataFile>> {
        self.memo
            .lock()
            .expect("memo lock")
            .iter()
            .filter_map(|(path, result)| Some((path.clone(), result.clone().ok()?)))
            .collect()
    }

    pub fn source(&self) -> &'a dyn FileSource {
        self.source
    }

    /// Reads and parses the file at a normalized project-relative path.
    pub fn get(&self, path: &str) -> Result<Arc<DataFile>, ReadFailure> {
        if let Some(found) = self.memo.lock().expect("memo lock").get(path) {
            return found.clone();
        }
        let result = self.load(path);
        self.memo
            .lock()
            .expect("memo lock")
            .insert(path.to_string(), result.clone());
        result
    }

    fn load(&self, path: &str) -> Result<Arc<DataFile>, ReadFailure> {
        match self.source.kind(path) {
            None => return Err(ReadFailure::Missing),
            Some(FileKind::Directory) => return Err(ReadFailure::IsDirectory),
            Some(FileKind::File) => {}
        }
        let text = self
            .source
            .read(path)
            .map_err(|error| ReadFailure::Unreadable(error.to_string()))?;
        if let Some(earlier) = self.earlier.get(path) {
            if Arc::ptr_eq(&earlier.text, &text) || earlier.text == text {
                return Ok(earlier.clone());
            }
        }
        let format = Format::from_path(Path::new(path));
        let parsed = formats::parse(format, &text);
        Ok(Arc::new(DataFile {
            path: path.to_string(),
            format,
            text,
            parsed,
        }))
    }
}
