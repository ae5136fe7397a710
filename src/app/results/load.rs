//! Loading what a view is computed from, by revision: the sums that say whether a kept view
//! still holds ([`Inputs`], `domain::results::cache`), the counts of the agencies and months
//! asked for ([`load_counts`], through the per-agency memo `domain::results::memo`), the view
//! caches ([`cached`]) and the pool the CPU-bound part runs on ([`off_thread`]).

use std::collections::HashMap;
use std::sync::Arc;

use uuid::Uuid;

use super::context::Context;
use crate::domain::forms::PublishedForm;
use crate::domain::periods::Period;
use crate::domain::results::cache::{CacheKey, ViewCache};
use crate::domain::results::memo::{Listing, RowKey};
use crate::domain::results::{self, AgencyRows, Counts, VersionChoice};
use crate::error::ApiError;
use crate::persistence::aggregates;

pub fn unexpected(e: impl std::fmt::Display) -> ApiError {
    ApiError::Unexpected(anyhow::anyhow!("results: {e}"))
}

/// What a view is computed from in storage, summed without reading any counts
/// (`aggregates::input_sums`): enough to choose the version and to know whether a view computed
/// earlier still holds (`domain::results::cache`).
pub(super) struct Inputs {
    sums: aggregates::InputSums,
}

impl Inputs {
    pub(super) async fn read(
        cx: &Context<'_>,
        form_key: &str,
        agencies: &[Uuid],
        period: &Period,
    ) -> Result<Self, ApiError> {
        let (from, to) = period.month_range();
        Ok(Self {
            sums: aggregates::input_sums(cx.db, agencies, form_key, &from, &to).await?,
        })
    }

    /// The version a view shows (see `results::choose_version`).
    pub(super) fn version<'a>(
        &self,
        cx: &Context<'a>,
        current: &Arc<PublishedForm>,
        requested: Option<u32>,
    ) -> Result<(&'a Arc<PublishedForm>, VersionChoice), ApiError> {
        let key = current.definition.key();
        let (version, choice) = results::choose_version(
            self.sums
                .buckets
                .keys()
                .filter_map(|v| u32::try_from(*v).ok()),
            requested,
            current.definition.version(),
        );
        let form = cx.forms.version(key, version).ok_or_else(|| {
            unexpected(format!(
                "responses of {key} v{version}, a version not loaded"
            ))
        })?;
        Ok((form, choice))
    }

    /// The cache key of the view `what` asks for (its `Debug` form: every field of every part,
    /// so that no parameter can be left out of the key) computed from these inputs.
    pub(super) fn key(&self, what: &str, request: &impl std::fmt::Debug) -> CacheKey {
        CacheKey::new(&(what, format!("{request:?}")), &self.sums)
    }
}

/// The counts of `agencies` in the period, of `form`'s version, as stored, with their
/// revisions (and maybe rows of other months, which every use of counts leaves out). An
/// agency's rows are taken from the memo's listing when it covers the period and its rows'
/// revision sums in the period are those of `inputs`, read from the database for this request
/// (the same rows, but for a chance of about 2⁻⁶²); else its rows and revisions are listed from
/// an index, and the counts are read only for the agencies with a row whose text this node has
/// not kept at its revision (`results::memo`).
pub(super) async fn load_counts(
    cx: &Context<'_>,
    form: &PublishedForm,
    (agencies, period): (&[Uuid], &Period),
    inputs: &Inputs,
) -> Result<Counts, ApiError> {
    let (from, to) = period.month_range();
    let (key, version) = (form.definition.key(), form.definition.version());
    let memo = &cx.views.memo;
    let mut counts = Counts::with_memo(form.score.clone(), memo.clone(), key, version);

    // The agencies to list, and the months to list them over: those asked for, widened to
    // those of their kept listings, so that one listing per agency serves every period within.
    let mut to_list: Vec<Uuid> = Vec::new();
    let (mut list_from, mut list_to) = (from.clone(), to.clone());
    let stored_version = i32::try_from(version).unwrap_or(i32::MAX);
    for &agency in agencies {
        // An agency without sums has no rows in these months.
        let Some(sums) = inputs.sums.agencies.get(&agency) else {
            continue;
        };
        let buckets = sums
            .buckets
            .get(&stored_version)
            .copied()
            .unwrap_or_default();
        match memo.listing(agency, (key, version)) {
            Some(kept) if holds(&kept, (&from, &to), (buckets, sums.dossiers)) => {
                counts.add_agency(agency, kept.rows.clone());
            }
            Some(kept) => {
                list_from = list_from.min(kept.from.clone());
                list_to = list_to.max(kept.to.clone());
                to_list.push(agency);
            }
            None => to_list.push(agency),
        }
    }
    if to_list.is_empty() {
        return Ok(counts);
    }
    let (ids, from, to) = (to_list, list_from, list_to);
    let mut rows = list_rows(cx, form, &ids, (&from, &to)).await?;
    for agency in ids {
        let rows = Arc::new(rows.remove(&agency).unwrap_or_default());
        let listing = Listing {
            from: from.clone(),
            to: to.clone(),
            rows: rows.clone(),
        };
        memo.keep_listing(agency, (key, version), Arc::new(listing));
        counts.add_agency(agency, rows);
    }
    Ok(counts)
}

/// The rows of `ids` in months `from..=to` with their revisions: each bucket's text from the
/// memo when it holds it at that revision, else read (for every agency with a text missing)
/// and kept; and the dossier counts.
async fn list_rows(
    cx: &Context<'_>,
    form: &PublishedForm,
    ids: &[Uuid],
    (from, to): (&str, &str),
) -> Result<HashMap<Uuid, AgencyRows>, ApiError> {
    let (key, version) = (form.definition.key(), form.definition.version());
    let memo = &cx.views.memo;
    let row_key =
        |agency, month: &str, channel: &str| RowKey::new(agency, (key, version), month, channel);
    let mut rows: HashMap<Uuid, AgencyRows> = HashMap::new();
    let listed = aggregates::bucket_revisions(cx.db, ids, (key, version), from, to).await?;
    let keys: Vec<(RowKey, i64)> = (listed.iter())
        .map(|(agency, month, channel, revision)| (row_key(*agency, month, channel), *revision))
        .collect();
    let mut unread: Vec<Uuid> = Vec::new();
    for ((agency, month, channel, revision), text) in listed.into_iter().zip(memo.texts(&keys)) {
        match text {
            Some(text) => (rows.entry(agency).or_default()).add_bucket(
                (&month, &channel),
                Some(revision),
                text,
            ),
            None => unread.push(agency),
        }
    }
    unread.sort_unstable();
    unread.dedup();
    if !unread.is_empty() {
        for agency in &unread {
            rows.remove(agency);
        }
        for row in aggregates::buckets(cx.db, &unread, (key, version), from, to).await? {
            let text: Arc<str> = Arc::from(row.counts);
            let at = (row.period_month.as_str(), row.channel.as_str());
            memo.keep_text(
                row_key(row.agency_id, at.0, at.1),
                row.revision,
                text.clone(),
            );
            (rows.entry(row.agency_id).or_default()).add_bucket(at, Some(row.revision), text);
        }
    }
    for row in aggregates::dossier_counts(cx.db, ids, key, from, to).await? {
        (rows.entry(row.agency_id).or_default()).add_dossiers(
            (&row.period_month, &row.channel),
            Some(row.revision),
            row.dossiers,
        );
    }
    Ok(rows)
}

/// Whether `listing` covers months `from..=to` and holds there the rows whose revision sums
/// (of score buckets, of dossier counts) the database has now.
pub(super) fn holds(
    listing: &Listing,
    (from, to): (&str, &str),
    now: (aggregates::RevisionSums, aggregates::RevisionSums),
) -> bool {
    listing.from.as_str() <= from
        && to <= listing.to.as_str()
        && listing.rows.sums_in(from, to) == Some(now)
}

/// Runs the CPU-bound part of a computation on tokio's blocking pool, off the thread that
/// serves requests: a province-wide view computed from nothing takes up to half a second.
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

/// The view kept for `key` in `cache`, or `compute`'s, then kept.
pub(super) async fn cached<V: Clone>(
    cache: &ViewCache<V>,
    key: CacheKey,
    compute: impl std::future::Future<Output = Result<V, ApiError>>,
) -> Result<V, ApiError> {
    if let Some(view) = cache.get(&key) {
        return Ok((*view).clone());
    }
    let view = compute.await?;
    cache.put(key, Arc::new(view.clone()));
    Ok(view)
}
