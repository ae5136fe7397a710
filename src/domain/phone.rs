//! Vietnamese mobile numbers for SMS invitations, and the text of such an invitation.
//!
//! A number is accepted as `0…` or `+84…` (spaces, dots, dashes and brackets between digits are
//! ignored, as people write them) and kept in one form, `+84` and nine digits, so that the same
//! phone written twice is the same number. Only mobile prefixes (3, 5, 7, 8, 9 after the
//! leading 0) are accepted: a landline cannot receive the message.
//!
//! The message must fit one SMS: at most 160 characters of the GSM 03.38 7-bit alphabet. Any
//! Vietnamese letter outside it (most of them) would switch the whole message to UCS-2 and its
//! limit to 70 characters, too few for a link; so the text is written without diacritics, the
//! way Vietnamese SMS usually are.

use chrono::{DateTime, TimeDelta, Utc};
use unicode_normalization::UnicodeNormalization;

/// Characters of one GSM-7 SMS.
pub const SMS_MAX: usize = 160;

/// A normalised Vietnamese mobile number (`+84` and nine digits). `Debug` does not reveal it
/// (numbers are never logged).
#[derive(Clone, PartialEq, Eq)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// `0` and 9 digits, or `+84` and 9 digits (an optional `0` after `+84` is dropped), the
    /// first of the nine being a mobile prefix.
    pub fn parse(raw: &str) -> Option<Self> {
        if raw.chars().any(char::is_control) {
            return None;
        }
        let raw = raw.trim();
        if raw
            .chars()
            .any(|c| !(c.is_ascii_digit() || matches!(c, '+' | ' ' | '.' | '-' | '(' | ')')))
        {
            return None;
        }
        let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
        let national = if raw.starts_with('+') {
            let rest = digits.strip_prefix("84")?;
            rest.strip_prefix('0').unwrap_or(rest)
        } else {
            digits.strip_prefix('0')?
        };
        // A `+` anywhere but at the start is a typing mistake.
        if raw.chars().skip(1).any(|c| c == '+') {
            return None;
        }
        let ok = national.len() == 9 && national.starts_with(['3', '5', '7', '8', '9']);
        ok.then(|| Self(format!("+84{national}")))
    }

    /// The number, `+84…`.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for PhoneNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PhoneNumber(REDACTED)")
    }
}

/// `text` without Vietnamese diacritics (`Sở Nội vụ` → `So Noi vu`), keeping only characters of
/// the GSM-7 basic set (others become `?`).
pub fn fold_to_gsm(text: &str) -> String {
    text.nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .map(|c| match c {
            'đ' => 'd',
            'Đ' => 'D',
            c if is_gsm_basic(c) => c,
            c if c.is_whitespace() => ' ',
            _ => '?',
        })
        .collect()
}

/// Whether `c` is one character of the GSM-7 basic set that is safe everywhere: ASCII letters,
/// digits, space and the punctuation the set shares with ASCII (not `[]{}\^~|` and the
/// backtick, which take two characters or none).
fn is_gsm_basic(c: char) -> bool {
    c.is_ascii_alphanumeric() || " !\"#$%&'()*+,-./:;<=>?@_\n".contains(c)
}

/// The SMS text of an invitation (or its reminder) to answer `agency`'s survey at `url`, valid
/// until `expires_at`. The agency's name is shortened (with `..`) when the whole would not fit
/// in [`SMS_MAX`] characters; `None` when even the link and the fixed words do not.
pub fn sms_text(
    reminder: bool,
    agency: &str,
    url: &str,
    expires_at: DateTime<Utc>,
) -> Option<String> {
    // Vietnam's time zone (UTC+7, no daylight saving), as the citizen reads the date.
    let date = (expires_at + TimeDelta::hours(7)).format("%d/%m/%Y");
    let head = if reminder { "Nhac lai: moi" } else { "Moi" };
    let url = fold_to_gsm(url);
    let compose =
        |name: &str| format!("{head} ong/ba danh gia {name} (an danh, den {date}): {url}");
    let name = fold_to_gsm(agency.trim());
    let fixed = compose("").chars().count();
    let room = SMS_MAX.checked_sub(fixed)?;
    let name = if name.chars().count() <= room {
        name
    } else if room >= 6 {
        let cut: String = name.chars().take(room - 2).collect();
        format!("{}..", cut.trim_end())
    } else {
        "co quan".chars().take(room).collect()
    };
    Some(compose(&name))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn vietnamese_numbers_are_normalised() {
        for raw in [
            "0912345678",
            "091 234 5678",
            "091.234.5678",
            "+84912345678",
            "+84 91 234 56 78",
            "+84 (0)91-234-5678",
        ] {
            assert_eq!(
                PhoneNumber::parse(raw).map(|p| p.expose().to_owned()),
                Some("+84912345678".into()),
                "{raw}"
            );
        }
        assert_eq!(
            PhoneNumber::parse("0381234567").unwrap().expose(),
            "+84381234567"
        );
        for bad in [
            "",
            "912345678",
            "84912345678",
            "091234567",
            "09123456789",
            "0212345678",
            "02438251234",
            "+1 912345678",
            "+8491234567a",
            "09123+45678",
            "0912345678\n",
            "091234567８",
        ] {
            assert!(PhoneNumber::parse(bad).is_none(), "{bad:?}");
        }
        assert_eq!(
            format!("{:?}", PhoneNumber::parse("0912345678").unwrap()),
            "PhoneNumber(REDACTED)"
        );
    }

    #[test]
    fn the_text_fits_one_gsm_sms_with_the_link() {
        let expires = DateTime::parse_from_rfc3339("2026-03-31T20:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let url = "https://sipas.hagiang.gov.vn/s/abcdefghijklmnopqrstuvwxyz012345";
        let text = sms_text(false, "Sở Nội vụ tỉnh Hà Giang", url, expires).unwrap();
        assert_eq!(
            text,
            "Moi ong/ba danh gia So Noi vu tinh Ha Giang (an danh, den 01/04/2026): \
             https://sipas.hagiang.gov.vn/s/abcdefghijklmnopqrstuvwxyz012345"
        );
        assert!(text.chars().all(is_gsm_basic) && text.chars().count() <= SMS_MAX);
        let long = "Ủy ban nhân dân xã Đồng Văn, huyện Đồng Văn, tỉnh Hà Giang — bộ phận một cửa";
        let reminder = sms_text(true, long, url, expires).unwrap();
        assert!(reminder.starts_with("Nhac lai: moi ong/ba danh gia Uy ban nhan dan xa Dong"));
        assert!(reminder.contains(".. (an danh") && reminder.ends_with(url));
        assert!(reminder.chars().count() <= SMS_MAX);
        assert!(reminder.chars().all(is_gsm_basic));
        let too_long = format!("{url}/{}", "x".repeat(120));
        assert_eq!(sms_text(false, "A", &too_long, expires), None);
        assert_eq!(fold_to_gsm("Đắk Lắk [x]~"), "Dak Lak ?x??");
    }
}
