//! The readers of the SQLite rebuild (`sqlite_rebuild`): [`READERS`] threads, each on its own
//! read-only connection and read transaction, take pieces of work one at a time until none is
//! left — ranges of response ids (parsing each answers object) and ranges of dossier row ids
//! (counting each dossier in its month) — so that both cores stay busy to the end, and no row
//! crosses a thread. Each thread adds up its own share; the shares are merged at the end.
//!
//! The dossiers are counted here rather than by a `GROUP BY`, which SQLite answers through the
//! unique index on (agency, code) — a table look-up per dossier — and a sort of every row: the
//! month comes from `domain::dossiers::period_month`, the very function registration uses.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OpenFlags, Row};
use sea_orm::DbErr;
use uuid::Uuid;

use super::DossierKey;
use super::tally::{MonthBuckets, Months, Texts};
use crate::domain::dossiers::period_month;
use crate::domain::forms::PublishedForms;

/// Parallel readers.
const READERS: usize = 2;
/// Ranges of ids the responses are split into, and of row ids the dossiers are.
const RESPONSE_RANGES: usize = 64;
const DOSSIER_RANGES: i64 = 32;
/// Bytes of the database file mapped into memory by each reader (SQLite caps it at its
/// compiled-in limit): pages are read without a copy through `read()` each.
const MMAP_BYTES: i64 = 1 << 40;

/// A piece of work: a range of response ids `[from, to)` or of dossier row ids `[from, to]`.
enum Work {
    Responses(Vec<u8>, Vec<u8>),
    Dossiers(i64, i64),
}

/// What the readers found: the responses and the month buckets, the dossiers per version and
/// month.
pub(super) struct Read {
    pub(super) responses: u64,
    pub(super) months: Months,
    pub(super) dossiers: BTreeMap<DossierKey, i64>,
}

pub(super) fn db_err(e: rusqlite::Error) -> DbErr {
    DbErr::Custom(format!("rebuild: {e}"))
}

/// Reads every response and dossier of the file `file`; `dossier_rows` is the row ids' range
/// (`MIN`, `MAX`) as the writing transaction sees them.
pub(super) fn read_all(
    file: &Path,
    forms: &PublishedForms,
    dossier_rows: Option<(i64, i64)>,
) -> Result<Read, DbErr> {
    let work = work(dossier_rows);
    let next = AtomicUsize::new(0);
    let shares = std::thread::scope(|scope| {
        let readers: Vec<_> = (0..READERS)
            .map(|_| scope.spawn(|| read_share(file, forms, &work, &next)))
            .collect();
        readers
            .into_iter()
            .map(|r| {
                r.join()
                    .map_err(|_| DbErr::Custom("a rebuild reader panicked".into()))?
            })
            .collect::<Result<Vec<_>, DbErr>>()
    })?;
    let mut months = MonthBuckets::new(forms);
    let mut dossiers: BTreeMap<DossierKey, i64> = BTreeMap::new();
    for (share, counted) in shares {
        months.merge(share)?;
        for (key, n) in counted.into_keys() {
            *dossiers.entry(key).or_default() += n;
        }
    }
    let (responses, months) = months.into_months();
    Ok(Read {
        responses,
        months,
        dossiers,
    })
}

/// The pieces of work: the responses' ids split by their first byte (the ids are random, so
/// the ranges hold about as many rows each; the table is `WITHOUT ROWID`, in the order of its
/// ids, which are 16-byte blobs: a 17-byte blob of `ff` sorts after every one), then the
/// dossiers' row ids split evenly.
fn work(dossier_rows: Option<(i64, i64)>) -> Vec<Work> {
    let bound = |k: usize| match u8::try_from(k * 256 / RESPONSE_RANGES) {
        Ok(first) => [vec![first], vec![0; 15]].concat(),
        Err(_) => vec![0xff; 17],
    };
    let mut work: Vec<Work> = (0..RESPONSE_RANGES)
        .map(|k| Work::Responses(bound(k), bound(k + 1)))
        .collect();
    if let Some((low, high)) = dossier_rows {
        let step = ((high - low) / DOSSIER_RANGES + 1).max(1);
        let mut from = low;
        while from <= high {
            let to = from.saturating_add(step - 1).min(high);
            work.push(Work::Dossiers(from, to));
            from = to.saturating_add(1);
        }
    }
    work
}

/// One reader's share.
fn read_share<'f>(
    file: &Path,
    forms: &'f PublishedForms,
    work: &[Work],
    next: &AtomicUsize,
) -> Result<(MonthBuckets<'f>, DossierTally), DbErr> {
    let mut conn = Connection::open_with_flags(
        file,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(db_err)?;
    conn.pragma_update(None, "mmap_size", MMAP_BYTES)
        .map_err(db_err)?;
    let txn = conn.transaction().map_err(db_err)?;
    let mut responses = txn
        .prepare(
            "SELECT agency_id, form_key, form_version, period_month, channel, valid, answers \
             FROM responses WHERE id >= ?1 AND id < ?2",
        )
        .map_err(db_err)?;
    let mut dossiers = txn
        .prepare(
            "SELECT agency_id, form_key, form_version, completed_at, channel FROM dossiers \
             WHERE rowid BETWEEN ?1 AND ?2",
        )
        .map_err(db_err)?;
    let mut months = MonthBuckets::new(forms);
    let mut tally = DossierTally::default();
    while let Some(piece) = work.get(next.fetch_add(1, Ordering::Relaxed)) {
        match piece {
            Work::Responses(from, to) => {
                let mut rows = responses.query([from, to]).map_err(db_err)?;
                while let Some(row) = rows.next().map_err(db_err)? {
                    let key = (agency(row)?, text(row, 1)?, row.get(2).map_err(db_err)?);
                    let key = (key.0, key.1, key.2, text(row, 3)?, text(row, 4)?);
                    months.add(key, row.get(5).map_err(db_err)?, text(row, 6)?)?;
                }
            }
            Work::Dossiers(from, to) => {
                let mut rows = dossiers.query([from, to]).map_err(db_err)?;
                while let Some(row) = rows.next().map_err(db_err)? {
                    let form = (text(row, 1)?, row.get(2).map_err(db_err)?);
                    let completed = instant(text(row, 3)?)?;
                    tally.add(agency(row)?, form, completed, text(row, 4)?);
                }
            }
        }
    }
    Ok((months, tally))
}

/// Column `i` of `row` as text, without a copy.
fn text<'r>(row: &'r Row<'_>, i: usize) -> Result<&'r str, DbErr> {
    row.get_ref(i)
        .map_err(db_err)?
        .as_str()
        .map_err(|e| DbErr::Custom(format!("rebuild: column {i}: {e}")))
}

/// The agency id in column 0 (a 16-byte blob, as the driver stores a UUID).
fn agency(row: &Row<'_>) -> Result<Uuid, DbErr> {
    row.get_ref(0)
        .map_err(db_err)?
        .as_blob()
        .ok()
        .and_then(|b| Uuid::from_slice(b).ok())
        .ok_or_else(|| DbErr::Custom("rebuild: an agency id that is no UUID".into()))
}

/// A stored instant (RFC 3339, as the driver writes it).
fn instant(text: &str) -> Result<DateTime<Utc>, DbErr> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| DbErr::Custom(format!("rebuild: a completion time {text:?}: {e}")))
}

/// Dossiers counted per agency, form, version, month and channel (texts by position in
/// `texts`).
#[derive(Default)]
struct DossierTally {
    texts: Texts,
    counts: HashMap<(Uuid, usize, i32, usize, usize), i64>,
}

impl DossierTally {
    fn add(
        &mut self,
        agency: Uuid,
        (form, version): (&str, i32),
        completed: DateTime<Utc>,
        channel: &str,
    ) {
        let month = period_month(completed);
        let t = &mut self.texts;
        let key = (
            agency,
            t.index(form),
            version,
            t.index(&month),
            t.index(channel),
        );
        *self.counts.entry(key).or_default() += 1;
    }

    /// The counts by key.
    fn into_keys(self) -> impl Iterator<Item = (DossierKey, i64)> {
        let texts = self.texts;
        self.counts
            .into_iter()
            .map(move |((agency, f, v, m, c), n)| {
                ((agency, texts.get(f), v, texts.get(m), texts.get(c)), n)
            })
    }
}
