//! Middleware that every response passes through (innermost first):
//! - `problems`: sets `X-Request-Id`, and renders every error response (4xx/5xx) as
//!   problem+json with `instance` and `request_id` — including actix's own bare 404/405/413 —
//!   except responses marked [`HumanPage`]: the citizen pages answer people, not API clients,
//!   and their 404/410/422/429 are HTML pages meant to be read.
//! - `observe`: counts the request in the metrics and writes the one access-log line.

use std::time::Instant;

use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpResponse, web};
use tracing_actix_web::RequestId;

use crate::error::{PROBLEM_JSON, Problem};
use crate::state::AppState;

/// The response header carrying the request id.
pub const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Marks a response (in its extensions) whose body is a finished page for people: `problems`
/// leaves its body and content type alone, whatever its status.
#[derive(Debug, Clone, Copy)]
pub struct HumanPage;

/// See the module documentation.
pub async fn problems(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody, BoxBody>>, actix_web::Error> {
    let request_id = req.extensions().get::<RequestId>().map(|id| id.to_string());
    let instance = req.path().to_owned();
    let mut res = next.call(req).await?;
    if let Some(id) = request_id
        .as_deref()
        .and_then(|id| HeaderValue::from_str(id).ok())
    {
        res.headers_mut().insert(X_REQUEST_ID, id);
    }
    let status = res.status();
    let is_error = status.is_client_error() || status.is_server_error();
    if !is_error || res.response().extensions().contains::<HumanPage>() {
        return Ok(res.map_into_left_body());
    }
    // The body is rebuilt below, which drops the error: its cause is logged here, once, inside
    // the request's span (errors returned as `Err` are logged by the root span instead).
    if status.is_server_error()
        && let Some(err) = res.response().error()
    {
        tracing::error!(error = ?err, "request failed");
    }
    let mut problem = res
        .response()
        .extensions()
        .get::<Problem>()
        .cloned()
        .unwrap_or_else(|| Problem::from_status(status));
    problem.instance = instance;
    problem.request_id = request_id;
    let body = serde_json::to_string(&problem).unwrap_or_default();
    let (req, old) = res.into_parts();
    let mut new = HttpResponse::build(status);
    for (name, value) in old.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            new.append_header((name.clone(), value.clone()));
        }
    }
    new.insert_header((header::CONTENT_TYPE, PROBLEM_JSON));
    let new = new.body(body);
    Ok(ServiceResponse::new(req, new).map_into_right_body())
}

/// See the module documentation.
pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    // Labels from a closed set only (`http::metrics`): no client can add series.
    let method = crate::http::metrics::method_label(req.method());
    let route = req
        .match_pattern()
        .unwrap_or_else(|| crate::http::metrics::UNMATCHED.to_owned());
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let res = next.call(req).await;
    let elapsed = started.elapsed();
    let status = match &res {
        Ok(r) => r.status(),
        Err(e) => e.as_response_error().status_code(),
    };
    if let Some(state) = state {
        state
            .metrics
            .observe(method, &route, status.as_u16(), elapsed);
    }
    tracing::info!(
        status = status.as_u16(),
        elapsed_ms = elapsed.as_secs_f64() * 1000.0,
        "request finished"
    );
    res
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use actix_web::middleware::from_fn;
    use actix_web::{App, test};

    fn gone(marked: bool) -> HttpResponse {
        let mut res = HttpResponse::Gone()
            .content_type("text/html; charset=utf-8")
            .body("<p>closed</p>");
        if marked {
            res.extensions_mut().insert(HumanPage);
        }
        res
    }

    #[actix_web::test]
    async fn marked_pages_keep_their_html_and_other_errors_become_problems() {
        let app = test::init_service(
            App::new()
                .wrap(from_fn(problems))
                .route("/page", web::get().to(|| async { gone(true) }))
                .route("/api", web::get().to(|| async { gone(false) })),
        )
        .await;
        for (path, content_type, body) in [
            ("/page", "text/html; charset=utf-8", "<p>closed</p>"),
            ("/api", PROBLEM_JSON, "\"status\":410"),
        ] {
            let res =
                test::call_service(&app, test::TestRequest::get().uri(path).to_request()).await;
            assert_eq!(res.status().as_u16(), 410);
            assert_eq!(
                res.headers().get(header::CONTENT_TYPE).unwrap(),
                content_type,
                "{path}"
            );
            let got = test::read_body(res).await;
            let got = String::from_utf8_lossy(&got);
            assert!(got.contains(body), "{path}: {got}");
        }
    }
}
