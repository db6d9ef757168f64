//! DVC's repository config: `.dvc/config` (committed) with `.dvc/config.local`
//! (private) merged over it key by key, as `dvc config` and `dvc config --local`
//! write them. Settings Retort acts on are validated with DVC's rules when the
//! files load; every other setting is kept as text for later use.
//!
//! NOTE: DVC also reads a global and a system config (`~/.config/dvc/config`,
//! `/etc/xdg/dvc/config`) below the repository levels; they are not read here.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use indexmap::IndexMap;

use crate::cache::{LinkType, DEFAULT_CACHE_DIR};
use crate::config::configobj::{self, IniValue};
use crate::config::ConfigError;

/// File names inside `.dvc/`, in the order they shadow each other.
pub const DVC_CONFIG_FILES: [&str; 2] = ["config", "config.local"];

/// One setting with the file and line it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Setting {
    pub value: IniValue,
    pub file: PathBuf,
    pub line: usize,
}

impl Setting {
    fn error(&self, message: impl Into<String>, fix: impl Into<String>) -> ConfigError {
        ConfigError::new(&self.file, Some(self.line), message, fix)
    }

    /// Returns the value as text and rejects lists.
    fn text(&self, name: &str) -> Result<&str, ConfigError> {
        match &self.value {
            IniValue::Str(text) => Ok(text),
            IniValue::List(_) => Err(self.error(
                format!("{name} must be a single value, not a comma-separated list"),
                "remove the commas or quote the value",
            )),
        }
    }

    /// DVC's `Bool`: `true` or `false` in any letter case.
    fn boolean(&self, name: &str) -> Result<bool, ConfigError> {
        match self.text(name)?.to_lowercase().as_str() {
            "true" => Ok(true),
            "false" => Ok(false),
            other => Err(self.error(
                format!("{name} = '{other}' is not a boolean"),
                "write true or false",
            )),
        }
    }
}

/// Rendering style of boolean values in a `${dict}` stage command (`parsing.bool`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ParsingBool {
    /// `--flag` for true and nothing for false.
    #[default]
    StoreTrue,
    /// `--flag` for true and `--no-flag` for false.
    BooleanOptional,
}

/// Rendering style of list values in a `${dict}` stage command (`parsing.list`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ParsingList {
    /// `--key a b`.
    #[default]
    Nargs,
    /// `--key a --key b`.
    Append,
}

/// The merged DVC config of one repository.
#[derive(Clone, Debug, PartialEq)]
pub struct DvcConfig {
    /// Every setting by section and key, after merging. Remote sections keep
    /// their header text, e.g. `remote "storage"`.
    pub sections: IndexMap<String, IndexMap<String, Setting>>,
    /// `cache.dir`, resolved against the directory of the file that set it.
    pub cache_dir: Option<PathBuf>,
    /// `cache.type`; DVC's default is `reflink,copy`.
    pub cache_types: Vec<LinkType>,
    /// `core.autostage`: stage changed files in git after commands that change them.
    pub autostage: bool,
    /// `core.no_scm`: the project is not inside a git repository.
    pub no_scm: bool,
    /// `core.remote`: the default remote.
    pub remote: Option<String>,
    pub parsing_bool: ParsingBool,
    pub parsing_list: ParsingList,
    /// `exp.auto_push`: push experiments after `exp run`.
    pub exp_auto_push: bool,
    /// `exp.git_remote`: the git remote for experiment pushes; `origin` by default.
    pub exp_git_remote: String,
}

impl Default for DvcConfig {
    fn default() -> DvcConfig {
        DvcConfig {
            sections: IndexMap::new(),
            cache_dir: None,
            cache_types: LinkType::DEFAULT.to_vec(),
            autostage: false,
            no_scm: false,
            remote: None,
            parsing_bool: ParsingBool::default(),
            parsing_list: ParsingList::default(),
            exp_auto_push: false,
            exp_git_remote: "origin".to_string(),
        }
    }
}

impl DvcConfig {
    /// Loads `config` and `config.local` from the `.dvc` directory `dvc_dir`.
    pub fn load(dvc_dir: &Path) -> Result<DvcConfig, ConfigError> {
        let mut sections: IndexMap<String, IndexMap<String, Setting>> = IndexMap::new();
        for name in DVC_CONFIG_FILES {
            let file = dvc_dir.join(name);
            let text = match fs::read(&file) {
                Ok(bytes) => String::from_utf8(bytes).map_err(|_| {
                    ConfigError::new(
                        &file,
                        None,
                        "the file is not valid UTF-8",
                        "save it as UTF-8",
                    )
                })?,
                Err(error) if error.kind() == io::ErrorKind::NotFound => continue,
                Err(error) => {
                    return Err(ConfigError::new(
                        &file,
                        None,
                        format!("cannot read the file: {error}"),
                        "check its permissions",
                    ))
                }
            };
            merge_file(&mut sections, &file, &text)?;
        }
        DvcConfig::from_sections(sections)
    }

    /// Parses one config file's text, as if it were the only level.
    pub fn parse(file: &Path, text: &str) -> Result<DvcConfig, ConfigError> {
        let mut sections = IndexMap::new();
        merge_file(&mut sections, file, text)?;
        DvcConfig::from_sections(sections)
    }

    /// Looks up a setting by section and key (lowercase, as DVC stores them).
    pub fn get(&self, section: &str, key: &str) -> Option<&Setting> {
        self.sections.get(section)?.get(key)
    }

    /// Lists the configured remotes by name (`['remote "name"']` sections).
    pub fn remotes(&self) -> impl Iterator<Item = (&str, &IndexMap<String, Setting>)> {
        self.sections
            .iter()
            .filter_map(|(section, settings)| Some((named_section(section, "remote")?, settings)))
    }

    /// Returns the cache directory: `cache.dir` when set, else `.dvc/cache`
    /// under `repo_root`.
    pub fn cache_dir_or_default(&self, repo_root: &Path) -> PathBuf {
        self.cache_dir
            .clone()
            .unwrap_or_else(|| repo_root.join(DEFAULT_CACHE_DIR))
    }

    fn from_sections(
        sections: IndexMap<String, IndexMap<String, Setting>>,
    ) -> Result<DvcConfig, ConfigError> {
        let mut config = DvcConfig {
            sections,
            ..DvcConfig::default()
        };
        if let Some(setting) = config.get("cache", "dir") {
            config.cache_dir = Some(resolve_dir(setting, setting.text("cache.dir")?));
        }
        if let Some(setting) = config.get("cache", "type") {
            config.cache_types = parse_link_types(setting)?;
        }
        if let Some(setting) = config.get("core", "autostage") {
            config.autostage = setting.boolean("core.autostage")?;
        }
        if let Some(setting) = config.get("core", "no_scm") {
            config.no_scm = setting.boolean("core.no_scm")?;
        }
        if let Some(setting) = config.get("core", "remote") {
            config.remote = Some(setting.text("core.remote")?.to_lowercase());
        }
        if let Some(setting) = config.get("parsing", "bool") {
            config.parsing_bool = match setting.text("parsing.bool")?.to_lowercase().as_str() {
                "store_true" => ParsingBool::StoreTrue,
                "boolean_optional" => ParsingBool::BooleanOptional,
                other => {
                    return Err(setting.error(
                        format!("parsing.bool = '{other}' is not a known style"),
                        "use store_true or boolean_optional",
                    ))
                }
            };
        }
        if let Some(setting) = config.get("parsing", "list") {
            config.parsing_list = match setting.text("parsing.list")?.to_lowercase().as_str() {
                "nargs" => ParsingList::Nargs,
                "append" => ParsingList::Append,
                other => {
                    return Err(setting.error(
                        format!("parsing.list = '{other}' is not a known style"),
                        "use nargs or append",
                    ))
                }
            };
        }
        if let Some(setting) = config.get("exp", "auto_push") {
            config.exp_auto_push = setting.boolean("exp.auto_push")?;
        }
        if let Some(setting) = config.get("exp", "git_remote") {
            config.exp_git_remote = setting.text("exp.git_remote")?.to_string();
        }
        Ok(config)
    }
}

/// Parses one file and merges its settings over `sections`, key by key.
fn merge_file(
    sections: &mut IndexMap<String, IndexMap<String, Setting>>,
    file: &Path,
    text: &str,
) -> Result<(), ConfigError> {
    let document = configobj::parse(text).map_err(|error| {
        ConfigError::new(
            file,
            Some(error.line),
            error.message,
            "fix the line, or run `dvc config` to rewrite the file",
        )
    })?;
    for (name, section) in document.sections {
        if name.is_empty() {
            if let Some((key, entry)) = section.entries.first() {
                return Err(ConfigError::new(
                    file,
                    Some(entry.line),
                    format!("'{key}' is outside any [section]"),
                    "move it under the section it belongs to, such as [core]",
                ));
            }
            continue;
        }
        // `remote "x"` and `remote  "x"` name the same remote in DVC.
        let name = normalize_section_name(&name);
        let merged = sections.entry(name).or_default();
        for (key, entry) in section.entries {
            merged.insert(
                key,
                Setting {
                    value: entry.value,
                    file: file.to_path_buf(),
                    line: entry.line,
                },
            );
        }
    }
    Ok(())
}

fn normalize_section_name(name: &str) -> String {
    for kind in ["remote", "machine", "db"] {
        if let Some(inner) = named_section(name, kind) {
            return format!("{kind} \"{inner}\"");
        }
    }
    name.to_string()
}

/// Extracts the name inside a `kind "name"` section header, as DVC's
/// `_parse_named` reads it.
fn named_section<'a>(section: &'a str, kind: &str) -> Option<&'a str> {
    let rest = section.trim().strip_prefix(kind)?.trim_start();
    rest.strip_prefix('"')?.strip_suffix('"')
}

/// `cache.dir` is relative to the directory of the config file that sets it; a
/// leading `~` means the home directory. URLs are kept as they are.
fn resolve_dir(setting: &Setting, value: &str) -> PathBuf {
    let is_url = value.split_once("://").is_some_and(|(scheme, _)| {
        !scheme.is_empty() && scheme.chars().all(|ch| ch.is_alphanumeric() || ch == '_')
    });
    if is_url {
        return PathBuf::from(value);
    }
    let expanded = match value.strip_prefix('~') {
        Some(rest) if rest.is_empty() || rest.starts_with('/') => std::env::var_os("HOME")
            .map(|home| PathBuf::from(home).join(rest.trim_start_matches('/')))
            .unwrap_or_else(|| PathBuf::from(value)),
        _ => PathBuf::from(value),
    };
    if expanded.is_absolute() {
        return expanded;
    }
    crate::fsutil::parent_dir(&setting.file).join(expanded)
}

/// DVC's `supported_cache_type`: a comma-separated string or a list of
/// `reflink`, `hardlink`, `symlink`, `copy`.
fn parse_link_types(setting: &Setting) -> Result<Vec<LinkType>, ConfigError> {
    let names: Vec<String> = match &setting.value {
        IniValue::Str(text) => text
            .split(',')
            .map(|name| name.trim().to_string())
            .collect(),
        IniValue::List(items) => items.clone(),
    };
    let mut types = Vec::new();
    let mut unsupported = Vec::new();
    for name in names {
        match LinkType::from_name(&name) {
            Some(link_type) => types.push(link_type),
            None => unsupported.push(name),
        }
    }
    if !unsupported.is_empty() {
        return Err(setting.error(
            format!("unsupported cache type(s): {}", unsupported.join(", ")),
            "use a comma-separated list of reflink, hardlink, symlink and copy",
        ));
    }
    if types.is_empty() {
        return Err(setting.error(
            "cache.type is empty",
            "list at least one of reflink, hardlink, symlink and copy, or remove the key",
        ));
    }
    Ok(types)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_config_overrides_repo_config() {
        let dvc_dir = tempfile::tempdir().unwrap();
        fs::write(
            dvc_dir.path().join("config"),
            "[core]\n    autostage = true\n    remote = Storage\n[cache]\n    type = hardlink,symlink\n",
        )
        .unwrap();
        fs::write(
            dvc_dir.path().join("config.local"),
            "[core]\n    autostage = false\n[cache]\n    dir = ../elsewhere\n",
        )
        .unwrap();

        let config = DvcConfig::load(dvc_dir.path()).unwrap();

        assert!(!config.autostage);
        assert_eq!(config.remote.as_deref(), Some("storage"));
        assert_eq!(
            config.cache_types,
            vec![LinkType::Hardlink, LinkType::Symlink]
        );
        assert_eq!(config.cache_dir, Some(dvc_dir.path().join("../elsewhere")));
        assert_eq!(
            config.get("core", "autostage").unwrap().file,
            dvc_dir.path().join("config.local")
        );
    }

    #[test]
    fn defaults_without_files() {
        let dvc_dir = tempfile::tempdir().unwrap();
        let config = DvcConfig::load(dvc_dir.path()).unwrap();
        assert_eq!(config, DvcConfig::default());
        assert_eq!(config.cache_types, vec![LinkType::Reflink, LinkType::Copy]);
        assert_eq!(config.exp_git_remote, "origin");
    }

    #[test]
    fn invalid_values_point_at_their_line() {
        let file = Path::new(".dvc/config");
        let error = DvcConfig::parse(file, "[core]\n  autostage = maybe\n").unwrap_err();
        assert_eq!(error.line, Some(2));
        assert!(
            error
                .to_string()
                .starts_with(".dvc/config:2: core.autostage = 'maybe'"),
            "{error}"
        );

        let error = DvcConfig::parse(file, "[cache]\ntype = reflink, teleport\n").unwrap_err();
        assert!(error.message.contains("teleport"));

        let error = DvcConfig::parse(file, "[parsing]\nbool = yes\n").unwrap_err();
        assert!(error.fix.contains("boolean_optional"));
    }

    #[test]
    fn remotes_are_listed_by_name() {
        let config = DvcConfig::parse(
            Path::new("config"),
            "['remote \"storage\"']\n    url = /tmp/x\n[core]\n    remote = storage\n",
        )
        .unwrap();
        let remotes: Vec<&str> = config.remotes().map(|(name, _)| name).collect();
        assert_eq!(remotes, vec!["storage"]);
        assert_eq!(config.exp_git_remote, "origin");
    }
}
