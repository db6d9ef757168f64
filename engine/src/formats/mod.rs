//! Loaders for the file formats DVC reads params, metrics and plots from. Each
//! loader returns the tree it could build plus the syntax errors it met, so that a
//! half-typed file still gives the language server something to work with.

pub mod json;
pub mod python;
pub mod toml;
pub mod yaml;

use std::path::Path;

use crate::node::Node;
use crate::text::Span;

/// A params or metrics file format. DVC picks it by extension: `.json`, `.toml`
/// and `.py` are their formats, and everything else is read as YAML.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    Yaml,
    Json,
    Toml,
    Python,
}

impl Format {
    pub fn from_path(path: &Path) -> Format {
        // DVC compares the extension case-insensitively.
        let extension = path
            .extension()
            .and_then(|extension| extension.to_str())
            .map(str::to_ascii_lowercase);
        match extension.as_deref() {
            Some("json") => Format::Json,
            Some("toml") => Format::Toml,
            Some("py") => Format::Python,
            _ => Format::Yaml,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Format::Yaml => "YAML",
            Format::Json => "JSON",
            Format::Toml => "TOML",
            Format::Python => "Python",
        }
    }
}

/// A syntax error with the span it points at.
#[derive(Clone, Debug, PartialEq)]
pub struct SyntaxError {
    pub span: Span,
    pub message: String,
}

/// The result of loading one file: the tree, if any part of it could be built, and
/// the syntax errors. A file with errors may still have a partial tree.
#[derive(Clone, Debug, Default)]
pub struct Parsed {
    pub root: Option<Node>,
    pub errors: Vec<SyntaxError>,
}

impl Parsed {
    pub fn is_ok(&self) -> bool {
        self.errors.is_empty()
    }
}

/// Parses `text` in `format`.
pub fn parse(format: Format, text: &str) -> Parsed {
    match format {
        Format::Yaml => yaml::parse(text),
        Format::Json => json::parse(text),
        Format::Toml => toml::parse(text),
        Format::Python => python::parse(text),
    }
}
