//! `[sampling]`: the precision sample planning aims for (methodology §5).

use serde::Deserialize;

use super::error::{ConfigError, invalid};
use crate::domain::sampling::SamplingTarget;

/// The `[sampling]` section.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SamplingSettings {
    /// Half-width planned for, as a fraction (0.05 = ± 5 points).
    pub margin: f64,
    /// Confidence level of Cochran's size and of the achieved margin.
    pub level: f64,
}

impl SamplingSettings {
    /// A margin in (0, 0.5], a level in (0, 1).
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        if !(self.margin > 0.0 && self.margin <= 0.5) {
            return invalid(
                "sampling.margin",
                "must be above 0 and at most 0.5 (a fraction: 0.05 = 5 points)",
            );
        }
        if !(self.level > 0.0 && self.level < 1.0) {
            return invalid("sampling.level", "must be between 0 and 1, e.g. 0.95");
        }
        Ok(())
    }

    /// The target of the domain's planning.
    pub fn target(&self) -> SamplingTarget {
        SamplingTarget {
            margin: self.margin,
            level: self.level,
        }
    }
}
