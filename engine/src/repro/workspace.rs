//! The open state that running and inspecting a project needs besides its
//! pipelines: configuration, the object cache, `.dvcignore` rules and the
//! fingerprint store.

use std::path::{Path, PathBuf};

use crate::cache::{CacheError, CacheOptions, LinkType, ObjectCache};
use crate::config::dvc::{ParsingBool, ParsingList};
use crate::config::{ConfigError, ProjectConfig};
use crate::hash::{DvcIgnore, FingerprintStore};
use crate::hash_info::HashAlgorithm;
use crate::pipeline::interpolate::ParsingConfig;
use crate::project::ProjectRoot;

/// A project opened for running and status.
pub struct Workspace {
    pub root: ProjectRoot,
    pub config: ProjectConfig,
    pub cache: ObjectCache,
    pub cache_dir: PathBuf,
    pub link_types: Vec<LinkType>,
    pub ignore: DvcIgnore,
    pub fingerprints: FingerprintStore,
    /// The hash function for new entries: md5 unless the project opted into blake3.
    pub algorithm: HashAlgorithm,
}

#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Cache(#[from] CacheError),
}

impl Workspace {
    pub fn open(root: ProjectRoot) -> Result<Workspace, WorkspaceError> {
        let dvc_dir = root.dvc_dir();
        let config = ProjectConfig::load(&dvc_dir)?;
        let cache_dir = config.dvc.cache_dir_or_default(&root.root);
        let algorithm = config.retort.hash.algorithm;
        let cache = ObjectCache::open(&cache_dir, algorithm)?;
        let link_types = config.dvc.cache_types.clone();
        let ignore = DvcIgnore::new(&root.root);
        let fingerprints = FingerprintStore::open(&root.root);
        Ok(Workspace {
            root,
            config,
            cache,
            cache_dir,
            link_types,
            ignore,
            fingerprints,
            algorithm,
        })
    }

    pub fn root_dir(&self) -> &Path {
        &self.root.root
    }

    /// The absolute path of a project-relative path.
    pub fn path(&self, relative: &str) -> PathBuf {
        if relative.is_empty() {
            self.root.root.clone()
        } else {
            self.root.root.join(relative)
        }
    }

    pub fn cache_options(&self) -> CacheOptions<'_> {
        CacheOptions::new(&self.link_types)
            .with_ignore(&self.ignore)
            .with_fingerprints(&self.fingerprints)
    }

    /// How `${...}` unpacks dicts and lists, from the `parsing` section of
    /// DVC's config.
    pub fn parsing_config(&self) -> ParsingConfig {
        ParsingConfig {
            bool_optional: self.config.dvc.parsing_bool == ParsingBool::BooleanOptional,
            list_append: self.config.dvc.parsing_list == ParsingList::Append,
        }
    }

    /// Saves the fingerprints learned during this run, so that the next status
    /// reads no unchanged file. Failing to save only costs speed, so the error is
    /// logged and dropped.
    pub fn save_fingerprints(&mut self) {
        if let Err(error) = self.fingerprints.save() {
            tracing::warn!(%error, "unable to save the fingerprint store");
        }
    }
}
