//! What both rebuilds share (`rebuild`, `sqlite_rebuild`): the responses added up by month
//! bucket ([`MonthBuckets`], one per reading thread, merged), the roll-up rows those buckets
//! make ([`span_rows`]), the SQL month of a dossier, and the report.

use std::collections::HashMap;
use std::sync::Arc;

use sea_orm::{DatabaseBackend, DbErr};
use uuid::Uuid;

use super::{BucketKey, Rollups, add_to_spans};
use crate::domain::aggregates::{BucketCounts, ScoreShape};
use crate::domain::dossiers::VIETNAM_OFFSET_SECS;
use crate::domain::forms::PublishedForms;

/// What a rebuild found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RebuildReport {
    pub responses: u64,
    /// Score roll-ups stored.
    pub buckets: u64,
    pub dossiers: u64,
    pub dossier_counts: u64,
    /// Dossier roll-ups stored.
    pub dossier_rollups: u64,
}

/// Month buckets: the responses added up per agency × form version × month × channel.
pub(super) type Months = HashMap<BucketKey, (Arc<ScoreShape>, BucketCounts)>;

/// Responses added up by month bucket, one thread's share.
pub(super) struct MonthBuckets<'f> {
    forms: &'f PublishedForms,
    /// The shapes met so far, by form key and version.
    shapes: Vec<(String, i32, Arc<ScoreShape>)>,
    pub(super) responses: u64,
    months: Months,
}

impl<'f> MonthBuckets<'f> {
    pub(super) fn new(forms: &'f PublishedForms) -> Self {
        MonthBuckets {
            forms,
            shapes: Vec::new(),
            responses: 0,
            months: Months::new(),
        }
    }

    /// Adds one response of `(agency, form key, version, month, channel)`.
    pub(super) fn add(
        &mut self,
        (agency, form_key, version, month, channel): (Uuid, &str, i32, &str, &str),
        valid: bool,
        answers: &str,
    ) -> Result<(), DbErr> {
        let shape = self.shape_of(form_key, version)?;
        let contribution = shape.stored_contribution(answers, valid).map_err(|e| {
            DbErr::Custom(format!("a response of {form_key} v{version}: answers: {e}"))
        })?;
        self.responses += 1;
        let key = (
            agency,
            form_key.to_owned(),
            version,
            month.to_owned(),
            channel.to_owned(),
        );
        self.months
            .entry(key)
            .or_insert_with(|| (shape.clone(), shape.empty()))
            .1
            .add(&contribution);
        Ok(())
    }

    /// The shape of a form version, from the ones met so far or the loaded forms.
    fn shape_of(&mut self, form_key: &str, version: i32) -> Result<Arc<ScoreShape>, DbErr> {
        if let Some((_, _, s)) = self
            .shapes
            .iter()
            .find(|(k, v, _)| k == form_key && *v == version)
        {
            return Ok(s.clone());
        }
        let form = self
            .forms
            .version(form_key, u32::try_from(version).unwrap_or_default())
            .ok_or_else(|| {
                DbErr::Custom(format!(
                    "responses of {form_key} v{version} exist, but that form \
                     version is not loaded"
                ))
            })?;
        self.shapes
            .push((form_key.to_owned(), version, form.score.clone()));
        Ok(form.score.clone())
    }

    /// Adds another thread's share.
    pub(super) fn merge(&mut self, other: MonthBuckets<'_>) -> Result<(), DbErr> {
        self.responses += other.responses;
        for (key, (shape, counts)) in other.months {
            match self.months.get_mut(&key) {
                Some((_, mine)) => mine
                    .merge(&counts)
                    .map_err(|_| DbErr::Custom(format!("{} v{} changed shape", key.1, key.2)))?,
                None => {
                    self.months.insert(key, (shape, counts));
                }
            }
        }
        Ok(())
    }

    pub(super) fn into_months(self) -> (u64, Months) {
        (self.responses, self.months)
    }
}

/// The roll-up rows of month buckets, packed, one agency × form version × channel × year at a
/// time (so that only that group's spans are unpacked in memory at once).
pub(super) fn span_rows(
    months: Months,
) -> impl Iterator<Item = Result<(BucketKey, Vec<u8>), DbErr>> {
    let mut sorted: Vec<(BucketKey, (Arc<ScoreShape>, BucketCounts))> =
        months.into_iter().collect();
    sorted.sort_by(|(a, _), (b, _)| group_of(a).cmp(&group_of(b)).then(a.3.cmp(&b.3)));
    let mut months = sorted.into_iter().peekable();
    std::iter::from_fn(move || {
        let (key, (shape, counts)) = months.next()?;
        let mut group = Rollups::new();
        let mut added = add_to_spans(&mut group, &key, &shape, &counts);
        while let Some((next, (s, c))) = months.next_if(|(k, _)| group_of(k) == group_of(&key)) {
            added = added.and_then(|()| add_to_spans(&mut group, &next, &s, &c));
        }
        Some(match added {
            Ok(()) => group
                .into_iter()
                .map(|(k, (_, counts))| Ok((k, counts.pack())))
                .collect(),
            Err(e) => vec![Err(e)],
        })
    })
    .flatten()
}

/// The roll-ups a month bucket goes into share agency, form, version, channel and year.
fn group_of(k: &BucketKey) -> (Uuid, &str, i32, &str, &str) {
    (k.0, &k.1, k.2, &k.4, k.3.get(..4).unwrap_or_default())
}

/// The SQL of a dossier's month of completion (see `rebuild::dossier_counts_by_month`).
pub(super) fn dossier_month_sql(backend: DatabaseBackend) -> String {
    match backend {
        DatabaseBackend::Postgres => format!(
            "to_char((completed_at AT TIME ZONE 'UTC') + INTERVAL '{VIETNAM_OFFSET_SECS} seconds', 'YYYY-MM')"
        ),
        _ => format!("strftime('%Y-%m', completed_at, '+{VIETNAM_OFFSET_SECS} seconds')"),
    }
}
