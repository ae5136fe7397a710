//! Health, readiness, metrics, OpenAPI and the error model as clients see them.

use crate::helpers::{assert_problem, spawn_app};
use sipas::error::ProblemCode;

#[tokio::test]
async fn health_is_200_with_a_request_id() {
    let app = spawn_app().await;
    let res = app.get("/health").await;
    assert_eq!(res.status().as_u16(), 200);
    let id = res.headers().get("x-request-id").expect("X-Request-Id");
    assert!(uuid::Uuid::parse_str(id.to_str().unwrap()).is_ok());
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["status"], "ok");
}

#[tokio::test]
async fn ready_is_200_with_migrations_applied() {
    let app = spawn_app().await;
    assert_eq!(app.get("/ready").await.status().as_u16(), 200);
}

#[tokio::test]
async fn ready_turns_503_when_the_database_is_gone() {
    let app = spawn_app().await;
    assert_eq!(app.get("/ready").await.status().as_u16(), 200);
    app.db.close_by_ref().await.unwrap();
    let body = assert_problem(app.get("/ready").await, ProblemCode::NotReady).await;
    assert_eq!(body["instance"], "/ready");
    // Liveness does not depend on the database.
    assert_eq!(app.get("/health").await.status().as_u16(), 200);
}

#[tokio::test]
async fn unknown_route_is_a_404_problem() {
    let app = spawn_app().await;
    let res = app
        .client
        .post(app.url("/api/v1/anything"))
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    let body = assert_problem(res, ProblemCode::NotFound).await;
    assert_eq!(body["instance"], "/api/v1/anything");
    assert_eq!(body["type"], "urn:sipas:problem:not_found");
}

#[tokio::test]
async fn wrong_method_is_a_405_problem_with_allow() {
    let app = spawn_app().await;
    let res = app.client.delete(app.url("/health")).send().await.unwrap();
    assert_eq!(res.headers().get("allow").unwrap(), "GET");
    assert_problem(res, ProblemCode::MethodNotAllowed).await;
}

#[tokio::test]
async fn metrics_count_requests_by_route_template() {
    let app = spawn_app().await;
    app.get("/health").await;
    app.get("/health").await;
    app.get("/no/such/page").await;
    let res = app.get("/metrics").await;
    assert_eq!(res.status().as_u16(), 200);
    assert!(
        res.headers()
            .get("content-type")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = res.text().await.unwrap();
    assert!(
        text.contains("http_requests_total{method=\"GET\",route=\"/health\",status=\"200\"} 2"),
        "{text}"
    );
    assert!(
        text.contains("route=\"unmatched\",status=\"404\"} 1"),
        "{text}"
    );
    assert!(
        !text.contains("/no/such/page"),
        "concrete paths must not become labels"
    );
    assert!(text.contains("http_request_duration_seconds_bucket{"));
    assert!(text.contains("sipas_build_info{version=\""));
}

#[tokio::test]
async fn openapi_document_is_3_1_and_lists_the_operations() {
    let app = spawn_app().await;
    let res = app.get("/api-docs/openapi.json").await;
    assert_eq!(res.status().as_u16(), 200);
    let doc: serde_json::Value = res.json().await.unwrap();
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    for path in ["/health", "/ready", "/metrics"] {
        assert!(doc["paths"][path]["get"].is_object(), "{path} missing");
    }
    assert!(doc["components"]["schemas"]["Problem"].is_object());
    // The problem codes are one enum, listed whole in the document.
    let listed: Vec<&str> = doc["components"]["schemas"]["ProblemCode"]["enum"]
        .as_array()
        .expect("ProblemCode is an enum schema")
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    let all: Vec<&str> = ProblemCode::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(listed, all);
    assert_eq!(
        doc["components"]["schemas"]["Problem"]["properties"]["code"]["$ref"],
        "#/components/schemas/ProblemCode"
    );
    // Every operation documents its problem+json errors — except the citizen and officer
    // pages, whose errors are HTML pages for people.
    let officer_pages = ["/sign-in", "/sign-out", "/dashboard"];
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let errors = &op["responses"]["default"]["content"];
            let media = if path.starts_with("/s/")
                || path.starts_with("/dashboard")
                || officer_pages.contains(&path.as_str())
            {
                "text/html"
            } else {
                "application/problem+json"
            };
            assert!(
                errors[media].is_object(),
                "{method} {path} lacks the {media} error response"
            );
        }
    }
    assert!(doc["paths"]["/s/{token}"]["post"].is_object());
}

#[tokio::test]
async fn swagger_ui_is_served_offline() {
    let app = spawn_app().await;
    let res = app.get("/swagger-ui/").await;
    assert_eq!(res.status().as_u16(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains("swagger"), "{html}");
    assert!(
        !html.contains("unpkg.com") && !html.contains("cdn"),
        "must not load from a CDN"
    );
    let init = app.get("/swagger-ui/swagger-initializer.js").await;
    assert_eq!(init.status().as_u16(), 200);
    assert!(
        init.text()
            .await
            .unwrap()
            .contains("/api-docs/openapi.json")
    );
}

#[tokio::test]
async fn ready_turns_503_while_migrations_are_pending() {
    use migration::MigratorTrait;
    let app = spawn_app().await;
    migration::Migrator::down(&app.db, Some(1)).await.unwrap();
    let body = assert_problem(app.get("/ready").await, ProblemCode::NotReady).await;
    assert!(
        body["detail"].as_str().unwrap().contains("migrate"),
        "{body}"
    );
    migration::Migrator::up(&app.db, None).await.unwrap();
    assert_eq!(app.get("/ready").await.status().as_u16(), 200);
}
