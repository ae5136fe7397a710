//! The PAR scores as CSV (`GET /api/v1/par/scores?format=csv` and the dashboard's download),
//! for the PAR-index pipeline: one row per agency, numbers at full precision.

use crate::domain::results::ParScoresView;

/// The CSV columns of the PAR export, in order.
pub const PAR_CSV_HEADER: [&str; 22] = [
    "agency_code",
    "agency_kind",
    "form_key",
    "form_version",
    "period",
    "edition",
    "sipas",
    "ci_low",
    "ci_high",
    "points",
    "max_points",
    "n",
    "invited",
    "D",
    "D_rated",
    "D_dis",
    "status",
    "level",
    "subtree",
    "points_exact",
    "points_reason",
    "scale_source",
];

/// The rows of `view` as CSV with `header` (the column names, [`PAR_CSV_HEADER`] or their
/// translation) as first line. Numbers at full precision (shortest
/// round-trip form); empty cells for nulls.
pub fn par_csv(view: &ParScoresView, header: &[&str]) -> Result<Vec<u8>, csv::Error> {
    let num = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header)?;
    for s in &view.scores {
        // A cell starting with = + - @ is a formula to a spreadsheet; codes may start with '-'.
        let code = if s.agency_code.starts_with(['=', '+', '-', '@']) {
            format!("'{}", s.agency_code)
        } else {
            s.agency_code.clone()
        };
        let status = word(&s.status);
        w.write_record([
            code,
            s.agency_kind.clone(),
            s.form_key.clone(),
            s.form_version.to_string(),
            view.period.clone(),
            view.edition.clone(),
            num(s.sipas),
            num(s.ci.map(|c| c.low)),
            num(s.ci.map(|c| c.high)),
            num(s.points),
            num(s.max_points),
            s.n.to_string(),
            s.invited.to_string(),
            s.d.to_string(),
            s.d_rated.to_string(),
            s.d_dis.map(|n| n.to_string()).unwrap_or_default(),
            status,
            view.level.to_string(),
            view.subtree.to_string(),
            num(s.points_exact),
            s.points_reason.as_ref().map(word).unwrap_or_default(),
            s.scale_source.as_ref().map(word).unwrap_or_default(),
        ])?;
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

/// The API's word for an enum value (`ok`, `not_eligible`, `settings_for_kind`, …).
fn word(value: &impl serde::Serialize) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}
