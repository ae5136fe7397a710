//! `[integrity]`: the integrity indicators' thresholds (`domain::integrity`).

use serde::Deserialize;

use super::error::{ConfigError, at_least_one, invalid};

/// When an answer counts as quick or part of a burst, and when an agency is flagged.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntegritySettings {
    /// A web answer through the link this soon after the dossier's completion is quick.
    pub quick_answer_minutes: u32,
    /// More than this many web answers from one network within `burst_minutes` are a burst.
    pub burst_count: u32,
    pub burst_minutes: u32,
    /// The least difference of shares (0–1) between an agency and the rest of its province
    /// that is flagged.
    pub flag_margin: f64,
}

impl IntegritySettings {
    /// Minutes and counts of at least 1, a margin between 0 and 1.
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        at_least_one(
            "integrity.quick_answer_minutes",
            self.quick_answer_minutes.into(),
        )?;
        at_least_one("integrity.burst_count", self.burst_count.into())?;
        at_least_one("integrity.burst_minutes", self.burst_minutes.into())?;
        if !(0.0..=1.0).contains(&self.flag_margin) {
            return invalid("integrity.flag_margin", "must be between 0 and 1");
        }
        Ok(())
    }
}
