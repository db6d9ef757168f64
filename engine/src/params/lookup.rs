//! Looks up tracked params keys the way DVC does with dpath: dotted paths into
//! nested mappings, list items by index, and glob patterns (`*`, `?`, `[...]`)
//! in any part, with `**` matching any number of parts.

use crate::node::{Node, Value};

/// Every value that `key` selects, with its concrete dotted path.
pub fn find<'a>(root: &'a Node, key: &str) -> Vec<(String, &'a Node)> {
    let parts: Vec<&str> = key.split('.').collect();
    let mut found = Vec::new();
    walk(root, &parts, String::new(), &mut found);
    found
}

/// Whether `key` selects at least one value in `root`.
pub fn exists(root: &Node, key: &str) -> bool {
    if !is_glob(key) {
        return root.get_path(key).is_some();
    }
    !find(root, key).is_empty()
}

pub fn is_glob(key: &str) -> bool {
    key.contains(['*', '?', '['])
}

fn walk<'a>(node: &'a Node, parts: &[&str], prefix: String, found: &mut Vec<(String, &'a Node)>) {
    let Some((part, rest)) = parts.split_first() else {
        found.push((prefix, node));
        return;
    };
    let join = |name: &str| {
        if prefix.is_empty() {
            name.to_string()
        } else {
            format!("{prefix}.{name}")
        }
    };
    if *part == "**" {
        // `**` may match nothing, or descend one level and stay active.
        walk(node, rest, prefix.clone(), found);
        for (name, child) in children(node) {
            walk(child, parts, join(&name), found);
        }
        return;
    }
    for (name, child) in children(node) {
        if glob_match(part, &name) {
            walk(child, rest, join(&name), found);
        }
    }
}

fn children(node: &Node) -> Vec<(String, &Node)> {
    match &node.value {
        Value::Map(map) => map
            .iter()
            .map(|(key, entry)| (key.clone(), &entry.value))
            .collect(),
        Value::List(items) => items
            .iter()
            .enumerate()
            .map(|(index, item)| (index.to_string(), item))
            .collect(),
        _ => Vec::new(),
    }
}

/// Matches one path part against a pattern with Python `fnmatch` rules.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let text: Vec<char> = text.chars().collect();
    match_from(&pattern, &text)
}

fn match_from(pattern: &[char], text: &[char]) -> bool {
    let Some((&first, rest)) = pattern.split_first() else {
        return text.is_empty();
    };
    match first {
        '*' => (0..=text.len()).any(|skip| match_from(rest, &text[skip..])),
        '?' => !text.is_empty() && match_from(rest, &text[1..]),
        '[' => match parse_class(rest) {
            Some((negated, members, after)) => {
                let Some((&ch, remaining)) = text.split_first() else {
                    return false;
                };
                (class_contains(&members, ch) != negated) && match_from(after, remaining)
            }
            // An unclosed `[` is a literal character, as in fnmatch.
            None => text.first() == Some(&'[') && match_from(rest, &text[1..]),
        },
        literal => text.first() == Some(&literal) && match_from(rest, &text[1..]),
    }
}

/// Parses a `[...]` class after its `[`: whether it is negated, its members and
/// the pattern after `]`.
fn parse_class(pattern: &[char]) -> Option<(bool, Vec<char>, &[char])> {
    let (negated, body) = match pattern.first() {
        Some('!') => (true, &pattern[1..]),
        _ => (false, pattern),
    };
    // A `]` right after the opening is a member, not the end.
    let first_member_end = usize::from(body.first() == Some(&']'));
    let close = body[first_member_end..].iter().position(|&ch| ch == ']')? + first_member_end;
    Some((negated, body[..close].to_vec(), &body[close + 1..]))
}

fn class_contains(members: &[char], ch: char) -> bool {
    let mut index = 0;
    while index < members.len() {
        if index + 2 < members.len() && members[index + 1] == '-' {
            if members[index] <= ch && ch <= members[index + 2] {
                return true;
            }
            index += 3;
        } else {
            if members[index] == ch {
                return true;
            }
            index += 1;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::yaml;

    #[test]
    fn globs_select_like_dpath() {
        let root = yaml::parse("data:\n  moons_a: 1\n  moons_b: 2\n  circles: 3\nlist: [10, 20]\n")
            .root
            .unwrap();
        let found: Vec<String> = find(&root, "data.moons*")
            .into_iter()
            .map(|(path, _)| path)
            .collect();
        assert_eq!(found, vec!["data.moons_a", "data.moons_b"]);
        assert!(exists(&root, "list.1"));
        assert!(!exists(&root, "data.missing"));
        assert!(exists(&root, "**.circles"));
        assert!(glob_match("[a-c]x", "bx"));
        assert!(!glob_match("[!a-c]x", "bx"));
    }
}
