//! The block-style layout of ruamel.yaml 0.19's emitter with the settings of
//! DVC's `YAML()` dumper: mapping and sequence indent 2, dash offset 0 (so `- `
//! sits at its parent key's column), width 80, Unicode written as is, no
//! document markers. Empty lists and mappings are the only flow collections,
//! written `[]` and `{}`.
//!
//! The state follows ruamel's emitter field by field (column, the whitespace and
//! indention flags, the indent stack), because line folding depends on all of
//! them. Only the event queue is replaced, by recursion over the value tree.

use crate::node::Value;
use crate::pyfmt::float_repr;
use crate::text::Span;

use super::float::round_trip_float;
use super::scalar::{analyze, choose_style, Scalar, Style};

/// ruamel writes a key longer than this many characters as an explicit `? ` key.
const MAX_SIMPLE_KEY_LENGTH: usize = 128;
const INDENT_STEP: usize = 2;

pub(super) struct Emitter<'s> {
    pub(super) out: String,
    /// Indentation of the current block, `None` at the top level.
    pub(super) indent: Option<usize>,
    /// Saved indents, each with whether it was pushed for a sequence.
    indents: Vec<(Option<usize>, bool)>,
    flow_level: usize,
    pub(super) root_context: bool,
    sequence_context: bool,
    mapping_context: bool,
    simple_key_context: bool,
    pub(super) column: usize,
    /// Whether the last character written was whitespace.
    pub(super) whitespace: bool,
    /// Whether the current line holds only indentation and indicators so far.
    pub(super) indention: bool,
    no_newline: bool,
    pub(super) open_ended: bool,
    /// Column of the top-level mapping, for writing a fragment that will sit
    /// inside a larger document.
    base_indent: usize,
    /// The text that floats with a span were read from. Those floats are written
    /// back by ruamel's round-trip rules, and floats without a span by `repr`.
    float_source: Option<&'s str>,
}

impl<'s> Emitter<'s> {
    pub(super) fn new(base_indent: usize, float_source: Option<&'s str>) -> Emitter<'s> {
        Emitter {
            out: String::new(),
            indent: None,
            indents: Vec::new(),
            flow_level: 0,
            root_context: false,
            sequence_context: false,
            mapping_context: false,
            simple_key_context: false,
            column: 0,
            whitespace: true,
            indention: true,
            no_newline: false,
            open_ended: false,
            base_indent,
            float_source,
        }
    }

    /// Emits one document holding `root`, as `YAML().dump(root, stream)` does.
    pub(super) fn emit_document(&mut self, root: &Value, span: Span) {
        self.emit_node(root, span, NodeContext::Root);
        self.write_indent();
        if self.open_ended {
            self.write_indicator("...", true, false, false);
            self.write_indent();
        }
    }

    fn emit_node(&mut self, value: &Value, span: Span, context: NodeContext) {
        self.root_context = context == NodeContext::Root;
        self.sequence_context = context == NodeContext::SequenceItem;
        self.mapping_context = context == NodeContext::MappingValue;
        self.simple_key_context = false;
        match value {
            Value::List(items) => {
                if self.flow_level > 0 || items.is_empty() {
                    self.emit_empty_flow("[", "]", true);
                } else {
                    self.emit_block_sequence(items.iter().map(|node| (&node.value, node.span)));
                }
            }
            Value::Map(map) => {
                if self.flow_level > 0 || map.is_empty() {
                    self.emit_empty_flow("{", "}", false);
                } else {
                    let entries = map
                        .iter()
                        .map(|(key, entry)| (key.as_str(), &entry.value.value, entry.value.span));
                    self.emit_block_mapping(entries);
                }
            }
            scalar => {
                let represented = self.represent_scalar(scalar, span, context);
                self.emit_scalar(&represented);
            }
        }
    }

    /// Returns the text and tag ruamel's representer gives a Python scalar.
    fn represent_scalar(&self, value: &Value, span: Span, context: NodeContext) -> Scalar {
        let (text, is_str) = match value {
            // The round-trip representer writes null as `null` only for a document
            // that is nothing but null; inside collections it leaves the value empty.
            Value::Null if context == NodeContext::Root => ("null".to_string(), false),
            Value::Null => (String::new(), false),
            Value::Bool(flag) => (flag.to_string(), false),
            Value::Int(number) => (number.to_string(), false),
            Value::Float(number) => (self.represent_float(*number, span), false),
            Value::Str(text) => (text.clone(), true),
            Value::List(_) | Value::Map(_) => unreachable!("collections are not scalars"),
        };
        Scalar { text, is_str }
    }

    fn emit_scalar(&mut self, scalar: &Scalar) {
        let chars: Vec<char> = scalar.text.chars().collect();
        let analysis = analyze(&chars);
        let style = choose_style(scalar, &analysis, self.simple_key_context, self.flow_level);

        self.increase_indent(true, false, false);
        let split = !self.simple_key_context;
        if self.sequence_context && self.flow_level == 0 {
            self.write_indent();
        }
        match style {
            Style::Plain => self.write_plain(&chars, split),
            Style::SingleQuoted => self.write_single_quoted(&chars, split),
            Style::DoubleQuoted => self.write_double_quoted(&chars, split),
        }
        self.pop_indent();
    }

    fn emit_empty_flow(&mut self, open: &str, close: &str, sequence: bool) {
        let align = self.flow_alignment();
        let indicator = format!("{}{open}", " ".repeat(align));
        self.write_indicator(&indicator, true, true, false);
        self.increase_indent(true, sequence, false);
        self.flow_level += 1;
        if sequence && self.nested_sequence() {
            self.indention = true;
            self.no_newline = false;
        }

        self.pop_indent();
        self.flow_level -= 1;
        self.write_indicator(close, false, false, false);
        if self.flow_level == 0 {
            self.write_line_break("\n");
        }
    }

    /// Counts the extra spaces before a flow collection that is an item of a
    /// block sequence (ruamel's `seq_flow_align`).
    fn flow_alignment(&self) -> usize {
        let len = self.indents.len();
        if len < 2 || !self.indents[len - 1].1 {
            return 0;
        }
        let base = self.indents[len - 1].0.unwrap_or(0) as isize;
        (base + INDENT_STEP as isize - self.column as isize - 1).max(0) as usize
    }

    fn emit_block_sequence<'a>(&mut self, items: impl Iterator<Item = (&'a Value, Span)>) {
        let indentless = self.mapping_context && !self.indention;
        self.increase_indent(false, true, indentless);
        if self.nested_sequence() {
            self.indention = true;
            self.no_newline = false;
        }

        for (item, span) in items {
            let no_newline = self.column == 0 && self.no_newline;
            self.write_indent();
            self.write_indicator("-", true, false, true);
            if no_newline {
                self.no_newline = true;
            }
            self.emit_node(item, span, NodeContext::SequenceItem);
        }

        self.pop_indent();
        self.no_newline = false;
    }

    fn emit_block_mapping<'a>(
        &mut self,
        entries: impl Iterator<Item = (&'a str, &'a Value, Span)>,
    ) {
        self.increase_indent(false, false, false);
        for (key, value, span) in entries {
            self.write_indent();
            let key_scalar = Scalar {
                text: key.to_string(),
                is_str: true,
            };
            // ruamel counts the prepared tag `!!str` into the key length even
            // though it never writes it.
            let key_length = key.chars().count() + "!!str".len();
            let simple = key_length < MAX_SIMPLE_KEY_LENGTH && !key.contains(is_line_break);
            if simple {
                self.emit_key(&key_scalar, NodeContext::SimpleKey);
                self.write_indicator(":", false, false, false);
            } else {
                self.write_indicator("?", true, false, true);
                self.emit_key(&key_scalar, NodeContext::Key);
                self.write_indent();
                self.write_indicator(":", true, false, true);
            }
            self.emit_node(value, span, NodeContext::MappingValue);
        }
        self.pop_indent();
    }

    fn emit_key(&mut self, key: &Scalar, context: NodeContext) {
        self.root_context = false;
        self.sequence_context = false;
        self.mapping_context = true;
        self.simple_key_context = context == NodeContext::SimpleKey;
        self.emit_scalar(key);
    }

    fn increase_indent(&mut self, flow: bool, sequence: bool, indentless: bool) {
        self.indents.push((self.indent, sequence));
        match self.indent {
            None if flow => {}
            None => self.indent = Some(self.base_indent),
            Some(indent) if !indentless => self.indent = Some(indent + INDENT_STEP),
            Some(_) => {}
        }
    }

    fn pop_indent(&mut self) {
        if let Some((indent, _)) = self.indents.pop() {
            self.indent = indent;
        }
    }

    /// Tells whether the innermost collection is a sequence directly inside a
    /// sequence (`- - a`), ruamel's `seq_seq`.
    fn nested_sequence(&self) -> bool {
        let len = self.indents.len();
        len >= 2 && self.indents[len - 2].1 && self.indents[len - 1].1
    }

    pub(super) fn write_raw(&mut self, text: &str) {
        self.column += text.chars().count();
        self.out.push_str(text);
    }

    pub(super) fn write_chars(&mut self, chars: &[char]) {
        self.column += chars.len();
        self.out.extend(chars);
    }

    pub(super) fn write_indicator(
        &mut self,
        indicator: &str,
        need_whitespace: bool,
        whitespace: bool,
        indention: bool,
    ) {
        if !self.whitespace && need_whitespace {
            self.write_raw(" ");
        }
        self.write_raw(indicator);
        self.whitespace = whitespace;
        self.indention = self.indention && indention;
        self.open_ended = false;
    }

    pub(super) fn write_indent(&mut self) {
        let indent = self.indent.unwrap_or(0);
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            if self.no_newline {
                self.no_newline = false;
            } else {
                self.write_line_break("\n");
            }
        }
        if self.column < indent {
            self.whitespace = true;
            let padding = " ".repeat(indent - self.column);
            self.out.push_str(&padding);
            self.column = indent;
        }
    }

    pub(super) fn write_line_break(&mut self, line_break: &str) {
        self.whitespace = true;
        self.indention = true;
        self.column = 0;
        self.out.push_str(line_break);
    }
}

fn is_line_break(ch: char) -> bool {
    matches!(ch, '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// Where a node sits, which decides indentation, quoting and folding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum NodeContext {
    Root,
    SequenceItem,
    MappingValue,
    /// A key short enough to be written inline before `:`.
    SimpleKey,
    /// A long or multi-line key, written after `? `.
    Key,
}

impl Emitter<'_> {
    fn represent_float(&self, value: f64, span: Span) -> String {
        let source = self
            .float_source
            .filter(|_| !span.is_empty())
            .and_then(|text| text.get(span.start..span.end))
            .map(|source| round_trip_float(source, value));
        source.unwrap_or_else(|| represent_float(value))
    }
}

/// Formats a float as ruamel's representer does: Python's `repr`, with `.nan`,
/// `.inf` and `-.inf`.
fn represent_float(value: f64) -> String {
    if value.is_nan() {
        ".nan".to_string()
    } else if value == f64::INFINITY {
        ".inf".to_string()
    } else if value == f64::NEG_INFINITY {
        "-.inf".to_string()
    } else {
        float_repr(value)
    }
}
