//! Closed months and the answers that wait for their month to close (docs/privacy.md,
//! "Publication by closed month"): the tables `closed_months` and `pending_responses`.
//!
//! The response writer and the closing of a month must not interleave: an answer stored as
//! pending while its month is being closed would stay pending for ever, and an agency's entry
//! must go to `responses` once its month is closed. On SQLite both start with a write, so the
//! database's write lock orders them. On PostgreSQL the writer takes `ROW EXCLUSIVE` on
//! `pending_responses` first (writers do not block each other) and a closing takes `EXCLUSIVE`
//! (it waits for the writers in flight, and writers wait for it) — [`lock`].

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseBackend, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::entities::{closed_month, pending_response, response};
use crate::domain::periods::Month;

/// Who takes the lock on the pending answers ([`lock`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Locker {
    /// The response writer: shares the lock with other writers.
    Writer,
    /// A closing: alone.
    Closing,
}

/// Orders this transaction with the writers and closings of every node (see the module header).
/// On SQLite, a no-op: the transaction's first statement must write instead.
pub async fn lock(txn: &impl ConnectionTrait, locker: Locker) -> Result<(), DbErr> {
    if txn.get_database_backend() != DatabaseBackend::Postgres {
        return Ok(());
    }
    let mode = match locker {
        Locker::Writer => "ROW EXCLUSIVE",
        Locker::Closing => "EXCLUSIVE",
    };
    txn.execute_unprepared(&format!("LOCK TABLE pending_responses IN {mode} MODE"))
        .await?;
    Ok(())
}

/// The last closed month: every month up to it is published. `None` before the first closing.
pub async fn published_through(db: &impl ConnectionTrait) -> Result<Option<Month>, DbErr> {
    let last: Option<String> = closed_month::Entity::find()
        .select_only()
        .column(closed_month::Column::Month)
        .order_by_desc(closed_month::Column::Month)
        .limit(1)
        .into_tuple()
        .one(db)
        .await?;
    Ok(last.as_deref().and_then(Month::parse))
}

/// One closed month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClosedMonth {
    pub month: String,
    pub closed_at: DateTime<Utc>,
    /// `expired` or `admin`.
    pub reason: String,
}

/// Every closed month, oldest first.
pub async fn closed(db: &impl ConnectionTrait) -> Result<Vec<ClosedMonth>, DbErr> {
    Ok(closed_month::Entity::find()
        .order_by_asc(closed_month::Column::Month)
        .all(db)
        .await?
        .into_iter()
        .map(|m| ClosedMonth {
            month: m.month,
            closed_at: m.closed_at,
            reason: m.reason,
        })
        .collect())
}

/// Records `month` as closed; false when it was already.
pub async fn mark_closed(
    txn: &impl ConnectionTrait,
    month: Month,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let inserted = closed_month::Entity::insert(closed_month::ActiveModel {
        month: Set(month.to_string()),
        closed_at: Set(now),
        reason: Set(reason.to_owned()),
    })
    .on_conflict(
        OnConflict::column(closed_month::Column::Month)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(txn)
    .await?;
    Ok(inserted == 1)
}

/// The months that hold pending answers, up to `through`, oldest first.
pub async fn pending_months(
    db: &impl ConnectionTrait,
    through: Month,
) -> Result<Vec<Month>, DbErr> {
    let months: Vec<String> = pending_response::Entity::find()
        .select_only()
        .column(pending_response::Column::PeriodMonth)
        .distinct()
        .filter(pending_response::Column::PeriodMonth.lte(through.to_string()))
        .order_by_asc(pending_response::Column::PeriodMonth)
        .into_tuple()
        .all(db)
        .await?;
    Ok(months.iter().filter_map(|m| Month::parse(m)).collect())
}

/// Ends the links of the dossiers completed before `before` that are still valid at `now` —
/// the answered ones if `answered`, else the unanswered ones — and forgets their answer digests:
/// after a month closes every answer to its links gets 410, whatever it holds. Returns how many
/// links were ended.
///
/// The answered dossiers are ended in a transaction of their own, before the closing one
/// (`app::months`): a dossier row the closing transaction rewrote would share its transaction
/// id with the published rows on PostgreSQL.
pub async fn end_links(
    txn: &impl ConnectionTrait,
    (before, answered): (DateTime<Utc>, bool),
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let ended = txn
        .execute(
            &Query::update()
                .table("dossiers")
                .value("expires_at", now)
                .value("response_digest", Option::<String>::None)
                .and_where(Expr::col("completed_at").lt(before))
                .and_where(Expr::col("answered").eq(answered))
                .and_where(Expr::col("expires_at").gt(now))
                .to_owned(),
        )
        .await?
        .rows_affected();
    Ok(ended)
}

/// The pending answers of the months up to `through`.
pub async fn take_pending(
    txn: &impl ConnectionTrait,
    through: Month,
) -> Result<Vec<response::Model>, DbErr> {
    let rows = pending_response::Entity::find()
        .filter(pending_response::Column::PeriodMonth.lte(through.to_string()))
        .all(txn)
        .await?;
    Ok(rows.into_iter().map(published).collect())
}

/// A pending answer as a published one, under a fresh random id: the pending row's id must not
/// lead to the published row.
fn published(p: pending_response::Model) -> response::Model {
    response::Model {
        id: Uuid::new_v4(),
        agency_id: p.agency_id,
        form_key: p.form_key,
        form_version: p.form_version,
        period_month: p.period_month,
        channel: p.channel,
        mode: p.mode,
        procedure_field: p.procedure_field,
        valid: p.valid,
        invalid_reason: p.invalid_reason,
        answers: p.answers,
    }
}

/// Deletes the pending answers of the months up to `through`.
pub async fn delete_pending(txn: &impl ConnectionTrait, through: Month) -> Result<u64, DbErr> {
    Ok(pending_response::Entity::delete_many()
        .filter(pending_response::Column::PeriodMonth.lte(through.to_string()))
        .exec(txn)
        .await?
        .rows_affected)
}

/// Stores `rows` in `table` (`responses` or `pending_responses`), in the order given (the
/// caller shuffles).
pub async fn insert_answers(
    txn: &impl ConnectionTrait,
    rows: Vec<response::Model>,
    pending: bool,
) -> Result<(), DbErr> {
    // SQLite allows 32766 bound parameters; 11 columns a row.
    for chunk in rows.chunks(2000) {
        if pending {
            let models = chunk
                .iter()
                .cloned()
                .map(|r| pending_response::ActiveModel {
                    id: Set(r.id),
                    agency_id: Set(r.agency_id),
                    form_key: Set(r.form_key),
                    form_version: Set(r.form_version),
                    period_month: Set(r.period_month),
                    channel: Set(r.channel),
                    mode: Set(r.mode),
                    procedure_field: Set(r.procedure_field),
                    valid: Set(r.valid),
                    invalid_reason: Set(r.invalid_reason),
                    answers: Set(r.answers),
                });
            pending_response::Entity::insert_many(models)
                .exec_without_returning(txn)
                .await?;
        } else {
            let models = chunk
                .iter()
                .cloned()
                .map(sea_orm::IntoActiveModel::into_active_model);
            response::Entity::insert_many(models)
                .exec_without_returning(txn)
                .await?;
        }
    }
    Ok(())
}

/// Questionnaires received and not yet published, per agency, for `agencies` and one version
/// of `form_key` in months `from..=to` (`YYYY-MM`): counts only, which are live.
pub async fn pending_counts(
    db: &impl ConnectionTrait,
    agencies: &[Uuid],
    (form_key, version): (&str, u32),
    (from, to): (&str, &str),
) -> Result<Vec<(Uuid, u64)>, DbErr> {
    let version = i32::try_from(version).unwrap_or(i32::MAX);
    let mut out = Vec::new();
    for chunk in agencies.chunks(500) {
        let rows: Vec<(Uuid, i64)> = pending_response::Entity::find()
            .select_only()
            .column(pending_response::Column::AgencyId)
            .column_as(pending_response::Column::Id.count(), "n")
            .filter(pending_response::Column::AgencyId.is_in(chunk.iter().copied()))
            .filter(pending_response::Column::FormKey.eq(form_key))
            .filter(pending_response::Column::FormVersion.eq(version))
            .filter(pending_response::Column::PeriodMonth.between(from, to))
            .group_by(pending_response::Column::AgencyId)
            .into_tuple()
            .all(db)
            .await?;
        out.extend(
            rows.into_iter()
                .map(|(a, n)| (a, u64::try_from(n).unwrap_or_default())),
        );
    }
    Ok(out)
}

/// Lets PostgreSQL reclaim the dead versions of the deleted pending rows, which keep the
/// transaction ids of the dossiers' claims until vacuumed (outside any transaction). Nothing on
/// SQLite, which overwrites deleted content (`secure_delete`).
pub async fn vacuum_pending(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    if db.get_database_backend() == DatabaseBackend::Postgres {
        db.execute_unprepared("VACUUM pending_responses").await?;
    }
    Ok(())
}
