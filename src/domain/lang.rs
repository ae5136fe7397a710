//! The two languages the service speaks to people: Vietnamese, the default that every form and
//! every page has, and English. One type for the pages, the API's error messages and the
//! downloadable files; each of them keeps its own words (`http::pages::i18n`,
//! `export::report::text`, `export::raw`).
//!
//! A form may declare other languages for its texts (ISO 639-1 codes, `domain::forms`); those
//! stay strings: only the words the service writes itself are limited to these two.

use serde::{Deserialize, Serialize};

/// A language of the service's own words; `vi` and `en` on the wire (query parameters, JSON).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// Vietnamese, the default.
    #[default]
    Vi,
    /// English.
    En,
}

impl Lang {
    /// Both languages, Vietnamese first.
    pub const ALL: [Lang; 2] = [Lang::Vi, Lang::En];

    /// The language's code: `vi` or `en`.
    pub const fn code(self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }

    /// Exactly `vi` or `en` → that language; anything else → `None`. For the API's parameters,
    /// which refuse a value they do not know.
    pub fn from_code(code: &str) -> Option<Lang> {
        Lang::ALL.into_iter().find(|l| l.code() == code)
    }

    /// A tag read leniently, as the pages read `?lang=` (a page never fails over its query
    /// string): `en` in any case → English; anything else, or nothing → Vietnamese.
    pub fn from_tag(tag: Option<&str>) -> Lang {
        match tag {
            Some(t) if t.eq_ignore_ascii_case(Lang::En.code()) => Lang::En,
            _ => Lang::Vi,
        }
    }

    /// This language when `available` (the codes a content exists in, such as a form's
    /// languages) has it; Vietnamese otherwise, the fallback every form has.
    pub fn within(self, available: &[String]) -> Lang {
        if available.iter().any(|a| a == self.code()) {
            self
        } else {
            Lang::Vi
        }
    }

    /// [`Lang::from_tag`] [`within`](Lang::within) `available`: how a page whose content may
    /// lack English picks its language.
    pub fn negotiate(requested: Option<&str>, available: &[String]) -> Lang {
        Lang::from_tag(requested).within(available)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn codes_parse_exactly() {
        for lang in Lang::ALL {
            assert_eq!(Lang::from_code(lang.code()), Some(lang));
        }
        for other in ["EN", "Vi", "fr", "", "en-GB", " en"] {
            assert_eq!(Lang::from_code(other), None, "{other:?}");
        }
        assert_eq!(Lang::default(), Lang::Vi);
    }

    #[test]
    fn tags_parse_leniently() {
        assert_eq!(Lang::from_tag(Some("en")), Lang::En);
        assert_eq!(Lang::from_tag(Some("EN")), Lang::En);
        assert_eq!(Lang::from_tag(Some("vi")), Lang::Vi);
        assert_eq!(Lang::from_tag(Some("fr")), Lang::Vi);
        assert_eq!(Lang::from_tag(Some("en-GB")), Lang::Vi);
        assert_eq!(Lang::from_tag(Some("")), Lang::Vi);
        assert_eq!(Lang::from_tag(None), Lang::Vi);
    }

    #[test]
    fn english_only_when_available() {
        let both = ["vi".to_owned(), "en".to_owned()];
        let vi_only = ["vi".to_owned()];
        assert_eq!(Lang::negotiate(Some("en"), &both), Lang::En);
        assert_eq!(Lang::negotiate(Some("EN"), &both), Lang::En);
        assert_eq!(Lang::negotiate(Some("en"), &vi_only), Lang::Vi);
        assert_eq!(Lang::negotiate(Some("fr"), &both), Lang::Vi);
        assert_eq!(Lang::negotiate(None, &both), Lang::Vi);
        assert_eq!(Lang::En.within(&vi_only), Lang::Vi);
        assert_eq!(Lang::Vi.within(&[]), Lang::Vi);
    }

    #[test]
    fn json_is_the_code() {
        assert_eq!(serde_json::to_string(&Lang::En).unwrap(), "\"en\"");
        assert_eq!(serde_json::from_str::<Lang>("\"vi\"").unwrap(), Lang::Vi);
        assert!(serde_json::from_str::<Lang>("\"EN\"").is_err());
    }
}
