//! Exporting the anonymous answers (`GET /api/v1/responses/export` and the officer pages'
//! downloads), the part that reads the database: one read-only transaction — one consistent
//! snapshot on one connection of its own — the k-anonymity plan of each agency-month from the
//! counts of that snapshot (`domain::anonymity`), and the rows a page at a time in keyset order
//! (`persistence::responses::export_page`), generalised as planned; `export::raw` writes what it
//! is given. Identical exports asked for at the same time are computed once ([`run`]), and
//! every export is recorded in the audit log.

pub mod request;

use std::collections::HashMap;
use std::sync::Arc;

use sea_orm::{
    AccessMode, DatabaseBackend, DatabaseConnection, DatabaseTransaction, DbErr, IsolationLevel,
    TransactionTrait,
};
use uuid::Uuid;

use crate::app::metrics::Metrics;
use crate::app::single_flight::SingleFlight;
use crate::domain::anonymity::{Plan, Quasi};
use crate::domain::audit::AuditEvent;
use crate::domain::responses::ExportRow;
use crate::error::ApiError;
use crate::export::raw::{
    self, ExportAgency, ExportError, Materialised, Part, RawExport, RowSource,
};
use crate::persistence::{self, audit, responses, responses::ExportScope};

/// Who asks for an export, as the audit log records it.
#[derive(Debug, Clone, Copy)]
pub enum Exporter {
    /// An API key.
    Key(Uuid),
    /// A signed-in officer (their account id; no key acted).
    Officer(Uuid),
}

/// What identifies an export's content: identical keys give identical files.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ExportKey {
    agencies: Vec<ExportAgency>,
    form: (String, u32),
    months: (String, String),
    format: &'static str,
    language: &'static str,
    bom: bool,
    k: u64,
    comments: bool,
}

impl ExportKey {
    fn of(e: &RawExport) -> Self {
        Self {
            agencies: e.agencies.clone(),
            form: (
                e.form.definition.key().to_owned(),
                e.form.definition.version(),
            ),
            months: e.months.clone(),
            format: e.format.as_str(),
            language: e.language.code(),
            bom: e.bom,
            k: e.k,
            comments: e.part == Part::Comments,
        }
    }
}

/// One computed export, shared by the requests that asked for it at the same time.
pub type ExportRun = Result<Arc<Materialised>, String>;

/// What an export needs: the database, the exports in flight and the counters.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    pub db: &'a DatabaseConnection,
    /// Exports being computed, shared by identical requests.
    pub runs: &'a SingleFlight<ExportKey, ExportRun>,
    /// Counts the exports computed (`sipas_exports_computed_total`).
    pub metrics: &'a Metrics,
}

/// Where an export comes from, for the audit log: the agency asked for and whether its subtree
/// is included.
#[derive(Debug, Clone)]
pub struct Asked<'a> {
    pub who: Exporter,
    pub agency_code: &'a str,
    pub subtree: bool,
}

/// `export` written to a temporary file — computed now, or by an identical request at the same
/// time — and recorded in the audit log (`responses.exported`: who, which agency, form, months,
/// format and part, how many rows; never an answer).
pub async fn run(
    cx: &Context<'_>,
    asked: &Asked<'_>,
    export: &RawExport,
) -> Result<Arc<Materialised>, ApiError> {
    let made = cx
        .runs
        .run(ExportKey::of(export), || async {
            cx.metrics.export_computed();
            compute(cx.db, export.clone())
                .await
                .map(Arc::new)
                .map_err(|e| e.to_string())
        })
        .await
        .map_err(|e| ApiError::Unexpected(anyhow::anyhow!("export: {e}")))?;
    let (actor, user_id) = match asked.who {
        Exporter::Key(id) => (Some(id), None),
        Exporter::Officer(id) => (None, Some(id)),
    };
    let event = AuditEvent::ResponsesExported {
        agency_code: asked.agency_code.to_owned(),
        subtree: asked.subtree,
        form_key: export.form.definition.key().to_owned(),
        form_version: export.form.definition.version(),
        from: export.months.0.clone(),
        to: export.months.1.clone(),
        format: export.format.as_str(),
        part: match export.part {
            Part::Rows => "rows",
            Part::Comments => "comments",
        },
        rows: made.rows,
        user_id,
    };
    audit::record(cx.db, actor, &event).await?;
    Ok(made)
}

/// Computes an export on a connection of its own, so that it never waits behind requests for
/// a pooled connection nor keeps one from them (an in-memory SQLite database has only its one
/// connection, which it shares).
async fn compute(db: &DatabaseConnection, export: RawExport) -> Result<Materialised, ExportError> {
    let own = persistence::dedicated(db).await.map_err(read_failed)?;
    let made = materialise(&own, export).await;
    // On PostgreSQL it is a pool of its own, closed cleanly; a SQLite file connection closes
    // when dropped, and an in-memory one is the application's pool, which must stay open.
    if own.get_database_backend() == DatabaseBackend::Postgres
        && let Err(e) = own.close().await
    {
        tracing::warn!(error = %e, "cannot close an export's connection");
    }
    made
}

/// Writes `export`, read from `db` in one snapshot, to a temporary file (`export::raw`).
pub async fn materialise(
    db: &DatabaseConnection,
    export: RawExport,
) -> Result<Materialised, ExportError> {
    let pages = Pages::open(db, Arc::new(export.clone()))
        .await
        .map_err(read_failed)?;
    raw::materialise(pages, export).await
}

fn read_failed(e: DbErr) -> ExportError {
    ExportError::Database(e.to_string())
}

/// Reads the responses of an export: agency after agency, within each month after month (only the
/// months that have responses), within each by id, a page at a time — all in one read-only
/// transaction, so the export is one consistent snapshot and uses one connection (whose page
/// cache stays warm) rather than whichever of the pool's is free for each page.
struct Pages {
    /// `None` once finished.
    txn: Option<DatabaseTransaction>,
    export: Arc<RawExport>,
    /// Index of the agency being read.
    agency: usize,
    /// The month being read, and the last id read in it.
    month: Option<String>,
    after: Option<Uuid>,
    /// The last month of this agency read to its end.
    finished_month: Option<String>,
    /// Per agency (by index) and month: what each combination of quasi-identifiers is written
    /// as, planned from the counts of the same snapshot before the first row.
    plans: Vec<HashMap<String, Plan>>,
}

impl Pages {
    async fn open(db: &DatabaseConnection, export: Arc<RawExport>) -> Result<Self, DbErr> {
        let txn = match db.get_database_backend() {
            // A repeatable-read transaction sees one snapshot across all its statements.
            DatabaseBackend::Postgres => {
                db.begin_with_config(
                    Some(IsolationLevel::RepeatableRead),
                    Some(AccessMode::ReadOnly),
                )
                .await?
            }
            // SQLite's transactions are snapshots already (WAL: writers go on meanwhile).
            _ => db.begin().await?,
        };
        let plans = plans(&txn, &export).await?;
        Ok(Self {
            txn: Some(txn),
            export,
            agency: 0,
            month: None,
            after: None,
            finished_month: None,
            plans,
        })
    }

    /// Values generalised and rows withheld in the whole export.
    fn planned(&self) -> (u64, u64) {
        self.plans
            .iter()
            .flat_map(HashMap::values)
            .fold((0, 0), |(g, w), p| {
                (g + p.generalised_values, w + p.withheld_rows)
            })
    }

    /// Generalises the quasi-identifiers of `rows` (of agency `agency`) as planned, and drops
    /// the rows to withhold.
    fn anonymise(&self, agency: usize, rows: Vec<ExportRow>) -> Vec<ExportRow> {
        let plans = self.plans.get(agency);
        rows.into_iter()
            .filter_map(|mut row| {
                let plan = plans?.get(&row.period_month)?;
                let written = plan.write(&quasi(&row))?.clone();
                row.channel = written.channel.unwrap_or_default();
                row.mode = written.mode.unwrap_or_default();
                row.procedure_field = written.procedure_field;
                Some(row)
            })
            .collect()
    }

    /// Ends the transaction (it only read).
    async fn end(&mut self) -> Result<(), DbErr> {
        match self.txn.take() {
            Some(txn) => txn.commit().await,
            None => Ok(()),
        }
    }

    /// The next non-empty page with the index of its agency; `None` at the end.
    async fn next(&mut self) -> Result<Option<(usize, Vec<ExportRow>)>, DbErr> {
        let export = Arc::clone(&self.export);
        let months = (export.months.0.as_str(), export.months.1.as_str());
        while let Some(agency) = export.agencies.get(self.agency) {
            let Some(txn) = self.txn.as_ref() else {
                return Ok(None);
            };
            let scope = ExportScope {
                agency_id: agency.id,
                form_key: export.form.definition.key(),
                form_version: export.form.definition.version(),
            };
            let month = match self.month.clone() {
                Some(month) => month,
                None => {
                    let next = responses::export_next_month(
                        txn,
                        &scope,
                        months,
                        self.finished_month.as_deref(),
                    )
                    .await?;
                    let Some(month) = next else {
                        self.agency += 1;
                        self.finished_month = None;
                        continue;
                    };
                    // A month the agency was not below the exported one: not read.
                    if !agency.exports(&month) {
                        self.finished_month = Some(month);
                        continue;
                    }
                    self.month = Some(month.clone());
                    month
                }
            };
            let rows =
                responses::export_page(txn, &scope, &month, self.after, raw::PAGE_ROWS).await?;
            let at = self.agency;
            if (rows.len() as u64) < raw::PAGE_ROWS {
                // A short page is the month's last: no query to find that out.
                self.finished_month = Some(month);
                self.month = None;
                self.after = None;
            } else {
                self.after = rows.last().map(|r| r.id);
            }
            let rows = self.anonymise(at, rows);
            if !rows.is_empty() {
                return Ok(Some((at, rows)));
            }
        }
        Ok(None)
    }
}

impl RowSource for Pages {
    async fn next_page(&mut self) -> Result<Option<(usize, Vec<ExportRow>)>, ExportError> {
        self.next().await.map_err(read_failed)
    }

    async fn finish(&mut self) -> Result<(), ExportError> {
        self.end().await.map_err(read_failed)
    }

    fn totals(&self) -> (u64, u64) {
        self.planned()
    }
}

/// The combination of quasi-identifiers of a stored row.
fn quasi(row: &ExportRow) -> Quasi {
    Quasi {
        channel: Some(row.channel.clone()),
        mode: Some(row.mode.clone()),
        procedure_field: row.procedure_field.clone(),
        valid: row.valid,
    }
}

/// The generalisation plan of every agency-month of `export`, from one grouped count per agency.
async fn plans(
    txn: &DatabaseTransaction,
    export: &RawExport,
) -> Result<Vec<HashMap<String, Plan>>, DbErr> {
    let months = (export.months.0.as_str(), export.months.1.as_str());
    let mut out = Vec::with_capacity(export.agencies.len());
    for agency in &export.agencies {
        let scope = ExportScope {
            agency_id: agency.id,
            form_key: export.form.definition.key(),
            form_version: export.form.definition.version(),
        };
        let mut by_month: HashMap<String, Vec<(Quasi, u64)>> = HashMap::new();
        for (month, channel, mode, field, valid, n) in
            responses::export_quasi_counts(txn, &scope, months).await?
        {
            let q = Quasi {
                channel: Some(channel),
                mode: Some(mode),
                procedure_field: field,
                valid,
            };
            by_month
                .entry(month)
                .or_default()
                .push((q, u64::try_from(n).unwrap_or_default()));
        }
        out.push(
            (by_month.into_iter())
                .filter(|(month, _)| agency.exports(month))
                .map(|(month, counts)| (month, Plan::new(&counts, export.k)))
                .collect(),
        );
    }
    Ok(out)
}
