//! `exp run -S` arguments in the Hydra override grammar that DVC supports:
//! `[file:]key=value`, `+key=value` (add), `++key=value` (add or set) and
//! `~key` (delete), with values typed as YAML. Sweeps (`a=1,2`, `choice(...)`,
//! `range(...)`) expand to the cartesian product of their values and are only
//! allowed with `--queue`.

use thiserror::Error;

use crate::formats::yaml;
use crate::node::{Node, Value};
use crate::params::edit::{EditOp, ParamEdit};

/// The params file overrides apply to when none is named.
pub const DEFAULT_PARAMS_FILE: &str = "params.yaml";

#[derive(Debug, Error, PartialEq, Eq)]
pub enum OverrideError {
    #[error("sweep overrides can't be used without `--queue` ('{0}' has several values); add --queue to queue one experiment per combination")]
    SweepWithoutQueue(String),
    #[error("glob sweeps are not supported in '{0}'")]
    GlobSweep(String),
    #[error("invalid override '{text}': {reason}")]
    Invalid { text: String, reason: String },
}

/// The edits of one params file, in the order given.
#[derive(Clone, Debug, PartialEq)]
pub struct FileEdits {
    pub file: String,
    pub edits: Vec<ParamEdit>,
}

/// One parsed argument, possibly with several values (a sweep).
#[derive(Clone, Debug, PartialEq)]
struct Parsed {
    file: String,
    op: EditOp,
    path: String,
    values: Vec<Option<Value>>,
}

/// Parses `-S` arguments without sweeps.
pub fn parse_overrides(args: &[String]) -> Result<Vec<FileEdits>, OverrideError> {
    let parsed: Vec<Parsed> = args
        .iter()
        .map(|arg| parse_one(arg))
        .collect::<Result<_, _>>()?;
    if let Some((arg, _)) = args
        .iter()
        .zip(&parsed)
        .find(|(_, parsed)| parsed.values.len() > 1)
    {
        return Err(OverrideError::SweepWithoutQueue(arg.clone()));
    }
    Ok(group(parsed.iter().map(|item| (item, 0))))
}

/// Parses `-S` arguments with sweeps: one set of edits per combination, in
/// `itertools.product` order (the last argument varies fastest).
pub fn expand_sweeps(args: &[String]) -> Result<Vec<Vec<FileEdits>>, OverrideError> {
    let parsed: Vec<Parsed> = args
        .iter()
        .map(|arg| parse_one(arg))
        .collect::<Result<_, _>>()?;
    let total: usize = parsed.iter().map(|item| item.values.len().max(1)).product();
    let mut combinations = Vec::with_capacity(total);
    for index in 0..total {
        let mut rest = index;
        let mut picks = vec![0; parsed.len()];
        for (slot, item) in parsed.iter().enumerate().rev() {
            let count = item.values.len().max(1);
            picks[slot] = rest % count;
            rest /= count;
        }
        combinations.push(group(parsed.iter().zip(picks)));
    }
    Ok(combinations)
}

/// Reports whether any argument is a sweep.
pub fn has_sweep(args: &[String]) -> Result<bool, OverrideError> {
    Ok(args
        .iter()
        .map(|arg| parse_one(arg))
        .collect::<Result<Vec<_>, _>>()?
        .iter()
        .any(|item| item.values.len() > 1))
}

/// Names for the experiments of a sweep: `base-1`, `base-2`, ...
pub fn sweep_names(base: &str, count: usize) -> Vec<String> {
    (1..=count).map(|index| format!("{base}-{index}")).collect()
}

fn group<'a>(items: impl Iterator<Item = (&'a Parsed, usize)>) -> Vec<FileEdits> {
    let mut files: Vec<FileEdits> = Vec::new();
    for (item, pick) in items {
        let edit = ParamEdit {
            op: item.op,
            path: item.path.clone(),
            value: item.values.get(pick).cloned().flatten(),
        };
        match files.iter_mut().find(|file| file.file == item.file) {
            Some(file) => file.edits.push(edit),
            None => files.push(FileEdits {
                file: item.file.clone(),
                edits: vec![edit],
            }),
        }
    }
    files
}

fn parse_one(arg: &str) -> Result<Parsed, OverrideError> {
    let invalid = |reason: &str| OverrideError::Invalid {
        text: arg.to_string(),
        reason: reason.to_string(),
    };
    // A `:` before the first `=` separates the file.
    let before_equals = arg.split('=').next().unwrap_or(arg);
    let (file, rest) = match before_equals.find(':') {
        Some(colon) => (&arg[..colon], &arg[colon + 1..]),
        None => (DEFAULT_PARAMS_FILE, arg),
    };
    if file.is_empty() {
        return Err(invalid("the file name before ':' is empty"));
    }
    let (op, rest) = if let Some(rest) = rest.strip_prefix("++") {
        (EditOp::AddOrSet, rest)
    } else if let Some(rest) = rest.strip_prefix('+') {
        (EditOp::Add, rest)
    } else if let Some(rest) = rest.strip_prefix('~') {
        (EditOp::Delete, rest)
    } else {
        (EditOp::Set, rest)
    };
    let (key, value) = match rest.split_once('=') {
        Some((key, value)) => (key, Some(value)),
        None => (rest, None),
    };
    let key = key.trim();
    if key.is_empty() {
        return Err(invalid("the key is empty"));
    }
    if key
        .chars()
        .any(|ch| ch.is_whitespace() || "=,()".contains(ch))
    {
        return Err(invalid("the key has a character that keys cannot have"));
    }
    // Hydra addresses list items as `a[0]`; edits use dotted indexes.
    let key = key.replace('[', ".").replace(']', "");
    if op == EditOp::Delete {
        // `~key=value` deletes only when the key has that value.
        let values = match value {
            Some(value) => vec![Some(
                parse_value(value.trim()).map_err(|reason| invalid(&reason))?,
            )],
            None => vec![None],
        };
        return Ok(Parsed {
            file: file.to_string(),
            op,
            path: key,
            values,
        });
    }
    let Some(value) = value else {
        return Err(invalid("expected key=value (or ~key to delete)"));
    };
    let values = parse_values(arg, value.trim())?;
    Ok(Parsed {
        file: file.to_string(),
        op,
        path: key,
        values: values.into_iter().map(Some).collect(),
    })
}

/// Parses the value of an override, or the values of a sweep.
fn parse_values(arg: &str, text: &str) -> Result<Vec<Value>, OverrideError> {
    let invalid = |reason: String| OverrideError::Invalid {
        text: arg.to_string(),
        reason,
    };
    for (function, body) in [
        ("choice", "choice("),
        ("range", "range("),
        ("interval", "interval("),
        ("glob", "glob("),
    ] {
        if let Some(inner) = text
            .strip_prefix(body)
            .and_then(|rest| rest.strip_suffix(')'))
        {
            let items = split_top_level(inner);
            return match function {
                "choice" => items
                    .iter()
                    .map(|item| parse_value(item).map_err(&invalid))
                    .collect(),
                "range" => range_values(&items).map_err(invalid),
                "glob" => Err(OverrideError::GlobSweep(arg.to_string())),
                _ => Err(invalid(
                    "interval() sweeps need a sweeper plugin and are not supported".into(),
                )),
            };
        }
    }
    let items = split_top_level(text);
    if items.len() > 1 {
        return items
            .iter()
            .map(|item| parse_value(item).map_err(&invalid))
            .collect();
    }
    Ok(vec![parse_value(text).map_err(invalid)?])
}

fn range_values(items: &[String]) -> Result<Vec<Value>, String> {
    let numbers: Vec<Value> = items
        .iter()
        .map(|item| parse_value(item))
        .collect::<Result<_, _>>()?;
    let as_f64: Vec<f64> = numbers
        .iter()
        .map(|value| {
            value
                .as_f64()
                .ok_or_else(|| "range() takes numbers".to_string())
        })
        .collect::<Result<_, _>>()?;
    let all_int = numbers.iter().all(|value| matches!(value, Value::Int(_)));
    let (start, stop, step) = match as_f64.as_slice() {
        [stop] => (0.0, *stop, 1.0),
        [start, stop] => (*start, *stop, 1.0),
        [start, stop, step] => (*start, *stop, *step),
        _ => return Err("range() takes 1 to 3 numbers".into()),
    };
    if step == 0.0 {
        return Err("range() step must not be 0".into());
    }
    let mut values = Vec::new();
    let mut current = start;
    while (step > 0.0 && current < stop) || (step < 0.0 && current > stop) {
        values.push(if all_int {
            Value::Int(current as i64)
        } else {
            Value::Float(current)
        });
        current += step;
        if values.len() > 100_000 {
            return Err("range() gives more than 100000 values".into());
        }
    }
    Ok(values)
}

/// Splits on commas outside brackets and quotes.
fn split_top_level(text: &str) -> Vec<String> {
    let mut items = Vec::new();
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    let mut current = String::new();
    for ch in text.chars() {
        match (quote, ch) {
            (Some(open), _) if ch == open => {
                quote = None;
                current.push(ch);
            }
            (Some(_), _) => current.push(ch),
            (None, '\'' | '"') => {
                quote = Some(ch);
                current.push(ch);
            }
            (None, '[' | '{' | '(') => {
                depth += 1;
                current.push(ch);
            }
            (None, ']' | '}' | ')') => {
                depth -= 1;
                current.push(ch);
            }
            (None, ',') if depth == 0 => {
                items.push(std::mem::take(&mut current).trim().to_string())
            }
            _ => current.push(ch),
        }
    }
    items.push(current.trim().to_string());
    items
}

/// Parses a value as Hydra types it, through the YAML loader. `0.1` is a
/// float, `true` a bool, `null` a null, `[1,2]` a list, quotes make strings,
/// and an empty value is the empty string.
fn parse_value(text: &str) -> Result<Value, String> {
    if text.is_empty() {
        return Ok(Value::Str(String::new()));
    }
    let parsed = yaml::parse(text);
    if let Some(error) = parsed.errors.first() {
        return Err(format!(
            "the value '{text}' is not valid: {}",
            error.message
        ));
    }
    Ok(parsed
        .root
        .map(|node: Node| node.value)
        .unwrap_or(Value::Null))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(items: &[&str]) -> Vec<String> {
        items.iter().map(|item| item.to_string()).collect()
    }

    #[test]
    fn overrides_are_grouped_per_file_with_typed_values() {
        let parsed = parse_overrides(&args(&[
            "train.lr=0.1",
            "+train.new=[1, 2]",
            "other.yaml:~a.b",
            "++x=yes",
            "p.json:n=3",
        ]))
        .unwrap();
        assert_eq!(parsed.len(), 3);
        assert_eq!(parsed[0].file, "params.yaml");
        assert_eq!(parsed[0].edits[0].op, EditOp::Set);
        assert_eq!(parsed[0].edits[0].value, Some(Value::Float(0.1)));
        assert_eq!(parsed[0].edits[1].op, EditOp::Add);
        assert!(
            matches!(parsed[0].edits[1].value, Some(Value::List(ref items)) if items.len() == 2)
        );
        assert_eq!(parsed[0].edits[2].op, EditOp::AddOrSet);
        assert_eq!(parsed[0].edits[2].value, Some(Value::Str("yes".into())));
        assert_eq!(parsed[1].file, "other.yaml");
        assert_eq!(parsed[1].edits[0].op, EditOp::Delete);
        assert_eq!(parsed[2].edits[0].value, Some(Value::Int(3)));
    }

    #[test]
    fn sweeps_need_queue_and_expand_in_product_order() {
        let sweep = args(&["train.lr=0.1,0.2", "prepare.seed=choice(1,2)"]);
        assert!(matches!(
            parse_overrides(&sweep),
            Err(OverrideError::SweepWithoutQueue(_))
        ));
        let expanded = expand_sweeps(&sweep).unwrap();
        assert_eq!(expanded.len(), 4);
        let pairs: Vec<(Value, Value)> = expanded
            .iter()
            .map(|files| {
                (
                    files[0].edits[0].value.clone().unwrap(),
                    files[0].edits[1].value.clone().unwrap(),
                )
            })
            .collect();
        assert_eq!(pairs[0], (Value::Float(0.1), Value::Int(1)));
        assert_eq!(pairs[1], (Value::Float(0.1), Value::Int(2)));
        assert_eq!(pairs[3], (Value::Float(0.2), Value::Int(2)));
        assert_eq!(
            sweep_names("sweep", 4),
            vec!["sweep-1", "sweep-2", "sweep-3", "sweep-4"]
        );
        assert_eq!(expand_sweeps(&args(&["a=range(1,4)"])).unwrap().len(), 3);
        assert!(matches!(
            parse_overrides(&args(&["a=glob(*)"])),
            Err(OverrideError::GlobSweep(_))
        ));
        assert_eq!(
            parse_overrides(&args(&["a=[1,2]"])).unwrap()[0].edits.len(),
            1
        );
    }
}
