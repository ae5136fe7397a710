//! Retention: deleting the sealed dossiers of old closed months (`app::retention` decides which)
//! while keeping their counts (per form version, as `dossier_counts`) in
//! `retained_dossier_counts`, and reading those counts back
//! (`sipas scores rebuild`, registration).
//!
//! `dossier_counts`, which the published figures read, is not touched: the deleted dossiers stay
//! counted there. Each chunk is one transaction whose first statement deletes (on SQLite it takes
//! the write lock at once), and the counts kept are those of the rows that very statement
//! deleted (`RETURNING`), so two nodes running retention at once never count a dossier twice.
//! The chunk's ids are read before, outside the transaction, so that a pass with nothing to do
//! writes nothing.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter,
    QuerySelect, Statement,
};
use uuid::Uuid;

use super::entities::dossier;
use crate::domain::dossiers::period_month;
use crate::domain::periods::Month;
use crate::domain::tokens::SEALED_CODE_PREFIX;

/// Dossiers deleted per transaction.
const CHUNK: u64 = 2_000;

/// Counts per agency, form, form version (the dossier's own), month (`YYYY-MM`) and channel.
pub type Counts = BTreeMap<(Uuid, String, i32, String, String), i64>;

/// Deletes every sealed dossier completed before `before` whose link had ended at `now`, in
/// chunks, adding each chunk's counts to `retained_dossier_counts` in the same transaction (the
/// outbox rows go with them: `ON DELETE CASCADE`). Returns how many were deleted.
pub async fn delete_sealed_before(
    db: &DatabaseConnection,
    before: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let due = Condition::all()
        .add(dossier::Column::CompletedAt.lt(before))
        .add(dossier::Column::ExpiresAt.lte(now))
        .add(dossier::Column::DossierCode.starts_with(SEALED_CODE_PREFIX));
    let mut deleted = 0;
    loop {
        // Looked up first, outside any transaction: most passes find nothing and then take no
        // write lock at all.
        let ids: Vec<Uuid> = dossier::Entity::find()
            .select_only()
            .column(dossier::Column::Id)
            .filter(due.clone())
            .limit(CHUNK)
            .into_tuple()
            .all(db)
            .await?;
        if ids.is_empty() {
            return Ok(deleted);
        }
        let txn = super::begin_write(db).await?;
        // The conditions again: only rows still due are deleted, and only those counted.
        let gone = dossier::Entity::delete_many()
            .filter(dossier::Column::Id.is_in(ids.iter().copied()))
            .filter(due.clone())
            .exec_with_returning(&txn)
            .await?;
        let mut counts = Counts::new();
        for d in &gone {
            let key = (
                d.agency_id,
                d.form_key.clone(),
                d.form_version,
                period_month(d.completed_at),
                d.channel.clone(),
            );
            *counts.entry(key).or_default() += 1;
        }
        add_counts(&txn, &counts).await?;
        txn.commit().await?;
        deleted += gone.len() as u64;
        if (ids.len() as u64) < CHUNK {
            return Ok(deleted);
        }
    }
}

/// Adds `counts` to `retained_dossier_counts`.
async fn add_counts(db: &impl ConnectionTrait, counts: &Counts) -> Result<(), DbErr> {
    let rows: Vec<_> = counts.iter().collect();
    for chunk in rows.chunks(500) {
        let mut insert = Query::insert();
        insert.into_table("retained_dossier_counts").columns([
            "agency_id",
            "form_key",
            "form_version",
            "period_month",
            "channel",
            "dossiers",
        ]);
        for ((agency, form, version, month, channel), n) in chunk {
            insert
                .values([
                    (*agency).into(),
                    form.clone().into(),
                    (*version).into(),
                    month.clone().into(),
                    channel.clone().into(),
                    (**n).into(),
                ])
                .map_err(|e| DbErr::Custom(e.to_string()))?;
        }
        insert.on_conflict(
            OnConflict::columns([
                "agency_id",
                "form_key",
                "form_version",
                "period_month",
                "channel",
            ])
            .value(
                "dossiers",
                Expr::cust("retained_dossier_counts.dossiers + excluded.dossiers"),
            )
            .to_owned(),
        );
        db.execute(&insert).await?;
    }
    Ok(())
}

/// The counts of every dossier retention deleted, for `sipas scores rebuild`.
pub async fn retained_counts(db: &impl ConnectionTrait) -> Result<Counts, DbErr> {
    query_counts(
        db,
        "SELECT agency_id, form_key, form_version, period_month, channel, dossiers \
         FROM retained_dossier_counts",
        "dossiers",
    )
    .await
}

/// Runs `sql`, whose rows hold `agency_id`, `form_key`, `form_version`, `period_month`,
/// `channel` and the count in the column `count`, and adds the counts up per key.
pub(super) async fn query_counts(
    db: &impl ConnectionTrait,
    sql: &str,
    count: &str,
) -> Result<Counts, DbErr> {
    let backend = db.get_database_backend();
    let mut counts = Counts::new();
    for row in db
        .query_all_raw(Statement::from_string(backend, sql))
        .await?
    {
        let key = (
            row.try_get::<Uuid>("", "agency_id")?,
            row.try_get::<String>("", "form_key")?,
            row.try_get::<i32>("", "form_version")?,
            row.try_get::<String>("", "period_month")?,
            row.try_get::<String>("", "channel")?,
        );
        *counts.entry(key).or_default() += row.try_get::<i64>("", count)?;
    }
    Ok(counts)
}

/// The last month some of whose dossiers retention deleted.
pub async fn retained_through(db: &impl ConnectionTrait) -> Result<Option<Month>, DbErr> {
    let backend = db.get_database_backend();
    let row = db
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT MAX(period_month) AS m FROM retained_dossier_counts",
        ))
        .await?;
    let month = match row {
        Some(row) => row.try_get::<Option<String>>("", "m")?,
        None => None,
    };
    Ok(month.as_deref().and_then(Month::parse))
}
