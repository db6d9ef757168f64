//! YAML output that is byte-identical to what DVC 3.67 writes. DVC dumps
//! `dvc.lock` and run-cache entries with ruamel.yaml 0.19's `YAML()`, the
//! round-trip dumper in block style. This module reproduces that emitter for the
//! value tree: the same indentation, the same choice of plain, `'single'` or
//! `"double"` quotes, and the same folding of long strings at column 80.
//!
//! Values map to Python types as DVC's data does: `Str` is `str`, `Int` is `int`,
//! `Float` is `float` (written with Python's `repr`), `Bool` is `bool` and `Null`
//! is `None`, which ruamel writes as an empty value inside collections.

mod emitter;
mod float;
mod resolve;
mod scalar;

use crate::node::{Node, Value};
use crate::text::Span;

use emitter::Emitter;

pub use float::round_trip_float;

/// Serializes `value` as DVC's `dumps_yaml` does.
pub fn dump(value: &Value) -> String {
    dump_at_indent(value, 0)
}

/// Serializes a mapping as if it were nested at column `indent` of a larger
/// document: the keys start at that column, and long strings fold where they
/// would in the full document. Scalars and lists at the top level ignore
/// `indent`.
pub fn dump_at_indent(value: &Value, indent: usize) -> String {
    let mut emitter = Emitter::new(indent, None);
    emitter.emit_document(value, Span::default());
    emitter.out
}

/// Serializes a tree that was read from `source` as DVC's round trip writes it
/// back: floats that have a span are written from their source text by
/// [`round_trip_float`], everything else as [`dump`] writes it. Nodes built in
/// code have an empty span.
pub fn dump_from_source(root: &Node, source: &str) -> String {
    let mut emitter = Emitter::new(0, Some(source));
    emitter.emit_document(&root.value, root.span);
    emitter.out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::{Entry, Node};

    fn map(entries: Vec<(&str, Value)>) -> Value {
        Value::Map(
            entries
                .into_iter()
                .map(|(key, value)| {
                    let entry = Entry {
                        key_span: Default::default(),
                        value: Node::synthetic(value),
                    };
                    (key.to_string(), entry)
                })
                .collect(),
        )
    }

    // JSON cannot carry these, so they are not in the fixture files. The expected
    // text is what DVC's `dumps_yaml` printed for the same Python floats.
    #[test]
    fn non_finite_floats_use_yaml_names() {
        let value = map(vec![
            ("a", Value::Float(f64::NAN)),
            ("b", Value::Float(f64::INFINITY)),
            ("c", Value::Float(f64::NEG_INFINITY)),
            (
                "d",
                Value::List(vec![Node::synthetic(Value::Float(f64::NAN))]),
            ),
        ]);
        assert_eq!(dump(&value), "a: .nan\nb: .inf\nc: -.inf\nd:\n- .nan\n");
    }

    #[test]
    fn fragment_at_indent_matches_nested_document() {
        let cmd = "python src/train.py ".to_string() + &"--flag value ".repeat(10);
        let inner = map(vec![("cmd", Value::Str(cmd))]);
        let nested = map(vec![("stages", inner.clone())]);
        let full = dump(&nested);
        let fragment = dump_at_indent(&inner, 2);
        assert_eq!(full.strip_prefix("stages:\n"), Some(fragment.as_str()));
    }
}
