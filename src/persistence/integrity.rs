//! `integrity_counts`: per agency and month, the counts of `domain::integrity`. Added to in the
//! response writer's transaction, one statement per batch whatever its size
//! (`INSERT … ON CONFLICT DO UPDATE SET n = integrity_counts.n + excluded.n`, which PostgreSQL
//! serialises on the row), and read for the integrity report. The rows of a statement are in key
//! order (agency, month), so two nodes' batches lock the rows they share in the same order and
//! wait for each other rather than deadlock.

use std::collections::{BTreeMap, HashMap};

use sea_orm::sea_query::{Alias, Expr, ExprTrait, InsertStatement, OnConflict, Query};
use sea_orm::{ConnectionTrait, DbErr};
use uuid::Uuid;

use crate::domain::integrity::{COLUMNS, Counts};
use crate::domain::responses::NewResponse;

const TABLE: &str = "integrity_counts";
/// Rows per insert (13 columns each: far below SQLite's 32,766 parameters).
const INSERT_ROWS: usize = 1000;

/// What the stored `rows` add, by agency and month.
fn tally<'a>(rows: &[&'a NewResponse]) -> BTreeMap<(Uuid, &'a str), Counts> {
    let mut counts: BTreeMap<(Uuid, &str), Counts> = BTreeMap::new();
    for r in rows {
        counts
            .entry((r.agency_id, r.period_month.as_str()))
            .or_default()
            .add(&r.signals, r.mode);
    }
    counts
}

/// The statements adding what the stored `rows` show to their agencies' counts (none for no
/// rows).
pub fn add_statements(rows: &[&NewResponse]) -> Result<Vec<InsertStatement>, DbErr> {
    let counts: Vec<_> = tally(rows).into_iter().collect();
    let mut on_conflict =
        OnConflict::columns([Alias::new("agency_id"), Alias::new("period_month")]);
    for column in COLUMNS {
        on_conflict.value(
            Alias::new(column),
            Expr::cust(format!("{TABLE}.{column} + excluded.{column}")),
        );
    }
    counts
        .chunks(INSERT_ROWS)
        .map(|chunk| {
            let mut insert = Query::insert();
            insert
                .into_table(Alias::new(TABLE))
                .columns(
                    ["agency_id", "period_month"]
                        .into_iter()
                        .chain(COLUMNS)
                        .map(Alias::new),
                )
                .on_conflict(on_conflict.clone());
            for ((agency, month), c) in chunk {
                let mut values: Vec<Expr> = vec![Expr::val(*agency), Expr::val(*month)];
                values.extend(c.values().into_iter().map(Expr::val));
                insert
                    .values(values)
                    .map_err(|e| DbErr::Custom(e.to_string()))?;
            }
            Ok(insert)
        })
        .collect()
}

/// Adds what the stored `rows` show, in the caller's transaction.
pub async fn add(db: &impl ConnectionTrait, rows: &[&NewResponse]) -> Result<(), DbErr> {
    for insert in add_statements(rows)? {
        db.execute(&insert).await?;
    }
    Ok(())
}

/// The counts of `month` (`YYYY-MM`) of every agency that has some.
pub async fn month(db: &impl ConnectionTrait, month: &str) -> Result<HashMap<Uuid, Counts>, DbErr> {
    let select = Query::select()
        .column(Alias::new("agency_id"))
        .columns(COLUMNS.map(Alias::new))
        .from(Alias::new(TABLE))
        .and_where(Expr::col(Alias::new("period_month")).eq(month))
        .to_owned();
    let backend = db.get_database_backend();
    let rows = db.query_all_raw(backend.build(&select)).await?;
    let mut out = HashMap::with_capacity(rows.len());
    for row in rows {
        let agency: Uuid = row.try_get("", "agency_id")?;
        let mut values = [0i64; 11];
        for (v, column) in values.iter_mut().zip(COLUMNS) {
            *v = row.try_get("", column)?;
        }
        out.insert(agency, Counts::from_values(values));
    }
    Ok(out)
}
