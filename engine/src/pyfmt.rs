//! Python's text forms of values: `repr(float)`, `str()` of scalars, lists and
//! dicts, and `json.dumps(..., sort_keys=True)`. DVC hashes and prints values in
//! these forms, so matching them byte for byte keeps run-cache keys, experiment
//! hashes and interpolated commands identical to DVC's.

use crate::node::Value;

/// Formats a float as Python's `repr(float)`: the shortest text that round-trips,
/// in positional form for exponents from -4 up to 15 and in scientific form with a
/// signed, at least two-digit exponent otherwise (`1e-05`, `1.5e+16`).
pub fn float_repr(value: f64) -> String {
    if value.is_nan() {
        return "nan".to_string();
    }
    if value.is_infinite() {
        return if value > 0.0 { "inf" } else { "-inf" }.to_string();
    }
    if value == 0.0 {
        return if value.is_sign_negative() {
            "-0.0"
        } else {
            "0.0"
        }
        .to_string();
    }

    let scientific = shortest_scientific(value);
    let (mantissa, exponent) = scientific
        .split_once('e')
        .expect("`{:e}` always has an exponent");
    let exponent: i32 = exponent.parse().expect("`{:e}` exponent is an integer");
    let negative = mantissa.starts_with('-');
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let sign = if negative { "-" } else { "" };

    if !(-4..16).contains(&exponent) {
        let mut text = String::from(sign);
        text.push_str(&digits[..1]);
        if digits.len() > 1 {
            text.push('.');
            text.push_str(&digits[1..]);
        }
        let exponent_sign = if exponent < 0 { '-' } else { '+' };
        text.push_str(&format!("e{exponent_sign}{:02}", exponent.abs()));
        return text;
    }

    // Positional form: the decimal point goes after `exponent + 1` digits.
    let point = exponent + 1;
    let mut text = String::from(sign);
    if point <= 0 {
        text.push_str("0.");
        text.push_str(&"0".repeat((-point) as usize));
        text.push_str(&digits);
    } else {
        let point = point as usize;
        if digits.len() <= point {
            text.push_str(&digits);
            text.push_str(&"0".repeat(point - digits.len()));
            text.push_str(".0");
        } else {
            text.push_str(&digits[..point]);
            text.push('.');
            text.push_str(&digits[point..]);
        }
    }
    text
}

/// The shortest scientific form that parses back to `value`, choosing the
/// nearest such text and breaking ties to even, as Python's `repr` does. Rust's
/// `{:e}` also gives shortest digits but can break a tie the other way
/// (`1737043521319217.25` gives `...217.3`, Python writes `...217.2`), so this
/// takes the correctly rounded text at increasing precision instead.
fn shortest_scientific(value: f64) -> String {
    for precision in 0..17 {
        let text = format!("{value:.precision$e}");
        if text.parse::<f64>() == Ok(value) {
            return text;
        }
    }
    // 17 significant digits always round-trip.
    format!("{value:.16e}")
}

/// Formats a value as Python's `str()` does, which is how DVC renders a value
/// inside a larger interpolated string (lists and dicts use `repr` of their items).
pub fn python_str(value: &Value) -> String {
    match value {
        Value::Str(text) => text.clone(),
        other => python_repr(other),
    }
}

/// Formats a value as Python's `repr()`.
pub fn python_repr(value: &Value) -> String {
    let mut out = String::new();
    write_repr(value, &mut out);
    out
}

fn write_repr(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("None"),
        Value::Bool(true) => out.push_str("True"),
        Value::Bool(false) => out.push_str("False"),
        Value::Int(number) => out.push_str(&number.to_string()),
        Value::Float(number) => out.push_str(&float_repr(*number)),
        Value::Str(text) => write_str_repr(text, out),
        Value::List(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push_str(", ");
                }
                write_repr(&item.value, out);
            }
            out.push(']');
        }
        Value::Map(map) => {
            out.push('{');
            for (index, (key, entry)) in map.iter().enumerate() {
                if index > 0 {
                    out.push_str(", ");
                }
                write_str_repr(key, out);
                out.push_str(": ");
                write_repr(&entry.value.value, out);
            }
            out.push('}');
        }
    }
}

/// Python's `repr(str)`: single quotes unless the text has a single quote and no
/// double quote.
///
/// NOTE: Python also escapes non-printable non-ASCII characters (`'\xa0'`,
/// `'\u2028'`); this keeps them as they are, since Rust's standard library has no
/// Unicode category table to decide printability.
fn write_str_repr(text: &str, out: &mut String) {
    let quote = if text.contains('\'') && !text.contains('"') {
        '"'
    } else {
        '\''
    };
    out.push(quote);
    for ch in text.chars() {
        match ch {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push(quote);
}

/// Serializes like Python's `json.dumps(value, sort_keys=True)` with the default
/// separators `", "` and `": "` and `ensure_ascii=True`.
pub fn json_dumps_sorted(value: &serde_json::Value) -> String {
    let mut out = String::new();
    write_json(value, &mut out);
    out
}

fn write_json(value: &serde_json::Value, out: &mut String) {
    match value {
        serde_json::Value::Null => out.push_str("null"),
        serde_json::Value::Bool(flag) => out.push_str(if *flag { "true" } else { "false" }),
        serde_json::Value::Number(number) => {
            if let Some(integer) = number.as_i64() {
                out.push_str(&integer.to_string());
            } else if let Some(integer) = number.as_u64() {
                out.push_str(&integer.to_string());
            } else {
                let float = number.as_f64().unwrap_or(f64::NAN);
                out.push_str(&json_float(float));
            }
        }
        serde_json::Value::String(text) => write_json_str(text, out),
        serde_json::Value::Array(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push_str(", ");
                }
                write_json(item, out);
            }
            out.push(']');
        }
        serde_json::Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            // Python sorts str keys by code point, which for UTF-8 is byte order.
            keys.sort();
            out.push('{');
            for (index, key) in keys.iter().enumerate() {
                if index > 0 {
                    out.push_str(", ");
                }
                write_json_str(key, out);
                out.push_str(": ");
                write_json(&map[key.as_str()], out);
            }
            out.push('}');
        }
    }
}

/// Serializes a value tree like Python's `json.dumps(value, sort_keys=True)`.
/// Unlike going through `serde_json`, this keeps NaN and infinities, which
/// Python writes as `NaN`, `Infinity` and `-Infinity`.
pub fn json_dumps_sorted_value(value: &Value) -> String {
    let mut out = String::new();
    write_json_value(value, &mut out);
    out
}

fn write_json_value(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(flag) => out.push_str(if *flag { "true" } else { "false" }),
        Value::Int(number) => out.push_str(&number.to_string()),
        Value::Float(number) => out.push_str(&json_float(*number)),
        Value::Str(text) => write_json_str(text, out),
        Value::List(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push_str(", ");
                }
                write_json_value(&item.value, out);
            }
            out.push(']');
        }
        Value::Map(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (index, key) in keys.iter().enumerate() {
                if index > 0 {
                    out.push_str(", ");
                }
                write_json_str(key, out);
                out.push_str(": ");
                write_json_value(&map[key.as_str()].value.value, out);
            }
            out.push('}');
        }
    }
}

/// Python's json float form: `repr`, except for the non-finite values.
pub fn json_float(value: f64) -> String {
    if value.is_nan() {
        "NaN".to_string()
    } else if value.is_infinite() {
        if value > 0.0 { "Infinity" } else { "-Infinity" }.to_string()
    } else {
        float_repr(value)
    }
}

fn write_json_str(text: &str, out: &mut String) {
    out.push('"');
    for ch in text.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_repr_matches_python() {
        let cases = [
            (0.01, "0.01"),
            (1e-05, "1e-05"),
            (0.0001, "0.0001"),
            (1e16, "1e+16"),
            (1.5e16, "1.5e+16"),
            (9999999999999998.0, "9999999999999998.0"),
            (1000.0, "1000.0"),
            (0.2, "0.2"),
            (-2.5, "-2.5"),
            (0.1 + 0.2, "0.30000000000000004"),
            (123456789.125, "123456789.125"),
            (1e100, "1e+100"),
            (2.5e-7, "2.5e-07"),
            (0.0, "0.0"),
            (1737043521319217.2, "1737043521319217.2"),
            (5e-324, "5e-324"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
        ];
        for (value, expected) in cases {
            assert_eq!(float_repr(value), expected, "repr of {value:?}");
        }
    }

    #[test]
    fn json_dumps_sorts_and_escapes() {
        let value = serde_json::json!({"b": [1, 2.5, "é"], "a": {"z": null, "y": true}, "c": 1e-5});
        assert_eq!(
            json_dumps_sorted(&value),
            r#"{"a": {"y": true, "z": null}, "b": [1, 2.5, "\u00e9"], "c": 1e-05}"#
        );
    }
}
