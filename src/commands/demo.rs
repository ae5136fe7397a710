//! `sipas demo [--seed N] [--scale small|province]` (and `sipas serve --demo`): loads the demo
//! province of `crate::demo` into the configured database, with an administrator account, an
//! officer account of one district and an admin API key, whose credentials it returns.
//!
//! Everything goes through the persistence functions the service itself uses, so the data is
//! what live traffic would have left: agencies via the import's `insert_planned` (with its audit
//! entry), dossiers via registration's `dossiers::insert_many` (which keeps `dossier_counts`),
//! questionnaires checked by `app::submissions::Checker::prepare` and stored by `responses::store` —
//! the conditional claim that marks each dossier answered and seals its code, the anonymous row,
//! and the roll-ups in the same transaction. Each month is one transaction. Dossiers whose
//! link expired long ago are stored as the sealing task would have left them (unanswered codes
//! sealed, answer digests dropped), so the server does not start by sealing them one by one.
//!
//! A second load is refused: the demo province's code is the marker (nothing is changed).

use std::time::Instant;

use anyhow::{Context, anyhow, bail};
use chrono::{DateTime, Datelike, TimeDelta, Utc};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::app::agencies::reorganise::ReorganiseError;
use crate::app::submissions::{Checker, SubmitError};
use crate::config::Settings;
use crate::demo::names::PROVINCE_CODE;
use crate::demo::plan::AgencyPlan;
use crate::demo::{DemoDossier, DemoResponse, Generator, Plan, Scale, Spec};
use crate::domain::accounts::Password;
use crate::domain::agencies::{ImportRow, plan_import};
use crate::domain::agency_history::reorganisation::RawReorgRow;
use crate::domain::audit::AuditEvent;
use crate::domain::auth::{ApiKeySecret, Role};
use crate::domain::dossiers::{self, Dossier, VIETNAM_OFFSET_SECS};
use crate::domain::lang::Lang;
use crate::domain::responses::NewResponse;
use crate::domain::tokens::SurveyToken;
use crate::persistence::dossiers::NewDossierRow;
use crate::persistence::responses::{self, Outcome};
use crate::persistence::{agencies, audit};
use crate::startup::{publish_forms, token_key};

/// The demo's administrator account.
pub const ADMIN_EMAIL: &str = "quan.tri@minhson.example";

/// What to load.
#[derive(Debug, Clone, Copy)]
pub struct DemoOptions {
    pub seed: u64,
    pub scale: Scale,
    /// The last month with data, `(year, month)`; default: last month (Vietnam time).
    pub last_month: Option<(i32, u32)>,
}

/// The demo accounts and key, shown once.
#[derive(Debug)]
pub struct Credentials {
    pub admin_email: String,
    pub admin_password: Password,
    pub officer_email: String,
    pub officer_agency_code: String,
    pub officer_agency_name: String,
    pub officer_password: Password,
    pub api_key: ApiKeySecret,
}

/// What a load did.
#[derive(Debug)]
pub struct DemoReport {
    pub agencies: usize,
    pub dossiers: u64,
    /// Stored questionnaires, invalid returns included.
    pub responses: u64,
    pub invalid_returns: u64,
    /// First and last month, `YYYY-MM`.
    pub first_month: String,
    pub last_month: String,
    pub credentials: Credentials,
    /// The link of an open survey of the last month, to try the citizen's page.
    pub sample_survey: Option<SurveyToken>,
    pub seconds: f64,
}

/// The demo is already in the database: nothing was changed.
#[derive(Debug, thiserror::Error)]
#[error(
    "the demo data set is already in this database (the agency {PROVINCE_CODE} exists); nothing \
     was changed. Its accounts and key were printed when it was loaded; to load it again, use \
     an empty database"
)]
pub struct AlreadyLoaded;

/// Whether the demo province is in the database.
pub async fn is_loaded(db: &DatabaseConnection) -> anyhow::Result<bool> {
    Ok(agencies::find_by_code(db, PROVINCE_CODE).await?.is_some())
}

/// The month before the current one, in Vietnam time.
pub fn previous_month() -> (i32, u32) {
    let today = (Utc::now() + TimeDelta::seconds(i64::from(VIETNAM_OFFSET_SECS))).date_naive();
    if today.month() == 1 {
        (today.year() - 1, 12)
    } else {
        (today.year(), today.month() - 1)
    }
}

/// Loads the demo (see the module documentation). Progress goes to the log.
///
/// # Errors
/// [`AlreadyLoaded`] (in the chain) when the demo province exists; a database error; a form
/// the demo needs that is not published.
pub async fn load(
    db: &DatabaseConnection,
    settings: &Settings,
    options: DemoOptions,
) -> anyhow::Result<DemoReport> {
    let started = Instant::now();
    if is_loaded(db).await? {
        return Err(AlreadyLoaded.into());
    }
    let forms = publish_forms(db, settings.forms.dir.as_deref()).await?;
    let key = token_key(db, settings).await?;
    // Through the reform of July 2025 when the months go through it (`demo::reform`).
    let plan = crate::demo::reform::reformed(Plan::of(Spec {
        seed: options.seed,
        scale: options.scale,
        last_month: options.last_month.unwrap_or_else(previous_month),
    }));
    let generator = Generator::new(&plan, |k| forms.for_new_surveys(k).map(|f| &f.definition))
        .map_err(|e| anyhow!("the demo needs the shipped survey forms: {e}"))?;
    let loader = Loader {
        db,
        plan: &plan,
        ids: store_agencies(db, &plan).await?,
        checker: Checker {
            forms: &forms,
            rules: settings.responses.validity_rules(),
            key: &key,
        },
        ttl: settings.surveys.token_ttl_days,
        now: Utc::now(),
    };
    let mut totals = Totals::default();
    for m in 0..plan.months.len() {
        loader
            .load_month(&generator.month(m), m, &mut totals)
            .await?;
    }
    // The past months close as they would have in service (every link of them has expired):
    // their answers are published; the last month's wait for its links to expire.
    crate::app::months::close_expired(db, &forms, loader.ttl, loader.now).await?;
    let txn = crate::persistence::begin_write(db).await?;
    crate::persistence::dossiers::drop_expired_digests(&txn, loader.now).await?;
    txn.commit().await?;
    let credentials = accounts(db, &plan).await?;
    Ok(totals.report(&plan, credentials, started))
}

/// What loading the months needs: the database, the plan and its agencies' ids, the answer
/// checks, the links' lifetime and the time of the load.
struct Loader<'a> {
    db: &'a DatabaseConnection,
    plan: &'a Plan,
    /// The stored id of each agency of the plan, in plan order.
    ids: Vec<Uuid>,
    checker: Checker<'a>,
    /// `surveys.token_ttl_days`.
    ttl: u32,
    now: DateTime<Utc>,
}

/// The counts of the months loaded so far, and the link of an open survey of the last one.
#[derive(Default)]
struct Totals {
    dossiers: u64,
    responses: u64,
    invalid_returns: u64,
    sample_survey: Option<SurveyToken>,
}

impl Loader<'_> {
    /// Registers the dossiers of the plan's month `m` and stores their responses, in one
    /// transaction; adds them to `totals`.
    async fn load_month(
        &self,
        month: &[DemoDossier],
        m: usize,
        totals: &mut Totals,
    ) -> anyhow::Result<()> {
        let last = m + 1 == self.plan.months.len();
        let mut rows = Vec::with_capacity(month.len());
        let mut answers = Vec::new();
        for d in month {
            let dossier = self.dossier(d)?;
            let token = self.checker.key.derive(dossier.id);
            match &d.response {
                Some(r) => answers.push(self.response(&dossier, r, d.agency)?),
                None if dossier.expires_at <= self.now => {
                    // As `maintenance` leaves an unanswered dossier whose link has expired.
                    let sealed = self.checker.key.seal_code(dossier.agency_id, &d.code);
                    rows.push(NewDossierRow {
                        token_hash: token.hash(),
                        dossier: Dossier {
                            dossier_code: sealed,
                            ..dossier
                        },
                    });
                    continue;
                }
                None if last && totals.sample_survey.is_none() => {
                    totals.sample_survey = Some(token.clone());
                }
                None => {}
            }
            rows.push(NewDossierRow {
                token_hash: token.hash(),
                dossier,
            });
        }
        let (stored, invalid) = store_month(self.db, &rows, &answers, self.now).await?;
        totals.dossiers += rows.len() as u64;
        totals.responses += stored;
        totals.invalid_returns += invalid;
        tracing::info!(
            month = %format_month(self.plan.months[m]),
            dossiers = rows.len(),
            responses = stored,
            "demo month loaded"
        );
        Ok(())
    }

    /// The dossier a generated one is registered as: the current version of its agency's form,
    /// its language if the form has it (else the default), a new id.
    fn dossier(&self, d: &DemoDossier) -> anyhow::Result<Dossier> {
        let agency = &self.plan.agencies[d.agency];
        let form = self
            .checker
            .forms
            .for_new_surveys(agency.form)
            .ok_or_else(|| anyhow!("the form {} is not published", agency.form))?;
        let languages = form.definition.languages();
        let language = if languages.iter().any(|l| l == d.language) {
            d.language
        } else {
            dossiers::DEFAULT_LANGUAGE
        };
        Ok(Dossier {
            id: Uuid::now_v7(),
            agency_id: self.ids[d.agency],
            dossier_code: d.code.clone(),
            form_key: agency.form.to_owned(),
            form_version: form.definition.version(),
            completed_at: d.completed_at,
            channel: d.channel,
            procedure_code: d.procedure_code.clone(),
            procedure_field: d.procedure_field.clone(),
            language: language.to_owned(),
            expires_at: dossiers::expires_at(d.completed_at, self.ttl),
            answered: false,
            answer_digest: None,
        })
    }

    /// The response of a generated questionnaire for a dossier of the plan's agency `agency`,
    /// checked as every answer is (`Checker::prepare`); one that breaks the form's rules is a
    /// bug of the generator.
    fn response(
        &self,
        dossier: &Dossier,
        r: &DemoResponse,
        agency: usize,
    ) -> anyhow::Result<NewResponse> {
        self.checker
            .prepare(dossier, (&r.answers, r.mode), None)
            .map_err(|e| match e {
                SubmitError::Invalid(errors) => anyhow!(
                    "a generated questionnaire of {} breaks the form's rules: {:?}",
                    self.plan.agencies[agency].code,
                    errors
                        .first()
                        .map(|e| (e.question.clone(), e.message(Lang::En)))
                ),
                other => anyhow!("preparing a response: {other:?}"),
            })
    }
}

impl Totals {
    /// The report of a finished load.
    fn report(self, plan: &Plan, credentials: Credentials, started: Instant) -> DemoReport {
        let month = |m: Option<&(i32, u32)>| m.map(|m| format_month(*m)).unwrap_or_default();
        DemoReport {
            agencies: plan.agencies.len(),
            dossiers: self.dossiers,
            responses: self.responses,
            invalid_returns: self.invalid_returns,
            first_month: month(plan.months.first()),
            last_month: month(plan.months.last()),
            credentials,
            sample_survey: self.sample_survey,
            seconds: started.elapsed().as_secs_f64(),
        }
    }
}

fn format_month((year, month): (i32, u32)) -> String {
    format!("{year:04}-{month:02}")
}

/// The code of `a`'s parent, empty for the province.
fn parent_code(plan: &Plan, a: &AgencyPlan) -> String {
    a.parent
        .map(|p| plan.agencies[p].code.clone())
        .unwrap_or_default()
}

/// Stores the plan's agencies as an import would (all or nothing, audited); returns their ids
/// in plan order.
async fn store_agencies(db: &DatabaseConnection, plan: &Plan) -> anyhow::Result<Vec<Uuid>> {
    let rows: Vec<ImportRow> = (plan.agencies.iter().enumerate())
        // The communes the reform forms are created by it (`reform`).
        .filter(|(_, a)| a.opened_from.is_none())
        .map(|(i, a)| ImportRow {
            line: i as u64 + 2,
            code: a.code.clone(),
            name_vi: a.name_vi.clone(),
            name_en: a.name_en.clone(),
            kind: a.kind.as_str().to_owned(),
            parent_code: parent_code(plan, a),
            default_form: a.form.to_owned(),
        })
        .collect();
    let codes: Vec<&str> = rows.iter().map(|r| r.code.as_str()).collect();
    let txn = crate::persistence::begin_write(db).await?;
    let stored = agencies::paths_by_code(&txn, &codes).await?;
    let planned = plan_import(&rows, |code| stored.contains_key(code)).map_err(|errors| {
        let first = errors.first().map(ToString::to_string).unwrap_or_default();
        anyhow!("the demo agencies cannot be created: {first}")
    })?;
    let count = agencies::insert_planned(&txn, &planned).await?;
    audit::record(&txn, None, &AuditEvent::AgenciesImported { count }).await?;
    txn.commit().await?;
    reform(db, plan).await?;
    let codes: Vec<&str> = plan.agencies.iter().map(|a| a.code.as_str()).collect();
    let paths = agencies::paths_by_code(db, &codes).await?;
    plan.agencies
        .iter()
        .map(|a| {
            paths
                .get(&a.code)
                .and_then(|p| p.id())
                .ok_or_else(|| anyhow!("the agency {} was not stored", a.code))
        })
        .collect()
}

/// The July 2025 reform of the plan (`demo::reform`), if it has one, applied as an
/// administrator would: a reorganisation file of the new communes, the merges and the closed
/// districts, in force from the reform's month.
async fn reform(db: &DatabaseConnection, plan: &Plan) -> anyhow::Result<()> {
    let Some((year, month)) = plan.agencies.iter().find_map(|a| a.closed_from) else {
        return Ok(());
    };
    let row = |line: usize, action: &str, a: &AgencyPlan| RawReorgRow {
        line: line as u64 + 2,
        action: action.to_owned(),
        code: a.code.clone(),
        ..RawReorgRow::default()
    };
    let mut rows = Vec::new();
    for (i, a) in plan.agencies.iter().enumerate() {
        if a.opened_from.is_some() {
            rows.push(RawReorgRow {
                name_vi: a.name_vi.clone(),
                name_en: a.name_en.clone(),
                kind: a.kind.as_str().to_owned(),
                parent_code: parent_code(plan, a),
                ..row(i, "create", a)
            });
        }
    }
    for (i, a) in plan.agencies.iter().enumerate() {
        match (a.closed_from, a.merged_into) {
            (Some(_), Some(into)) => rows.push(RawReorgRow {
                into: plan.agencies[into].code.clone(),
                ..row(i, "merge", a)
            }),
            (Some(_), None) => rows.push(row(i, "close", a)),
            _ => {}
        }
    }
    let effective = crate::domain::periods::Month::new(year as u16, month as u8)
        .ok_or_else(|| anyhow!("the reform's month {year}-{month} is out of range"))?;
    crate::app::agencies::reorganise::reorganise(db, effective, &rows, false)
        .await
        .map_err(|e| match e {
            ReorganiseError::Invalid(errors) => anyhow!(
                "the demo's reform cannot be applied: {}",
                errors.first().map(ToString::to_string).unwrap_or_default()
            ),
            ReorganiseError::Failed(e) => anyhow!("the demo's reform cannot be applied: {e}"),
        })?;
    Ok(())
}

/// Registers a month's dossiers and stores its responses in one transaction; returns the
/// responses stored and the invalid returns among them.
async fn store_month(
    db: &DatabaseConnection,
    rows: &[NewDossierRow],
    answers: &[NewResponse],
    now: chrono::DateTime<Utc>,
) -> anyhow::Result<(u64, u64)> {
    let txn = crate::persistence::begin_write(db).await?;
    let skipped = crate::persistence::dossiers::insert_many(&txn, rows, now).await?;
    if !skipped.is_empty() {
        bail!(
            "{} demo dossier codes were already registered",
            skipped.len()
        );
    }
    let mut batch: Vec<&NewResponse> = answers.iter().collect();
    // Storage order must not follow the dossiers' (docs/privacy.md).
    crate::domain::responses::shuffle(&mut batch);
    let outcomes = responses::store(&txn, &batch).await?;
    if outcomes.iter().any(|o| *o != Outcome::Stored) {
        bail!("a demo dossier was answered twice");
    }
    txn.commit().await?;
    let invalid = answers
        .iter()
        .filter(|r| r.invalid_reason.is_some())
        .count();
    Ok((outcomes.len() as u64, invalid as u64))
}

/// The administrator, the officer of the plan's officer agency, and an admin key.
async fn accounts(db: &DatabaseConnection, plan: &Plan) -> anyhow::Result<Credentials> {
    use super::users::create_user;
    let officer = &plan.agencies[plan.officer_agency];
    let stem = officer
        .code
        .split('.')
        .next()
        .unwrap_or_default()
        .to_lowercase();
    let officer_email = format!("can.bo.{stem}@minhson.example");
    let admin = create_user(db, Role::Admin, None, ADMIN_EMAIL, None)
        .await
        .context("creating the demo administrator")?;
    let agency = create_user(db, Role::Agency, Some(&officer.code), &officer_email, None)
        .await
        .context("creating the demo officer")?;
    let key = super::create_key(db, Role::Admin, None, Some("demo"))
        .await
        .context("creating the demo API key")?;
    let (Some(admin_password), Some(officer_password)) = (admin.generated, agency.generated) else {
        bail!("the demo accounts got no generated password");
    };
    Ok(Credentials {
        admin_email: ADMIN_EMAIL.to_owned(),
        admin_password,
        officer_email,
        officer_agency_code: officer.code.clone(),
        officer_agency_name: officer.name_vi.clone(),
        officer_password,
        api_key: key.secret,
    })
}

/// The summary and the credentials, in Vietnamese and English, as printed on standard output.
pub fn format_report(report: &DemoReport, base_url: &str) -> String {
    let c = &report.credentials;
    let year = report.last_month.get(..4).unwrap_or("2026");
    let mut out = String::new();
    out.push_str(&format!(
        "Dữ liệu mẫu đã được tạo / Demo data loaded: tỉnh Minh Sơn ({PROVINCE_CODE}), {} cơ quan / \
         agencies, {} – {}\n",
        report.agencies, report.first_month, report.last_month
    ));
    out.push_str(&format!(
        "  {} hồ sơ / dossiers, {} phiếu / questionnaires ({} không hợp lệ / invalid returns), \
         {:.1} s\n\n",
        report.dossiers, report.responses, report.invalid_returns, report.seconds
    ));
    out.push_str(&format!("Đăng nhập / Sign in: {base_url}/sign-in\n"));
    out.push_str("  Quản trị viên / Administrator\n");
    out.push_str(&format!("    E-mail:               {}\n", c.admin_email));
    out.push_str(&format!(
        "    Mật khẩu / Password:  {}\n",
        c.admin_password.expose()
    ));
    out.push_str(&format!(
        "  Cán bộ / Agency officer — {} ({})\n",
        c.officer_agency_name, c.officer_agency_code
    ));
    out.push_str(&format!("    E-mail:               {}\n", c.officer_email));
    out.push_str(&format!(
        "    Mật khẩu / Password:  {}\n\n",
        c.officer_password.expose()
    ));
    out.push_str(&format!(
        "Khóa API quản trị / Admin API key: {}\n",
        c.api_key.expose()
    ));
    out.push_str(&format!(
        "  curl -H \"Authorization: Bearer {}\" \"{base_url}/api/v1/results?agency={PROVINCE_CODE}&form=sipas-2024&period={year}&subtree=true\"\n",
        c.api_key.expose()
    ));
    if let Some(token) = &report.sample_survey {
        out.push_str(&format!(
            "\nThử trả lời một phiếu / Try a survey: {base_url}/s/{}\n",
            token.expose()
        ));
    }
    out.push_str(
        "\nMật khẩu và khóa chỉ hiển thị một lần này / The passwords and the key are shown only \
         this once.\n",
    );
    out
}

/// The address the server will be reached at, for `sipas demo` (which binds nothing).
pub fn base_url(settings: &Settings) -> String {
    match &settings.server.public_base_url {
        Some(base) => base.trim_end_matches('/').to_owned(),
        None => format!("http://{}", settings.server.bind),
    }
}
