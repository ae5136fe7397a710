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

/// Texts kept once each (a few dozen form keys, months and channels), by position: what one
/// reading thread keys its counts by, so that a row costs no allocation and hashes a few
/// integers.
#[derive(Default)]
pub(super) struct Texts(Vec<String>);

impl Texts {
    /// The position of `text`, added if new.
    pub(super) fn index(&mut self, text: &str) -> usize {
        match self.0.iter().position(|t| t == text) {
            Some(i) => i,
            None => {
                self.0.push(text.to_owned());
                self.0.len() - 1
            }
        }
    }

    /// The text at `i`.
    pub(super) fn get(&self, i: usize) -> String {
        self.0.get(i).cloned().unwrap_or_default()
    }
}

/// Responses added up by month bucket, one thread's share.
pub(super) struct MonthBuckets<'f> {
    forms: &'f PublishedForms,
    /// The shapes met so far, by form key and version.
    shapes: Vec<(String, i32, Arc<ScoreShape>)>,
    texts: Texts,
    responses: u64,
    /// By agency, position in `shapes`, month and channel (positions in `texts`).
    buckets: HashMap<(Uuid, usize, usize, usize), BucketCounts>,
}

impl<'f> MonthBuckets<'f> {
    pub(super) fn new(forms: &'f PublishedForms) -> Self {
        MonthBuckets {
            forms,
            shapes: Vec::new(),
            texts: Texts::default(),
            responses: 0,
            buckets: HashMap::new(),
        }
    }

    /// Adds one response of `(agency, form key, version, month, channel)`.
    pub(super) fn add(
        &mut self,
        (agency, form_key, version, month, channel): (Uuid, &str, i32, &str, &str),
        valid: bool,
        answers: &str,
    ) -> Result<(), DbErr> {
        let s = self.shape_of(form_key, version)?;
        let shape = self.shapes.get(s).map(|(_, _, shape)| shape.clone());
        let shape = shape.ok_or_else(|| DbErr::Custom("a form version went missing".into()))?;
        let contribution = shape.stored_contribution(answers, valid).map_err(|e| {
            DbErr::Custom(format!("a response of {form_key} v{version}: answers: {e}"))
        })?;
        self.responses += 1;
        let key = (
            agency,
            s,
            self.texts.index(month),
            self.texts.index(channel),
        );
        self.buckets
            .entry(key)
            .or_insert_with(|| shape.empty())
            .add(&contribution);
        Ok(())
    }

    /// The position in `shapes` of a form version, met before or from the loaded forms.
    fn shape_of(&mut self, form_key: &str, version: i32) -> Result<usize, DbErr> {
        if let Some(i) = self
            .shapes
            .iter()
            .position(|(k, v, _)| k == form_key && *v == version)
        {
            return Ok(i);
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
        Ok(self.shapes.len() - 1)
    }

    /// Adds another thread's share.
    pub(super) fn merge(&mut self, other: MonthBuckets<'_>) -> Result<(), DbErr> {
        let (responses, months) = other.into_months();
        self.responses += responses;
        for ((agency, form_key, version, month, channel), (_, counts)) in months {
            let s = self.shape_of(&form_key, version)?;
            let key = (
                agency,
                s,
                self.texts.index(&month),
                self.texts.index(&channel),
            );
            match self.buckets.get_mut(&key) {
                Some(mine) => mine
                    .merge(&counts)
                    .map_err(|_| DbErr::Custom(format!("{form_key} v{version} changed shape")))?,
                None => {
                    self.buckets.insert(key, counts);
                }
            }
        }
        Ok(())
    }

    /// The number of responses, and the buckets by key.
    pub(super) fn into_months(self) -> (u64, Months) {
        let MonthBuckets {
            shapes,
            texts,
            buckets,
            ..
        } = self;
        let months = buckets
            .into_iter()
            .filter_map(|((agency, s, month, channel), counts)| {
                let (form_key, version, shape) = shapes.get(s)?;
                let key = (
                    agency,
                    form_key.clone(),
                    *version,
                    texts.get(month),
                    texts.get(channel),
                );
                Some((key, (shape.clone(), counts)))
            })
            .collect();
        (self.responses, months)
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
