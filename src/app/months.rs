//! Closing a month: the use case that publishes a month's answers (docs/privacy.md,
//! "Publication by closed month"; the rules are `domain::publication`).
//!
//! A month closes by expiry — the maintenance task closes every month whose links have all
//! expired — or by hand (`sipas months close`, `POST /api/v1/months/{month}/close`), which ends
//! the links still open. Closing a month closes every earlier open month with it, one month per
//! transaction, oldest first, so that a failure half-way leaves "published through" one
//! boundary. Each transaction: record the month closed, end the links of every unanswered
//! dossier completed up to its end (the answered ones' links end just before, apart), move its
//! pending answers into `responses` —
//! shuffled, under fresh random ids, in this transaction and not the ones that claimed the
//! dossiers — add them to the score roll-ups of their month's four spans, add the dossiers
//! registered in the months it publishes to their dossier roll-ups, and delete the pending rows
//! (`persistence::aggregates`: every closed month's counts are in the four spans that contain
//! it).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::{DatabaseConnection, DbErr};
use uuid::Uuid;

use crate::domain::aggregates::{Contribution, ScoreShape};
use crate::domain::audit::AuditEvent;
use crate::domain::forms::PublishedForms;
use crate::domain::periods::Month;
use crate::domain::publication;
use crate::domain::responses::shuffle;
use crate::persistence::aggregates::{self, Counted};
use crate::persistence::audit;
use crate::persistence::months::{self, Locker};

/// The score-bucket layout of a pending answer's form version.
fn shape<'a>(
    forms: &'a PublishedForms,
    key: &str,
    version: i32,
) -> Result<&'a Arc<ScoreShape>, DbErr> {
    u32::try_from(version)
        .ok()
        .and_then(|v| forms.version(key, v))
        .map(|f| &f.score)
        .ok_or_else(|| {
            DbErr::Custom(format!(
                "answers of {key} v{version} are pending, but that form version is not loaded"
            ))
        })
}

/// Why a month was closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// Every link of it had expired.
    Expired,
    /// An administrator closed it early.
    Admin,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Expired => "expired",
            Reason::Admin => "admin",
        }
    }
}

/// What a closing did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Closed {
    /// The months closed now, oldest first (empty: they were closed before).
    pub months: Vec<Month>,
    /// Answers published now.
    pub published: u64,
    /// Survey links that were still open and were ended.
    pub links_ended: u64,
    /// The last closed month after this closing.
    pub published_through: Option<Month>,
}

/// Why a month cannot be closed.
#[derive(Debug, thiserror::Error)]
pub enum CloseError {
    /// The month has not ended: dossiers may still be completed in it.
    #[error("the month {0} has not ended")]
    NotEnded(Month),
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// Closes `through` and every open month before it; nothing for the months already closed.
pub async fn close(
    db: &DatabaseConnection,
    forms: &PublishedForms,
    (through, reason): (Month, Reason),
    now: DateTime<Utc>,
) -> Result<Closed, CloseError> {
    if !publication::has_ended(through, now) {
        return Err(CloseError::NotEnded(through));
    }
    let mut report = Closed::default();
    let published = months::published_through(db).await?;
    if published >= Some(through) {
        report.published_through = published;
        return Ok(report);
    }
    // Every month from the first open one to `through`: those with pending answers close one
    // transaction each, the empty ones are recorded with the next that closes.
    let with_answers = months::pending_months(db, through).await?;
    let first = match published {
        Some(p) => p.next(),
        None => with_answers
            .first()
            .copied()
            .unwrap_or(through)
            .min(through),
    };
    let mut empty = Vec::new();
    let mut month = first;
    while month <= through {
        if month < through && !with_answers.contains(&month) {
            empty.push(month);
        } else {
            let closing = Closing {
                month,
                empty: std::mem::take(&mut empty),
                reason,
            };
            let (published, ended) = close_one(db, forms, &closing, now).await?;
            report.published += published;
            report.links_ended += ended;
            report
                .months
                .extend(closing.empty.iter().copied().chain([month]));
        }
        month = month.next();
    }
    // Dead row versions of the deleted pending rows keep the claims' transaction ids.
    if let Err(e) = months::vacuum_pending(db).await {
        tracing::warn!(error = %e, "vacuuming pending_responses after closing failed");
    }
    report.published_through = months::published_through(db).await?;
    Ok(report)
}

/// A month to close, with the months before it that have no answer.
struct Closing {
    month: Month,
    empty: Vec<Month>,
    reason: Reason,
}

/// One month, in one transaction; returns the answers published and the links ended.
async fn close_one(
    db: &DatabaseConnection,
    forms: &PublishedForms,
    closing: &Closing,
    now: DateTime<Utc>,
) -> Result<(u64, u64), DbErr> {
    let Closing {
        month,
        ref empty,
        reason,
    } = *closing;
    // First, apart: the answered dossiers' links (see `months::end_links`).
    let ends = publication::ends_at(month);
    end_answered_links(db, ends, now).await?;
    let txn = crate::persistence::begin_write(db).await?;
    months::lock(&txn, Locker::Closing).await?;
    // Read under the lock (and `BEGIN IMMEDIATE` on SQLite): the months from the one after it
    // to `month` are the ones this closing publishes.
    let previously = months::published_through(&txn).await?;
    // A month another node closed while this one waited for the lock is left as that node left
    // it.
    if !months::mark_closed(&txn, month, reason.as_str(), now).await? {
        txn.commit().await?;
        return Ok((0, 0));
    }
    for m in empty {
        months::mark_closed(&txn, *m, reason.as_str(), now).await?;
    }
    // Every closed month's counts are in its four spans: the dossiers of the months closed
    // now (the empty ones included, and on a first closing the months before them).
    aggregates::roll_up_closed_dossiers(&txn, previously, month).await?;
    let ended = months::end_links(&txn, (ends, false), now).await?;
    let mut rows = months::take_pending(&txn, month).await?;
    shuffle(&mut rows);
    let contributions: Vec<Contribution> = rows
        .iter()
        .map(|r| {
            shape(forms, &r.form_key, r.form_version)?
                .stored_contribution(&r.answers, r.valid)
                .map_err(|e| DbErr::Custom(format!("a pending answer cannot be read: {e}")))
        })
        .collect::<Result<_, DbErr>>()?;
    let counted: Vec<Counted> = rows
        .iter()
        .zip(&contributions)
        .map(|(r, contribution)| {
            Ok(Counted {
                agency_id: r.agency_id,
                form_key: &r.form_key,
                form_version: r.form_version,
                period_month: &r.period_month,
                channel: &r.channel,
                score: shape(forms, &r.form_key, r.form_version)?,
                contribution,
            })
        })
        .collect::<Result<_, DbErr>>()?;
    aggregates::apply(&txn, counted).await?;
    let published = rows.len() as u64;
    months::insert_answers(&txn, rows, false).await?;
    months::delete_pending(&txn, month).await?;
    txn.commit().await?;
    // Again, for the dossiers answered while the closing waited for its lock.
    end_answered_links(db, ends, now).await?;
    tracing::info!(%month, published, links_ended = ended, reason = reason.as_str(), "month closed");
    Ok((published, ended))
}

/// Ends the links of the answered dossiers completed before `before`, in a transaction of its
/// own (see `months::end_links`).
async fn end_answered_links(
    db: &DatabaseConnection,
    before: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let txn = crate::persistence::begin_write(db).await?;
    months::end_links(&txn, (before, true), now).await?;
    txn.commit().await
}

/// Closes `through` and every open month before it by hand (an administrator, through the API
/// with `actor` their key, or on the command line without one), and records it in the audit log
/// (`months.closed`) when it closed anything.
pub async fn close_by_hand(
    db: &DatabaseConnection,
    forms: &PublishedForms,
    through: Month,
    actor: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<Closed, CloseError> {
    let closed = close(db, forms, (through, Reason::Admin), now).await?;
    if !closed.months.is_empty() {
        let event = AuditEvent::MonthsClosed {
            through: through.to_string(),
            months: closed.months.len(),
            links_ended: closed.links_ended,
        };
        audit::record(db, actor, &event).await?;
    }
    Ok(closed)
}

/// Closes every month whose links have all expired at `now` (the maintenance task, and each
/// start). A closing that published answers is recorded in the audit log (`months.closed`,
/// reason `expired`; only by the node that closed them). One that published nothing — months
/// without a single answer, such as the first start of an empty installation closes — changes
/// no figure and is left out (`closed_months` still lists every month).
pub async fn close_expired(
    db: &DatabaseConnection,
    forms: &PublishedForms,
    ttl_days: u32,
    now: DateTime<Utc>,
) -> Result<Closed, CloseError> {
    let due = publication::due_through(now, ttl_days);
    let closed = close(db, forms, (due, Reason::Expired), now).await?;
    if let Some(last) = closed.months.last().filter(|_| closed.published > 0) {
        let event = AuditEvent::MonthsExpired {
            through: last.to_string(),
            months: closed.months.len(),
            links_ended: closed.links_ended,
        };
        audit::record(db, None, &event).await?;
    }
    Ok(closed)
}
