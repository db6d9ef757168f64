//! The form ruamel.yaml 0.19 writes back a float in after loading it in
//! round-trip mode. DVC updates `dvc.lock` by loading it round-trip and dumping
//! it again, so floats in the stages it did not touch follow these rules, not
//! `repr`.
//!
//! ruamel remembers the shape of the source text (width, digits after the dot,
//! sign, exponent letter and width) and formats the number to fit that shape.
//! For an exponent form the mantissa is truncated rather than rounded, so
//! `2.448519270213933e-07` comes back as `2.448519270213932e-07`; the port keeps
//! that behaviour.

/// The shape ruamel's round-trip constructor records for a float's source text.
struct Shape {
    width: usize,
    /// Index of the dot in the mantissa (after dropping a sign), -1 without one.
    prec: isize,
    /// The explicit sign of the source text, if any.
    sign: Option<char>,
    /// Number of `0` characters among the leading `0` and `.` characters.
    lead_zeros: usize,
    /// The exponent letter (`e` or `E`) and exponent text, for exponent forms.
    exponent: Option<(char, usize, bool)>,
}

fn shape(source: &str) -> Shape {
    let body = source.replace('_', "");
    let sign = body.chars().next().filter(|ch| matches!(ch, '+' | '-'));
    let leading_zeros = |text: &str| {
        text.chars()
            .take_while(|ch| matches!(ch, '0' | '.'))
            .filter(|ch| *ch == '0')
            .count()
    };

    // ruamel splits the text with its underscores still in place.
    if let Some(position) = source.find(['e', 'E']) {
        let letter = source[position..].chars().next().unwrap_or('e');
        let mantissa = &source[..position];
        let exponent = &source[position + 1..];
        let mut width = mantissa.chars().count();
        if sign.is_some() {
            width -= 1;
        }
        return Shape {
            width,
            prec: mantissa.find('.').map_or(-1, |index| index as isize),
            sign,
            lead_zeros: leading_zeros(mantissa),
            exponent: Some((
                letter,
                exponent.chars().count(),
                exponent.starts_with(['+', '-']),
            )),
        };
    }
    Shape {
        width: source.chars().count(),
        prec: source.find('.').map_or(-1, |index| index as isize),
        sign,
        lead_zeros: leading_zeros(source),
        exponent: None,
    }
}

/// Formats a float as ruamel writes it back after loading it from `source`
/// (whose value is `value`) in round-trip mode.
pub fn round_trip_float(source: &str, value: f64) -> String {
    if value.is_nan() {
        return ".nan".to_string();
    }
    if value.is_infinite() {
        return if value > 0.0 { ".inf" } else { "-.inf" }.to_string();
    }
    let shape = shape(source);
    let sign_text = shape.sign.map(String::from).unwrap_or_default();
    let Some((letter, exponent_width, exponent_signed)) = shape.exponent else {
        return fixed_point(&shape, &sign_text, value);
    };

    // Python's `f'{value:{width}.{width (+1 with a sign)}e}'`.
    let precision = shape.width + usize::from(shape.sign.is_some());
    let formatted = format!("{value:.precision$e}");
    let (mantissa, exponent) = formatted.split_once('e').unwrap_or((&formatted, "0"));
    let mut e: i64 = exponent.parse().unwrap_or(0);
    let mut keep = if shape.prec > 0 {
        shape.width
    } else {
        shape.width + 1
    };
    if value < 0.0 {
        keep += 1;
    }
    let mantissa: String = mantissa.chars().take(keep).collect();
    let (m1, m2) = mantissa.split_once('.').unwrap_or((&mantissa, ""));
    let (mut m1, mut m2) = (m1.to_string(), m2.to_string());
    let target = shape.width as isize - if shape.prec >= 0 { 1 } else { 0 };
    while ((m1.len() + m2.len()) as isize) < target {
        m2.push('0');
    }
    if shape.sign.is_some() && value > 0.0 {
        m1.insert(0, '+');
    }
    let format_exponent = |e: i64| {
        if exponent_signed {
            format!("{e:+0exponent_width$}")
        } else {
            format!("{e:0exponent_width$}")
        }
    };

    if shape.prec < 0 {
        // A mantissa without a dot, such as `1e-05`.
        if m2 != "0" {
            e -= m2.len() as i64;
        } else {
            m2.clear();
        }
        let signed = usize::from(shape.sign.is_some());
        while m1.len() + m2.len() - signed < shape.width {
            m2.push('0');
            e -= 1;
        }
        return format!("{m1}{m2}{letter}{}", format_exponent(e));
    }
    if shape.prec == 0 {
        // A mantissa with a trailing dot: `1.e5`.
        e -= m2.len() as i64;
        return format!("{m1}{m2}.{letter}{}", format_exponent(e));
    }
    if shape.lead_zeros > 0 {
        let moved = "0".repeat(shape.lead_zeros - 1) + &m1 + &m2;
        m1 = "0".to_string();
        m2 = moved[..moved.len().saturating_sub(shape.lead_zeros)].to_string();
        e += shape.lead_zeros as i64;
    }
    while (m1.len() as isize) < shape.prec {
        if m2.is_empty() {
            break;
        }
        m1.push(m2.remove(0));
        e -= 1;
    }
    format!("{m1}.{m2}{letter}{}", format_exponent(e))
}

/// Formats a float without an exponent, as the matching branches of ruamel's
/// `represent_scalar_float` do.
fn fixed_point(shape: &Shape, sign_text: &str, value: f64) -> String {
    let width = shape.width;
    if shape.prec > 0 && shape.prec as usize == width - 1 {
        // A trailing dot, `1.`.
        // `{:.0}` prints the exact integer, as Python's `int(value)` does.
        return format!("{sign_text}{:.0}.", value.abs().trunc());
    }
    let mut text = if shape.prec < 0 {
        let digits = width.saturating_sub(sign_text.len());
        format!("{sign_text}{:0digits$.0}", value.abs().trunc())
    } else {
        let digits = width.saturating_sub(sign_text.len());
        let decimals = width.saturating_sub(shape.prec as usize + 1);
        let mut text = format!("{sign_text}{:0digits$.decimals$}", value.abs());
        if shape.prec == 0 || (shape.prec == 1 && !sign_text.is_empty()) {
            text = text.replace("0.", ".");
        }
        text
    };
    while text.chars().count() < width {
        text.push('0');
    }
    text
}
