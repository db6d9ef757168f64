//! The implicit-type check ruamel.yaml 0.19 runs before it writes a string as a
//! plain scalar: a string whose plain form would load back as another type
//! (`'2.0'`, `'true'`, `'2024-01-01'`, `'<<'`) must be quoted.
//!
//! These are ruamel's YAML 1.2 implicit resolvers, matched by hand instead of with
//! regular expressions. ruamel picks the resolvers to try by the first character
//! of the text, so a string such as `_1` stays a plain string even though the
//! integer pattern alone would match it.

/// Tells whether ruamel would load `text`, written as a plain scalar, back as a
/// string.
pub(super) fn plain_loads_as_str(text: &str) -> bool {
    // Python's `$` also matches before one trailing newline, and ruamel matches
    // with `re.match(...)` on patterns that end in `$`.
    let candidates = match text.strip_suffix('\n') {
        Some(stripped) => vec![text, stripped],
        None => vec![text],
    };
    !candidates
        .into_iter()
        .any(|candidate| resolves_to_other_type(text, candidate))
}

/// `first_of` is the full text, whose first character selects the resolvers;
/// `candidate` is the text the patterns must match in full.
fn resolves_to_other_type(first_of: &str, candidate: &str) -> bool {
    let Some(first) = first_of.chars().next() else {
        // The empty string resolves to null.
        return true;
    };
    let mut checks: Vec<fn(&str) -> bool> = Vec::new();
    if "tTfF".contains(first) {
        checks.push(is_bool);
    }
    if "-+0123456789.".contains(first) {
        checks.push(is_float);
    }
    if "-+0123456789".contains(first) {
        checks.push(is_int);
        checks.push(is_timestamp);
    }
    if first == '<' {
        checks.push(|text| text == "<<");
    }
    if "~nN".contains(first) {
        checks.push(is_null);
    }
    if first == '=' {
        checks.push(|text| text == "=");
    }
    if "!&*".contains(first) {
        checks.push(|text| matches!(text, "!" | "&" | "*"));
    }
    checks.into_iter().any(|check| check(candidate))
}

fn is_bool(text: &str) -> bool {
    matches!(text, "true" | "True" | "TRUE" | "false" | "False" | "FALSE")
}

fn is_null(text: &str) -> bool {
    matches!(text, "" | "~" | "null" | "Null" | "NULL")
}

fn strip_sign(text: &str) -> &str {
    text.strip_prefix(['-', '+']).unwrap_or(text)
}

fn take_while(text: &str, accept: impl Fn(u8) -> bool) -> (&str, &str) {
    let end = text
        .bytes()
        .position(|byte| !accept(byte))
        .unwrap_or(text.len());
    text.split_at(end)
}

fn is_digit(byte: u8) -> bool {
    byte.is_ascii_digit()
}

fn is_digit_or_underscore(byte: u8) -> bool {
    byte.is_ascii_digit() || byte == b'_'
}

/// `[eE][-+]?[0-9]+` at the start of `text`, with the sign required when
/// `sign_required`; returns the rest on a match.
fn exponent(text: &str, sign_required: bool) -> Option<&str> {
    let rest = text.strip_prefix(['e', 'E'])?;
    let rest = match rest.strip_prefix(['-', '+']) {
        Some(rest) => rest,
        None if sign_required => return None,
        None => rest,
    };
    let (digits, rest) = take_while(rest, is_digit);
    (!digits.is_empty()).then_some(rest)
}

/// ruamel's YAML 1.2 float pattern:
/// `[-+]?[0-9][0-9_]*\.[0-9_]*([eE][-+]?[0-9]+)?`, `[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+`,
/// `[-+]?\.[0-9_]+([eE][-+][0-9]+)?`, `[-+]?\.(inf|Inf|INF)` and `\.(nan|NaN|NAN)`.
fn is_float(text: &str) -> bool {
    if matches!(text, ".nan" | ".NaN" | ".NAN") {
        return true;
    }
    let body = strip_sign(text);
    if matches!(body, ".inf" | ".Inf" | ".INF") {
        return true;
    }

    if let Some(fraction) = body.strip_prefix('.') {
        let (digits, rest) = take_while(fraction, is_digit_or_underscore);
        if digits.is_empty() {
            return false;
        }
        return rest.is_empty() || exponent(rest, true) == Some("");
    }

    if !body.starts_with(|ch: char| ch.is_ascii_digit()) {
        return false;
    }
    let (_, rest) = take_while(body, is_digit_or_underscore);
    if let Some(fraction) = rest.strip_prefix('.') {
        let (_, rest) = take_while(fraction, is_digit_or_underscore);
        return rest.is_empty() || exponent(rest, false) == Some("");
    }
    exponent(rest, false) == Some("")
}

/// ruamel's YAML 1.2 int pattern: `[-+]?0b[0-1_]+`, `[-+]?0o?[0-7_]+`,
/// `[-+]?[0-9_]+` and `[-+]?0x[0-9a-fA-F_]+`.
fn is_int(text: &str) -> bool {
    let body = strip_sign(text);
    let all_nonempty =
        |digits: &str, accept: fn(u8) -> bool| !digits.is_empty() && digits.bytes().all(accept);
    if let Some(digits) = body.strip_prefix("0b") {
        if all_nonempty(digits, |byte| matches!(byte, b'0' | b'1' | b'_')) {
            return true;
        }
    }
    if let Some(digits) = body.strip_prefix("0o") {
        if all_nonempty(digits, |byte| matches!(byte, b'0'..=b'7' | b'_')) {
            return true;
        }
    }
    if let Some(digits) = body.strip_prefix("0x") {
        if all_nonempty(digits, |byte| byte.is_ascii_hexdigit() || byte == b'_') {
            return true;
        }
    }
    // `0o?[0-7_]+` without the `o` is covered by `[0-9_]+`.
    all_nonempty(body, is_digit_or_underscore)
}

/// ruamel's timestamp pattern: a date `YYYY-MM-DD`, or a date with one- or
/// two-digit month and day followed by a time, optional fraction and zone.
fn is_timestamp(text: &str) -> bool {
    let bytes = text.as_bytes();
    let digits_at = |range: std::ops::Range<usize>| {
        range.end <= bytes.len() && bytes[range].iter().all(u8::is_ascii_digit)
    };
    let short_date = bytes.len() == 10
        && digits_at(0..4)
        && bytes[4] == b'-'
        && digits_at(5..7)
        && bytes[7] == b'-'
        && digits_at(8..10);
    if short_date {
        return true;
    }

    // The long form: [0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}
    // (\.[0-9]*)?([ \t]*(Z|[-+][0-9]{1,2}(:[0-9]{2})?))?
    if !(digits_at(0..4) && bytes.get(4) == Some(&b'-')) {
        return false;
    }
    let Some(rest) = one_or_two_digits(&text[5..]) else {
        return false;
    };
    let Some(rest) = rest.strip_prefix('-') else {
        return false;
    };
    let Some(rest) = one_or_two_digits(rest) else {
        return false;
    };
    let rest = if let Some(rest) = rest.strip_prefix(['T', 't']) {
        rest
    } else {
        let (separator, rest) = take_while(rest, |byte| byte == b' ' || byte == b'\t');
        if separator.is_empty() {
            return false;
        }
        rest
    };
    let Some(rest) = one_or_two_digits(rest) else {
        return false;
    };
    let Some(rest) = colon_two_digits(rest) else {
        return false;
    };
    let Some(mut rest) = colon_two_digits(rest) else {
        return false;
    };
    if let Some(fraction) = rest.strip_prefix('.') {
        rest = take_while(fraction, is_digit).1;
    }
    if rest.is_empty() {
        return true;
    }
    let (_, zone) = take_while(rest, |byte| byte == b' ' || byte == b'\t');
    if zone == "Z" {
        return true;
    }
    let Some(offset) = zone.strip_prefix(['-', '+']) else {
        return false;
    };
    let Some(rest) = one_or_two_digits(offset) else {
        return false;
    };
    rest.is_empty() || colon_two_digits(rest) == Some("")
}

fn one_or_two_digits(text: &str) -> Option<&str> {
    let (digits, rest) = take_while(text, is_digit);
    match digits.len() {
        1 | 2 => Some(rest),
        // A third digit cannot start the next piece of the pattern, because every
        // piece after a one- or two-digit field starts with a separator.
        _ => None,
    }
}

fn colon_two_digits(text: &str) -> Option<&str> {
    let rest = text.strip_prefix(':')?;
    let bytes = rest.as_bytes();
    if bytes.len() >= 2 && bytes[0].is_ascii_digit() && bytes[1].is_ascii_digit() {
        Some(&rest[2..])
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_that_load_as_other_types() {
        for text in [
            "",
            "~",
            "null",
            "True",
            "FALSE",
            "1",
            "-1",
            "+1",
            "012",
            "1_000",
            "0x1f",
            "0o17",
            "0b101",
            "1.",
            ".5",
            "1e-05",
            "1E5",
            "-.inf",
            ".NaN",
            "2024-01-01",
            "2024-1-2 10:00:00",
            "2024-01-01T10:00:00.5Z",
            "2024-01-01 10:00:00 +01:00",
            "<<",
            "=",
            "!",
            "&",
            "*",
            "1\n",
            "1__e5",
            "+_",
        ] {
            assert!(
                !plain_loads_as_str(text),
                "{text:?} should not stay a string"
            );
        }
    }

    #[test]
    fn strings_that_stay_strings() {
        for text in [
            "yes",
            "on",
            "_1",
            "1:20",
            "12:30",
            "1e",
            ".",
            "-",
            "nan",
            "inf",
            ".5e5",
            "2024-01-1",
            "0x",
            "1.5.5",
            "nul",
            "2024-01-01x",
        ] {
            assert!(plain_loads_as_str(text), "{text:?} should stay a string");
        }
    }
}
