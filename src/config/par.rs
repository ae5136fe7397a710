//! `[par]`: the PAR points scales per edition and agency kind (methodology §4).

use serde::Deserialize;

use super::error::{ConfigError, invalid};
use crate::domain::par::{ParScale, ParScales, check_scale};

/// The `[par]` section.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParSettings {
    /// `[[par.scales]]`: `edition`, optional `agency_kind`, `max_points`.
    pub scales: ParScales,
}

impl ParSettings {
    /// Every entry is valid, and no two entries are for the same edition and kind.
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        let scales = self.scales.entries();
        for (i, scale) in scales.iter().enumerate() {
            let entry = i + 1;
            if let Err(reason) = check_scale(scale) {
                return invalid("par.scales", format!("entry {entry}: {reason}"));
            }
            let same =
                |s: &ParScale| s.edition == scale.edition && s.agency_kind == scale.agency_kind;
            if scales[..i].iter().any(same) {
                return invalid(
                    "par.scales",
                    format!("entry {entry} repeats the edition and agency_kind of an earlier one"),
                );
            }
        }
        Ok(())
    }
}
