//! The rules a form file must satisfy, and the conversion of a checked [`FormFile`] into a
//! [`FormDefinition`].
//!
//! Every rule is checked and every violation reported (file, line, id, fix hint), so that one
//! `sipas forms check` run lists everything to fix. The rules, in file order:
//! - header: key slug, version ≥ 1, non-empty edition / wording source / instrument / PAR edition,
//!   valid dates, languages (valid codes, no duplicates, `vi` present), `max_points` > 0;
//! - texts: every text object has every declared language, no other, non-blank, in Unicode NFC;
//! - scales: unique ids, ≥ 2 levels with unique ascending values, `satisfied_levels` or
//!   `positive_levels` (not both, non-empty, no duplicates, inside the scale);
//! - sections and questions: unique ids (questions unique across the whole form), fields that fit
//!   the kind, known scales, ≥ 2 options with unique ids, sane ranges, hidden ≠ required, no
//!   question asking for a name, phone number or e-mail address;
//! - conditions: exactly one shape, known and *earlier* questions only, known option ids / levels,
//!   values of the right type, kinds that can gate;
//! - index tree: known root, unique node ids, non-empty nodes, known children with one parent each,
//!   no cycle, every node reachable, items that are shown scale questions on a satisfaction scale,
//!   each item in one node only, bounded depth.
//!
//! One file per part of a form file: `header`, `scales`, `questions` (with `personal_data`),
//! `conditions`, `index` (with the graph walks of `tree`); the character rules of ids and dates
//! are in `syntax`, and `build` turns a checked file into the model.

mod build;
mod conditions;
mod header;
mod index;
mod personal_data;
mod questions;
mod scales;
mod syntax;
mod tree;

use std::collections::HashMap;
use std::ops::Range;

use toml::Spanned;
use unicode_normalization::is_nfc;

use super::checksum::checksum;
use super::definition::{FormFile, QuestionKind, ScaleDef, TextDef};
use super::error::{FormError, FormErrorKind as K, FormErrors};
use super::model::FormDefinition;

/// Deepest index tree accepted (root = level 1). Real trees have 3.
pub const MAX_INDEX_DEPTH: usize = 16;

/// Checks `file` (parsed from `src`, named `file_name` in errors) and builds the definition, or
/// returns every error found.
pub fn validate(file_name: &str, src: &str, file: &FormFile) -> Result<FormDefinition, FormErrors> {
    let mut v = Validator {
        file: file_name,
        src,
        languages: Vec::new(),
        errors: Vec::new(),
    };
    v.header(file);
    v.scales(file);
    let questions = v.questions(file);
    v.conditions(file, &questions);
    v.index(file, &questions);
    if !v.errors.is_empty() {
        let mut errors = v.errors;
        errors.sort_by_key(|e| e.line.unwrap_or(0));
        return Err(FormErrors(errors));
    }
    Ok(build::build(file, checksum(file)))
}

/// What the later passes need to know about a question.
struct QInfo {
    kind: QuestionKind,
    scale: Option<String>,
    options: Vec<String>,
    hidden: bool,
    position: usize,
}

/// The state of one file's check: where errors point, the languages declared so far, and the
/// errors found.
struct Validator<'a> {
    file: &'a str,
    src: &'a str,
    languages: Vec<String>,
    errors: Vec<FormError>,
}

/// The byte range of a spanned value.
fn span<T>(s: &Spanned<T>) -> Range<usize> {
    s.span()
}

/// 1-based line of a byte offset.
pub(super) fn line_of(src: &str, offset: usize) -> usize {
    let end = offset.min(src.len());
    src.as_bytes()
        .get(..end)
        .map_or(0, |b| b.iter().filter(|c| **c == b'\n').count())
        + 1
}

impl Validator<'_> {
    /// Reports `id` unless it is a slug of `first` then `rest` characters; the error is filed
    /// under `context` (the id itself, or the question an option belongs to).
    fn check_id(
        &mut self,
        what: &'static str,
        id: &Spanned<String>,
        context: &str,
        first: fn(char) -> bool,
        rest: fn(char) -> bool,
    ) {
        if !syntax::is_slug(id.get_ref(), first, rest) {
            self.push(
                span(id),
                Some(context),
                K::InvalidId {
                    what,
                    id: id.get_ref().clone(),
                },
            );
        }
    }

    /// Records an error at the line of `at`, filed under `id`.
    fn push(&mut self, at: Range<usize>, id: Option<&str>, kind: K) {
        self.errors.push(FormError {
            file: self.file.to_string(),
            line: Some(line_of(self.src, at.start)),
            id: id.map(str::to_string),
            kind,
        });
    }

    /// Checks a text object: every declared language, no other, non-blank, in Unicode NFC.
    fn text(&mut self, t: &TextDef, id: Option<&str>, field: &str) {
        let at = span(t);
        for lang in self.languages.clone() {
            match t.get_ref().get(&lang) {
                None => self.push(
                    at.clone(),
                    id,
                    K::MissingTranslation {
                        field: field.to_string(),
                        language: lang.clone(),
                    },
                ),
                Some(s) if s.trim().is_empty() => self.push(
                    at.clone(),
                    id,
                    K::EmptyText {
                        field: field.to_string(),
                        language: lang.clone(),
                    },
                ),
                Some(s) if !is_nfc(s) => self.push(
                    at.clone(),
                    id,
                    K::NotNfc {
                        field: field.to_string(),
                        language: lang.clone(),
                    },
                ),
                Some(_) => {}
            }
        }
        for lang in t.get_ref().keys() {
            if !self.languages.contains(lang) {
                self.push(
                    at.clone(),
                    id,
                    K::UndeclaredLanguage {
                        field: field.to_string(),
                        language: lang.clone(),
                    },
                );
            }
        }
    }

    /// Reports a blank required string.
    fn non_empty(&mut self, s: &Spanned<String>, field: &'static str) {
        if s.get_ref().trim().is_empty() {
            self.push(span(s), None, K::EmptyValue { field });
        }
    }
}

/// Something of each scale, by scale id.
fn by_scale<T>(f: &FormFile, of: impl Fn(&ScaleDef) -> T) -> HashMap<&str, T> {
    f.scales
        .iter()
        .map(|s| (s.get_ref().id.get_ref().as_str(), of(s.get_ref())))
        .collect()
}

/// The level values of each scale, by scale id.
fn scale_levels(f: &FormFile) -> HashMap<&str, Vec<i64>> {
    by_scale(f, |sc| {
        sc.levels
            .iter()
            .map(|l| *l.get_ref().value.get_ref())
            .collect()
    })
}
