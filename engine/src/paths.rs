//! Project-relative paths as DVC handles them: `/`-separated, normalized, and
//! compared component by component.

/// Joins `base` (a project-relative directory, `""` or `.` for the root) and
/// `path`, then normalizes the result. Returns `None` when the result climbs out
/// of the project root, so callers can report a path that escapes the project.
pub fn join_normalized(base: &str, path: &str) -> Option<String> {
    if path.starts_with('/') {
        return None;
    }
    let mut parts: Vec<&str> = Vec::new();
    for part in base.split('/').chain(path.split('/')) {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            other => parts.push(other),
        }
    }
    Some(parts.join("/"))
}

/// Normalizes a project-relative path: removes `.` parts and empty parts and
/// resolves `..`. Returns `None` when the path leaves the project.
pub fn normalize(path: &str) -> Option<String> {
    join_normalized("", path)
}

/// The directory part of a project-relative path, `""` for a file at the root.
pub fn parent(path: &str) -> &str {
    match path.rfind('/') {
        Some(index) => &path[..index],
        None => "",
    }
}

/// The last part of a path.
pub fn file_name(path: &str) -> &str {
    match path.rfind('/') {
        Some(index) => &path[index + 1..],
        None => path,
    }
}

/// Whether `path` equals `ancestor` or lies inside it. Both are normalized
/// project-relative paths; `""` is the project root and contains everything.
pub fn is_within(path: &str, ancestor: &str) -> bool {
    if ancestor.is_empty() {
        return true;
    }
    path == ancestor
        || (path.len() > ancestor.len()
            && path.starts_with(ancestor)
            && path.as_bytes()[ancestor.len()] == b'/')
}

/// Whether one path contains the other or they are equal; DVC links a dependency
/// to an output whenever this holds.
pub fn overlaps(a: &str, b: &str) -> bool {
    is_within(a, b) || is_within(b, a)
}

/// Renders a normalized directory the way DVC prints a working directory: `.` for
/// the project root.
pub fn display_dir(dir: &str) -> &str {
    if dir.is_empty() {
        "."
    } else {
        dir
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_normalizes_and_rejects_escapes() {
        assert_eq!(
            join_normalized("sub", "../data/x.csv").as_deref(),
            Some("data/x.csv")
        );
        assert_eq!(join_normalized("", "./a//b/.").as_deref(), Some("a/b"));
        assert_eq!(join_normalized(".", "a").as_deref(), Some("a"));
        assert_eq!(join_normalized("sub", "../../x"), None);
        assert_eq!(join_normalized("", "/etc/passwd"), None);
    }

    #[test]
    fn within_compares_whole_components() {
        assert!(is_within("data/prepared/train.csv", "data/prepared"));
        assert!(is_within("data", "data"));
        assert!(!is_within("data2/x", "data"));
        assert!(is_within("anything", ""));
        assert!(overlaps("data", "data/x"));
    }
}
