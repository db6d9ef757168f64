//! Python params file changes: only the literal of an existing assignment (or a
//! value inside it) is replaced. DVC 3.67.1 cannot add or delete keys in `.py`
//! files either: adding fails with a `KeyError` and deleting leaves the file
//! as it was.

use super::render;
use super::text::Change;
use super::{locate, Rejection};
use crate::node::{Node, Value};

pub(super) fn replace(
    text: &str,
    root: &Node,
    parts: &[String],
    value: &Value,
) -> Result<Vec<Change>, Rejection> {
    let node = locate(root, parts)?.node;
    let old = &text[node.span.start..node.span.end];
    if matches!(node.value, Value::Map(_)) && old.starts_with("class") {
        return Err(Rejection::NotInPlace(
            "it is a class; set its attributes one by one (for example with a mapping value)"
                .to_string(),
        ));
    }
    let rendered =
        render::python(value, preferred_quote(text, old)).map_err(Rejection::Unsupported)?;
    Ok(vec![Change::replace(
        node.span.start,
        node.span.end,
        rendered,
    )])
}

/// Returns the quote of the replaced literal if it has a string in it, else the
/// quote the file uses more.
fn preferred_quote(text: &str, old: &str) -> char {
    if let Some(quote) = old.chars().find(|ch| *ch == '\'' || *ch == '"') {
        return quote;
    }
    let doubles = text.matches('"').count();
    let singles = text.matches('\'').count();
    if doubles > singles {
        '"'
    } else {
        '\''
    }
}

fn add_or_delete_rejection() -> Rejection {
    Rejection::Unsupported(
        "keys of Python params files can only be changed, not added or deleted (DVC cannot either); edit the file by hand"
            .to_string(),
    )
}

pub(super) fn insert() -> Result<Vec<Change>, Rejection> {
    Err(add_or_delete_rejection())
}

pub(super) fn delete() -> Result<Vec<Change>, Rejection> {
    Err(add_or_delete_rejection())
}
