//! Text-level helpers for in-place edits: replacements of byte ranges, line
//! boundaries, and the removal of one entry from a comma-separated flow
//! collection (JSON objects, YAML flow mappings, TOML inline tables).

/// A replacement of the bytes `start..end` with `text`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Change {
    pub start: usize,
    pub end: usize,
    pub text: String,
}

impl Change {
    pub fn replace(start: usize, end: usize, text: impl Into<String>) -> Change {
        Change {
            start,
            end,
            text: text.into(),
        }
    }

    pub fn insert(at: usize, text: impl Into<String>) -> Change {
        Change::replace(at, at, text)
    }

    pub fn remove(start: usize, end: usize) -> Change {
        Change::replace(start, end, "")
    }
}

/// Applies non-overlapping changes to `text`.
pub(super) fn apply(text: &str, mut changes: Vec<Change>) -> String {
    changes.sort_by_key(|change| (change.start, change.end));
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for change in changes {
        let start = change.start.max(copied);
        out.push_str(&text[copied..start]);
        out.push_str(&change.text);
        copied = change.end.max(start);
    }
    out.push_str(&text[copied..]);
    out
}

/// Returns the offset where the line containing `offset` starts.
pub(super) fn line_start(text: &str, offset: usize) -> usize {
    text[..offset].rfind('\n').map_or(0, |newline| newline + 1)
}

/// Returns the offset of the line break that ends the line containing `offset`, or the text
/// length on the last line.
pub(super) fn line_end(text: &str, offset: usize) -> usize {
    text[offset..]
        .find(['\n', '\r'])
        .map_or(text.len(), |found| offset + found)
}

/// Returns the offset where the line after the one containing `offset` starts, or the text
/// length on the last line.
pub(super) fn next_line_start(text: &str, offset: usize) -> usize {
    text[offset..]
        .find('\n')
        .map_or(text.len(), |found| offset + found + 1)
}

/// Returns the whitespace that starts the line containing `offset`.
pub(super) fn indentation(text: &str, offset: usize) -> &str {
    let start = line_start(text, offset);
    let line = &text[start..line_end(text, start)];
    &line[..line.len() - line.trim_start_matches([' ', '\t']).len()]
}

/// Returns the line break the file uses: `\r\n` if its first line ends so, else `\n`.
pub(super) fn newline(text: &str) -> &'static str {
    match text.find('\n') {
        Some(index) if index > 0 && text.as_bytes()[index - 1] == b'\r' => "\r\n",
        _ => "\n",
    }
}

/// Returns the position after the `:` or `=` that follows a key ending at `key_end`,
/// skipping spaces and tabs. Returns `None` if another character comes first.
pub(super) fn after_separator(text: &str, key_end: usize, separator: char) -> Option<usize> {
    let rest = &text[key_end..];
    let skipped = rest.len() - rest.trim_start_matches([' ', '\t']).len();
    rest[skipped..]
        .starts_with(separator)
        .then_some(key_end + skipped + separator.len_utf8())
}

/// One entry of a flow collection: where its text starts and ends.
#[derive(Clone, Copy, Debug)]
pub(super) struct FlowEntry {
    pub start: usize,
    pub end: usize,
}

/// Removes entry `index` of a flow collection whose opening bracket is at `open`
/// and closing bracket at `close`, with the comma that separates it from its
/// neighbor, so that the layout of the other entries is kept.
pub(super) fn remove_flow_entry(
    entries: &[FlowEntry],
    index: usize,
    open: usize,
    close: usize,
) -> Change {
    if entries.len() == 1 {
        return Change::remove(open + 1, close);
    }
    if index + 1 < entries.len() {
        // `a, b` loses `a, `: the next entry moves to where this one started.
        Change::remove(entries[index].start, entries[index + 1].start)
    } else {
        // The last entry loses the comma after the entry before it.
        Change::remove(entries[index - 1].end, entries[index].end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flow_entry_removal_keeps_layout() {
        let text = "{\n  \"a\": 1,\n  \"b\": 2,\n  \"c\": 3\n}";
        let entries: Vec<FlowEntry> = ["\"a\": 1", "\"b\": 2", "\"c\": 3"]
            .iter()
            .map(|entry| {
                let start = text.find(entry).unwrap();
                FlowEntry {
                    start,
                    end: start + entry.len(),
                }
            })
            .collect();
        let close = text.len() - 1;
        let without = |index| apply(text, vec![remove_flow_entry(&entries, index, 0, close)]);
        assert_eq!(without(0), "{\n  \"b\": 2,\n  \"c\": 3\n}");
        assert_eq!(without(1), "{\n  \"a\": 1,\n  \"c\": 3\n}");
        assert_eq!(without(2), "{\n  \"a\": 1,\n  \"b\": 2\n}");
        let single = [FlowEntry { start: 1, end: 5 }];
        assert_eq!(
            apply("{a: 1}", vec![remove_flow_entry(&single, 0, 0, 5)]),
            "{}"
        );
    }
}
