//! Loading what a view is computed from: the roll-ups of its agencies over the spans that make
//! up its months (`persistence::rollups`, `domain::spans`), and the pool the CPU-bound part
//! runs on ([`off_thread`]).

use std::collections::BTreeSet;

use uuid::Uuid;

use super::context::Context;
use crate::domain::forms::PublishedForm;
use crate::domain::periods::Period;
use crate::domain::results::Counts;
use crate::domain::spans::{Span, cover};
use crate::error::ApiError;
use crate::persistence::rollups;

pub fn unexpected(e: impl std::fmt::Display) -> ApiError {
    ApiError::Unexpected(anyhow::anyhow!("results: {e}"))
}

/// The spans that make up `period` (none for a period with no month).
pub(super) fn spans_of(period: &Period) -> BTreeSet<Span> {
    cover(period.first(), period.last()).into_iter().collect()
}

/// The stored keys of `spans`.
pub(super) fn keys(spans: &BTreeSet<Span>) -> Vec<String> {
    spans.iter().map(Span::key).collect()
}

/// The roll-ups of `agencies` in `spans`, of `form`'s version: its score roll-ups and the
/// dossiers registered with that version (N of the same version as n). Two queries per 500
/// agencies.
pub(super) async fn load_counts(
    cx: &Context<'_>,
    form: &PublishedForm,
    agencies: &[Uuid],
    spans: BTreeSet<Span>,
) -> Result<Counts, ApiError> {
    let (key, version) = (form.definition.key(), form.definition.version());
    let stored = keys(&spans);
    let mut counts = Counts::new(form.score.clone(), spans);
    if stored.is_empty() || agencies.is_empty() {
        return Ok(counts);
    }
    for row in rollups::scores(cx.db, agencies, (key, version), &stored).await? {
        counts.add_scores(row.agency_id, (&row.span, &row.channel), row.counts);
    }
    for row in rollups::dossiers(cx.db, agencies, (key, version), &stored).await? {
        counts.add_dossiers(row.agency_id, (&row.span, &row.channel), row.dossiers);
    }
    Ok(counts)
}

/// Runs the CPU-bound part of a computation on tokio's blocking pool, off the thread that
/// serves requests.
pub(super) async fn off_thread<T, E>(
    f: impl FnOnce() -> Result<T, E> + Send + 'static,
) -> Result<T, ApiError>
where
    T: Send + 'static,
    E: std::fmt::Display + Send + 'static,
{
    tokio::task::spawn_blocking(f)
        .await
        .map_err(unexpected)?
        .map_err(unexpected)
}
