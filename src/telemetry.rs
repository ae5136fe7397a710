//! Logging and tracing: the subscriber (human-readable or JSON lines) and the root span of every
//! HTTP request.
//!
//! Privacy rule: a log line never carries a request body, a raw path (survey tokens live in
//! paths), a query string, a header value, an API key or an e-mail address. Request spans record
//! the route *template* (`/api/v1/surveys/{token}`), never the concrete path.

use std::io::IsTerminal;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::{Error, HttpMessage};
use tracing::Span;
use tracing_actix_web::{RequestId, RootSpanBuilder};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::config::LogFormat;

/// Installs the global subscriber. `RUST_LOG`, when set, overrides `level`.
/// Calling it twice is harmless (the second call is ignored), which tests rely on.
pub fn init(format: LogFormat, level: &str, writer: impl WriterFactory) {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    // sqlx logs every statement (with bound values) at INFO; keep it quiet.
    let filter = filter
        .add_directive("sqlx=warn".parse().unwrap_or_default())
        .add_directive("sea_orm=warn".parse().unwrap_or_default());
    let registry = tracing_subscriber::registry().with(filter);
    let _ = match format {
        LogFormat::Json => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .with_current_span(true)
                    .with_span_list(false)
                    .with_writer(writer.make()),
            )
            .try_init(),
        LogFormat::Pretty => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .with_ansi(std::io::stderr().is_terminal())
                    .with_writer(writer.make()),
            )
            .try_init(),
    };
}

/// Where log lines go: standard error for the server, a sink or the test writer in tests.
pub trait WriterFactory {
    type W: for<'a> tracing_subscriber::fmt::MakeWriter<'a> + Send + Sync + 'static;
    fn make(self) -> Self::W;
}

/// Log to standard error.
pub struct Stderr;
impl WriterFactory for Stderr {
    type W = fn() -> std::io::Stderr;
    fn make(self) -> Self::W {
        std::io::stderr
    }
}

/// Discard every line.
pub struct Sink;
impl WriterFactory for Sink {
    type W = fn() -> std::io::Sink;
    fn make(self) -> Self::W {
        std::io::sink
    }
}

/// The root span of a request: method, route template and request id — nothing a citizen typed.
pub struct SipasRootSpan;

impl RootSpanBuilder for SipasRootSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let request_id = request
            .extensions()
            .get::<RequestId>()
            .map(|id| id.to_string())
            .unwrap_or_default();
        let route = request
            .match_pattern()
            .unwrap_or_else(|| "unmatched".to_owned());
        tracing::info_span!(
            "request",
            method = %request.method(),
            route = %route,
            request_id = %request_id,
            status = tracing::field::Empty,
        )
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        let status = match outcome {
            Ok(res) => res.status(),
            Err(err) => err.as_response_error().status_code(),
        };
        span.record("status", status.as_u16());
        // The cause of a 500 is logged exactly once, here, inside the request's span.
        let cause = match outcome {
            Ok(res) if status.is_server_error() => res.response().error(),
            Err(err) => Some(err),
            Ok(_) => None,
        };
        if let Some(err) = cause
            && status.is_server_error()
        {
            span.in_scope(|| tracing::error!(error = ?err, "request failed"));
        }
    }
}
