//! The HTTP layer: the actix `App` (routes, extractor configuration, middleware, OpenAPI and
//! Swagger UI) and one file per resource. Handlers parse requests, call `domain`/`persistence`,
//! and map results to views; they hold no SQL and no business rules.

pub mod agencies;
pub mod audit;
pub mod auth;
pub mod bodies;
pub mod client_addr;
pub mod connection;
pub mod dossiers;
pub mod entry;
pub mod export;
pub mod extract;
pub mod forms;
pub mod metrics;
pub mod middleware;
pub mod months;
pub mod openapi;
pub mod ops;
pub mod pages;
pub mod periods;
pub mod results;
pub mod sampling;
pub mod submissions;
pub mod surveys;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpRequest, HttpResponse, ResponseError, web};
use tracing_actix_web::TracingLogger;
use utoipa_actix_web::{AppExt, scope};
use utoipa_swagger_ui::SwaggerUi;

use crate::error::{ApiError, ProblemCode, json_error};
use crate::state::AppState;
use crate::telemetry::SipasRootSpan;
use openapi::RouteTable;

/// Builds the application for one worker.
pub fn app(
    state: web::Data<AppState>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    // The largest body any route takes; each route's own, smaller limit is `bodies::bounded`'s.
    let limit = state.settings.limits.json_body_bytes;
    let (app, api) = App::new()
        .into_utoipa_app()
        .openapi(openapi::base())
        .app_data(state)
        .app_data(json_config(limit))
        .app_data(web::PayloadConfig::default().limit(limit))
        .app_data(query_config())
        .app_data(path_config())
        .service(ops::health)
        .service(ops::ready)
        .service(ops::metrics)
        .service(
            scope("/api/v1")
                .service(forms::list_forms)
                .service(forms::get_form)
                .service(forms::get_form_version)
                .service(agencies::create_agency)
                .service(agencies::list_agencies)
                .service(agencies::get_agency)
                .service(entry::enter_response)
                .service(audit::list_audit)
                .service(months::list_months)
                .service(months::close_month)
                .service(dossiers::create_dossier_batch)
                .service(dossiers::create_dossier)
                .service(dossiers::dossier_qr)
                .service(surveys::get_survey)
                .service(submissions::post_response)
                .service(results::get_results)
                .service(results::get_trend)
                .service(results::get_rankings)
                .service(results::get_par_scores)
                .service(sampling::get_sampling)
                .service(sampling::get_follow_up)
                .service(export::export_responses),
        )
        .service(pages::form_page)
        .service(pages::survey::survey_page)
        .service(pages::survey::answer_survey)
        .service(pages::accounts::sign_in_page)
        .service(pages::accounts::sign_in)
        .service(pages::accounts::sign_out)
        .service(pages::dashboard::dashboard)
        .service(pages::dashboard::par_scores_csv)
        .service(pages::dashboard::overview)
        .service(pages::dashboard::items)
        .service(pages::dashboard::indicators)
        .service(pages::dashboard::trend)
        .service(pages::dashboard::compare)
        .service(pages::dashboard::breakdowns)
        .service(pages::dashboard::downloads)
        .service(pages::dashboard::report_xlsx)
        .service(pages::dashboard::follow_up_csv)
        .service(pages::dashboard::export_download)
        .split_for_parts();
    let api = openapi::finish(api);
    let routes = web::Data::new(RouteTable::from_openapi(&api));
    app.app_data(routes)
        .service(SwaggerUi::new("/swagger-ui/{_:.*}").url("/api-docs/openapi.json", api))
        .default_service(web::to(fallback))
        .wrap(from_fn(auth::authenticate))
        // Outside `authenticate`: a body over its limit is refused before any key is looked up.
        .wrap(from_fn(bodies::bounded))
        .wrap(from_fn(middleware::problems))
        .wrap(from_fn(middleware::observe))
        .wrap(TracingLogger::<SipasRootSpan>::new())
}

/// JSON bodies: size limit and the mapping of parse failures onto problem codes.
pub fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(limit)
        .error_handler(move |err, _| json_error(err, limit).into())
}

/// Query strings that do not parse are a 400 `invalid_parameter`.
pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err, _| {
        ApiError::InvalidParameter(format!("Invalid query parameter: {err}.")).into()
    })
}

/// Path segments that do not parse are a 400 `invalid_parameter`.
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|err, _| {
        ApiError::InvalidParameter(format!("Invalid path parameter: {err}.")).into()
    })
}

/// No route matched: 405 (with `Allow`) when the path exists for other methods, else 404.
async fn fallback(req: HttpRequest, routes: web::Data<RouteTable>) -> HttpResponse {
    match routes.allowed(req.path()) {
        Some(methods) => {
            let mut res = HttpResponse::MethodNotAllowed();
            res.insert_header((header::ALLOW, methods.join(", ")));
            res.finish()
        }
        None => ApiError::not_found(ProblemCode::NotFound, "There is nothing at this address.")
            .error_response(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    //! The extractor configuration and the problem middleware on a minimal app with one JSON
    //! endpoint, so the JSON error mapping is covered before the API has its own POST routes.
    use super::*;
    use actix_web::test;

    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        name: String,
    }

    async fn echo(body: web::Json<Body>) -> HttpResponse {
        HttpResponse::Ok().body(body.into_inner().name)
    }

    async fn post(payload: &str, content_type: &str) -> (u16, String, serde_json::Value) {
        let app = test::init_service(
            App::new()
                .app_data(json_config(64))
                .wrap(from_fn(middleware::problems))
                .route("/echo", web::post().to(echo)),
        )
        .await;
        let req = test::TestRequest::post()
            .uri("/echo")
            .insert_header((header::CONTENT_TYPE, content_type))
            .set_payload(payload.to_owned())
            .to_request();
        let res = test::call_service(&app, req).await;
        let status = res.status().as_u16();
        let ct = res
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let body = test::read_body(res).await;
        let json = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
        (status, ct, json)
    }

    #[actix_web::test]
    async fn json_failures_become_problems_with_stable_codes() {
        let cases = [
            ("{", "application/json", 400, "malformed_body"),
            (
                r#"{"name":"a","extra":1}"#,
                "application/json",
                422,
                "unknown_field",
            ),
            (
                r#"{"name":5}"#,
                "application/json",
                422,
                "validation_failed",
            ),
            (
                r#"{"name":"a"}"#,
                "text/plain",
                415,
                "unsupported_media_type",
            ),
            (
                &format!(r#"{{"name":"{}"}}"#, "x".repeat(100)),
                "application/json",
                413,
                "payload_too_large",
            ),
        ];
        for (payload, content_type, status, code) in cases {
            let (got, ct, body) = post(payload, content_type).await;
            assert_eq!(got, status, "{payload}: {body}");
            assert_eq!(ct, crate::error::PROBLEM_JSON);
            assert_eq!(body["code"], code, "{payload}: {body}");
            assert_eq!(body["instance"], "/echo");
        }
        let (_, _, body) = post(r#"{"name":"a","extra":1}"#, "application/json").await;
        assert_eq!(body["errors"][0]["field"], "extra");
        let (ok, _, _) = post(r#"{"name":"a"}"#, "application/json").await;
        assert_eq!(ok, 200);
    }
}
