//! Breakdown cells by mode and by procedure field, which the roll-ups do not keep: built by
//! scanning an agency's stored answers over a period, each response counted exactly as its
//! roll-up counts its satisfaction items (`ScoreShape::stored_item_contribution`: the cells show
//! no perception indicator, so those answers are not read), both dimensions at once, packed
//! (`BucketCounts::pack`: a byte per small count) so that `app::results::scan` keeps them
//! cheaply; then merged by cell for one dimension ([`merge_months`]).

use std::collections::BTreeMap;

use super::Dimension;
use super::report::BreakdownCellInput;
use crate::domain::aggregates::{BucketCounts, BucketError, ScoreShape};

/// Packed cells: the key (a mode, a procedure field, `None` for responses without one) and
/// the counts as `BucketCounts::pack` writes them.
type PackedCells = Vec<(Option<String>, Vec<u8>)>;

/// One agency-month's breakdown cells by mode and by procedure field.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MonthCells {
    mode: PackedCells,
    procedure_field: PackedCells,
}

/// One stored response as a scan reads it.
#[derive(Debug, Clone, Copy)]
pub struct ScannedAnswers<'a> {
    pub mode: &'a str,
    pub procedure_field: Option<&'a str>,
    /// The stored answers (a JSON object).
    pub answers: &'a str,
    pub valid: bool,
}

impl MonthCells {
    /// The cells of one agency-month's responses, by both dimensions (each answer read once).
    ///
    /// # Errors
    /// A stored answers text that is not a JSON object (the message names the cell, no id).
    pub fn scan<'a>(
        shape: &ScoreShape,
        rows: impl IntoIterator<Item = ScannedAnswers<'a>>,
    ) -> Result<Self, String> {
        let mut mode: BTreeMap<&str, BucketCounts> = BTreeMap::new();
        let mut field: BTreeMap<Option<&str>, BucketCounts> = BTreeMap::new();
        for r in rows {
            let contribution = shape
                .stored_item_contribution(r.answers, r.valid)
                .map_err(|e| format!("stored answers of mode {:?}: {e}", r.mode))?;
            (mode.entry(r.mode).or_insert_with(|| shape.empty())).add(&contribution);
            (field.entry(r.procedure_field))
                .or_insert_with(|| shape.empty())
                .add(&contribution);
        }
        Ok(MonthCells {
            mode: (mode.into_iter())
                .map(|(k, c)| (Some(k.to_owned()), c.pack()))
                .collect(),
            procedure_field: (field.into_iter())
                .map(|(k, c)| (k.map(str::to_owned), c.pack()))
                .collect(),
        })
    }

    /// The cells by `by` (mode, or else procedure field: channels are never scanned).
    pub fn by(&self, by: Dimension) -> &[(Option<String>, Vec<u8>)] {
        match by {
            Dimension::Mode => &self.mode,
            _ => &self.procedure_field,
        }
    }

    /// About how many bytes it holds (for the memo's budget).
    pub fn bytes(&self) -> usize {
        (self.mode.iter().chain(&self.procedure_field))
            .map(|(k, text)| 48 + k.as_ref().map_or(0, String::len) + text.len())
            .sum::<usize>()
            + 64
    }
}

/// The cells by `by` of several months (of one agency, or of several), added up by key.
///
/// # Errors
/// A kept text that does not fit `shape` (never: each was encoded from it).
pub fn merge_months<'a>(
    shape: &ScoreShape,
    months: impl IntoIterator<Item = &'a MonthCells>,
    by: Dimension,
) -> Result<Vec<BreakdownCellInput>, BucketError> {
    let mut cells: BTreeMap<&Option<String>, BucketCounts> = BTreeMap::new();
    for (key, bytes) in months.into_iter().flat_map(|m| m.by(by)) {
        let counts = cells.entry(key).or_insert_with(|| shape.empty());
        shape.add_packed(bytes, counts)?;
    }
    Ok(cells
        .into_iter()
        .map(|(key, counts)| BreakdownCellInput {
            key: key.clone(),
            counts,
        })
        .collect())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn shape() -> ScoreShape {
        ScoreShape::of(&crate::domain::forms::shipped("sipas-2017"))
    }

    /// Response `r`: its mode, procedure field and answers (item `j` at a level from `r`, `j`).
    fn response(s: &ScoreShape, r: usize) -> (String, Option<String>, String, bool) {
        let answers: serde_json::Map<String, serde_json::Value> = (s.tree.items.iter())
            .enumerate()
            .filter(|(j, _)| !(r + j).is_multiple_of(7))
            .map(|(j, id)| (id.clone(), serde_json::json!(1 + (r * 3 + j) % 5)))
            .collect();
        (
            ["web", "kiosk", "paper"][r % 3].to_owned(),
            [Some("Hộ tịch"), Some("Đất đai"), None][r % 4 % 3].map(str::to_owned),
            serde_json::Value::Object(answers).to_string(),
            !r.is_multiple_of(11),
        )
    }

    fn scanned<'a>(
        rows: &'a [(String, Option<String>, String, bool)],
    ) -> impl Iterator<Item = ScannedAnswers<'a>> {
        rows.iter()
            .map(|(mode, field, answers, valid)| ScannedAnswers {
                mode,
                procedure_field: field.as_deref(),
                answers,
                valid: *valid,
            })
    }

    #[test]
    fn months_scanned_apart_add_up_to_the_cells_of_all_their_responses() {
        let s = shape();
        let rows: Vec<_> = (0..60).map(|r| response(&s, r)).collect();
        let months: Vec<MonthCells> = rows
            .chunks(17)
            .map(|month| MonthCells::scan(&s, scanned(month)).unwrap())
            .collect();
        let all = MonthCells::scan(&s, scanned(&rows)).unwrap();
        for by in [Dimension::Mode, Dimension::ProcedureField] {
            let merged = merge_months(&s, &months, by).unwrap();
            let direct = merge_months(&s, [&all], by).unwrap();
            assert_eq!(merged.len(), direct.len());
            for (a, b) in merged.iter().zip(&direct) {
                assert_eq!((&a.key, &a.counts), (&b.key, &b.counts), "{by:?}");
            }
            // Every response is in exactly one cell: the cells' counts add up to the total.
            let valid: u64 = merged.iter().map(|c| c.counts.valid).sum();
            let invalid: u64 = merged.iter().map(|c| c.counts.invalid).sum();
            assert_eq!((valid, invalid), (54, 6));
        }
        let keys = |by| -> Vec<Option<String>> {
            merge_months(&s, &months, by)
                .unwrap()
                .into_iter()
                .map(|c| c.key)
                .collect()
        };
        assert_eq!(
            keys(Dimension::Mode),
            [
                Some("kiosk".into()),
                Some("paper".into()),
                Some("web".into())
            ]
        );
        assert_eq!(
            keys(Dimension::ProcedureField),
            [None, Some("Hộ tịch".into()), Some("Đất đai".into())]
        );
        // Each cell equals the bucket of its responses counted one by one.
        let mut web = s.empty();
        for (mode, _, answers, valid) in &rows {
            if mode == "web" {
                web.add(&s.stored_item_contribution(answers, *valid).unwrap());
            }
        }
        let merged = merge_months(&s, &months, Dimension::Mode).unwrap();
        assert_eq!(merged[2].counts, web);
        assert!(
            MonthCells::scan(&s, scanned(&[("web".into(), None, "[1]".into(), true)])).is_err()
        );
        assert!(all.bytes() > 0);
    }
}
