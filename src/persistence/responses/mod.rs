//! Storing anonymous responses exactly once per dossier, durably and fast.
//!
//! One [`ResponseWriter`] per process owns all response writes (`writer`: a thread with a
//! synchronous connection for answers through links on a SQLite file, a task on a database
//! connection of its own for the rest). Requests hand it a [`NewResponse`] and wait; the writer
//! takes everything that is queued (up to a batch limit) and commits it in **one transaction** of
//! a constant number of statements: one conditional update flips the `answered` flag of every
//! dossier of the batch (`… WHERE answered = false RETURNING id`, `dossiers::claim`), and only
//! the responses whose dossier it flipped are inserted; then e-mail addresses are erased. What
//! each submission gets is decided in one place for both (`batch::Plan`). A request is answered
//! only after the commit, so an acknowledged response is on disk (SQLite runs with
//! `synchronous = FULL`), and throughput is one fsync per batch, not per request. The same
//! update replaces the dossier code by its keyed hash and the dossier's e-mail address is
//! erased: once answered, neither is needed. Rows are shuffled within a batch and ids are
//! random, so storage order does not follow submission order (docs/privacy.md). On PostgreSQL
//! the conditional update takes the row locks, so several processes on one database still store
//! each dossier's response once.
//!
//! `scripts/bench-submit` measures this path under load and `scripts/crash-test` kills the
//! server in the middle of it (README, "Benchmarks").
//!
//! Reading them back raw, for the anonymous-answer export, is [`export_next_month`] and
//! [`export_page`]: one agency, one form version and one month at a time, a page at a time in
//! keyset order.

mod batch;
mod jobs;
mod sqlite;
mod writer;

use std::collections::HashMap;

use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection, DbErr, EntityTrait,
    FromQueryResult, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Statement,
};
use uuid::Uuid;

use super::aggregates;
use super::dossiers;
use super::entities::response;
use super::integrity;
use super::months;
use super::outbox;
use crate::domain::periods::Month;
use crate::domain::responses::{ExportRow, NewResponse};
use batch::Plan;
pub use jobs::WriterStats;
pub use writer::{ResponseWriter, WriteFailed};

/// What happened to one submitted response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Stored now.
    Stored,
    /// The dossier was answered before; the digest of that answer, if still kept.
    AlreadyAnswered { digest: Option<String> },
    /// The dossier's link had ended (its month was closed while the answer was on its way).
    Closed,
}

/// Stores a batch in one transaction; one outcome per response, in order.
///
/// A constant number of statements per batch, whatever its size: one claims every dossier
/// (`dossiers::claim`), one reads which months are published, one inserts the answers of open
/// months into `pending_responses` (published when their month closes, `app::months`), one
/// erases e-mail addresses and phone numbers, and one adds to the integrity counts
/// (`persistence::integrity`); an agency's late entry for a closed month goes to `responses`
/// and its month's roll-ups at once (`aggregates::apply`). A dossier named twice in a batch (concurrent
/// submissions) is claimed once, by its first response in the (shuffled) batch.
pub async fn commit(
    db: &DatabaseConnection,
    batch: &[&NewResponse],
) -> Result<Vec<Outcome>, DbErr> {
    let txn = crate::persistence::begin_write(db).await?;
    let outcomes = store(&txn, batch).await?;
    txn.commit().await?;
    Ok(outcomes)
}

/// What [`commit`] does, inside the caller's transaction: for bulk loads that register dossiers
/// and store their responses in one transaction (`sipas demo`). The caller commits.
pub async fn store(
    txn: &impl ConnectionTrait,
    batch: &[&NewResponse],
) -> Result<Vec<Outcome>, DbErr> {
    // Before anything else: ordered with the closing of a month (`months::lock`); on SQLite the
    // claim below is the first statement and writes, which takes the database's write lock.
    months::lock(txn, months::Locker::Writer).await?;
    let plan = Plan::new(batch);
    let claimed = dossiers::claim(txn, &plan.claims()).await?;
    let published = match txn.query_one(&batch::published_select()).await? {
        Some(row) => Some(row.try_get::<String>("", "month")?),
        None => None,
    };
    let mut not_claimed = HashMap::new();
    for id in plan.unclaimed(&claimed) {
        let row = txn.query_one(&batch::not_claimed_select(id)).await?;
        let (answered, digest) = match row {
            Some(row) => (
                Some(row.try_get::<bool>("", "answered")?),
                row.try_get::<Option<String>>("", "response_digest")?,
            ),
            None => (None, None),
        };
        not_claimed.insert(id, batch::not_claimed_outcome(answered, digest));
    }
    let decision = plan.decide(&claimed, published_of(published).as_deref(), &not_claimed);
    dossiers::unclaim(txn, &decision.reopen).await?;
    for insert in batch::pending_inserts(&decision.pending) {
        txn.execute(&insert).await?;
    }
    let late: Vec<response::Model> = decision.late.iter().map(|r| row(r)).collect();
    months::insert_answers(txn, late, false).await?;
    outbox::erase_for_dossiers(txn, &decision.answered).await?;
    integrity::add(txn, &decision.stored()).await?;
    aggregates::apply(txn, decision.late.iter().map(|r| r.counted())).await?;
    Ok(decision.outcomes)
}

/// The last published month as read (`month` of `closed_months`), normalised (`YYYY-MM`).
fn published_of(read: Option<String>) -> Option<String> {
    read.as_deref()
        .and_then(Month::parse)
        .map(|m| m.to_string())
}

/// The row of a response, under a fresh random id.
fn row(r: &NewResponse) -> response::Model {
    response::Model {
        id: Uuid::new_v4(),
        agency_id: r.agency_id,
        form_key: r.form_key.clone(),
        form_version: r.form_version,
        period_month: r.period_month.clone(),
        channel: r.channel.clone(),
        mode: r.mode.to_owned(),
        procedure_field: r.procedure_field.clone(),
        valid: r.invalid_reason.is_none(),
        invalid_reason: r.invalid_reason.map(str::to_owned),
        answers: r.answers.clone(),
    }
}

impl NewResponse {
    /// What the response adds to its roll-ups.
    pub fn counted(&self) -> aggregates::Counted<'_> {
        aggregates::Counted {
            agency_id: self.agency_id,
            form_key: &self.form_key,
            form_version: self.form_version,
            period_month: &self.period_month,
            channel: &self.channel,
            score: &self.score,
            contribution: &self.contribution,
        }
    }
}

/// A row of [`export_page`] as read (`domain::responses::ExportRow` is what it gives).
#[derive(Debug, FromQueryResult)]
struct ExportRowModel {
    id: Uuid,
    period_month: String,
    channel: String,
    mode: String,
    procedure_field: Option<String>,
    valid: bool,
    invalid_reason: Option<String>,
    answers: String,
}

impl From<ExportRowModel> for ExportRow {
    fn from(r: ExportRowModel) -> Self {
        ExportRow {
            id: r.id,
            period_month: r.period_month,
            channel: r.channel,
            mode: r.mode,
            procedure_field: r.procedure_field,
            valid: r.valid,
            invalid_reason: r.invalid_reason,
            answers: r.answers,
        }
    }
}

/// Which responses an export reads: one agency's, of one form version.
#[derive(Debug, Clone, Copy)]
pub struct ExportScope<'a> {
    pub agency_id: Uuid,
    pub form_key: &'a str,
    pub form_version: u32,
}

impl ExportScope<'_> {
    fn version(&self) -> i32 {
        i32::try_from(self.form_version).unwrap_or(i32::MAX)
    }

    fn select(&self) -> sea_orm::Select<response::Entity> {
        response::Entity::find()
            .filter(response::Column::AgencyId.eq(self.agency_id))
            .filter(response::Column::FormKey.eq(self.form_key))
            .filter(response::Column::FormVersion.eq(self.version()))
    }
}

/// The first month (`YYYY-MM`) in which `scope` has responses, among the months after `after`
/// (from `months.0` when `None`) up to `months.1`; `None` when there is none. One seek in the
/// index `ix_responses_export (agency_id, form_key, form_version, period_month, id)`, so the
/// months without responses cost nothing and an agency without any costs one lookup.
pub async fn export_next_month(
    db: &impl ConnectionTrait,
    scope: &ExportScope<'_>,
    months: (&str, &str),
    after: Option<&str>,
) -> Result<Option<String>, DbErr> {
    next_month_select(scope, months, after)
        .into_tuple::<String>()
        .one(db)
        .await
}

fn next_month_select(
    scope: &ExportScope<'_>,
    (from, to): (&str, &str),
    after: Option<&str>,
) -> sea_orm::Select<response::Entity> {
    let start = match after {
        Some(month) => response::Column::PeriodMonth.gt(month),
        None => response::Column::PeriodMonth.gte(from),
    };
    scope
        .select()
        .select_only()
        .column(response::Column::PeriodMonth)
        .filter(start)
        .filter(response::Column::PeriodMonth.lte(to))
        .order_by_asc(response::Column::PeriodMonth)
        .limit(1)
}

/// The next `limit` responses of `scope` in `month` (`YYYY-MM`) with an id above `after` (from
/// the start when `None`), by id. Keyset pagination, never `OFFSET`: through the index
/// `ix_responses_export` each page is a range scan that starts where the last one stopped and
/// comes out in order, so a million rows cost a million, not a million squared. Pages are
/// separate statements: run them in one transaction for one snapshot (the export does).
pub async fn export_page(
    db: &impl ConnectionTrait,
    scope: &ExportScope<'_>,
    month: &str,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<ExportRow>, DbErr> {
    let rows = page_select(scope, month, after, limit)
        .into_model::<ExportRowModel>()
        .all(db)
        .await?;
    Ok(rows.into_iter().map(ExportRow::from).collect())
}

fn page_select(
    scope: &ExportScope<'_>,
    month: &str,
    after: Option<Uuid>,
    limit: u64,
) -> sea_orm::Select<response::Entity> {
    let mut query = scope
        .select()
        .select_only()
        .columns([
            response::Column::Id,
            response::Column::PeriodMonth,
            response::Column::Channel,
            response::Column::Mode,
            response::Column::ProcedureField,
            response::Column::Valid,
            response::Column::InvalidReason,
            response::Column::Answers,
        ])
        .filter(response::Column::PeriodMonth.eq(month));
    if let Some(after) = after {
        query = query.filter(response::Column::Id.gt(after));
    }
    query.order_by_asc(response::Column::Id).limit(limit)
}

/// One combination of quasi-identifiers of an agency's responses and how many have it:
/// month, channel, mode, procedure field, validity, count.
pub type QuasiCount = (String, String, String, Option<String>, bool, i64);

/// How many responses of `scope` in months `from..=to` each combination of month, channel,
/// mode, procedure field and validity has (`domain::anonymity`): one grouped query, read before
/// the rows so the export knows what to generalise.
pub async fn export_quasi_counts(
    db: &impl ConnectionTrait,
    scope: &ExportScope<'_>,
    (from, to): (&str, &str),
) -> Result<Vec<QuasiCount>, DbErr> {
    scope
        .select()
        .select_only()
        .column(response::Column::PeriodMonth)
        .column(response::Column::Channel)
        .column(response::Column::Mode)
        .column(response::Column::ProcedureField)
        .column(response::Column::Valid)
        .column_as(response::Column::Id.count(), "n")
        .filter(response::Column::PeriodMonth.between(from, to))
        .group_by(response::Column::PeriodMonth)
        .group_by(response::Column::Channel)
        .group_by(response::Column::Mode)
        .group_by(response::Column::ProcedureField)
        .group_by(response::Column::Valid)
        .into_tuple()
        .all(db)
        .await
}

/// The statements [`export_next_month`] and [`export_page`] run (for the first month and page,
/// and for later ones), for looking at their query plans.
pub fn export_statements(
    backend: DatabaseBackend,
    scope: &ExportScope<'_>,
    months: (&str, &str),
) -> Vec<Statement> {
    vec![
        next_month_select(scope, months, None).build(backend),
        next_month_select(scope, months, Some(months.0)).build(backend),
        page_select(scope, months.0, None, 1_000).build(backend),
        page_select(scope, months.0, Some(Uuid::nil()), 1_000).build(backend),
    ]
}
