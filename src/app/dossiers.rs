//! Registering completed dossiers (one, or a batch of up to `dossiers.batch_max`): the use case
//! behind `POST /api/v1/dossiers` and `/dossiers/batch`.
//!
//! One pipeline, built for batches of 10,000: check every item's fields, look their agencies up
//! in one pass, decide permission, form and language per item, look every (agency, code) up in
//! chunks, then insert the new dossiers and their invitations in multi-row statements inside one
//! transaction. One bad item never rejects the others; a failure of the database rejects the
//! whole request and writes nothing. A dossier of a month retention has emptied is refused
//! (`completed_before_retention`): it could be one already deleted, and would be counted twice.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::domain::auth::{Principal, Role};
use crate::domain::dossiers::{
    self as domain, DEFAULT_LANGUAGE, Dossier, DossierProblem, RawDossier, ValidDossier,
};
use crate::domain::forms::PublishedForms;
use crate::domain::invitations::Recipient;
use crate::domain::periods::Month;
use crate::domain::publication;
use crate::domain::tokens::{SurveyToken, TokenKey};
use crate::error::{ApiError, FieldError, ProblemCode};
use crate::persistence::dossiers::{self as store, DossierAgency, NewDossierRow};
use crate::persistence::outbox::{self, NewInvitation};

/// What registering needs: the database, the forms, the token key and two settings.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    pub db: &'a DatabaseConnection,
    pub forms: &'a PublishedForms,
    pub token_key: &'a TokenKey,
    /// `surveys.token_ttl_days`.
    pub token_ttl_days: u32,
    /// `retention.dossier_months`.
    pub retention_months: u32,
}

/// What happened to one registration.
#[derive(Debug)]
pub enum Outcome {
    /// Registered now.
    Created(Registered),
    /// Registered before with the same content: the same id, token and expiry.
    Existing(Registered),
    /// Refused, with the problem the single endpoint answers.
    Failed(ApiError),
}

/// A registered dossier and its survey token.
#[derive(Debug)]
pub struct Registered {
    pub id: Uuid,
    pub token: SurveyToken,
    pub expires_at: DateTime<Utc>,
}

/// The problem for a registration's field problems: `validation_failed` when a field has the
/// wrong shape, otherwise the broken rule's own code (`invalid_email`, `completed_in_future`, …).
fn problem_of(mut problems: Vec<DossierProblem>) -> ApiError {
    let errors: Vec<FieldError> = problems
        .iter()
        .map(|p| FieldError::new(p.field, p.code, p.message.clone()))
        .collect();
    if let Some(code) = problems.first().and_then(DossierProblem::rule)
        && problems.iter().all(DossierProblem::is_rule)
    {
        let first = problems.swap_remove(0);
        ApiError::Rejected {
            code,
            detail: format!("`{}` {}.", first.field, first.message),
            errors,
        }
    } else {
        ApiError::Validation {
            detail: "Some fields are not valid; see `errors`.".into(),
            errors,
        }
    }
}

fn rejected(field: &'static str, code: &'static str, message: &str) -> ApiError {
    problem_of(vec![DossierProblem::new(field, code, message)])
}

fn conflict() -> ApiError {
    ApiError::Conflict {
        code: ProblemCode::DossierConflict,
        detail: "This dossier code is already registered for the agency with different content."
            .into(),
    }
}

/// The dossiers already registered under the agencies and codes of `resolved`, by key.
async fn stored_of(
    cx: &Context<'_>,
    resolved: &[Resolved],
) -> Result<HashMap<(Uuid, String), Dossier>, sea_orm::DbErr> {
    let keys: Vec<(Uuid, &str)> = resolved
        .iter()
        .map(|r| (r.agency_id, r.valid.dossier_code.as_str()))
        .collect();
    store::find_existing(cx.db, &keys, |agency, code| {
        cx.token_key.seal_code(agency, code)
    })
    .await
}

/// A registration whose agency, form and language are settled.
struct Resolved {
    index: usize,
    valid: ValidDossier,
    agency_id: Uuid,
    form_key: String,
    form_version: u32,
    language: String,
}

impl Resolved {
    fn key(&self) -> (Uuid, String) {
        (self.agency_id, self.valid.dossier_code.clone())
    }
}

/// Settles agency (existence, permission), form and language of a valid registration.
fn resolve(
    forms: &PublishedForms,
    caller: &Principal,
    agencies: &HashMap<String, DossierAgency>,
    index: usize,
    valid: ValidDossier,
) -> Result<Resolved, ApiError> {
    let agency = match agencies.get(valid.agency_code.as_str()) {
        Some(a) if caller.may_act_for_agency(&a.path) => a,
        Some(_) => return Err(ApiError::Forbidden),
        // An agency key is not told whether an agency outside its subtree exists.
        None if !caller.reads_every_agency() => return Err(ApiError::Forbidden),
        None => {
            return Err(rejected(
                "agency_code",
                "unknown_agency",
                "names no registered agency",
            ));
        }
    };
    let form_key = valid
        .form_key
        .clone()
        .unwrap_or_else(|| agency.default_form.clone());
    let Some(form) = forms.for_new_surveys(&form_key) else {
        let field = if valid.form_key.is_some() {
            "form_key"
        } else {
            "agency_code"
        };
        return Err(rejected(
            field,
            "unknown_form",
            "names no form that is published for new surveys",
        ));
    };
    let language = valid
        .language
        .clone()
        .unwrap_or_else(|| DEFAULT_LANGUAGE.to_owned());
    if !form.definition.languages().contains(&language) {
        return Err(rejected(
            "language",
            "unsupported_language",
            "is not a language of the survey form",
        ));
    }
    Ok(Resolved {
        index,
        form_version: form.definition.version(),
        agency_id: agency.id,
        form_key,
        language,
        valid,
    })
}

/// Answers a registration of a dossier that is already stored.
fn existing(key: &TokenKey, stored: &Dossier, new: &ValidDossier) -> Outcome {
    if stored.same_registration(new) {
        Outcome::Existing(Registered {
            id: stored.id,
            token: key.derive(stored.id),
            expires_at: stored.expires_at,
        })
    } else {
        Outcome::Failed(conflict())
    }
}

/// The outcome of each item, in order, so far: `None` until decided.
type Outcomes = Vec<Option<Outcome>>;

/// Registers `items` (each parsed, or the problem of parsing it) for `caller` (see the module
/// documentation): one outcome per item, in order.
pub async fn register(
    cx: &Context<'_>,
    caller: &Principal,
    items: Vec<Result<RawDossier, ApiError>>,
) -> Result<Vec<Outcome>, ApiError> {
    if caller.role == Role::Pipeline {
        return Err(ApiError::Forbidden);
    }
    let now = Utc::now();
    let (mut outcomes, valid) = check(items, now);
    let mut codes: Vec<&str> = valid.iter().map(|(_, v)| v.agency_code.as_str()).collect();
    codes.sort_unstable();
    codes.dedup();
    let agencies = store::agencies_by_code(cx.db, &codes).await?;
    let resolved = resolve_all(cx.forms, caller, &agencies, valid, &mut outcomes);
    let resolved = in_force(cx, resolved, &mut outcomes).await?;
    let stored = stored_of(cx, &resolved).await?;
    let (rows, pending) = new_rows(cx, resolved, &stored, now, &mut outcomes).await?;
    if !rows.is_empty() {
        insert(cx, rows, pending, now, &mut outcomes).await?;
    }
    outcomes
        .into_iter()
        .map(|o| {
            o.ok_or_else(|| {
                ApiError::Unexpected(anyhow::anyhow!("a registration was left without outcome"))
            })
        })
        .collect()
}

/// Checks every item's fields: the outcomes so far (the failures) and the valid items.
fn check(
    items: Vec<Result<RawDossier, ApiError>>,
    now: DateTime<Utc>,
) -> (Outcomes, Vec<(usize, ValidDossier)>) {
    let mut outcomes: Outcomes = Vec::with_capacity(items.len());
    let mut valid = Vec::with_capacity(items.len());
    for (index, item) in items.into_iter().enumerate() {
        match item.and_then(|d| domain::validate(d, now).map_err(problem_of)) {
            Ok(v) => {
                valid.push((index, v));
                outcomes.push(None);
            }
            Err(e) => outcomes.push(Some(Outcome::Failed(e))),
        }
    }
    (outcomes, valid)
}

/// Settles every valid item ([`resolve`]); the second of two items for one agency and dossier
/// code fails as `duplicate_in_batch`.
fn resolve_all(
    forms: &PublishedForms,
    caller: &Principal,
    agencies: &HashMap<String, DossierAgency>,
    valid: Vec<(usize, ValidDossier)>,
    outcomes: &mut Outcomes,
) -> Vec<Resolved> {
    let mut resolved = Vec::with_capacity(valid.len());
    let mut first_of: HashMap<(Uuid, String), usize> = HashMap::with_capacity(valid.len());
    for (index, v) in valid {
        match resolve(forms, caller, agencies, index, v) {
            Ok(r) => {
                if let Some(first) = first_of.get(&r.key()) {
                    outcomes[index] = Some(Outcome::Failed(ApiError::Conflict {
                        code: ProblemCode::DuplicateInBatch,
                        detail: format!(
                            "The same agency and dossier code are already in this batch at \
                             index {first}."
                        ),
                    }));
                } else {
                    first_of.insert(r.key(), index);
                    resolved.push(r);
                }
            }
            Err(e) => outcomes[index] = Some(Outcome::Failed(e)),
        }
    }
    resolved
}

/// Refuses each dossier completed in a month its agency is not in force — closed, merged into
/// another, or not yet opened (issue 21) — as `agency_closed`.
async fn in_force(
    cx: &Context<'_>,
    resolved: Vec<Resolved>,
    outcomes: &mut Outcomes,
) -> Result<Vec<Resolved>, ApiError> {
    let mut ids: Vec<Uuid> = resolved.iter().map(|r| r.agency_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let lifetimes = crate::persistence::agency_history::lifetimes(cx.db, &ids).await?;
    let mut kept = Vec::with_capacity(resolved.len());
    for r in resolved {
        let month = publication::month_of(r.valid.completed_at);
        match lifetimes.get(&r.agency_id) {
            Some(l) if !l.in_force(month) => {
                let problem = crate::app::agencies::not_in_force(month);
                outcomes[r.index] = Some(Outcome::Failed(problem));
            }
            _ => kept.push(r),
        }
    }
    Ok(kept)
}

/// The rows of the dossiers not stored yet, and their registrations by id; answers the ones
/// stored before and the ones of a month retention has emptied.
async fn new_rows(
    cx: &Context<'_>,
    resolved: Vec<Resolved>,
    stored: &HashMap<(Uuid, String), Dossier>,
    now: DateTime<Utc>,
    outcomes: &mut Outcomes,
) -> Result<(Vec<NewDossierRow>, HashMap<Uuid, Resolved>), ApiError> {
    // A dossier of a closed month gets a link that has already ended: its month's answers are
    // published, and a new one would change them (an agency may still enter paper for it).
    let published = crate::persistence::months::published_through(cx.db).await?;
    // A dossier of a month retention has emptied could be one already deleted: counted twice.
    let registrable =
        crate::app::retention::registrable_from(cx.db, cx.retention_months, now).await?;
    let mut rows = Vec::new();
    let mut pending: HashMap<Uuid, Resolved> = HashMap::new();
    for r in resolved {
        if let Some(d) = stored.get(&r.key()) {
            outcomes[r.index] = Some(existing(cx.token_key, d, &r.valid));
            continue;
        }
        if registrable.is_some_and(|m| publication::month_of(r.valid.completed_at) < m) {
            outcomes[r.index] = Some(Outcome::Failed(rejected(
                "completed_at",
                "completed_before_retention",
                "is in a month whose dossiers are no longer kept (retention.dossier_months)",
            )));
            continue;
        }
        let id = Uuid::now_v7();
        rows.push(row(cx, &r, id, published, now));
        pending.insert(id, r);
    }
    Ok((rows, pending))
}

/// The row of a new dossier `id` for `r`.
fn row(
    cx: &Context<'_>,
    r: &Resolved,
    id: Uuid,
    published: Option<Month>,
    now: DateTime<Utc>,
) -> NewDossierRow {
    let ttl = cx.token_ttl_days;
    NewDossierRow {
        token_hash: cx.token_key.derive(id).hash(),
        dossier: Dossier {
            id,
            agency_id: r.agency_id,
            dossier_code: r.valid.dossier_code.clone(),
            form_key: r.form_key.clone(),
            form_version: r.form_version,
            completed_at: r.valid.completed_at,
            channel: r.valid.channel,
            procedure_code: r.valid.procedure_code.clone(),
            procedure_field: r.valid.procedure_field.clone(),
            language: r.language.clone(),
            expires_at: match published {
                Some(p) if publication::month_of(r.valid.completed_at) <= p => {
                    domain::expires_at(r.valid.completed_at, ttl).min(now)
                }
                _ => domain::expires_at(r.valid.completed_at, ttl),
            },
            answered: false,
            answer_digest: None,
        },
    }
}

/// Inserts `rows` and their invitations in one transaction, and answers their registrations;
/// one registered meanwhile by another request is answered as a re-registration.
async fn insert(
    cx: &Context<'_>,
    rows: Vec<NewDossierRow>,
    mut pending: HashMap<Uuid, Resolved>,
    now: DateTime<Utc>,
    outcomes: &mut Outcomes,
) -> Result<(), ApiError> {
    let txn = crate::persistence::begin_write(cx.db).await?;
    let skipped = store::insert_many(&txn, &rows, now).await?;
    // Invitations are queued in the same transaction: a dossier is never stored without its
    // invitation, nor an invitation without its dossier.
    let invitations: Vec<NewInvitation> = rows
        .iter()
        .filter(|row| !skipped.contains(&row.dossier.id))
        .filter_map(|row| {
            let to = Recipient::of(&pending.get(&row.dossier.id)?.valid)?;
            Some(NewInvitation {
                dossier_id: row.dossier.id,
                to,
                expires_at: row.dossier.expires_at,
            })
        })
        .collect();
    outbox::insert_many(&txn, &invitations, now).await?;
    txn.commit().await?;
    let mut raced = Vec::new();
    for row in rows {
        let d = row.dossier;
        let Some(r) = pending.remove(&d.id) else {
            continue;
        };
        if skipped.contains(&d.id) {
            raced.push(r);
        } else {
            outcomes[r.index] = Some(Outcome::Created(Registered {
                id: d.id,
                token: cx.token_key.derive(d.id),
                expires_at: d.expires_at,
            }));
        }
    }
    if raced.is_empty() {
        return Ok(());
    }
    // Registered concurrently by another request: answer as a re-registration.
    let stored = stored_of(cx, &raced).await?;
    for r in raced {
        outcomes[r.index] = Some(match stored.get(&r.key()) {
            Some(d) => existing(cx.token_key, d, &r.valid),
            None => Outcome::Failed(conflict()),
        });
    }
    Ok(())
}
