//! k-anonymity of the raw-answer export (docs/privacy.md, "Exports"): within one agency and one
//! month, every combination of the quasi-identifiers a row carries — channel, mode, procedure
//! field (the month and the agency are fixed) — must appear in at least `k` rows
//! (`results.suppress_below`), or an agency that remembers the one citizen with an unusual
//! procedure field that month could find that citizen's row.
//!
//! (Validity is part of the combination and never blanked: only paper returns are invalid.)
//!
//! Rarer combinations are **generalised**, coarsest last: first the procedure field is left
//! blank, then the mode, then the channel; rows whose combination is rare even with all three
//! blank are **withheld** — every row of a month with fewer than `k` answers, and the few rare
//! rows of a month whose other rows kept their values (blanking only the rare row's values would
//! single it out as the one blank row). Each round raises every group still below `k` one level,
//! so a group merges into a coarser one until every group left is large enough: rows of common
//! combinations keep their values. Pure: the counts come in, the plan goes out.

use std::collections::HashMap;

/// The quasi-identifiers of a row besides its agency and month; `None` is blank.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Quasi {
    pub channel: Option<String>,
    pub mode: Option<String>,
    pub procedure_field: Option<String>,
    /// Never blanked, but part of the combination: only paper comes back invalid, so an
    /// invalid row with its mode blanked would still say "paper".
    pub valid: bool,
}

impl Quasi {
    /// This combination with `level` of its values blanked: 1 the procedure field, 2 also the
    /// mode, 3 also the channel.
    fn at(&self, level: u8) -> Quasi {
        Quasi {
            channel: self.channel.clone().filter(|_| level < 3),
            mode: self.mode.clone().filter(|_| level < 2),
            procedure_field: self.procedure_field.clone().filter(|_| level < 1),
            valid: self.valid,
        }
    }

    fn values(&self) -> u64 {
        [&self.channel, &self.mode, &self.procedure_field]
            .iter()
            .filter(|v| v.is_some())
            .count() as u64
    }
}

/// Above this level a row is withheld.
const ALL_BLANK: u8 = 3;

/// What the export writes for each combination of one agency-month.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// Combination as stored → as written (`None`: the row is withheld).
    written: HashMap<Quasi, Option<Quasi>>,
    /// Values left blank that the row had.
    pub generalised_values: u64,
    /// Rows left out.
    pub withheld_rows: u64,
}

impl Plan {
    /// The plan for an agency-month whose rows have `counts` per combination, so that every
    /// combination written appears in at least `k` rows.
    pub fn new(counts: &[(Quasi, u64)], k: u64) -> Self {
        let mut level: HashMap<&Quasi, u8> = counts.iter().map(|(q, _)| (q, 0)).collect();
        loop {
            let mut groups: HashMap<Quasi, u64> = HashMap::new();
            for (q, n) in counts {
                if let Some(l) = level.get(q).filter(|l| **l <= ALL_BLANK) {
                    *groups.entry(q.at(*l)).or_default() += n;
                }
            }
            let mut raised = false;
            for (q, _) in counts {
                let Some(l) = level.get_mut(q) else { continue };
                if *l <= ALL_BLANK && groups.get(&q.at(*l)).copied().unwrap_or_default() < k {
                    *l += 1;
                    raised = true;
                }
            }
            if !raised {
                break;
            }
        }
        let mut plan = Plan::default();
        for (q, n) in counts {
            let l = level.get(q).copied().unwrap_or(ALL_BLANK + 1);
            if l > ALL_BLANK {
                plan.withheld_rows += n;
                plan.written.insert(q.clone(), None);
            } else {
                let written = q.at(l);
                plan.generalised_values += (q.values() - written.values()) * n;
                plan.written.insert(q.clone(), Some(written));
            }
        }
        plan
    }

    /// What to write for a row with combination `q`; `None` to withhold it (also for a
    /// combination the plan was not made with: what was not counted is not written).
    pub fn write(&self, q: &Quasi) -> Option<&Quasi> {
        self.written.get(q).and_then(Option::as_ref)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn q(channel: &str, mode: &str, field: Option<&str>) -> Quasi {
        Quasi {
            channel: Some(channel.into()),
            mode: Some(mode.into()),
            procedure_field: field.map(Into::into),
            valid: true,
        }
    }

    #[test]
    fn a_single_procedure_field_is_left_blank_and_its_row_joins_the_others() {
        let rare = q("online", "web", Some("Hộ tịch"));
        let common = q("online", "web", None);
        let plan = Plan::new(&[(rare.clone(), 1), (common.clone(), 12)], 10);
        assert_eq!(plan.write(&rare), Some(&common));
        assert_eq!(plan.write(&common), Some(&common));
        assert_eq!((plan.generalised_values, plan.withheld_rows), (1, 0));
    }

    #[test]
    fn every_written_combination_has_k_rows_and_small_months_are_withheld() {
        let counts = vec![
            (q("online", "web", Some("Đất đai")), 11),
            (q("online", "web", Some("Hộ tịch")), 4),
            (q("in_person", "paper", Some("Hộ tịch")), 3),
            (q("in_person", "kiosk", None), 5),
            (q("postal", "paper", Some("Xây dựng")), 1),
        ];
        let plan = Plan::new(&counts, 10);
        let mut written: HashMap<Quasi, u64> = HashMap::new();
        for (c, n) in &counts {
            if let Some(w) = plan.write(c) {
                *written.entry(w.clone()).or_default() += n;
            }
        }
        assert!(written.values().all(|n| *n >= 10), "{written:?}");
        assert_eq!(written.values().sum::<u64>() + plan.withheld_rows, 24);
        assert_eq!(plan.write(&counts[0].0), Some(&counts[0].0));

        // An invalid return is its own combination: with its mode blanked it would still say
        // "paper" among the valid web rows.
        let mut invalid = q("online", "paper", None);
        invalid.valid = false;
        let mixed = Plan::new(&[(q("online", "web", None), 12), (invalid.clone(), 1)], 10);
        assert_eq!(mixed.write(&invalid), None);
        assert_eq!(mixed.withheld_rows, 1);

        let small = Plan::new(&[(q("online", "web", None), 4)], 10);
        assert_eq!(small.write(&q("online", "web", None)), None);
        assert_eq!(small.withheld_rows, 4);
        assert_eq!(small.write(&q("postal", "web", None)), None);
    }
}
