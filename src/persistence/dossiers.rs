//! Dossiers: bulk lookups and chunked inserts for registration, and the lookups of the survey
//! and QR endpoints. Written for batches of 10,000: every function takes whole lists and works
//! in chunks, never one statement per dossier.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, QuerySelect,
};
use uuid::Uuid;

use super::entities::{agency, dossier};
use crate::domain::agencies::AgencyPath;
use crate::domain::dossiers::{Channel, Dossier};
use crate::domain::tokens::{SEALED_CODE_PREFIX, TokenHash};

/// Codes per `IN (…)` list: far below SQLite's 32,766 and PostgreSQL's 65,535 bound parameters.
const LOOKUP_CHUNK: usize = 500;
/// Rows per multi-row insert (14 columns each: 7,000 parameters).
const INSERT_ROWS: usize = 500;

/// What registration needs to know about an agency.
#[derive(Debug, Clone)]
pub struct DossierAgency {
    pub id: Uuid,
    pub code: String,
    pub path: AgencyPath,
    pub default_form: String,
}

/// A dossier to insert. `token_hash` is SHA-256 of the derived token.
#[derive(Debug, Clone)]
pub struct NewDossierRow {
    pub dossier: Dossier,
    pub token_hash: TokenHash,
}

/// A dossier with its agency, for the survey page.
#[derive(Debug, Clone)]
pub struct SurveyDossier {
    pub dossier: Dossier,
    pub agency_code: String,
    pub agency_name_vi: String,
    pub agency_name_en: Option<String>,
    pub agency_path: AgencyPath,
}

fn malformed(what: String) -> DbErr {
    DbErr::Type(what)
}

fn to_domain(m: dossier::Model) -> Result<Dossier, DbErr> {
    let channel = Channel::parse(&m.channel)
        .ok_or_else(|| malformed(format!("dossier {}: unknown channel", m.id)))?;
    let form_version = u32::try_from(m.form_version)
        .map_err(|_| malformed(format!("dossier {}: negative form version", m.id)))?;
    Ok(Dossier {
        id: m.id,
        agency_id: m.agency_id,
        dossier_code: m.dossier_code,
        form_key: m.form_key,
        form_version,
        completed_at: m.completed_at,
        channel,
        procedure_code: m.procedure_code,
        procedure_field: m.procedure_field,
        language: m.language,
        expires_at: m.expires_at,
        answered: m.answered,
        answer_digest: m.response_digest,
    })
}

fn path_of(m: &agency::Model) -> Result<AgencyPath, DbErr> {
    AgencyPath::decode(&m.path)
        .ok_or_else(|| malformed(format!("agency {}: malformed path", m.code)))
}

/// The agencies among `codes` that exist, by code.
pub async fn agencies_by_code(
    db: &impl ConnectionTrait,
    codes: &[&str],
) -> Result<HashMap<String, DossierAgency>, DbErr> {
    let mut found = HashMap::with_capacity(codes.len());
    for chunk in codes.chunks(LOOKUP_CHUNK) {
        let rows = agency::Entity::find()
            .filter(agency::Column::Code.is_in(chunk.iter().copied()))
            .all(db)
            .await?;
        for m in rows {
            let path = path_of(&m)?;
            found.insert(
                m.code.clone(),
                DossierAgency {
                    id: m.id,
                    code: m.code,
                    path,
                    default_form: m.default_form,
                },
            );
        }
    }
    Ok(found)
}

/// The stored dossiers among `keys` (agency id, dossier code), by key. A dossier whose code was
/// sealed (answered or expired: the code is replaced by `seal(agency id, code)`) is found too,
/// and comes back under its original code.
pub async fn find_existing(
    db: &impl ConnectionTrait,
    keys: &[(Uuid, &str)],
    seal: impl Fn(Uuid, &str) -> String,
) -> Result<HashMap<(Uuid, String), Dossier>, DbErr> {
    let mut by_agency: HashMap<Uuid, Vec<&str>> = HashMap::new();
    for (agency, code) in keys {
        by_agency.entry(*agency).or_default().push(code);
    }
    let mut found = HashMap::new();
    for (agency_id, codes) in by_agency {
        for chunk in codes.chunks(LOOKUP_CHUNK / 2) {
            // Stored code (plain or sealed) → the code the caller asked for.
            let mut variants: HashMap<String, &str> = HashMap::with_capacity(chunk.len() * 2);
            for code in chunk {
                variants.insert((*code).to_owned(), code);
                variants.insert(seal(agency_id, code), code);
            }
            let rows = dossier::Entity::find()
                .filter(dossier::Column::AgencyId.eq(agency_id))
                .filter(dossier::Column::DossierCode.is_in(variants.keys().map(String::as_str)))
                .all(db)
                .await?;
            for m in rows {
                let Some(code) = variants.get(&m.dossier_code).copied() else {
                    continue;
                };
                let mut d = to_domain(m)?;
                d.dossier_code = code.to_owned();
                found.insert((d.agency_id, d.dossier_code.clone()), d);
            }
        }
    }
    Ok(found)
}

/// Inserts `rows` in multi-row statements. A row whose (agency, dossier code) was stored
/// meanwhile by a concurrent request is skipped, not an error: the ids of the skipped rows are
/// returned so the caller can answer them as re-registrations. Run it in a transaction.
pub async fn insert_many(
    db: &impl ConnectionTrait,
    rows: &[NewDossierRow],
    now: DateTime<Utc>,
) -> Result<HashSet<Uuid>, DbErr> {
    let mut skipped = HashSet::new();
    for chunk in rows.chunks(INSERT_ROWS) {
        let models = chunk.iter().map(|r| {
            let d = &r.dossier;
            dossier::ActiveModel {
                id: Set(d.id),
                agency_id: Set(d.agency_id),
                dossier_code: Set(d.dossier_code.clone()),
                form_key: Set(d.form_key.clone()),
                form_version: Set(i32::try_from(d.form_version).unwrap_or(i32::MAX)),
                completed_at: Set(d.completed_at),
                channel: Set(d.channel.as_str().to_owned()),
                procedure_code: Set(d.procedure_code.clone()),
                procedure_field: Set(d.procedure_field.clone()),
                language: Set(d.language.clone()),
                token_hash: Set(r.token_hash.as_str().to_owned()),
                expires_at: Set(d.expires_at),
                answered: Set(d.answered),
                response_digest: Set(None),
                created_at: Set(now),
            }
        });
        let inserted = dossier::Entity::insert_many(models)
            .on_conflict_do_nothing_on([dossier::Column::AgencyId, dossier::Column::DossierCode])
            .exec_without_returning(db)
            .await?;
        let count = match inserted {
            sea_orm::TryInsertResult::Inserted(n) => usize::try_from(n).unwrap_or(usize::MAX),
            sea_orm::TryInsertResult::Empty | sea_orm::TryInsertResult::Conflicted => 0,
        };
        if count < chunk.len() {
            // Rare (a concurrent registration of the same code): find out which rows are ours.
            let ids: Vec<Uuid> = chunk.iter().map(|r| r.dossier.id).collect();
            let stored: HashSet<Uuid> = dossier::Entity::find()
                .select_only()
                .column(dossier::Column::Id)
                .filter(dossier::Column::Id.is_in(ids.iter().copied()))
                .into_tuple::<Uuid>()
                .all(db)
                .await?
                .into_iter()
                .collect();
            skipped.extend(ids.into_iter().filter(|id| !stored.contains(id)));
        }
        super::aggregates::count_dossiers(
            db,
            chunk
                .iter()
                .map(|r| &r.dossier)
                .filter(|d| !skipped.contains(&d.id))
                .map(|d| {
                    (
                        d.agency_id,
                        d.form_key.as_str(),
                        i32::try_from(d.form_version).unwrap_or(i32::MAX),
                        d.completed_at,
                        d.channel.as_str(),
                    )
                }),
        )
        .await?;
    }
    Ok(skipped)
}

/// The dossier whose token hashes to `hash`, with its agency (one query: this runs for every
/// submission).
pub async fn find_by_token_hash(
    db: &impl ConnectionTrait,
    hash: &TokenHash,
) -> Result<Option<SurveyDossier>, DbErr> {
    with_agency(db, dossier::Column::TokenHash.eq(hash.as_str())).await
}

/// Where survey tokens are looked up: the pool, or — on a SQLite file — synchronous read
/// connections used on the request's own thread. A lookup is one indexed read of a few pages
/// that are in memory, cheaper than the hand-off to a pooled connection's driver thread and
/// back; in WAL mode a reader never waits for the writer.
#[derive(Clone)]
pub enum TokenLookup {
    Pool(DatabaseConnection),
    Sqlite(Arc<SqliteReads>),
}

impl TokenLookup {
    /// The lookup for `db`: synchronous reads of its file on a SQLite file, the pool otherwise.
    pub fn of(db: &DatabaseConnection) -> Self {
        let file = (db.get_database_backend() == sea_orm::DatabaseBackend::Sqlite)
            .then(|| super::sqlite_file_of(db))
            .flatten();
        match file {
            Some(path) => TokenLookup::Sqlite(Arc::new(SqliteReads {
                path,
                idle: Mutex::new(Vec::new()),
            })),
            None => TokenLookup::Pool(db.clone()),
        }
    }

    /// The dossier whose token hashes to `hash`, with its agency ([`find_by_token_hash`]).
    pub async fn find(&self, hash: &TokenHash) -> Result<Option<SurveyDossier>, DbErr> {
        match self {
            TokenLookup::Pool(db) => find_by_token_hash(db, hash).await,
            TokenLookup::Sqlite(reads) => reads.find(hash),
        }
    }
}

/// Read-only synchronous connections to a SQLite file, opened when needed and kept: as many
/// as threads have looked up at once (the server's workers).
pub struct SqliteReads {
    path: std::path::PathBuf,
    idle: Mutex<Vec<rusqlite::Connection>>,
}

/// The dossier and agency columns [`SqliteReads::find`] reads, in `to_domain`'s order.
const BY_TOKEN: &str = "SELECT d.id, d.agency_id, d.dossier_code, d.form_key, d.form_version, \
     d.completed_at, d.channel, d.procedure_code, d.procedure_field, d.language, d.expires_at, \
     d.answered, d.response_digest, a.code, a.name_vi, a.name_en, a.path \
     FROM dossiers d JOIN agencies a ON a.id = d.agency_id WHERE d.token_hash = ?1";

impl SqliteReads {
    fn find(&self, hash: &TokenHash) -> Result<Option<SurveyDossier>, DbErr> {
        let idle = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        let conn = match idle {
            Some(conn) => conn,
            None => {
                let conn = super::open_sync(&self.path).map_err(sqlite_err)?;
                conn.execute_batch("PRAGMA query_only = ON")
                    .map_err(sqlite_err)?;
                conn
            }
        };
        let found = read_by_token(&conn, hash);
        if let Ok(mut idle) = self.idle.lock() {
            idle.push(conn);
        }
        found
    }
}

fn sqlite_err(e: rusqlite::Error) -> DbErr {
    DbErr::Custom(format!("reading a survey token: {e}"))
}

fn read_by_token(
    conn: &rusqlite::Connection,
    hash: &TokenHash,
) -> Result<Option<SurveyDossier>, DbErr> {
    use rusqlite::OptionalExtension;
    let mut select = conn.prepare_cached(BY_TOKEN).map_err(sqlite_err)?;
    let row = select
        .query_row([hash.as_str()], |row| {
            let uuid = |i: usize| -> rusqlite::Result<Uuid> {
                let bytes: Vec<u8> = row.get(i)?;
                Uuid::from_slice(&bytes).map_err(|e| {
                    rusqlite::Error::FromSqlConversionFailure(
                        i,
                        rusqlite::types::Type::Blob,
                        e.into(),
                    )
                })
            };
            let instant = |i: usize| -> rusqlite::Result<DateTime<Utc>> {
                let text: String = row.get(i)?;
                parse_instant(&text).ok_or_else(|| {
                    rusqlite::Error::FromSqlConversionFailure(
                        i,
                        rusqlite::types::Type::Text,
                        format!("not an instant: {text}").into(),
                    )
                })
            };
            let dossier = dossier::Model {
                id: uuid(0)?,
                agency_id: uuid(1)?,
                dossier_code: row.get(2)?,
                form_key: row.get(3)?,
                form_version: row.get(4)?,
                completed_at: instant(5)?,
                channel: row.get(6)?,
                procedure_code: row.get(7)?,
                procedure_field: row.get(8)?,
                language: row.get(9)?,
                token_hash: hash.as_str().to_owned(),
                expires_at: instant(10)?,
                answered: row.get(11)?,
                response_digest: row.get(12)?,
                created_at: DateTime::UNIX_EPOCH,
            };
            let agency: (String, String, Option<String>, String) =
                (row.get(13)?, row.get(14)?, row.get(15)?, row.get(16)?);
            Ok((dossier, agency))
        })
        .optional()
        .map_err(sqlite_err)?;
    let Some((m, (code, name_vi, name_en, path))) = row else {
        return Ok(None);
    };
    Ok(Some(SurveyDossier {
        agency_path: AgencyPath::decode(&path)
            .ok_or_else(|| malformed(format!("agency {code}: malformed path")))?,
        agency_code: code,
        agency_name_vi: name_vi,
        agency_name_en: name_en,
        dossier: to_domain(m)?,
    }))
}

/// An instant as sqlx reads SQLite text: RFC 3339 (how it writes them), or `YYYY-MM-DD
/// HH:MM:SS[.f]` in UTC.
fn parse_instant(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f")
                .ok()
                .map(|t| t.and_utc())
        })
}

/// The dossier with this id, with its agency.
pub async fn find_by_id(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<SurveyDossier>, DbErr> {
    with_agency(db, dossier::Column::Id.eq(id)).await
}

async fn with_agency(
    db: &impl ConnectionTrait,
    filter: sea_orm::sea_query::SimpleExpr,
) -> Result<Option<SurveyDossier>, DbErr> {
    use sea_orm::{JoinType, RelationDef};
    let agency_of: RelationDef = dossier::Entity::belongs_to(agency::Entity)
        .from(dossier::Column::AgencyId)
        .to(agency::Column::Id)
        .into();
    let row = dossier::Entity::find()
        .select_also(agency::Entity)
        .join(JoinType::InnerJoin, agency_of)
        .filter(filter)
        .one(db)
        .await?;
    let Some((m, agency)) = row else {
        return Ok(None);
    };
    let agency =
        agency.ok_or_else(|| DbErr::RecordNotFound(format!("agency of dossier {}", m.id)))?;
    Ok(Some(SurveyDossier {
        agency_path: path_of(&agency)?,
        agency_code: agency.code,
        agency_name_vi: agency.name_vi,
        agency_name_en: agency.name_en,
        dossier: to_domain(m)?,
    }))
}

/// Sets when a dossier's survey link expires (operators extending a survey; tests).
pub async fn set_expiry(
    db: &impl ConnectionTrait,
    id: Uuid,
    expires_at: DateTime<Utc>,
) -> Result<(), DbErr> {
    dossier::Entity::update_many()
        .col_expr(
            dossier::Column::ExpiresAt,
            sea_orm::sea_query::Expr::value(expires_at),
        )
        .filter(dossier::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// A dossier to mark answered together with storing its response.
#[derive(Debug, Clone, Copy)]
pub struct Claim<'a> {
    pub id: Uuid,
    /// Keyed digest of the answers and the client's submission key, kept while the link is
    /// valid (a retry of the same attempt is told apart); `None` when the client sent no key.
    pub digest: Option<&'a str>,
    /// What replaces the dossier code (`TokenKey::seal_code`).
    pub sealed_code: &'a str,
    /// For an answer through the link: the dossier is claimed only if its link is still valid
    /// at this instant (closing a month expires its links while answers are in flight). `None`
    /// for an agency's entry, which a closed link does not stop.
    pub link_valid_at: Option<DateTime<Utc>>,
}

/// Rows per claiming statement (4 parameters each).
const CLAIM_ROWS: usize = 512;

/// Marks answered every dossier of `claims` that is not answered yet — in the same statement
/// replacing its code by the sealed code and keeping the answers' digest — and returns the ids
/// it marked: the exactly-once rule. One statement per 512 dossiers (`UPDATE … FROM (VALUES …)
/// … WHERE answered = false RETURNING id`), not one per dossier. The ids must be distinct.
///
/// The rows are sent in id order so that two processes claiming overlapping dossiers on
/// PostgreSQL lock them in the same order; a list is padded with rows of the nil id (which no
/// dossier has) to a power of two, so a handful of statement texts stay prepared.
pub async fn claim(
    db: &impl ConnectionTrait,
    claims: &[Claim<'_>],
) -> Result<HashSet<Uuid>, DbErr> {
    let mut claimed = HashSet::with_capacity(claims.len());
    for update in claim_statements(claims) {
        for row in db.query_all(&update).await? {
            claimed.insert(row.try_get::<Uuid>("", "id")?);
        }
    }
    Ok(claimed)
}

/// The statements of [`claim`], each returning the ids it marked (column `id`): for a writer
/// that runs them on a connection of its own (`responses::sqlite`).
pub fn claim_statements(claims: &[Claim<'_>]) -> Vec<sea_orm::sea_query::UpdateStatement> {
    use sea_orm::sea_query::{Alias, Expr, ExprTrait, IntoIden, Query, TableRef, ValueTuple};
    let mut sorted: Vec<&Claim> = claims.iter().collect();
    sorted.sort_unstable_by_key(|c| c.id);
    let mut statements = Vec::with_capacity(sorted.len().div_ceil(CLAIM_ROWS));
    for chunk in sorted.chunks(CLAIM_ROWS) {
        let mut rows: Vec<ValueTuple> = chunk
            .iter()
            .map(|c| {
                ValueTuple::Many(vec![
                    c.id.into(),
                    c.digest.map(str::to_owned).into(),
                    c.sealed_code.into(),
                    c.link_valid_at.unwrap_or(DateTime::UNIX_EPOCH).into(),
                ])
            })
            .collect();
        rows.resize(
            chunk.len().next_power_of_two(),
            ValueTuple::Many(vec![
                Uuid::nil().into(),
                Option::<String>::None.into(),
                "".into(),
                DateTime::<Utc>::UNIX_EPOCH.into(),
            ]),
        );
        let v = Alias::new("v");
        statements.push(
            Query::update()
                .table("dossiers")
                .value("answered", true)
                .value("response_digest", Expr::col((v.clone(), "column2")))
                .value("dossier_code", Expr::col((v.clone(), "column3")))
                .from(TableRef::ValuesList(rows, v.clone().into_iden()))
                .and_where(Expr::col(("dossiers", "id")).equals((v.clone(), "column1")))
                .and_where(Expr::col(("dossiers", "answered")).eq(false))
                .and_where(Expr::col(("dossiers", "expires_at")).gt(Expr::col((v, "column4"))))
                .returning_col("id")
                .to_owned(),
        );
    }
    statements
}

/// Undoes, in the same transaction, the claim of dossiers whose answer was refused after all
/// (`responses::store`: a link of a month closed meanwhile): unanswered again, without a digest.
/// The sealed code stays (a re-registration still finds it); the next answer is refused again.
pub async fn unclaim(db: &impl ConnectionTrait, ids: &[Uuid]) -> Result<(), DbErr> {
    if let Some(update) = unclaim_statement(ids) {
        db.execute(&update).await?;
    }
    Ok(())
}

/// The statement of [`unclaim`]; `None` when there is nothing to undo.
pub fn unclaim_statement(ids: &[Uuid]) -> Option<sea_orm::sea_query::UpdateStatement> {
    use sea_orm::QueryTrait;
    if ids.is_empty() {
        return None;
    }
    let update = dossier::Entity::update_many()
        .col_expr(
            dossier::Column::Answered,
            sea_orm::sea_query::Expr::value(false),
        )
        .col_expr(
            dossier::Column::ResponseDigest,
            sea_orm::sea_query::Expr::value(Option::<String>::None),
        )
        .filter(dossier::Column::Id.is_in(ids.iter().copied()));
    Some(update.into_query())
}

/// Marks a dossier's survey as answered (the response endpoint; tests).
pub async fn mark_answered(db: &impl ConnectionTrait, id: Uuid) -> Result<(), DbErr> {
    dossier::Entity::update_many()
        .col_expr(
            dossier::Column::Answered,
            sea_orm::sea_query::Expr::value(true),
        )
        .filter(dossier::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Drops the answer digests of every answered dossier whose link has expired at `now`, in one
/// statement: what [`seal_expired`] does to them row by row (their codes were sealed when they
/// were answered). For bulk loads of old dossiers (`sipas demo`), so that the sealing task does
/// not find thousands of rows to update one by one. Returns how many rows changed.
pub async fn drop_expired_digests(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let res = dossier::Entity::update_many()
        .col_expr(
            dossier::Column::ResponseDigest,
            sea_orm::sea_query::Expr::value(Option::<String>::None),
        )
        .filter(dossier::Column::ExpiresAt.lte(now))
        .filter(dossier::Column::ResponseDigest.is_not_null())
        .filter(dossier::Column::DossierCode.starts_with(SEALED_CODE_PREFIX))
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}

/// Dossiers read per round by [`seal_expired`].
const SEAL_CHUNK: u64 = 500;

/// Seals dossiers whose survey link has expired: the dossier code is replaced by
/// `seal(agency id, code)` and the answer digest dropped (answered dossiers were sealed when
/// their response was stored). Idempotent and safe on several nodes: each row is updated only if
/// it still holds the code that was read. Returns how many rows were sealed.
pub async fn seal_expired(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    seal: impl Fn(Uuid, &str) -> String,
) -> Result<u64, DbErr> {
    use sea_orm::sea_query::Expr;
    use sea_orm::{Condition, QueryOrder};
    let mut sealed = 0;
    loop {
        let rows: Vec<(Uuid, Uuid, String)> = dossier::Entity::find()
            .select_only()
            .column(dossier::Column::Id)
            .column(dossier::Column::AgencyId)
            .column(dossier::Column::DossierCode)
            .filter(dossier::Column::ExpiresAt.lte(now))
            .filter(
                Condition::any()
                    .add(dossier::Column::DossierCode.not_like(format!("{SEALED_CODE_PREFIX}%")))
                    .add(dossier::Column::ResponseDigest.is_not_null()),
            )
            .order_by_asc(dossier::Column::ExpiresAt)
            .limit(SEAL_CHUNK)
            .into_tuple()
            .all(db)
            .await?;
        if rows.is_empty() {
            return Ok(sealed);
        }
        for (id, agency_id, code) in &rows {
            let new_code = if code.starts_with(SEALED_CODE_PREFIX) {
                code.clone()
            } else {
                seal(*agency_id, code)
            };
            let res = dossier::Entity::update_many()
                .col_expr(dossier::Column::DossierCode, Expr::value(new_code))
                .col_expr(
                    dossier::Column::ResponseDigest,
                    Expr::value(Option::<String>::None),
                )
                .filter(dossier::Column::Id.eq(*id))
                .filter(dossier::Column::DossierCode.eq(code.as_str()))
                .exec(db)
                .await?;
            sealed += res.rows_affected;
        }
        if (rows.len() as u64) < SEAL_CHUNK {
            return Ok(sealed);
        }
    }
}
