//! How a chart writes: numbers rounded half-up with the language's decimal sign, the words
//! after a value, XML escapes, and an estimate of a text's width.

use super::model::{ChartText, Mark};

/// `text` with `&`, `<`, `>`, `"` and `'` escaped, for XML text and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `value` rounded half-up to `decimals`, with a decimal comma when asked.
pub fn number(value: f64, decimals: usize, decimal_comma: bool) -> String {
    let scale = 10f64.powi(decimals as i32);
    // Half-up on the magnitude; the tiny nudge keeps 84.125 (stored as 84.12499…) rounding up.
    let rounded = (value.abs() * scale + 0.5 + 1e-9).floor() / scale;
    let rounded = if value < 0.0 && rounded != 0.0 {
        -rounded
    } else {
        rounded
    };
    let s = format!("{rounded:.decimals$}");
    if decimal_comma {
        s.replace('.', ",")
    } else {
        s
    }
}

/// The words after a value: its number, and "low reliability" when so.
pub(super) fn value_words(text: &ChartText, value: Option<f64>, mark: Mark) -> String {
    match (value, mark) {
        (_, Mark::Suppressed) => text.suppressed.clone(),
        (None, _) | (_, Mark::NoData) => text.no_data.clone(),
        (Some(v), Mark::LowReliability) => {
            format!(
                "{} ({})",
                number(v, 1, text.decimal_comma),
                text.low_reliability
            )
        }
        (Some(v), Mark::Ok) => number(v, 1, text.decimal_comma),
    }
}

/// An estimate of the width of `words` at `size` (proportional sans-serif, counted in
/// characters, not bytes, so Vietnamese is not overestimated).
pub(super) fn text_width(words: &str, size: f64) -> i32 {
    (words.chars().count() as f64 * size * 0.56).ceil() as i32
}
