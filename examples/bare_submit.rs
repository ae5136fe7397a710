//! The bare baseline of `scripts/bench-submit`: an actix-web server that answers
//! `POST /api/v1/surveys/{token}/response` the way the cheapest possible service would — it
//! parses the same JSON body into the same shape sipas accepts and answers 201 with a receipt —
//! and stores nothing. What sipas does beyond that (token lookup, checking the answers against
//! the form, the durable commit) is what the benchmark's share of this baseline measures, on
//! the same machine in the same run.
//!
//!     cargo run --release --example bare_submit -- 127.0.0.1:8099

use actix_web::{App, HttpResponse, HttpServer, post, web};
use serde::Deserialize;
use serde_json::{Map, Value};

/// The body of a submission, as sipas reads it (`http::submissions::NewSubmission`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Submission {
    answers: Map<String, Value>,
    language: Option<String>,
    mode: Option<String>,
    submission_key: Option<String>,
}

#[post("/api/v1/surveys/{token}/response")]
async fn submit(token: web::Path<String>, body: web::Json<Submission>) -> HttpResponse {
    // A receipt of the same length as sipas's (64 hex digits), derived so that nothing is
    // optimised away.
    let seed = token.len() as u64 * 31 + body.answers.len() as u64;
    HttpResponse::Created().json(serde_json::json!({ "receipt": format!("{seed:064x}") }))
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let bind = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8099".into());
    HttpServer::new(|| {
        App::new()
            .app_data(web::JsonConfig::default().limit(64 * 1024))
            .service(submit)
    })
    .bind(bind)?
    .run()
    .await
}
