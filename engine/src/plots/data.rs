//! Loading one plot data file: JSON, YAML, TOML and Python files through the
//! params parsers, CSV and TSV as rows of strings, images as raw bytes. Other
//! extensions are refused, as DVC refuses them.

use std::io;

use crate::files::FileKind;
use crate::formats::{self, Format};
use crate::paths;

use super::files::PlotFiles;
use super::json::Json;
use super::sv;

/// Extensions DVC shows as images rather than as data.
pub const IMAGE_EXTENSIONS: [&str; 5] = [".jpg", ".jpeg", ".gif", ".png", ".svg"];

/// The content of a plot file.
#[derive(Clone, Debug, PartialEq)]
pub enum PlotData {
    Values(Json),
    Image(Vec<u8>),
}

impl PlotData {
    /// DVC drops sources whose content Python would call false (an empty list,
    /// dict or file).
    pub fn is_empty(&self) -> bool {
        match self {
            PlotData::Values(json) => json.is_falsy(),
            PlotData::Image(bytes) => bytes.is_empty(),
        }
    }
}

/// A failure to load a plot file. `kind` is the name DVC gives the same
/// failure in `plots show --json` errors.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct SourceError {
    pub kind: String,
    pub message: String,
}

impl SourceError {
    fn new(kind: &str, message: String) -> SourceError {
        SourceError {
            kind: kind.to_string(),
            message,
        }
    }
}

/// Returns the extension with its dot, as Python's `os.path.splitext` does.
pub fn extension(path: &str) -> &str {
    let name = paths::file_name(path);
    let stem_start = name.len() - name.trim_start_matches('.').len();
    match name[stem_start..].rfind('.') {
        Some(index) => &name[stem_start + index..],
        None => "",
    }
}

pub fn is_image(path: &str) -> bool {
    IMAGE_EXTENSIONS.contains(&extension(path))
}

/// Loads the plot file at a project-relative path. `header` applies to CSV and
/// TSV files only.
pub fn load(files: &dyn PlotFiles, path: &str, header: bool) -> Result<PlotData, SourceError> {
    let read = |path: &str| -> Result<Vec<u8>, SourceError> {
        if files.kind(path) == Some(FileKind::Directory) {
            return Err(SourceError::new(
                "IsADirectoryError",
                format!("'{path}' is a directory, not a plot file"),
            ));
        }
        files.read_bytes(path).map_err(|error| match error.kind() {
            // Python's text for the same error, which DVC reports.
            io::ErrorKind::NotFound => SourceError::new(
                "FileNotFoundError",
                format!("[Errno 2] No such file or directory: '{path}'"),
            ),
            _ => SourceError::new("OSError", format!("unable to read '{path}': {error}")),
        })
    };
    let extension = extension(path);
    if IMAGE_EXTENSIONS.contains(&extension) {
        return read(path).map(PlotData::Image);
    }
    let format = match extension {
        ".json" => Some(Format::Json),
        ".toml" => Some(Format::Toml),
        ".py" => Some(Format::Python),
        ".yaml" | ".yml" => Some(Format::Yaml),
        ".csv" | ".tsv" => None,
        _ => {
            return Err(SourceError::new(
                "PlotMetricTypeError",
                format!(
                "'{path}' - file type error\nOnly JSON, YAML, CSV and TSV formats are supported."
            ),
            ))
        }
    };
    let bytes = read(path)?;
    let text = String::from_utf8(bytes).map_err(|_| {
        SourceError::new(
            "EncodingError",
            format!("'{path}' is not valid UTF-8; save it as UTF-8 text"),
        )
    })?;
    match format {
        None => {
            let delimiter = if extension == ".tsv" { '\t' } else { ',' };
            Ok(PlotData::Values(Json::Array(sv::read_rows(
                &text, delimiter, header,
            ))))
        }
        Some(format) => {
            let parsed = formats::parse(format, &text);
            if let Some(error) = parsed.errors.first() {
                return Err(SourceError::new(
                    &format!("{}FileCorruptedError", format_prefix(format)),
                    format!("unable to read '{path}': {}", error.message),
                ));
            }
            Ok(PlotData::Values(
                parsed.root.as_ref().map_or(Json::Null, Json::from_node),
            ))
        }
    }
}

fn format_prefix(format: Format) -> &'static str {
    match format {
        Format::Yaml => "YAML",
        Format::Json => "JSON",
        Format::Toml => "TOML",
        Format::Python => "Python",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plots::files::WorkspaceFiles;

    #[test]
    fn extensions_split_like_python() {
        assert_eq!(extension("a/b.tsv"), ".tsv");
        assert_eq!(extension("a.b/c"), "");
        assert_eq!(extension(".hidden"), "");
        assert_eq!(extension("x.tar.gz"), ".gz");
        assert!(is_image("plots/cm.png"));
        assert!(!is_image("plots/cm.PNG"));
    }

    #[test]
    fn files_load_by_extension() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.yaml"), "- {epoch: 1, score: 2.5}\n").unwrap();
        std::fs::write(dir.path().join("a.tsv"), "step\tm\n0\t1\n").unwrap();
        std::fs::write(dir.path().join("a.png"), b"\x89PNG").unwrap();
        std::fs::write(dir.path().join("a.txt"), "x").unwrap();
        let files = WorkspaceFiles::new(dir.path());
        assert_eq!(
            load(&files, "a.yaml", true).unwrap(),
            PlotData::Values(Json::parse(r#"[{"epoch": 1, "score": 2.5}]"#).unwrap())
        );
        assert_eq!(
            load(&files, "a.tsv", true).unwrap(),
            PlotData::Values(Json::parse(r#"[{"step": "0", "m": "1"}]"#).unwrap())
        );
        assert_eq!(
            load(&files, "a.png", true).unwrap(),
            PlotData::Image(b"\x89PNG".to_vec())
        );
        assert_eq!(
            load(&files, "a.txt", true).unwrap_err().kind,
            "PlotMetricTypeError"
        );
        assert_eq!(
            load(&files, "gone.csv", true).unwrap_err().kind,
            "FileNotFoundError"
        );
    }
}
