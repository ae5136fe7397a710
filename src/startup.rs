//! Building and running the server: connect, migrate, bind (port 0 allowed), serve, and shut
//! down gracefully on SIGTERM/SIGINT.

use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::{HttpServer, web};
use anyhow::Context;
use sea_orm::DatabaseConnection;
use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio::task::JoinHandle;

use crate::app::metrics::Metrics;
use crate::app::ratelimit::SurveyLookupLimiter;
use crate::app::results;
use crate::config::Settings;
use crate::domain::audit::AuditEvent;
use crate::domain::forms::{FormCatalog, FormStatus, PublishedForms};
use crate::domain::tokens::TokenKey;
use crate::email::Mailer;
use crate::email::worker::Worker;
use crate::http;
use crate::persistence;
use crate::persistence::audit;
use crate::persistence::forms::{self, FormFile};
use crate::persistence::responses::ResponseWriter;
use crate::persistence::startup_lock::StartupLock;
use crate::state::AppState;

/// A built, bound, not yet running server.
pub struct Application {
    addr: SocketAddr,
    server: Server,
    /// The response writer's task: the server stops when it ends (`run_until_stopped`).
    writer: tokio::task::JoinHandle<()>,
    responses: ResponseWriter,
    /// How long `/ready` says 503 before a server whose writer ended stops.
    exit_delay: Duration,
    /// The outbox worker, stopped with the server.
    email_worker: tokio::task::JoinHandle<()>,
    /// The task sealing expired dossiers (`maintenance`), stopped with the server.
    sealer: tokio::task::JoinHandle<()>,
    db: DatabaseConnection,
    terminate: Signal,
    interrupt: Signal,
}

impl Application {
    /// Connects to the configured database and builds the server.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let db = persistence::connect(&settings.database).await?;
        Self::build_with_db(settings, db).await
    }

    /// Builds the server on an open database (tests pass their own).
    pub async fn build_with_db(settings: Settings, db: DatabaseConnection) -> anyhow::Result<Self> {
        // One node at a time from here to serving (`startup_lock`).
        let lock = StartupLock::acquire(&db).await?;
        let prepared = prepare(&db, &settings, &lock).await;
        lock.release().await;
        let (token_key, forms) = prepared?;
        let listener = TcpListener::bind(&settings.server.bind)
            .with_context(|| format!("cannot listen on {}", settings.server.bind))?;
        let addr = listener.local_addr()?;
        let sqlite_file = (db.get_database_backend() == sea_orm::DatabaseBackend::Sqlite)
            .then(|| persistence::sqlite_file_of(&db))
            .flatten();
        let (responses, writer) = ResponseWriter::spawn(
            persistence::dedicated(&db)
                .await
                .context("opening the response writer's connection")?,
            (
                settings.responses.writer_batch_max,
                Duration::from_secs(settings.responses.writer_wait_secs),
            ),
            sqlite_file.as_deref(),
        )
        .context("starting the response writer")?;
        let exit_delay = Duration::from_secs(settings.responses.exit_delay_secs);
        let state = web::Data::new(AppState {
            db: db.clone(),
            public_base_url: settings.public_base_url(addr),
            metrics: Metrics::default(),
            forms,
            token_key,
            survey_limiter: SurveyLookupLimiter::new(&settings.surveys),
            responses: responses.clone(),
            tokens: persistence::dossiers::TokenLookup::of(&db),
            breakdowns: results::kept_breakdowns(settings.results.kept_breakdowns),
            guards: crate::app::guards::Guards::new(&settings),
            integrity: crate::app::integrity::Monitor::new(&settings.integrity),
            settings,
        });
        let email_worker = spawn_email_worker(&state)?;
        let sealer = spawn_maintenance(&state);
        // Our own signal handlers, registered before anyone can learn the address, so a
        // SIGTERM that arrives right after start still means a graceful stop.
        let terminate = signal(SignalKind::terminate())?;
        let interrupt = signal(SignalKind::interrupt())?;
        let server = http_server(state, listener)?;
        Ok(Self {
            addr,
            server,
            writer,
            responses,
            exit_delay,
            email_worker,
            sealer,
            db,
            terminate,
            interrupt,
        })
    }

    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The database the server uses.
    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Serves until SIGTERM/SIGINT, lets in-flight requests finish (bounded by
    /// `server.shutdown_timeout_secs`), then closes the pool. If the response writer ends, the
    /// server cannot store answers: `/ready` says 503 at once, and after
    /// `responses.exit_delay_secs` the server stops the same way and returns an error (the
    /// process exits with status 1, for its supervisor to restart it).
    pub async fn run_until_stopped(mut self) -> anyhow::Result<()> {
        let handle = self.server.handle();
        let mut server = std::pin::pin!(self.server);
        let mut failure = None;
        let reason = tokio::select! {
            result = &mut server => {
                result?;
                None
            }
            _ = self.terminate.recv() => Some("SIGTERM received"),
            _ = self.interrupt.recv() => Some("SIGINT received"),
            ended = &mut self.writer => {
                tracing::error!(outcome = ?ended, delay_secs = self.exit_delay.as_secs(), "the response writer stopped; /ready answers 503 and the server stops after the delay");
                failure = Some(anyhow::anyhow!("the response writer stopped"));
                tokio::select! {
                    _ = tokio::time::sleep(self.exit_delay) => Some("the response writer stopped"),
                    result = &mut server => {
                        result?;
                        None
                    }
                }
            }
        };
        if let Some(reason) = reason {
            tracing::info!(reason, "finishing in-flight requests");
            // The server future drives its own shutdown: poll it while stopping.
            let (_, result) = tokio::join!(handle.stop(true), server);
            result?;
        }
        self.email_worker.abort();
        self.sealer.abort();
        tracing::info!("server stopped; closing the database pool");
        self.db.close().await?;
        failure.map_or(Ok(()), Err)
    }

    /// A handle to the response writer (tests stop it to see the server go).
    pub fn response_writer(&self) -> ResponseWriter {
        self.responses.clone()
    }
}

/// Everything a node does to the database before serving, under the start lock: the secret,
/// the migrations, the forms, and the months that are due.
async fn prepare(
    db: &DatabaseConnection,
    settings: &Settings,
    lock: &StartupLock,
) -> anyhow::Result<(TokenKey, PublishedForms)> {
    // The secret first: on PostgreSQL without one the start is refused before anything in
    // the database changes (and a secret still kept there is moved out before migrating).
    let token_key = token_key(db, settings).await?;
    if settings.database.migrate_on_start {
        persistence::migrate_up_locked(db, settings, lock)
            .await
            .context("applying database migrations")?;
    }
    let forms = publish_forms(db, settings.forms.dir.as_deref()).await?;
    // A database from before the roll-ups (answers, no roll-up): rebuilt once, before a
    // closing adds to them — if its schema is current (else the server is not ready anyway).
    if persistence::readiness(db).await.is_ok() {
        persistence::aggregates::rebuild_if_missing(db, &forms)
            .await
            .context("rebuilding the roll-ups of a database from before them")?;
    }
    // Before serving: the months whose links have all expired meanwhile are published
    // before the first request reads results (later, the maintenance task closes them).
    crate::app::months::close_expired(
        db,
        &forms,
        settings.surveys.token_ttl_days,
        chrono::Utc::now(),
    )
    .await
    .context("closing the months whose links have expired")?;
    Ok((token_key, forms))
}

/// Checks the built-in forms and those of `dir` (`forms.dir`, which must exist when given),
/// publishes new key + versions, refuses changed published ones, retires the versions whose file
/// says so (recorded in the audit log), and returns every stored version (including those whose
/// file is gone).
pub async fn publish_forms(
    db: &DatabaseConnection,
    dir: Option<&Path>,
) -> anyhow::Result<PublishedForms> {
    let catalog = crate::app::forms::catalog(dir)?;
    let files: Vec<FormFile> = catalog
        .iter()
        .map(|f| FormFile {
            key: f.key().to_owned(),
            version: i32::try_from(f.version()).unwrap_or(i32::MAX),
            edition: f.edition().to_owned(),
            checksum: f.checksum().to_owned(),
            source: catalog
                .source(f.key(), f.version())
                .unwrap_or_default()
                .to_owned(),
            file_name: catalog
                .file_name(f.key(), f.version())
                .unwrap_or_default()
                .to_owned(),
        })
        .collect();
    let txn = crate::persistence::begin_write(db).await?;
    let published = forms::publish(&txn, &files).await?;
    let stored = forms::all(&txn).await?;
    for f in catalog.iter().filter(|f| f.status() == FormStatus::Retired) {
        let version = i32::try_from(f.version()).unwrap_or(i32::MAX);
        let already = stored
            .iter()
            .any(|s| s.key == f.key() && s.version == version && s.retired);
        if !already && forms::retire(&txn, f.key(), version).await? {
            let event = AuditEvent::FormRetired {
                key: f.key().to_owned(),
                version: f.version(),
                by_file: true,
            };
            audit::record(&txn, None, &event).await?;
        }
    }
    txn.commit().await?;
    let published_forms = load_forms(db).await?;
    tracing::info!(
        versions = published_forms.len(),
        newly_published = published,
        "survey forms loaded"
    );
    Ok(published_forms)
}

/// Every form version stored in the database (what dossiers can name), without publishing
/// anything: for commands that work on stored dossiers (`sipas responses import`).
pub async fn load_forms(db: &DatabaseConnection) -> anyhow::Result<PublishedForms> {
    let stored = forms::all(db).await?;
    let catalog = FormCatalog::from_sources(
        stored
            .iter()
            .map(|s| (s.file_name.clone(), s.source.clone()))
            .collect(),
    )
    .map_err(|e| anyhow::anyhow!("stored survey forms no longer load: {e}"))?;
    let published_forms = PublishedForms::new(&catalog, |key, version| {
        stored
            .iter()
            .any(|s| s.retired && s.key == key && i64::from(s.version) == i64::from(version))
    })?;
    Ok(published_forms)
}

/// The server-secret key of every command that derives tokens (serve, `sipas demo`,
/// `sipas responses import`): see `secret_key` for where it comes from.
pub async fn token_key(db: &DatabaseConnection, settings: &Settings) -> anyhow::Result<TokenKey> {
    crate::secret_key::token_key(db, settings).await
}

/// The invitation outbox's worker, on the server's database and secret.
fn spawn_email_worker(state: &web::Data<AppState>) -> anyhow::Result<JoinHandle<()>> {
    let from = state
        .settings
        .email
        .from
        .parse()
        .context("email.from is not an address")?;
    let worker = Arc::new(Worker {
        db: state.db.clone(),
        mailer: Mailer::from_settings(&state.settings.email)?,
        sms: crate::sms::SmsSender::from_settings(&state.settings.sms)?,
        settings: state.settings.email.clone(),
        from,
        token_key: state.token_key.clone(),
        public_base_url: state.public_base_url.clone(),
    });
    Ok(tokio::spawn(worker.run()))
}

/// The periodic task closing months, sealing dossiers and deleting what retention allows.
fn spawn_maintenance(state: &web::Data<AppState>) -> JoinHandle<()> {
    tokio::spawn(crate::maintenance::run(crate::maintenance::Maintenance {
        db: state.db.clone(),
        token_key: state.token_key.clone(),
        interval: Duration::from_secs(state.settings.surveys.seal_interval_secs),
        accounts: state.settings.accounts.clone(),
        forms: state.forms.clone(),
        ttl_days: state.settings.surveys.token_ttl_days,
        retention_months: state.settings.retention.dossier_months,
    }))
}

/// The HTTP server on `listener`, started: its workers, request timeout and graceful shutdown
/// as configured; signals are ours to handle.
fn http_server(state: web::Data<AppState>, listener: TcpListener) -> anyhow::Result<Server> {
    let workers = state.settings.server.workers;
    let shutdown = state.settings.server.shutdown_timeout_secs;
    let mut server = HttpServer::new(move || http::app(state.clone()))
        .on_connect(http::connection::on_connect)
        .disable_signals()
        .shutdown_timeout(shutdown)
        .client_request_timeout(Duration::from_secs(30));
    if workers > 0 {
        server = server.workers(workers);
    }
    Ok(server.listen(listener)?.run())
}
