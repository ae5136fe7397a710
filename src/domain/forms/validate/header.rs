//! The rules of a form file's header: key, version, edition, wording source, languages, the
//! form's own texts, legal basis and PAR edition.

use std::collections::HashSet;

use super::super::definition::FormFile;
use super::super::error::FormErrorKind as K;
use super::syntax::{is_iso_date, is_slug, key_char, lower_alpha};
use super::{Validator, span};

impl Validator<'_> {
    /// Checks the header and records the declared languages for the text checks that follow.
    pub(super) fn header(&mut self, f: &FormFile) {
        if !is_slug(f.key.get_ref(), lower_alpha, key_char) {
            self.push(
                span(&f.key),
                None,
                K::InvalidKey {
                    key: f.key.get_ref().clone(),
                },
            );
        }
        if *f.version.get_ref() == 0 {
            self.push(span(&f.version), None, K::InvalidVersion);
        }
        self.non_empty(&f.edition, "edition");
        self.non_empty(&f.wording_source, "wording_source");
        self.languages(f);

        self.text(&f.title, None, "title");
        if let Some(t) = &f.intro {
            self.text(t, None, "intro");
        }
        if let Some(t) = &f.closing {
            self.text(t, None, "closing");
        }

        let lb = f.legal_basis.get_ref();
        self.non_empty(&lb.instrument, "legal_basis.instrument");
        if let Some(d) = &lb.date
            && !is_iso_date(d.get_ref())
        {
            self.push(
                span(d),
                None,
                K::InvalidDate {
                    field: "legal_basis.date",
                    value: d.get_ref().clone(),
                },
            );
        }

        let par = f.par.get_ref();
        self.non_empty(&par.edition, "par.edition");
        if let Some(mp) = &par.max_points {
            let x = *mp.get_ref();
            if !(x.is_finite() && x > 0.0) {
                self.push(span(mp), None, K::InvalidMaxPoints);
            }
        }
    }

    /// Checks the language codes (valid, each once, `vi` among them) and keeps the valid ones.
    fn languages(&mut self, f: &FormFile) {
        let mut seen = HashSet::new();
        for lang in f.languages.get_ref() {
            let code = lang.get_ref();
            let valid = (2..=3).contains(&code.len()) && code.chars().all(lower_alpha);
            if !valid {
                self.push(
                    span(lang),
                    None,
                    K::InvalidLanguage {
                        language: code.clone(),
                    },
                );
            } else if !seen.insert(code.clone()) {
                self.push(
                    span(lang),
                    None,
                    K::DuplicateLanguage {
                        language: code.clone(),
                    },
                );
            } else {
                self.languages.push(code.clone());
            }
        }
        if !self.languages.iter().any(|l| l == "vi") {
            self.push(span(&f.languages), None, K::MissingVietnamese);
        }
    }
}
