//! The rules of answer scales: unique ids, at least two levels with unique ascending values, and
//! `satisfied_levels` or `positive_levels` (not both, non-empty, no duplicates, inside the scale).

use std::collections::HashSet;

use toml::Spanned;

use super::super::definition::{FormFile, ScaleDef};
use super::super::error::FormErrorKind as K;
use super::syntax::{id_char, lower_alpha};
use super::{Validator, span};

impl Validator<'_> {
    /// Checks every scale of the file.
    pub(super) fn scales(&mut self, f: &FormFile) {
        let mut seen = HashSet::new();
        for s in &f.scales {
            let sc = s.get_ref();
            let id = sc.id.get_ref().as_str();
            self.check_id("scale", &sc.id, id, lower_alpha, id_char);
            if !seen.insert(id.to_string()) {
                self.push(span(&sc.id), Some(id), K::DuplicateScale);
            }
            if sc.levels.len() < 2 {
                self.push(span(s), Some(id), K::TooFewLevels);
            }
            let values = self.levels(sc, id);
            if sc.satisfied_levels.is_some() && sc.positive_levels.is_some() {
                self.push(span(s), Some(id), K::BothSatisfiedAndPositive);
            }
            self.counted_levels(sc, id, &values);
        }
    }

    /// Checks the levels of scale `id` (unique, ascending, labelled); returns their values.
    fn levels(&mut self, sc: &ScaleDef, id: &str) -> Vec<i64> {
        let mut values: Vec<i64> = Vec::new();
        for l in &sc.levels {
            let lv = l.get_ref();
            let value = *lv.value.get_ref();
            if values.contains(&value) {
                self.push(span(&lv.value), Some(id), K::DuplicateLevel { value });
            } else if values.last().is_some_and(|last| value < *last) {
                self.push(span(&lv.value), Some(id), K::LevelsNotAscending { value });
            }
            values.push(value);
            self.text(&lv.label, Some(id), &format!("levels.{value}.label"));
        }
        values
    }

    /// Checks `satisfied_levels` and `positive_levels`: non-empty, each value once, and only
    /// values among the scale's `values`.
    fn counted_levels(&mut self, sc: &ScaleDef, id: &str, values: &[i64]) {
        let lists: [(&'static str, &Option<Spanned<Vec<i64>>>); 2] = [
            ("satisfied_levels", &sc.satisfied_levels),
            ("positive_levels", &sc.positive_levels),
        ];
        for (field, list) in lists {
            let Some(list) = list else { continue };
            if list.get_ref().is_empty() {
                self.push(span(list), Some(id), K::EmptyCountedLevels { field });
            }
            let mut counted = Vec::new();
            for &value in list.get_ref() {
                if !values.contains(&value) {
                    self.push(
                        span(list),
                        Some(id),
                        K::CountedLevelOutsideScale { field, value },
                    );
                } else if counted.contains(&value) {
                    self.push(
                        span(list),
                        Some(id),
                        K::DuplicateCountedLevel { field, value },
                    );
                }
                counted.push(value);
            }
        }
    }
}
