//! The dossier counts by form version (issue 18, item 5): `dossier_counts`, `dossier_rollups`
//! and `retained_dossier_counts` gain `form_version`, part of the primary key, so that N, the
//! response rate, the sampling target and the Decision 766 counts shown beside n count the
//! dossiers of n's version only — a period that spans a new version no longer adds the old
//! version's dossiers to the new one's population.
//!
//! The tables are made again (SQLite cannot change a primary key) and filled from the rows
//! stored before:
//! - **dossiers still stored** are counted under their own `form_version` (the version the
//!   citizen was given at registration), per agency × form × month × channel, as registration
//!   counts them;
//! - **dossiers retention deleted** (`retained_dossier_counts`, counted without a version) are
//!   attributed, per agency × form × month, to the version the questionnaires of that agency
//!   and month mostly used (those stored and those still pending); else the version most of the
//!   month's remaining dossiers of the agency have; else the version most used in that month by
//!   any agency; else the form's oldest version with any questionnaire or dossier (retention
//!   deletes the oldest months), else 1. Their version cannot be known any more: this is the
//!   best guess, and it is stored, so every later rebuild keeps it (methodology §5.4);
//! - a count larger than the dossiers found for it (not expected: only retention deletes
//!   dossiers, and it keeps their counts) keeps its surplus, attributed as a deleted dossier is,
//!   so no published N changes;
//! - the roll-ups are summed again from the new counts of the closed months, into the four
//!   spans of each month, as a closing adds them (`persistence::aggregates`).
//!
//! The unused `revision` of `dossier_counts` is not carried over (the caches that read it are
//! gone). `down` sums the versions back into the tables as they were.

use std::collections::BTreeMap;

use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend, Statement, Value};
use sea_orm_migration::{prelude::*, schema::*, sea_orm::prelude::Uuid};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Agency, form key, form version, month (or span), channel.
type Key = (Uuid, String, i32, String, String);
/// Agency, form key, month, channel: the key before this migration.
type OldKey = (Uuid, String, String, String);
/// Counts per version.
type ByVersion = BTreeMap<i32, i64>;

/// Vietnam's offset from UTC, in which a dossier's month of completion is taken
/// (`domain::dossiers::VIETNAM_OFFSET_SECS`).
const VIETNAM_OFFSET_SECS: i32 = 7 * 3600;

/// Rows per `INSERT`.
const CHUNK: usize = 500;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let old_counts = read_old(db, "dossier_counts", "period_month").await?;
        let old_retained = read_old(db, "retained_dossier_counts", "period_month").await?;
        let present = stored_dossiers(db).await?;
        let guess = Guess::new(&present, answered(db).await?);
        let retained: BTreeMap<Key, i64> = old_retained
            .into_iter()
            .map(|(key, n)| (versioned(&key, guess.of(&key)), n))
            .collect();
        let counts = split(old_counts, &present, &retained, &guess);
        let rollups = match last_closed(db).await? {
            Some(closed) => roll_up(&counts, &closed),
            None => BTreeMap::new(),
        };
        make_again(manager, true).await?;
        insert(db, "dossier_counts", "period_month", &counts).await?;
        insert(db, "retained_dossier_counts", "period_month", &retained).await?;
        insert(db, "dossier_rollups", "span", &rollups).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let mut summed = Vec::new();
        for (table, at) in TABLES {
            summed.push(read_old(db, table, at).await?);
        }
        make_again(manager, false).await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_dossier_counts_revision")
                    .table("dossier_counts")
                    .col("agency_id")
                    .col("form_key")
                    .col("period_month")
                    .col("revision")
                    .to_owned(),
            )
            .await?;
        for ((table, at), rows) in TABLES.into_iter().zip(summed) {
            let rows = rows
                .into_iter()
                .map(|((a, f, m, c), n)| ((a, f, 0, m, c), n))
                .collect();
            insert_rows(db, table, at, false, &rows).await?;
        }
        Ok(())
    }
}

/// The three tables and the column of each that holds the month or span.
const TABLES: [(&str, &str); 3] = [
    ("dossier_counts", "period_month"),
    ("retained_dossier_counts", "period_month"),
    ("dossier_rollups", "span"),
];

/// `CREATE TABLE` of one of the three, with `form_version` in the key (`versioned`) or as it
/// was before (`dossier_counts` then has its `revision` back).
fn create(table: &'static str, at: &'static str, versioned: bool) -> TableCreateStatement {
    let mut create = Table::create();
    create
        .table(table)
        .col(uuid("agency_id"))
        .col(string_len("form_key", 64));
    if versioned {
        create.col(integer("form_version"));
    }
    create
        .col(if at == "span" {
            string_len(at, 7)
        } else {
            char_len(at, 7)
        })
        .col(string_len("channel", 16))
        .col(big_integer("dossiers"));
    if !versioned && table == "dossier_counts" {
        create.col(big_integer("revision").default(0));
    }
    let mut key = Index::create();
    key.col("agency_id").col("form_key");
    if versioned {
        key.col("form_version");
    }
    key.col(at).col("channel");
    create.primary_key(&mut key).foreign_key(
        ForeignKey::create()
            .name(format!("fk_{table}_agency"))
            .from(table, "agency_id")
            .to("agencies", "id")
            .on_delete(ForeignKeyAction::Restrict),
    );
    create.to_owned()
}

/// Drops the three tables and creates them again, empty, with the version (`versioned`) or
/// without, and retention's index by month.
async fn make_again(manager: &SchemaManager<'_>, versioned: bool) -> Result<(), DbErr> {
    for (table, at) in TABLES {
        manager
            .drop_table(Table::drop().table(table).to_owned())
            .await?;
        manager.create_table(create(table, at, versioned)).await?;
    }
    let by_month = Index::create()
        .name("ix_retained_dossier_counts_month")
        .table("retained_dossier_counts")
        .col("period_month")
        .to_owned();
    manager.create_index(by_month).await
}

/// The rows of `table`, summed over the versions if it has them: by agency, form, `at`, channel.
async fn read_old(
    db: &SchemaManagerConnection<'_>,
    table: &str,
    at: &str,
) -> Result<BTreeMap<OldKey, i64>, DbErr> {
    let sql = format!(
        "SELECT agency_id, form_key, 0 AS v, {at} AS at, channel, \
         CAST(SUM(dossiers) AS BIGINT) AS n FROM {table} \
         GROUP BY agency_id, form_key, {at}, channel"
    );
    let rows = counted(db, &sql).await?.into_iter();
    Ok(rows.map(|((a, f, _, m, c), n)| ((a, f, m, c), n)).collect())
}

/// The rows of `sql`, whose columns are, in this order, the agency, the form key, a version, a
/// month or span, a channel and a count, by key.
async fn counted(db: &SchemaManagerConnection<'_>, sql: &str) -> Result<BTreeMap<Key, i64>, DbErr> {
    let rows = db
        .query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await?;
    let mut out = BTreeMap::new();
    for row in rows {
        let (a, f, v, at, c, n) =
            row.try_get_many_by_index::<(Uuid, String, i32, String, String, i64)>()?;
        *out.entry((a, f, v, at, c)).or_default() += n;
    }
    Ok(out)
}

/// The stored dossiers per agency, form, version, month of completion (Vietnam time, as
/// `persistence::aggregates` computes it) and channel.
async fn stored_dossiers(db: &SchemaManagerConnection<'_>) -> Result<BTreeMap<Key, i64>, DbErr> {
    let month = match db.get_database_backend() {
        DatabaseBackend::Postgres => format!(
            "to_char((completed_at AT TIME ZONE 'UTC') \
             + INTERVAL '{VIETNAM_OFFSET_SECS} seconds', 'YYYY-MM')"
        ),
        _ => format!("strftime('%Y-%m', completed_at, '+{VIETNAM_OFFSET_SECS} seconds')"),
    };
    let sql = format!(
        "SELECT agency_id, form_key, form_version AS v, {month} AS at, channel, COUNT(*) AS n \
         FROM dossiers GROUP BY agency_id, form_key, form_version, {month}, channel"
    );
    counted(db, &sql).await
}

/// The questionnaires (published and pending) per agency, form and month, by version.
async fn answered(
    db: &SchemaManagerConnection<'_>,
) -> Result<BTreeMap<(Uuid, String, String), ByVersion>, DbErr> {
    let mut out: BTreeMap<(Uuid, String, String), ByVersion> = BTreeMap::new();
    for table in ["responses", "pending_responses"] {
        let sql = format!(
            "SELECT agency_id, form_key, form_version AS v, period_month AS at, '' AS channel, \
             COUNT(*) AS n FROM {table} GROUP BY agency_id, form_key, form_version, period_month"
        );
        for ((agency, form, version, month, _), n) in counted(db, &sql).await? {
            *out.entry((agency, form, month))
                .or_default()
                .entry(version)
                .or_default() += n;
        }
    }
    Ok(out)
}

/// The version attributed to dossiers whose own is not stored (see the module header).
struct Guess {
    /// By agency, form and month: the questionnaires' versions, then the stored dossiers'.
    answered: BTreeMap<(Uuid, String, String), ByVersion>,
    dossiers: BTreeMap<(Uuid, String, String), ByVersion>,
    /// By form and month, over every agency: both.
    form_month: BTreeMap<(String, String), ByVersion>,
    /// By form: the oldest version met.
    oldest: BTreeMap<String, i32>,
}

impl Guess {
    fn new(
        present: &BTreeMap<Key, i64>,
        answered: BTreeMap<(Uuid, String, String), ByVersion>,
    ) -> Self {
        let mut guess = Guess {
            answered: BTreeMap::new(),
            dossiers: BTreeMap::new(),
            form_month: BTreeMap::new(),
            oldest: BTreeMap::new(),
        };
        for ((agency, form, version, month, _), n) in present {
            let key = (*agency, form.clone(), month.clone());
            *guess
                .dossiers
                .entry(key)
                .or_default()
                .entry(*version)
                .or_default() += n;
            guess.met(form, month, *version, *n);
        }
        for ((_, form, month), versions) in &answered {
            for (version, n) in versions {
                guess.met(form, month, *version, *n);
            }
        }
        guess.answered = answered;
        guess
    }

    fn met(&mut self, form: &str, month: &str, version: i32, n: i64) {
        let at = (form.to_owned(), month.to_owned());
        *self
            .form_month
            .entry(at)
            .or_default()
            .entry(version)
            .or_default() += n;
        let oldest = self.oldest.entry(form.to_owned()).or_insert(version);
        *oldest = Ord::min(*oldest, version);
    }

    /// The version of `key`'s dossiers.
    fn of(&self, (agency, form, month, _): &OldKey) -> i32 {
        let at = (*agency, form.clone(), month.clone());
        self.answered
            .get(&at)
            .and_then(most)
            .or_else(|| self.dossiers.get(&at).and_then(most))
            .or_else(|| {
                let at = (form.clone(), month.clone());
                self.form_month.get(&at).and_then(most)
            })
            .or_else(|| self.oldest.get(form).copied())
            .unwrap_or(1)
    }
}

/// The version with the most, the newer on a tie.
fn most(versions: &ByVersion) -> Option<i32> {
    versions
        .iter()
        .filter(|(_, n)| **n > 0)
        .max_by_key(|(v, n)| (**n, **v))
        .map(|(v, _)| *v)
}

fn versioned((agency, form, month, channel): &OldKey, version: i32) -> Key {
    (
        *agency,
        form.clone(),
        version,
        month.clone(),
        channel.clone(),
    )
}

/// The new `dossier_counts`: the stored dossiers and the retained counts by version, and any
/// surplus of an old count over them under the version guessed.
fn split(
    old: BTreeMap<OldKey, i64>,
    present: &BTreeMap<Key, i64>,
    retained: &BTreeMap<Key, i64>,
    guess: &Guess,
) -> BTreeMap<Key, i64> {
    let mut counts = present.clone();
    let mut found: BTreeMap<OldKey, i64> = BTreeMap::new();
    for (key, n) in retained {
        *counts.entry(key.clone()).or_default() += n;
    }
    for ((agency, form, _, month, channel), n) in &counts {
        let key = (*agency, form.clone(), month.clone(), channel.clone());
        *found.entry(key).or_default() += n;
    }
    for (key, n) in old {
        let surplus = n - found.get(&key).copied().unwrap_or_default();
        if surplus > 0 {
            *counts.entry(versioned(&key, guess.of(&key))).or_default() += surplus;
        }
    }
    counts
}

/// The last closed month, if any.
async fn last_closed(db: &SchemaManagerConnection<'_>) -> Result<Option<String>, DbErr> {
    let sql = "SELECT MAX(month) AS m FROM closed_months";
    let rows = db
        .query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await?;
    match rows.first() {
        Some(row) => row.try_get::<Option<String>>("", "m"),
        None => Ok(None),
    }
}

/// The roll-ups of the counts of the months up to `closed`: each month in its month, quarter,
/// half and year (`domain::spans::Span::containing`).
fn roll_up(counts: &BTreeMap<Key, i64>, closed: &str) -> BTreeMap<Key, i64> {
    let mut rollups = BTreeMap::new();
    for ((agency, form, version, month, channel), n) in counts {
        if month.as_str() > closed {
            continue;
        }
        for span in spans_of(month) {
            let key = (*agency, form.clone(), *version, span, channel.clone());
            *rollups.entry(key).or_default() += n;
        }
    }
    rollups
}

/// `2025-05` → `2025-05`, `2025-Q2`, `2025-H1`, `2025`.
fn spans_of(month: &str) -> Vec<String> {
    let (year, m) = month.split_at(Ord::min(4, month.len()));
    let m: u32 = m.trim_start_matches('-').parse().unwrap_or(1);
    vec![
        month.to_owned(),
        format!("{year}-Q{}", m.div_ceil(3)),
        format!("{year}-H{}", m.div_ceil(6)),
        year.to_owned(),
    ]
}

async fn insert(
    db: &SchemaManagerConnection<'_>,
    table: &str,
    at: &str,
    rows: &BTreeMap<Key, i64>,
) -> Result<(), DbErr> {
    insert_rows(db, table, at, true, rows).await
}

/// Inserts `rows` into `table`, with their version (`versioned`) or without.
async fn insert_rows(
    db: &SchemaManagerConnection<'_>,
    table: &str,
    at: &str,
    versioned: bool,
    rows: &BTreeMap<Key, i64>,
) -> Result<(), DbErr> {
    let rows: Vec<_> = rows.iter().collect();
    for chunk in rows.chunks(CHUNK) {
        let mut insert = Query::insert();
        insert.into_table(Alias::new(table));
        let mut columns = vec!["agency_id", "form_key"];
        if versioned {
            columns.push("form_version");
        }
        columns.extend([at, "channel", "dossiers"]);
        insert.columns(columns.into_iter().map(Alias::new));
        for ((agency, form, version, month, channel), n) in chunk {
            let mut values: Vec<Value> = vec![(*agency).into(), form.clone().into()];
            if versioned {
                values.push((*version).into());
            }
            values.extend([month.clone().into(), channel.clone().into(), (**n).into()]);
            insert
                .values(values.into_iter().map(SimpleExpr::from))
                .map_err(|e| DbErr::Custom(e.to_string()))?;
        }
        db.execute(&insert).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_month_is_in_its_month_quarter_half_and_year() {
        assert_eq!(
            spans_of("2025-05"),
            ["2025-05", "2025-Q2", "2025-H1", "2025"]
        );
        assert_eq!(
            spans_of("2025-12"),
            ["2025-12", "2025-Q4", "2025-H2", "2025"]
        );
        assert_eq!(
            spans_of("2024-07"),
            ["2024-07", "2024-Q3", "2024-H2", "2024"]
        );
    }

    #[test]
    fn the_most_used_version_wins_and_the_newer_on_a_tie() {
        let versions: ByVersion = [(1, 3), (2, 5)].into_iter().collect();
        assert_eq!(most(&versions), Some(2));
        let tie: ByVersion = [(1, 4), (2, 4)].into_iter().collect();
        assert_eq!(most(&tie), Some(2));
        assert_eq!(most(&[(1, 7), (2, 1)].into_iter().collect()), Some(1));
        assert_eq!(most(&ByVersion::new()), None);
    }
}
