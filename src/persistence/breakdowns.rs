//! Reading responses for the breakdowns the roll-ups do not keep: by mode and by procedure
//! field (`GET /api/v1/results?by=mode|procedure_field`). Only the columns a breakdown needs are
//! read — the month, both keys, the answers and the validity — for one form version, a set of
//! agencies and a range of months, through the index `(agency_id, form_key, period_month)`.
//! Both keys come in one read, so one parse of the answers serves both breakdowns. Everything
//! else (the index, totals, `by=channel`) comes from the roll-ups (`rollups.rs`).

use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use super::entities::response;

/// Agencies per `IN (…)` list.
const AGENCY_CHUNK: usize = 500;

/// One response as a breakdown sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BreakdownRow {
    pub agency_id: Uuid,
    pub period_month: String,
    pub mode: String,
    /// `None`: a response without a procedure field.
    pub procedure_field: Option<String>,
    /// The stored answers (a JSON object).
    pub answers: String,
    pub valid: bool,
}

/// The responses of `agencies` to `form_key` version `form_version` with months in
/// `from..=to` (`YYYY-MM`).
pub async fn rows(
    db: &impl ConnectionTrait,
    agencies: &[Uuid],
    (form_key, form_version): (&str, u32),
    (from, to): (&str, &str),
) -> Result<Vec<BreakdownRow>, DbErr> {
    let version = i32::try_from(form_version).unwrap_or(i32::MAX);
    let mut out = Vec::new();
    for chunk in agencies.chunks(AGENCY_CHUNK) {
        type Columns = (Uuid, String, String, Option<String>, String, bool);
        let rows: Vec<Columns> = response::Entity::find()
            .select_only()
            .column(response::Column::AgencyId)
            .column(response::Column::PeriodMonth)
            .column(response::Column::Mode)
            .column(response::Column::ProcedureField)
            .column(response::Column::Answers)
            .column(response::Column::Valid)
            .filter(response::Column::AgencyId.is_in(chunk.iter().copied()))
            .filter(response::Column::FormKey.eq(form_key))
            .filter(response::Column::FormVersion.eq(version))
            .filter(response::Column::PeriodMonth.between(from, to))
            .into_tuple()
            .all(db)
            .await?;
        out.extend(rows.into_iter().map(
            |(agency_id, period_month, mode, procedure_field, answers, valid)| BreakdownRow {
                agency_id,
                period_month,
                mode,
                procedure_field,
                answers,
                valid,
            },
        ));
    }
    Ok(out)
}
