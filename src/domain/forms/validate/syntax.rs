//! The character rules of keys, ids and dates in a form file.

use std::ops::Range;

/// Whether `s` is a non-empty slug: a `first` character, then `rest` characters.
pub(super) fn is_slug(s: &str, first: fn(char) -> bool, rest: fn(char) -> bool) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(first) && chars.all(rest)
}

/// A lowercase ASCII letter.
pub(super) fn lower_alpha(c: char) -> bool {
    c.is_ascii_lowercase()
}
/// A lowercase ASCII letter or a digit.
pub(super) fn lower_alnum(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit()
}
/// A character of a scale, section, question or option id.
pub(super) fn id_char(c: char) -> bool {
    lower_alnum(c) || c == '_'
}
/// A character of an index node id: an id character or `.`.
pub(super) fn node_char(c: char) -> bool {
    id_char(c) || c == '.'
}
/// A character of a form key.
pub(super) fn key_char(c: char) -> bool {
    lower_alnum(c) || c == '-'
}

/// `YYYY-MM-DD` with a real calendar day.
pub(super) fn is_iso_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return false;
    }
    let num = |r: Range<usize>| -> Option<u32> {
        let part = s.get(r)?;
        if part.bytes().all(|c| c.is_ascii_digit()) {
            part.parse().ok()
        } else {
            None
        }
    };
    let (Some(y), Some(m), Some(d)) = (num(0..4), num(5..7), num(8..10)) else {
        return false;
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&d)
}
