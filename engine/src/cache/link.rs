//! The ways a cache object can appear in the workspace (`cache.type`): reflink
//! (copy-on-write clone), hardlink, symlink or copy. Callers pass the types in
//! preference order and the first one that the file system supports wins, as in
//! DVC, whose default is `reflink,copy`.

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::sync::atomic::{AtomicU8, Ordering};

use crate::fsutil::{self, FsError};

/// One way of making a cache object appear at a workspace path.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LinkType {
    /// A copy-on-write clone (`FICLONE`): instant, no extra space, independent
    /// file. Supported by Btrfs, XFS (with reflink=1), bcachefs and others.
    Reflink,
    /// A hard link: the workspace file is the cache object, read-only.
    Hardlink,
    /// A symbolic link to the cache object's absolute path.
    Symlink,
    /// A full copy.
    Copy,
}

impl LinkType {
    /// DVC's default `cache.type`.
    pub const DEFAULT: [LinkType; 2] = [LinkType::Reflink, LinkType::Copy];

    pub const ALL: [LinkType; 4] = [
        LinkType::Reflink,
        LinkType::Hardlink,
        LinkType::Symlink,
        LinkType::Copy,
    ];

    /// The name used in `cache.type`.
    pub fn name(self) -> &'static str {
        match self {
            LinkType::Reflink => "reflink",
            LinkType::Hardlink => "hardlink",
            LinkType::Symlink => "symlink",
            LinkType::Copy => "copy",
        }
    }

    pub fn from_name(name: &str) -> Option<LinkType> {
        LinkType::ALL
            .into_iter()
            .find(|link_type| link_type.name() == name)
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

impl fmt::Display for LinkType {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.name())
    }
}

/// Whether a failed link means "this file system cannot do that, try the next
/// type" rather than a real error. The list matches DVC's `_try_links`.
pub fn is_unsupported_link_error(error: &io::Error) -> bool {
    matches!(
        error.raw_os_error(),
        Some(
            libc::EPERM
                | libc::EOPNOTSUPP
                | libc::EXDEV
                | libc::ENOTTY
                | libc::ENOSYS
                | libc::EINVAL
                | libc::EAGAIN
        )
    )
}

/// Link types that failed as unsupported, remembered so that each file does not
/// pay for a failing attempt first. One instance belongs to one cache.
#[derive(Debug, Default)]
pub struct UnsupportedLinks(AtomicU8);

impl UnsupportedLinks {
    pub fn contains(&self, link_type: LinkType) -> bool {
        self.0.load(Ordering::Relaxed) & link_type.bit() != 0
    }

    pub fn insert(&self, link_type: LinkType) {
        self.0.fetch_or(link_type.bit(), Ordering::Relaxed);
    }
}

/// Creates `destination` (which must not exist) as a link of type `link_type` to
/// `source`. New files (reflink, copy) get mode `0o666` minus the umask, like DVC.
pub fn create_link(source: &Path, destination: &Path, link_type: LinkType) -> io::Result<()> {
    match link_type {
        LinkType::Reflink => reflink(source, destination),
        LinkType::Hardlink => fs::hard_link(source, destination),
        LinkType::Symlink => {
            let target = std::path::absolute(source)?;
            std::os::unix::fs::symlink(target, destination)
        }
        LinkType::Copy => copy(source, destination),
    }
}

/// Clones `source` into a new file at `destination` with the `FICLONE` ioctl.
pub fn reflink(source: &Path, destination: &Path) -> io::Result<()> {
    let input = File::open(source)?;
    let output = create_new_file(destination)?;
    // SAFETY: both descriptors are open for the duration of the call, and FICLONE
    // takes the source descriptor as its integer argument.
    let result = unsafe { libc::ioctl(output.as_raw_fd(), libc::FICLONE, input.as_raw_fd()) };
    if result == 0 {
        return Ok(());
    }
    let error = io::Error::last_os_error();
    drop(output);
    let _ = fs::remove_file(destination);
    Err(error)
}

/// Copies `source` into a new file at `destination`. The standard library's copy
/// uses `copy_file_range`, which some file systems turn into a server-side or
/// copy-on-write copy.
pub fn copy(source: &Path, destination: &Path) -> io::Result<()> {
    let mut input = File::open(source)?;
    let mut output = create_new_file(destination)?;
    let copied = io::copy(&mut input, &mut output).and_then(|_| output.sync_all());
    if let Err(error) = copied {
        drop(output);
        let _ = fs::remove_file(destination);
        return Err(error);
    }
    Ok(())
}

fn create_new_file(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o666)
        .open(path)
}

/// Replaces whatever is at `destination` with a link to `source`, trying
/// `link_types` in order. The link is made under a temporary name next to the
/// destination and renamed over it, so the destination is never missing or
/// half-written. Returns the type that worked.
pub fn replace_with_link(
    source: &Path,
    destination: &Path,
    link_types: &[LinkType],
    unsupported: &UnsupportedLinks,
) -> Result<LinkType, LinkError> {
    let mut failures = Vec::new();
    for &link_type in link_types {
        if unsupported.contains(link_type) {
            continue;
        }
        let temp = fsutil::temp_sibling_path(destination);
        match create_link(source, &temp, link_type) {
            Ok(()) => {
                if let Err(error) = fs::rename(&temp, destination) {
                    let _ = fs::remove_file(&temp);
                    return Err(LinkError::Io(FsError::new(
                        "rename into place",
                        destination,
                        error,
                    )));
                }
                return Ok(link_type);
            }
            Err(error) if is_unsupported_link_error(&error) && link_type != LinkType::Copy => {
                let _ = fs::remove_file(&temp);
                tracing::debug!(%link_type, %error, "link type unsupported, trying the next one");
                unsupported.insert(link_type);
                failures.push(format!("{link_type}: {error}"));
            }
            Err(error) => {
                let _ = fs::remove_file(&temp);
                return Err(LinkError::Io(FsError::new(
                    "link from the cache to",
                    destination,
                    error,
                )));
            }
        }
    }
    Err(LinkError::NoneWorked {
        path: destination.to_path_buf(),
        tried: if failures.is_empty() {
            "every listed type failed earlier in this run".to_string()
        } else {
            failures.join("; ")
        },
    })
}

#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error(transparent)]
    Io(#[from] FsError),

    #[error(
        "cannot link '{}' from the cache: no type in cache.type works here ({tried}); \
         add `copy` to cache.type",
        path.display()
    )]
    NoneWorked {
        path: std::path::PathBuf,
        tried: String,
    },
}
