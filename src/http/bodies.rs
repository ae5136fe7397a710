//! Request bodies, bounded: the `bounded` middleware gives every request a size limit by route
//! and a deadline, both checked while the body is read, before any key, token or database is
//! looked at.
//!
//! - **Limits** (`limits.*`): the batch registration `POST /api/v1/dossiers/batch` takes
//!   `json_body_bytes` (16 MiB, a batch of 10,000); the anonymous endpoints — a citizen's
//!   answers (`/api/v1/surveys/{token}…`), the survey page (`/s/{token}`), the sign-in form —
//!   and requests to no route take `citizen_body_bytes` (64 KiB); every other route, each of
//!   which needs an API key or an officer's session, takes `body_bytes` (1 MiB).
//! - **No compressed bodies.** A body with a `Content-Encoding` other than `identity` is 415
//!   `unsupported_media_type` before a byte is read: a decoder unpacks a whole chunk before
//!   anything can count it, and 64 KB of zstd unpack to 2 GB. Browsers never compress what
//!   they send; a client that would is told so.
//! - **Deadline**: the whole body must have arrived `limits.body_read_timeout_secs` after the
//!   headers; a client that trickles it gets 408 `request_timeout`.
//! - **When.** A `Content-Length` over the limit is refused at once, without reading. The
//!   anonymous endpoints' bodies (small) are read here, in full, before the request goes on —
//!   so their 413 and 408 come before the API-key middleware, the token lookup and the
//!   guessing limiter. Other bodies are counted as the handler reads them (after the key is
//!   checked, so no one without a key makes the server read 16 MiB).
//! - **Answers.** 413 `payload_too_large` / 408 `request_timeout` as problems, with
//!   `Connection: close` (the rest of the body is never read). On the people's pages (routes
//!   outside `/api/`), the page's own error page is kept and given that status.

use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::header::{CONTENT_ENCODING, CONTENT_LENGTH};
use actix_web::http::{ConnectionType, StatusCode};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpResponse, ResponseError, web};
use bytes::{Bytes, BytesMut};
use futures_util::{Stream, StreamExt};
use tokio::time::{Instant, Sleep};

use crate::config::LimitSettings;
use crate::error::{ApiError, PROBLEM_JSON, Problem, ProblemCode};
use crate::http::middleware::HumanPage;
use crate::state::AppState;

/// The route templates of the anonymous endpoints (see the module documentation).
const ANONYMOUS: [&str; 4] = [
    "/api/v1/surveys/{token}",
    "/api/v1/surveys/{token}/response",
    "/s/{token}",
    "/sign-in",
];

/// The batch registration, which alone takes `limits.json_body_bytes`.
const BATCH: &str = "/api/v1/dossiers/batch";

/// The limit of a request's body, left in its extensions (for messages that name it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyLimit(pub usize);

/// Why a body was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    TooLarge(usize),
    TooSlow,
}

impl Refusal {
    fn status(self) -> StatusCode {
        match self {
            Refusal::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Refusal::TooSlow => StatusCode::REQUEST_TIMEOUT,
        }
    }

    /// The error the reader of the body sees.
    fn error(self) -> PayloadError {
        match self {
            Refusal::TooLarge(_) => PayloadError::Overflow,
            Refusal::TooSlow => PayloadError::Io(std::io::ErrorKind::TimedOut.into()),
        }
    }

    /// The problem answered.
    fn response(self) -> HttpResponse {
        let mut res = match self {
            Refusal::TooLarge(limit) => ApiError::PayloadTooLarge { limit }.error_response(),
            Refusal::TooSlow => {
                let problem = Problem::new(
                    StatusCode::REQUEST_TIMEOUT,
                    ProblemCode::RequestTimeout,
                    "The request body did not arrive in time.",
                );
                let mut res = HttpResponse::RequestTimeout()
                    .content_type(PROBLEM_JSON)
                    .body(serde_json::to_string(&problem).unwrap_or_default());
                res.extensions_mut().insert(problem);
                res
            }
        };
        res.head_mut().set_connection_type(ConnectionType::Close);
        res
    }
}

/// How the body of a route is treated.
#[derive(Debug, Clone, Copy)]
struct Rule {
    limit: usize,
    /// Read here, in full, before the request goes on.
    read_first: bool,
    /// A people's page, which renders its own errors.
    page: bool,
}

fn rule(pattern: Option<&str>, limits: &LimitSettings) -> Rule {
    let page = pattern.is_some_and(|p| !p.starts_with("/api/"));
    match pattern {
        Some(BATCH) => Rule {
            limit: limits.json_body_bytes,
            read_first: false,
            page,
        },
        Some(p) if ANONYMOUS.contains(&p) => Rule {
            limit: limits.citizen_body_bytes,
            read_first: true,
            page,
        },
        Some(_) => Rule {
            limit: limits.body_bytes,
            read_first: false,
            page,
        },
        None => Rule {
            limit: limits.citizen_body_bytes,
            read_first: true,
            page: false,
        },
    }
}

/// See the module documentation.
pub async fn bounded(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody, actix_web::body::BoxBody>>, actix_web::Error>
{
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body);
    };
    if let Some(encoding) = compressed(&req) {
        let refused = ApiError::UnsupportedMediaType(format!(
            "Request bodies are not accepted compressed (Content-Encoding: {encoding}); send them as they are."
        ));
        let mut res = refused.error_response();
        res.head_mut().set_connection_type(ConnectionType::Close);
        return Ok(req.into_response(res).map_into_right_body());
    }
    let limits = &state.settings.limits;
    let rule = rule(req.match_pattern().as_deref(), limits);
    let refused: Arc<OnceLock<Refusal>> = Arc::new(OnceLock::new());
    req.extensions_mut().insert(BodyLimit(rule.limit));

    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let payload = if declared.is_some_and(|n| n > rule.limit as u64) {
        // Refused without reading a byte.
        if !rule.page {
            let res = req.into_response(Refusal::TooLarge(rule.limit).response());
            return Ok(res.map_into_right_body());
        }
        failing(Refusal::TooLarge(rule.limit), &refused)
    } else {
        let guarded = Guarded::new(
            Box::pin(req.take_payload()),
            rule.limit,
            Duration::from_secs(limits.body_read_timeout_secs),
            Arc::clone(&refused),
        );
        if rule.read_first {
            match (read_all(guarded).await, refused.get().copied()) {
                (Ok(body), _) => Payload::from(body),
                (Err(_), Some(refusal)) if !rule.page => {
                    return Ok(req.into_response(refusal.response()).map_into_right_body());
                }
                (Err(_), Some(refusal)) => failing(refusal, &refused),
                (Err(error), None) => broken(error),
            }
        } else {
            let guarded: Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>> =
                Box::pin(guarded);
            Payload::Stream { payload: guarded }
        }
    };
    req.set_payload(payload);
    let res = next.call(req).await?;
    match refused.get() {
        None => Ok(res.map_into_left_body()),
        Some(refusal) => Ok(answer(res, *refusal)),
    }
}

/// The response to a request whose body was refused while its handler read it.
fn answer<B: MessageBody + 'static>(
    res: ServiceResponse<B>,
    refusal: Refusal,
) -> ServiceResponse<EitherBody<B, actix_web::body::BoxBody>> {
    if res.response().extensions().contains::<HumanPage>() {
        let mut res = res;
        *res.response_mut().status_mut() = refusal.status();
        res.response_mut()
            .head_mut()
            .set_connection_type(ConnectionType::Close);
        return res.map_into_left_body();
    }
    let (req, _) = res.into_parts();
    ServiceResponse::new(req, refusal.response()).map_into_right_body()
}

/// The `Content-Encoding` of a compressed body (anything but `identity`).
fn compressed(req: &ServiceRequest) -> Option<String> {
    let value = req.headers().get(CONTENT_ENCODING)?;
    let text = String::from_utf8_lossy(value.as_bytes()).trim().to_owned();
    (!text.eq_ignore_ascii_case("identity") && !text.is_empty()).then_some(text)
}

/// A payload that fails at once with `refusal` (noted when it is read).
fn failing(refusal: Refusal, refused: &Arc<OnceLock<Refusal>>) -> Payload {
    let refused = Arc::clone(refused);
    let stream = futures_util::stream::once(async move {
        let _ = refused.set(refusal);
        Err::<Bytes, _>(refusal.error())
    });
    Payload::Stream {
        payload: Box::pin(stream),
    }
}

/// Reads a guarded body to its end: the bytes, or the error that stopped it (a refusal is
/// noted in the body's `refused` as well).
async fn read_all(mut body: Guarded) -> Result<Bytes, PayloadError> {
    let mut buf = BytesMut::new();
    while let Some(chunk) = body.next().await {
        buf.extend_from_slice(&chunk?);
    }
    Ok(buf.freeze())
}

/// A payload that fails at once with `error` (a client that went away, a broken encoding):
/// the handler says what it says about an unreadable body.
fn broken(error: PayloadError) -> Payload {
    let stream = futures_util::stream::once(async move { Err::<Bytes, _>(error) });
    Payload::Stream {
        payload: Box::pin(stream),
    }
}

/// A payload counted against a limit and a deadline; the first refusal is noted in `refused`.
struct Guarded {
    inner: Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>>,
    limit: usize,
    read: usize,
    deadline: Pin<Box<Sleep>>,
    refused: Arc<OnceLock<Refusal>>,
}

impl Guarded {
    fn new(
        inner: Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>>,
        limit: usize,
        timeout: Duration,
        refused: Arc<OnceLock<Refusal>>,
    ) -> Self {
        Self {
            inner,
            limit,
            read: 0,
            deadline: Box::pin(tokio::time::sleep_until(Instant::now() + timeout)),
            refused,
        }
    }

    fn refuse(&mut self, refusal: Refusal) -> Poll<Option<Result<Bytes, PayloadError>>> {
        let _ = self.refused.set(refusal);
        Poll::Ready(Some(Err(refusal.error())))
    }
}

impl Stream for Guarded {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if let Some(refusal) = self.refused.get() {
            return Poll::Ready(Some(Err(refusal.error())));
        }
        match self.inner.as_mut().poll_next(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                self.read = self.read.saturating_add(chunk.len());
                if self.read > self.limit {
                    let limit = self.limit;
                    return self.refuse(Refusal::TooLarge(limit));
                }
                Poll::Ready(Some(Ok(chunk)))
            }
            Poll::Pending => match self.deadline.as_mut().poll(cx) {
                Poll::Ready(()) => self.refuse(Refusal::TooSlow),
                Poll::Pending => Poll::Pending,
            },
            other => other,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn limits() -> LimitSettings {
        crate::config::Settings::defaults().unwrap().limits
    }

    #[test]
    fn each_route_gets_its_limit() {
        let l = limits();
        let r = |p: Option<&str>| rule(p, &l);
        assert_eq!(r(Some(BATCH)).limit, 16 << 20);
        assert_eq!(r(Some("/api/v1/agencies")).limit, 1 << 20);
        let citizen = r(Some("/api/v1/surveys/{token}/response"));
        assert_eq!(
            (citizen.limit, citizen.read_first, citizen.page),
            (64 << 10, true, false)
        );
        let page = r(Some("/s/{token}"));
        assert_eq!(
            (page.limit, page.read_first, page.page),
            (64 << 10, true, true)
        );
        assert!(r(Some("/sign-in")).page);
        let nowhere = r(None);
        assert_eq!((nowhere.limit, nowhere.page), (64 << 10, false));
    }

    #[tokio::test]
    async fn a_body_over_its_limit_or_past_its_deadline_is_refused_while_read() {
        let refused = Arc::new(OnceLock::new());
        let chunks = futures_util::stream::iter(vec![
            Ok(Bytes::from_static(b"0123456789")),
            Ok(Bytes::from_static(b"0123456789")),
        ]);
        let body = Guarded::new(
            Box::pin(chunks),
            15,
            Duration::from_secs(60),
            refused.clone(),
        );
        assert!(matches!(read_all(body).await, Err(PayloadError::Overflow)));
        assert_eq!(refused.get(), Some(&Refusal::TooLarge(15)));

        let refused = Arc::new(OnceLock::new());
        let stalled = futures_util::stream::once(async { Ok(Bytes::from_static(b"{")) })
            .chain(futures_util::stream::pending());
        let body = Guarded::new(
            Box::pin(stalled),
            100,
            Duration::from_millis(10),
            refused.clone(),
        );
        assert!(read_all(body).await.is_err());
        assert_eq!(refused.get(), Some(&Refusal::TooSlow));

        let refused = Arc::new(OnceLock::new());
        let whole = futures_util::stream::iter(vec![Ok(Bytes::from_static(b"{}"))]);
        let body = Guarded::new(Box::pin(whole), 2, Duration::from_secs(60), refused.clone());
        assert_eq!(read_all(body).await.unwrap(), Bytes::from_static(b"{}"));
        assert!(refused.get().is_none());
    }
}
