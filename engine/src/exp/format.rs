//! Cell text for tables, as DVC renders values: Python `str()` of scalars and
//! lists, floats either as `{:.Ng}` (significant digits, `exp show`,
//! `exp diff`) or as `round(x, N)` (decimal places, `metrics show/diff`).

use super::json::Json;
use crate::pyfmt;

/// How floats are shortened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Precision {
    /// Python `str()`.
    Full,
    /// `f"{x:.{n}g}"`.
    Significant(usize),
    /// `round(x, n)`.
    Round(usize),
}

/// A value in a table cell (DVC's `_format_field`): floats are shortened
/// inside lists and dicts too, where they then print as quoted strings for
/// `Significant`, exactly as DVC shows them.
pub fn format_field(value: &Json, precision: Precision) -> String {
    python_str(&shorten(value, precision))
}

fn shorten(value: &Json, precision: Precision) -> Json {
    match (value, precision) {
        (Json::Float(number), Precision::Significant(digits)) if digits > 0 => {
            Json::Str(format_g(*number, digits))
        }
        (Json::Float(number), Precision::Round(digits)) if digits > 0 => {
            Json::Float(round_to(*number, digits))
        }
        (Json::List(items), _) => {
            Json::List(items.iter().map(|item| shorten(item, precision)).collect())
        }
        (Json::Object(entries), _) => Json::Object(
            entries
                .iter()
                .map(|(key, item)| (key.clone(), shorten(item, precision)))
                .collect(),
        ),
        (other, _) => other.clone(),
    }
}

/// Python's `str()` of a JSON-like value.
pub fn python_str(value: &Json) -> String {
    match value {
        Json::Str(text) => text.clone(),
        other => pyfmt::python_repr(&other.to_value()),
    }
}

/// Python's `format(x, ".Ng")`.
pub fn format_g(value: f64, digits: usize) -> String {
    if !value.is_finite() {
        return pyfmt::float_repr(value);
    }
    if value == 0.0 {
        return if value.is_sign_negative() { "-0" } else { "0" }.to_string();
    }
    let digits = digits.max(1);
    // Round to `digits` significant digits first: the exponent after rounding
    // decides between fixed and scientific notation.
    let scientific = format!("{:.*e}", digits - 1, value);
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    if exponent < -4 || exponent >= digits as i32 {
        let mantissa = strip_zeros(mantissa);
        let sign = if exponent < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exponent.abs())
    } else {
        let decimals = (digits as i32 - 1 - exponent).max(0) as usize;
        strip_zeros(&format!("{value:.decimals$}")).to_string()
    }
}

fn strip_zeros(text: &str) -> &str {
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.')
    } else {
        text
    }
}

/// Python's `round(x, n)` for floats: the float nearest to the correctly
/// rounded decimal.
pub fn round_to(value: f64, digits: usize) -> f64 {
    if !value.is_finite() {
        return value;
    }
    format!("{value:.digits$}").parse().unwrap_or(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn significant_digits_match_python() {
        // Expected values printed by Python 3.11's '%.5g' and round().
        assert_eq!(format_g(0.000012345678, 5), "1.2346e-05");
        assert_eq!(format_g(123456789.0, 5), "1.2346e+08");
        assert_eq!(format_g(1.0, 5), "1");
        assert_eq!(format_g(100000.0, 5), "1e+05");
        assert_eq!(format_g(0.1, 3), "0.1");
        assert_eq!(format_g(1e-5, 5), "1e-05");
        assert_eq!(format_g(12345.6, 5), "12346");
        assert_eq!(round_to(0.123456789, 5), 0.12346);
        assert_eq!(round_to(2.675, 2), 2.67);
        assert_eq!(round_to(1e-7, 5), 0.0);
        let list = Json::List(vec![Json::Float(0.123456), Json::Int(3)]);
        assert_eq!(
            format_field(&list, Precision::Significant(3)),
            "['0.123', 3]"
        );
        assert_eq!(format_field(&Json::Bool(true), Precision::Full), "True");
    }
}
