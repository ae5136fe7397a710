//! The OpenAPI 3.1 document: its header here, its paths collected from the handlers by
//! `utoipa-actix-web`, and one problem type referenced from every operation's error responses.

use utoipa::OpenApi;
use utoipa::openapi::path::Operation;
use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};

use crate::error::{FieldError, PROBLEM_JSON, Problem};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "sipas",
        description = "SIPAS citizen-satisfaction measurement (Chỉ số hài lòng về sự phục vụ hành chính): \
                       forms, dossiers, anonymous responses and indices.",
        license(name = "AGPL-3.0-or-later")
    ),
    components(schemas(Problem, FieldError)),
    tags(
        (name = "operations", description = "Health, readiness, metrics"),
        (name = "pages", description = "Server-rendered HTML pages for citizens and officers"),
        (name = "forms", description = "The official SIPAS questionnaires, versioned and immutable"),
        (name = "agencies", description = "The hierarchy of agencies"),
        (name = "audit", description = "Who did which administrative action when"),
        (name = "dossiers", description = "Registering completed dossiers for a survey; QR codes of survey links"),
        (name = "surveys", description = "A citizen's survey, reached with the token from the link"),
        (name = "months", description = "Publication by closed month: answers are published only once the month of their dossiers is closed (every link expired, or closed early by an administrator)"),
        (name = "results", description = "SIPAS indices with intervals, rankings, trends and PAR scores, from the published (closed) months only"),
        (name = "responses", description = "Questionnaires an agency enters: paper, kiosk, phone"),
    ),
    modifiers(&BearerKeys)
)]
struct ApiDoc;

/// Declares the `api_key` security scheme (`Authorization: Bearer <key>`).
struct BearerKeys;

impl utoipa::Modify for BearerKeys {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "An API key from `sipas keys create`, as `Authorization: Bearer sipas_…`.",
                    ))
                    .build(),
            ),
        );
    }
}

/// The document header; paths are added by the app builder.
pub fn base() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// Adds a `default` problem+json response to every operation that has none.
pub fn finish(mut api: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    let problem = ResponseBuilder::new()
        .description("An error, as RFC 9457 problem+json with a stable `code`.")
        .content(
            PROBLEM_JSON,
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        )
        .build();
    for item in api.paths.paths.values_mut() {
        for op in operations_mut(item) {
            op.responses
                .responses
                .entry("default".to_owned())
                .or_insert_with(|| problem.clone().into());
        }
    }
    api
}

fn operations_mut(item: &mut utoipa::openapi::PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        item.get.as_mut(),
        item.put.as_mut(),
        item.post.as_mut(),
        item.delete.as_mut(),
        item.patch.as_mut(),
    ]
    .into_iter()
    .flatten()
}

/// The methods each documented path accepts, so an unmatched request can be told 405 (with
/// `Allow`) instead of 404 when only the method is wrong.
pub struct RouteTable(Vec<(actix_web::dev::ResourceDef, Vec<&'static str>)>);

impl RouteTable {
    pub fn from_openapi(api: &utoipa::openapi::OpenApi) -> Self {
        let routes = api
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let methods = [
                    ("GET", item.get.is_some()),
                    ("PUT", item.put.is_some()),
                    ("POST", item.post.is_some()),
                    ("DELETE", item.delete.is_some()),
                    ("PATCH", item.patch.is_some()),
                ]
                .into_iter()
                .filter_map(|(m, present)| present.then_some(m))
                .collect();
                (actix_web::dev::ResourceDef::new(path.as_str()), methods)
            })
            .collect();
        Self(routes)
    }

    /// The methods allowed on `path`, if some route matches it.
    pub fn allowed(&self, path: &str) -> Option<&[&'static str]> {
        self.0
            .iter()
            .find(|(def, _)| def.is_match(path))
            .map(|(_, methods)| methods.as_slice())
    }
}
