//! Reading responses for the breakdowns the score buckets do not keep: by mode and by procedure
//! field (`GET /api/v1/results?by=mode|procedure_field`). Only the columns a breakdown needs are
//! read — the cell's key, the answers and the validity — for one form version, a set of agencies
//! and a range of months, through the index `(agency_id, form_key, period_month)`. Everything
//! else (the index, totals, `by=channel`) comes from the buckets (`aggregates.rs`).

use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use super::entities::response;

/// Agencies per `IN (…)` list.
const AGENCY_CHUNK: usize = 500;

/// Which column the cells are keyed by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScannedDimension {
    Mode,
    ProcedureField,
}

/// One response as a breakdown sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BreakdownRow {
    pub agency_id: Uuid,
    /// The mode or procedure field (`None`: a response without a procedure field).
    pub key: Option<String>,
    /// The stored answers (a JSON object).
    pub answers: String,
    pub valid: bool,
}

/// The responses of `agencies` to `form_key` version `form_version` with months in
/// `from..=to` (`YYYY-MM`), keyed by `by`.
pub async fn rows(
    db: &impl ConnectionTrait,
    agencies: &[Uuid],
    form_key: &str,
    form_version: u32,
    (from, to): (&str, &str),
    by: ScannedDimension,
) -> Result<Vec<BreakdownRow>, DbErr> {
    let key_column = match by {
        ScannedDimension::Mode => response::Column::Mode,
        ScannedDimension::ProcedureField => response::Column::ProcedureField,
    };
    let version = i32::try_from(form_version).unwrap_or(i32::MAX);
    let mut out = Vec::new();
    for chunk in agencies.chunks(AGENCY_CHUNK) {
        let rows: Vec<(Uuid, Option<String>, String, bool)> = response::Entity::find()
            .select_only()
            .column(response::Column::AgencyId)
            .column(key_column)
            .column(response::Column::Answers)
            .column(response::Column::Valid)
            .filter(response::Column::AgencyId.is_in(chunk.iter().copied()))
            .filter(response::Column::FormKey.eq(form_key))
            .filter(response::Column::FormVersion.eq(version))
            .filter(response::Column::PeriodMonth.between(from, to))
            .into_tuple()
            .all(db)
            .await?;
        out.extend(
            rows.into_iter()
                .map(|(agency_id, key, answers, valid)| BreakdownRow {
                    agency_id,
                    key,
                    answers,
                    valid,
                }),
        );
    }
    Ok(out)
}
