//! The follow-up list as CSV (`GET /api/v1/sampling/follow-up` and the dashboard's download):
//! one unanswered dossier per line, what the officer needs to find it in the one-stop system.
//! No contact, no name: the agency has those under the dossier code.

use crate::app::sampling::FollowUpList;
use crate::domain::dossiers::vietnam_date;

/// The columns, in order.
pub const FOLLOW_UP_HEADER: [&str; 5] = [
    "dossier_code",
    "completed_on",
    "channel",
    "procedure_code",
    "link_valid_until",
];

/// The same columns in Vietnamese.
pub const FOLLOW_UP_HEADER_VI: [&str; 5] = [
    "ma_ho_so",
    "ngay_hoan_thanh",
    "kenh",
    "ma_thu_tuc",
    "lien_ket_hieu_luc_den",
];

/// The download's file name, `sipas-follow-up-{agency}-{month}.csv`, with any character a file
/// name or a header could trip on replaced by `_`.
pub fn file_name(list: &FollowUpList) -> String {
    format!("sipas-follow-up-{}-{}.csv", list.agency, list.month)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-._".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The rows of `list` under `header`; dates in Vietnam time.
pub fn follow_up_csv(list: &FollowUpList, header: &[&str]) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header)?;
    for d in &list.dossiers {
        // A cell starting with = + - @ is a formula to a spreadsheet; codes may start with '-'.
        let code = if d.dossier_code.starts_with(['=', '+', '-', '@']) {
            format!("'{}", d.dossier_code)
        } else {
            d.dossier_code.clone()
        };
        w.write_record([
            code,
            vietnam_date(d.completed_at).to_string(),
            d.channel.clone(),
            d.procedure_code.clone().unwrap_or_default(),
            vietnam_date(d.expires_at).to_string(),
        ])?;
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}
