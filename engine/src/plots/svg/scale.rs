//! Scales, ticks, number formats and text measurement for the SVG renderer.

/// The number of ticks axes aim for.
pub const TICK_COUNT: usize = 6;

/// A linear scale from a data domain to a pixel range.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LinearScale {
    pub domain: (f64, f64),
    pub range: (f64, f64),
}

impl LinearScale {
    pub fn map(&self, value: f64) -> f64 {
        let (d0, d1) = self.domain;
        let (r0, r1) = self.range;
        if d1 == d0 {
            return (r0 + r1) / 2.0;
        }
        r0 + (value - d0) / (d1 - d0) * (r1 - r0)
    }

    /// Builds a scale whose domain covers `values`, widened to round tick steps. With `zero`,
    /// the domain also covers 0.
    pub fn nice(values: impl Iterator<Item = f64>, zero: bool, range: (f64, f64)) -> LinearScale {
        let (mut low, mut high) = values
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(low, high), value| {
                (low.min(value), high.max(value))
            });
        if !low.is_finite() || !high.is_finite() {
            (low, high) = (0.0, 1.0);
        }
        if zero {
            low = low.min(0.0);
            high = high.max(0.0);
        }
        if low == high {
            let pad = if low == 0.0 { 1.0 } else { low.abs() * 0.1 };
            low -= pad;
            high += pad;
        }
        // Widening can change the step, so repeat until the ends sit on ticks of
        // the step that `ticks(TICK_COUNT)` will use.
        for _ in 0..10 {
            let step = tick_step(low, high, TICK_COUNT);
            let nice_low = (low / step).floor() * step;
            let nice_high = (high / step).ceil() * step;
            if nice_low == low && nice_high == high {
                break;
            }
            (low, high) = (nice_low, nice_high);
        }
        LinearScale {
            domain: (low, high),
            range,
        }
    }

    /// Round tick values inside the domain, about `count` of them.
    pub fn ticks(&self, count: usize) -> Vec<f64> {
        let (low, high) = self.domain;
        let step = tick_step(low, high, count);
        // The tolerance keeps end ticks that rounding puts a hair outside.
        let first = (low / step - 1e-9).ceil() as i64;
        let last = (high / step + 1e-9).floor() as i64;
        (first..=last).map(|index| index as f64 * step).collect()
    }

    pub fn tick_step(&self, count: usize) -> f64 {
        tick_step(self.domain.0, self.domain.1, count)
    }
}

/// Picks a step of 1, 2 or 5 times a power of ten that cuts `low..high` into about
/// `count` parts.
pub fn tick_step(low: f64, high: f64, count: usize) -> f64 {
    let span = (high - low).abs();
    if span == 0.0 || !span.is_finite() {
        return 1.0;
    }
    let raw = span / count.max(1) as f64;
    let power = 10f64.powf(raw.log10().floor());
    let fraction = raw / power;
    let nice = if fraction >= 7.5 {
        10.0
    } else if fraction >= 3.5 {
        5.0
    } else if fraction >= 1.5 {
        2.0
    } else {
        1.0
    };
    nice * power
}

/// Formats a tick value with as many decimals as the step needs.
pub fn format_tick(value: f64, step: f64) -> String {
    let value = if value.abs() < step.abs() * 1e-9 {
        0.0
    } else {
        value
    };
    if value.abs() >= 1e6 || (value != 0.0 && value.abs() < 1e-4) {
        return format!("{value:.2e}");
    }
    let decimals = if step >= 1.0 {
        0
    } else {
        (-step.log10().floor()) as usize
    };
    let text = format!("{value:.decimals$}");
    if decimals == 0 && value.abs() >= 10_000.0 {
        group_thousands(&text)
    } else {
        text
    }
}

/// Formats a data value for labels such as cell counts: integers plainly,
/// fractions with two decimals.
pub fn format_value(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{value:.0}")
    } else {
        format!("{value:.2}")
    }
}

fn group_thousands(text: &str) -> String {
    let (sign, digits) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text),
    };
    let mut grouped = String::new();
    for (index, c) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}{grouped}")
}

/// A band scale: equal slots for categories, in order.
#[derive(Clone, Debug)]
pub struct BandScale {
    pub categories: Vec<String>,
    pub range: (f64, f64),
    /// The fraction of each slot left empty around its band.
    pub padding: f64,
}

impl BandScale {
    pub fn step(&self) -> f64 {
        (self.range.1 - self.range.0) / self.categories.len().max(1) as f64
    }

    pub fn bandwidth(&self) -> f64 {
        self.step() * (1.0 - self.padding)
    }

    /// Returns the start of a category's band.
    pub fn start(&self, category: &str) -> Option<f64> {
        let index = self.categories.iter().position(|found| found == category)?;
        Some(self.range.0 + index as f64 * self.step() + self.step() * self.padding / 2.0)
    }

    pub fn center(&self, category: &str) -> Option<f64> {
        Some(self.start(category)? + self.bandwidth() / 2.0)
    }
}

/// Sorts category labels: numerically when all are numbers, else as text.
pub fn sort_categories(categories: &mut [String]) {
    let numbers: Option<Vec<f64>> = categories
        .iter()
        .map(|c| c.trim().parse::<f64>().ok())
        .collect();
    if numbers.is_some() {
        categories.sort_by(|a, b| {
            let a: f64 = a.trim().parse().unwrap_or(0.0);
            let b: f64 = b.trim().parse().unwrap_or(0.0);
            a.total_cmp(&b)
        });
    } else {
        categories.sort();
    }
}

/// Estimates the rendered width of text in a sans-serif font. The per-character
/// factors are rough upper bounds for DejaVu Sans and Liberation Sans.
pub fn text_width(text: &str, font_size: f64) -> f64 {
    text.chars()
        .map(|c| match c {
            'i' | 'j' | 'l' | '.' | ',' | ':' | ';' | '\'' | '|' | '!' => 0.32,
            'f' | 't' | 'r' | ' ' | '(' | ')' | '[' | ']' | '-' => 0.42,
            'm' | 'w' | 'M' | 'W' => 0.92,
            c if c.is_ascii_uppercase() => 0.72,
            c if c.is_ascii_digit() => 0.64,
            _ => 0.62,
        })
        .sum::<f64>()
        * font_size
}

/// Cuts text to fit `width`, ending it with an ellipsis when cut.
pub fn fit_text(text: &str, font_size: f64, width: f64) -> String {
    if text_width(text, font_size) <= width {
        return text.to_string();
    }
    let mut cut: String = String::new();
    for c in text.chars() {
        let candidate = format!("{cut}{c}…");
        if text_width(&candidate, font_size) > width {
            break;
        }
        cut.push(c);
    }
    format!("{cut}…")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_domains_end_on_round_ticks() {
        let scale = LinearScale::nice([0.12, 0.97].into_iter(), false, (0.0, 100.0));
        assert_eq!(scale.domain, (0.1, 1.0));
        let ticks = scale.ticks(TICK_COUNT);
        assert!(ticks.len() >= 4, "{ticks:?}");
        assert!(ticks.len() <= 11, "{ticks:?}");
        let uneven = LinearScale::nice([0.12, 0.325].into_iter(), false, (0.0, 100.0));
        let ticks = uneven.ticks(TICK_COUNT);
        assert_eq!(ticks.first().copied(), Some(uneven.domain.0));
        assert!(
            (ticks.last().unwrap() - uneven.domain.1).abs() < 1e-9,
            "{ticks:?} {:?}",
            uneven.domain
        );
        assert_eq!(format_tick(0.30000000000000004, 0.1), "0.3");
        assert_eq!(format_tick(25000.0, 5000.0), "25,000");
    }

    #[test]
    fn categories_sort_numerically_when_they_are_numbers() {
        let mut categories = vec!["10".to_string(), "2".to_string(), "1".to_string()];
        sort_categories(&mut categories);
        assert_eq!(categories, vec!["1", "2", "10"]);
    }

    #[test]
    fn long_text_is_cut_with_an_ellipsis() {
        let cut = fit_text("a very long label indeed", 11.0, 60.0);
        assert!(cut.ends_with('…'));
        assert!(text_width(&cut, 11.0) <= 60.0);
    }
}
