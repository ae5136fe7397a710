//! The stored aggregates behind every result (`domain::aggregates`, `domain::spans`): the
//! roll-ups of the published answers (`score_rollups`) and of the registered dossiers
//! (`dossier_rollups`), and the registered dossiers of every month (`dossier_counts`, open
//! months included: the response rate of the months still open, retention's counts). Dossiers
//! are counted per form version, the one each was registered with, so that a result's N is of
//! the same version as its n (methodology §5.4).
//!
//! **Every closed month's counts are in the four spans that contain it** (its month, quarter,
//! half and year; `Span::containing`), and nothing else is: a span's row sums the closed months
//! in it. It is kept so by every write that publishes or registers something of a closed month:
//! - a month closes (`app::months::close_one`): its answers are added to their four spans
//!   ([`apply`]) and the dossiers registered in it — and in the months closed with it — are added
//!   from `dossier_counts` ([`roll_up_closed_dossiers`]), in the closing's transaction;
//! - a late entry (an agency's paper questionnaire of a closed month) is added as it is stored
//!   ([`apply`], in the writer's transaction);
//! - a dossier registered for a closed month is added to its four spans as it is counted
//!   ([`count_dossiers`]), ordered with closings by `months::lock`.
//!
//! [`rebuild`] recomputes all three tables from the raw rows (`sipas scores rebuild`, and a
//! start after an upgrade that finds answers without roll-ups): the result is bit-identical,
//! since every count is an integer added in whatever order. `write` holds the incremental
//! updates; `rebuild`, `sqlite_rebuild`, `sqlite_read` and `tally` the recomputation; results
//! read the roll-ups through `persistence::rollups`.

mod rebuild;
mod sqlite_read;
mod sqlite_rebuild;
mod tally;
mod write;

use std::collections::BTreeMap;
use std::sync::Arc;

use sea_orm::{ConnectionTrait, DbErr, EntityTrait};
use uuid::Uuid;

use super::entities::{dossier_count, dossier_rollup, score_rollup};
use crate::domain::aggregates::{BucketCounts, ScoreShape};
use crate::domain::periods::Month;
use crate::domain::spans::Span;

pub use rebuild::{rebuild, rebuild_if_missing};
pub use tally::RebuildReport;
pub use write::{Counted, Registered, apply, count_dossiers, roll_up_closed_dossiers};

/// Agency, form key, form version, month or span key, channel.
type BucketKey = (Uuid, String, i32, String, String);

/// Agency, form key, form version (the dossier's own), month or span key, channel.
type DossierKey = (Uuid, String, i32, String, String);

/// Score roll-ups by key, each with its form version's shape.
type Rollups = BTreeMap<BucketKey, (Arc<ScoreShape>, BucketCounts)>;

/// The month of a stored `YYYY-MM`, as an error the database layer reports.
fn month_of(text: &str) -> Result<Month, DbErr> {
    Month::parse(text).ok_or_else(|| DbErr::Custom(format!("{text:?} is not a month")))
}

/// Adds one month's bucket (`key` holds the month) to the four spans of `rollups` that contain
/// it. The same function for the updates and the rebuild: both add the same integers.
fn add_to_spans(
    rollups: &mut Rollups,
    key: &BucketKey,
    shape: &Arc<ScoreShape>,
    month: &BucketCounts,
) -> Result<(), DbErr> {
    for span in Span::containing(month_of(&key.3)?) {
        let span_key = (key.0, key.1.clone(), key.2, span.key(), key.4.clone());
        rollups
            .entry(span_key)
            .or_insert_with(|| (shape.clone(), shape.empty()))
            .1
            .merge(month)
            .map_err(|_| DbErr::Custom(format!("a bucket of {} v{} does not fit", key.1, key.2)))?;
    }
    Ok(())
}

/// Adds `n` dossiers of a month (`key` holds the month) to the four spans containing it.
fn add_dossiers_to_spans(
    rollups: &mut BTreeMap<DossierKey, i64>,
    (agency, form, version, month, channel): &DossierKey,
    n: i64,
) -> Result<(), DbErr> {
    for span in Span::containing(month_of(month)?) {
        *rollups
            .entry((*agency, form.clone(), *version, span.key(), channel.clone()))
            .or_default() += n;
    }
    Ok(())
}

/// Lowercase hexadecimal, for showing packed counts as text.
fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(2 * bytes.len());
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    out
}

/// Every stored roll-up and dossier count as text, sorted (for tests and checks that a rebuild
/// changed nothing): `rollup AGENCY FORM VERSION SPAN CHANNEL HEX`, `dossier-rollup AGENCY FORM
/// VERSION SPAN CHANNEL N`, `dossiers AGENCY FORM VERSION MONTH CHANNEL N`.
pub async fn snapshot(db: &impl ConnectionTrait) -> Result<Vec<String>, DbErr> {
    let mut out: Vec<String> = score_rollup::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|m| {
            format!(
                "rollup {} {} {} {} {} {}",
                m.agency_id,
                m.form_key,
                m.form_version,
                m.span,
                m.channel,
                hex(&m.counts)
            )
        })
        .collect();
    out.extend(
        dossier_rollup::Entity::find()
            .all(db)
            .await?
            .into_iter()
            .map(|m| {
                format!(
                    "dossier-rollup {} {} {} {} {} {}",
                    m.agency_id, m.form_key, m.form_version, m.span, m.channel, m.dossiers
                )
            }),
    );
    out.extend(
        dossier_count::Entity::find()
            .all(db)
            .await?
            .into_iter()
            .map(|m| {
                format!(
                    "dossiers {} {} {} {} {} {}",
                    m.agency_id, m.form_key, m.form_version, m.period_month, m.channel, m.dossiers
                )
            }),
    );
    out.sort();
    Ok(out)
}
