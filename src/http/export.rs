//! `GET /api/v1/responses/export` (api.md "Results"): the anonymous answers of an agency — or
//! its subtree — for one form version and period, as CSV, XLSX or JSON.
//!
//! This file parses the query, calls `app::export::request::prepare` (who may see what, which
//! version, months and file shape) and turns the computed file into a download ([`respond`]);
//! the rows are read by `app::export` and written by `export::raw`. The officer pages offer the
//! same downloads through the same two calls, so both say the same things in the same way.
//!
//! Decisions where the contract is silent:
//! - `agency=CODE` is that agency alone, as in `GET /api/v1/results`; `subtree=true` adds every
//!   agency below it (rows by agency code, then by response id).
//! - One form version per file, because the columns are that version's questions: `version=N`,
//!   or by default the newest version with responses in the period (as results choose), else
//!   the current one (an empty file with its header).
//! - `format` defaults to `json` (the API's default), or to CSV / XLSX when `Accept` asks for
//!   `text/csv` / the XLSX media type and no `format` is given.
//! - `lang=vi|en` (default `vi`) labels the fixed columns of the CSV/XLSX header; JSON keys are
//!   fixed. `bom=true` (CSV only) starts the file with a UTF-8 byte-order mark for Excel.
//! - Who: an agency key reads its agency and everything below (anything else is 403, whether it
//!   exists or not); admin keys read every agency; pipeline keys read no raw answers (403).
//! - Every bad parameter is a 422 naming it (`validation_failed`, `unknown_agency`,
//!   `unknown_form`), through the same helpers as the results endpoints.
//!
//! Costs, bounded ([`respond`]): at most `limits.export_concurrency` exports are computed or
//! sent at once (one more is 503 `export_busy` with `Retry-After`); each is computed on a
//! database connection of its own (`persistence::dedicated`) into a temporary file
//! (`app::export::run`) and only then sent, so a client that reads slowly holds no pooled
//! connection; identical exports asked for at the same time are computed once
//! (`app::single_flight`); and a client that takes nothing for `limits.export_write_timeout_secs` is
//! cut off (`http::connection`), which frees its place. Every export sent is recorded in the
//! audit log (`responses.exported`: who, which agency, form, months, format and part, how many
//! rows — never an answer).

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use actix_web::body::SizedStream;
use actix_web::http::StatusCode;
use actix_web::http::header::{
    ACCEPT, CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE, HeaderValue, RETRY_AFTER,
    X_CONTENT_TYPE_OPTIONS,
};
use actix_web::{HttpRequest, HttpResponse, get, web};
use bytes::Bytes;
use futures_util::Stream;
use tokio::sync::OwnedSemaphorePermit;

use crate::app::export::Exporter;
use crate::app::export::request::{ExportQuery, PreparedExport, prepare};
use crate::error::{ApiError, PROBLEM_JSON, Problem, ProblemCode};
use crate::export::raw::ExportError;
use crate::http::auth::Caller;
use crate::http::connection::Connection;
use crate::state::AppState;

/// Values the export left blank so that every combination of month, channel, mode and
/// procedure field appears in at least `results.suppress_below` rows.
pub const GENERALISED_HEADER: &str = "x-sipas-generalised-values";
/// Rows the export left out: rare even with every value blank (every row of a month with fewer
/// answers than that, and a few rare rows of larger months).
pub const WITHHELD_HEADER: &str = "x-sipas-withheld-rows";

/// Seconds a client refused as busy is asked to wait.
const BUSY_RETRY_AFTER_SECS: u64 = 10;

/// 503 `export_busy`: every export place is taken.
fn busy() -> HttpResponse {
    let problem = Problem::new(
        StatusCode::SERVICE_UNAVAILABLE,
        ProblemCode::ExportBusy,
        format!(
            "As many exports as the server makes at once are in progress; try again in \
             {BUSY_RETRY_AFTER_SECS} s."
        ),
    );
    let mut res = HttpResponse::ServiceUnavailable()
        .insert_header((CONTENT_TYPE, PROBLEM_JSON))
        .insert_header((RETRY_AFTER, BUSY_RETRY_AFTER_SECS.to_string()))
        .body(serde_json::to_string(&problem).unwrap_or_default());
    res.extensions_mut().insert(problem);
    res
}

/// The download of a prepared export, as an attachment, never cached — or 503 `export_busy`
/// (see the module documentation for the costs this bounds).
pub async fn respond(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    who: Exporter,
    prepared: PreparedExport,
) -> Result<HttpResponse, ApiError> {
    let Some(place) = state.guards.exports.enter() else {
        state.metrics.export_busy();
        return Ok(busy());
    };
    let asked = crate::app::export::Asked {
        who,
        agency_code: &prepared.agency_code,
        subtree: prepared.subtree,
    };
    let made = crate::app::export::run(&state.export(), &asked, &prepared.export).await?;
    let disposition =
        HeaderValue::from_str(&format!("attachment; filename=\"{}\"", prepared.file_name))
            .map_err(|e| ApiError::Unexpected(anyhow::Error::new(e)))?;
    let body = Watched::start(
        Arc::clone(&made).chunks(),
        place,
        state.guards.exports.write_timeout,
        Connection::of(req),
        state.clone(),
    );
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, made.content_type))
        .insert_header((CONTENT_DISPOSITION, disposition))
        .insert_header((CACHE_CONTROL, "no-store"))
        .insert_header((X_CONTENT_TYPE_OPTIONS, "nosniff"))
        // What k-anonymity cost the file (`domain::anonymity`): said before the first byte.
        .insert_header((GENERALISED_HEADER, made.generalised_values.to_string()))
        .insert_header((WITHHELD_HEADER, made.withheld_rows.to_string()))
        .body(SizedStream::new(made.length, body)))
}

/// An export's body: the file's chunks, holding the export's place until dropped, and watched
/// so that a client that takes nothing for `timeout` is cut off.
struct Watched<S> {
    chunks: Pin<Box<S>>,
    progress: Arc<Progress>,
    _place: OwnedSemaphorePermit,
}

/// When the body was last pulled, and whether it is still being sent.
struct Progress {
    last: Mutex<Instant>,
    done: AtomicBool,
}

impl<S> Watched<S> {
    fn start(
        chunks: S,
        place: OwnedSemaphorePermit,
        timeout: Duration,
        connection: Option<Connection>,
        state: web::Data<AppState>,
    ) -> Self {
        let progress = Arc::new(Progress {
            last: Mutex::new(Instant::now()),
            done: AtomicBool::new(false),
        });
        if let Some(connection) = connection {
            tokio::spawn(watch(Arc::clone(&progress), timeout, connection, state));
        }
        Self {
            chunks: Box::pin(chunks),
            progress,
            _place: place,
        }
    }
}

/// Cuts the connection off once the body has not been pulled for `timeout`; ends with the body.
async fn watch(
    progress: Arc<Progress>,
    timeout: Duration,
    connection: Connection,
    state: web::Data<AppState>,
) {
    let every = (timeout / 4).clamp(Duration::from_millis(100), Duration::from_secs(5));
    loop {
        tokio::time::sleep(every).await;
        if progress.done.load(Ordering::Relaxed) {
            return;
        }
        let idle = progress
            .last
            .lock()
            .map(|last| last.elapsed())
            .unwrap_or_default();
        if idle >= timeout {
            tracing::warn!(
                idle_secs = idle.as_secs(),
                "export cut off: the client stopped reading"
            );
            state.metrics.export_cut();
            connection.cut();
            return;
        }
    }
}

impl<S: Stream<Item = Result<Bytes, ExportError>>> Stream for Watched<S> {
    type Item = Result<Bytes, ExportError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let polled = self.chunks.as_mut().poll_next(cx);
        match &polled {
            Poll::Ready(Some(_)) => {
                if let Ok(mut last) = self.progress.last.lock() {
                    *last = Instant::now();
                }
            }
            Poll::Ready(None) => self.progress.done.store(true, Ordering::Relaxed),
            Poll::Pending => {}
        }
        polled
    }
}

impl<S> Drop for Watched<S> {
    fn drop(&mut self) {
        self.progress.done.store(true, Ordering::Relaxed);
    }
}

/// The anonymous answers of an agency (or its subtree) for one form version and period, closed
/// months only: one row per response with its id, form, agency, procedure field, channel, mode,
/// month and validity, then one column per question except free text. Never a token, dossier
/// code, contact or a time finer than the month. Every combination of month, channel, mode and
/// procedure field appears in at least `results.suppress_below` rows of its agency: rarer
/// values are left blank (`X-Sipas-Generalised-Values` says how many), rows still rare with
/// every value blank are left out (`X-Sipas-Withheld-Rows`).
#[utoipa::path(
    tag = "results",
    params(ExportQuery),
    security(("api_key" = [])),
    responses(
        (status = 200, description = "The rows, streamed, as an attachment", content(
            (String = "text/csv"),
            (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            (String = "application/json")
        )),
        (status = 401, description = "no valid key (`unauthorized`)"),
        (status = 403, description = "a pipeline key, or an agency key asking outside its subtree, whether the agency exists or not (`forbidden`)"),
        (status = 422, description = "a bad parameter, named in `errors` (`validation_failed`), an unknown agency (`unknown_agency`) or form or version (`unknown_form`)"),
        (status = 503, description = "as many exports as `limits.export_concurrency` are in progress (`export_busy`, with `Retry-After`)"),
    )
)]
#[get("/responses/export")]
pub async fn export_responses(
    caller: Caller,
    req: HttpRequest,
    query: web::Query<ExportQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let accept = req.headers().get(ACCEPT).and_then(|v| v.to_str().ok());
    let prepared = prepare(&state.results(), &caller, &query, accept).await?;
    respond(&req, &state, Exporter::Key(caller.key_id), prepared).await
}
