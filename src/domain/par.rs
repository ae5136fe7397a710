//! PAR points scales (methodology §4): how many points SIPAS is worth, per PAR edition and per
//! kind of agency, and why a result has no points.
//!
//! The national PAR Index scores a province out of 10, but a province's own PAR scoring of its
//! departments and communes may use another maximum, so the scale is a setting (`par.scales`)
//! that overrides the form file's `par.max_points`. The most specific entry wins: one for the
//! edition and the agency's kind, then one for the edition alone, then the form file.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::stats::rounded_points;

/// One entry of `par.scales`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParScale {
    /// The PAR edition, as in a form file's `par.edition` (e.g. `par-province`).
    pub edition: String,
    /// The kind of agency the scale is for (`province`, `department`, `commune`, …); absent:
    /// every kind without an entry of its own.
    #[serde(default)]
    pub agency_kind: Option<String>,
    pub max_points: f64,
}

/// Where a row's maximum points come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ScaleSource {
    /// `par.scales`, for the edition and the agency's kind.
    SettingsForKind,
    /// `par.scales`, for the edition (every kind).
    Settings,
    /// The form file's `par.max_points`.
    Form,
}

/// Why a PAR row or result has no points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NoPointsReason {
    /// The form does not feed the PAR Index (e.g. `sipas-quick`).
    NotEligible,
    /// Neither the settings nor the form file give the edition a maximum.
    NoScale,
    /// The index is suppressed or there is no data.
    NoValue,
}

/// The scales of the settings.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(transparent)]
pub struct ParScales(Vec<ParScale>);

/// A result's PAR points: rounded as the appraisal rounds them, and unrounded.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Points {
    pub max_points: Option<f64>,
    pub source: Option<ScaleSource>,
    /// Rounded half-up to 2 decimals, in decimal ([`rounded_points`]).
    pub points: Option<f64>,
    /// `percent / 100 × max_points` at full precision.
    pub exact: Option<f64>,
    pub reason: Option<NoPointsReason>,
}

impl ParScales {
    pub fn new(scales: Vec<ParScale>) -> Self {
        Self(scales)
    }

    /// The entries, in the order of the settings.
    pub fn entries(&self) -> &[ParScale] {
        &self.0
    }

    /// The maximum points of `edition` for an agency of `kind`, and where it comes from; the
    /// form file's `form_max` when no setting applies.
    pub fn max_points(
        &self,
        edition: &str,
        kind: &str,
        form_max: Option<f64>,
    ) -> Option<(f64, ScaleSource)> {
        let of_edition = || self.0.iter().filter(move |s| s.edition == edition);
        let for_kind = of_edition().find(|s| s.agency_kind.as_deref() == Some(kind));
        let for_all = of_edition().find(|s| s.agency_kind.is_none());
        for_kind
            .map(|s| (s.max_points, ScaleSource::SettingsForKind))
            .or_else(|| for_all.map(|s| (s.max_points, ScaleSource::Settings)))
            .or_else(|| form_max.map(|m| (m, ScaleSource::Form)))
    }

    /// The points of a SIPAS value in percent (`None`: suppressed or no data) for a form of
    /// `edition` (`eligible`: whether it feeds the PAR Index) and an agency of `kind`.
    pub fn points(
        &self,
        (edition, eligible, form_max): (&str, bool, Option<f64>),
        kind: &str,
        percent: Option<f64>,
    ) -> Points {
        let scale = self.max_points(edition, kind, form_max);
        let none = |reason| Points {
            max_points: scale.map(|s| s.0),
            source: scale.map(|s| s.1),
            points: None,
            exact: None,
            reason: Some(reason),
        };
        let Some((max, source)) = scale.filter(|_| eligible) else {
            return none(if eligible {
                NoPointsReason::NoScale
            } else {
                NoPointsReason::NotEligible
            });
        };
        match percent.and_then(|p| rounded_points(p, max).map(|r| (p, r))) {
            Some((p, rounded)) => Points {
                max_points: Some(max),
                source: Some(source),
                points: Some(rounded),
                exact: Some(p / 100.0 * max),
                reason: None,
            },
            None => none(NoPointsReason::NoValue),
        }
    }
}

/// Checks one entry: a known agency kind, a positive finite maximum, a non-empty edition.
pub fn check_scale(scale: &ParScale) -> Result<(), String> {
    if scale.edition.trim().is_empty() {
        return Err("edition must not be empty".into());
    }
    if let Some(kind) = &scale.agency_kind
        && crate::domain::agencies::AgencyKind::parse(kind).is_err()
    {
        return Err(format!("unknown agency_kind `{kind}`"));
    }
    if !(scale.max_points.is_finite() && scale.max_points > 0.0) {
        return Err("max_points must be a number above 0".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scale(kind: Option<&str>, max: f64) -> ParScale {
        ParScale {
            edition: "par-province".into(),
            agency_kind: kind.map(str::to_owned),
            max_points: max,
        }
    }

    #[test]
    fn the_most_specific_scale_wins() {
        let scales = ParScales::new(vec![scale(None, 6.0), scale(Some("commune"), 4.0)]);
        let of = |kind| scales.max_points("par-province", kind, Some(10.0));
        assert_eq!(of("commune"), Some((4.0, ScaleSource::SettingsForKind)));
        assert_eq!(of("department"), Some((6.0, ScaleSource::Settings)));
        let none = ParScales::default();
        assert_eq!(
            none.max_points("par-province", "commune", Some(10.0)),
            Some((10.0, ScaleSource::Form))
        );
        assert_eq!(none.max_points("par-province", "commune", None), None);
        assert_eq!(scales.max_points("other", "commune", None), None);
    }

    #[test]
    fn points_are_null_with_a_reason() {
        let scales = ParScales::new(vec![scale(Some("commune"), 4.0)]);
        let form = ("par-province", true, None);
        let p = scales.points(form, "commune", Some(87.75));
        assert_eq!((p.points, p.max_points), (Some(3.51), Some(4.0)));
        assert_eq!(p.exact, Some(87.75 / 100.0 * 4.0));
        let p = scales.points(form, "department", Some(87.75));
        assert_eq!((p.points, p.reason), (None, Some(NoPointsReason::NoScale)));
        let p = scales.points(("par-province", false, Some(10.0)), "commune", Some(90.0));
        assert_eq!(
            (p.points, p.reason),
            (None, Some(NoPointsReason::NotEligible))
        );
        let p = scales.points(form, "commune", None);
        assert_eq!((p.points, p.reason), (None, Some(NoPointsReason::NoValue)));
    }

    #[test]
    fn bad_scales_are_refused() {
        assert!(check_scale(&scale(Some("commune"), 4.0)).is_ok());
        assert!(check_scale(&scale(Some("city"), 4.0)).is_err());
        assert!(check_scale(&scale(None, 0.0)).is_err());
        assert!(check_scale(&scale(None, f64::NAN)).is_err());
    }
}
