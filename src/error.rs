//! The one error type of the HTTP API and its RFC 9457 `application/problem+json` rendering.
//!
//! Handlers return `Result<_, ApiError>`. `ApiError::error_response` attaches a [`Problem`] to the
//! response; the `problems` middleware (in `http::middleware`) then fills in `instance` and
//! `request_id` and also turns actix's own bare error responses (404, 405, 413, …) into problems,
//! so every error a client sees has the same shape and a stable `code`.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

pub use crate::domain::problem_code::ProblemCode;

/// The media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// One entry of a validation problem's `errors` list.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct FieldError {
    /// The request field (or question id) at fault.
    pub field: String,
    /// Stable snake_case reason.
    pub code: String,
    /// Human-readable explanation.
    pub message: String,
}

impl FieldError {
    pub fn new(
        field: impl Into<String>,
        code: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            field: field.into(),
            code: code.into(),
            message: message.into(),
        }
    }
}

/// An RFC 9457 problem document as sent to clients.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// `urn:sipas:problem:{code}`.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// The request path the problem occurred on.
    pub instance: String,
    /// Stable snake_case code; clients match on it.
    pub code: ProblemCode,
    /// The id of the request, also sent as the `X-Request-Id` header and written to the logs.
    pub request_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
}

impl Problem {
    pub fn new(status: StatusCode, code: ProblemCode, detail: impl Into<String>) -> Self {
        Self {
            kind: format!("urn:sipas:problem:{code}"),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            instance: String::new(),
            code,
            request_id: None,
            errors: None,
        }
    }

    /// The problem for an error response that carries none (actix's own responses).
    pub fn from_status(status: StatusCode) -> Self {
        use ProblemCode as C;
        let (code, detail) = match status.as_u16() {
            400 => (C::MalformedRequest, "The request could not be understood."),
            401 => (C::Unauthorized, "A valid API key is required."),
            403 => (C::Forbidden, "This key may not do that."),
            404 => (C::NotFound, "There is nothing at this address."),
            405 => (
                C::MethodNotAllowed,
                "This address does not accept that method.",
            ),
            406 => (
                C::NotAcceptable,
                "No representation matches the Accept header.",
            ),
            408 => (C::RequestTimeout, "The request took too long to arrive."),
            413 => (
                C::PayloadTooLarge,
                "The request body is larger than allowed.",
            ),
            414 => (C::UriTooLong, "The address is too long."),
            415 => (
                C::UnsupportedMediaType,
                "The request body has an unsupported content type.",
            ),
            431 => (C::HeadersTooLarge, "The request headers are too large."),
            s if s >= 500 => (
                C::Internal,
                "Something went wrong on our side; it has been logged.",
            ),
            _ => (C::Error, "The request failed."),
        };
        Self::new(status, code, detail)
    }
}

/// Everything a request can fail with. Each variant says when it occurs.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The body is not well-formed JSON.
    #[error("malformed body: {0}")]
    InvalidBody(String),
    /// A path or query parameter cannot be parsed.
    #[error("invalid parameter: {0}")]
    InvalidParameter(String),
    /// The body names a field the endpoint does not know.
    #[error("unknown field `{0}`")]
    UnknownField(String),
    /// The body is JSON of the wrong shape, or fails field validation.
    #[error("validation failed")]
    Validation {
        detail: String,
        errors: Vec<FieldError>,
    },
    /// The request is well-formed but breaks a domain rule; `code` names the rule.
    #[error("rejected: {code}")]
    Rejected {
        code: ProblemCode,
        detail: String,
        errors: Vec<FieldError>,
    },
    /// No, or an invalid, credential.
    #[error("unauthorized")]
    Unauthorized,
    /// The credential may not act on this resource.
    #[error("forbidden")]
    Forbidden,
    /// Nothing at this address; `code` says what was looked for.
    #[error("not found: {code}")]
    NotFound { code: ProblemCode, detail: String },
    /// The resource existed but is no longer available.
    #[error("gone: {code}")]
    Gone { code: ProblemCode, detail: String },
    /// The request conflicts with the stored state.
    #[error("conflict: {code}")]
    Conflict { code: ProblemCode, detail: String },
    /// The body is larger than `limits.json_body_bytes`.
    #[error("payload too large")]
    PayloadTooLarge { limit: usize },
    /// A batch holds more items than `dossiers.batch_max`.
    #[error("batch too large")]
    BatchTooLarge { max: usize },
    /// The body's content type is not accepted.
    #[error("unsupported media type")]
    UnsupportedMediaType(String),
    /// Too many requests from this client.
    #[error("rate limited")]
    RateLimited { retry_after_secs: u64 },
    /// The service cannot serve right now (database down, migrations pending).
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// A bug or an infrastructure failure. The cause is logged, never sent.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<sea_orm::DbErr> for ApiError {
    fn from(err: sea_orm::DbErr) -> Self {
        match err {
            sea_orm::DbErr::RecordNotFound(what) => ApiError::NotFound {
                code: ProblemCode::NotFound,
                detail: what,
            },
            other => match other.sql_err() {
                Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => ApiError::Conflict {
                    code: ProblemCode::Conflict,
                    detail: "The resource already exists.".into(),
                },
                _ => ApiError::Unexpected(anyhow::Error::new(other)),
            },
        }
    }
}

impl ApiError {
    /// A 404 with a specific code.
    pub fn not_found(code: ProblemCode, detail: impl Into<String>) -> Self {
        Self::NotFound {
            code,
            detail: detail.into(),
        }
    }

    /// The problem document for this error (without `instance` and `request_id`).
    pub fn problem(&self) -> Problem {
        let status = self.status_code();
        match self {
            ApiError::InvalidBody(d) => Problem::new(status, ProblemCode::MalformedBody, d),
            ApiError::InvalidParameter(d) => Problem::new(status, ProblemCode::InvalidParameter, d),
            ApiError::UnknownField(field) => {
                let mut p = Problem::new(
                    status,
                    ProblemCode::UnknownField,
                    format!("The body has a field `{field}` that this endpoint does not accept."),
                );
                p.errors = Some(vec![FieldError::new(
                    field.clone(),
                    "unknown_field",
                    "not a field of this request",
                )]);
                p
            }
            ApiError::Validation { detail, errors } => {
                let mut p = Problem::new(status, ProblemCode::ValidationFailed, detail);
                p.errors = Some(errors.clone());
                p
            }
            ApiError::Rejected {
                code,
                detail,
                errors,
            } => {
                let mut p = Problem::new(status, *code, detail);
                if !errors.is_empty() {
                    p.errors = Some(errors.clone());
                }
                p
            }
            ApiError::Unauthorized => Problem::from_status(status),
            ApiError::Forbidden => Problem::from_status(status),
            ApiError::NotFound { code, detail }
            | ApiError::Gone { code, detail }
            | ApiError::Conflict { code, detail } => Problem::new(status, *code, detail),
            ApiError::PayloadTooLarge { limit } => Problem::new(
                status,
                ProblemCode::PayloadTooLarge,
                format!("The request body is larger than the limit of {limit} bytes."),
            ),
            ApiError::BatchTooLarge { max } => Problem::new(
                status,
                ProblemCode::BatchTooLarge,
                format!("A batch may hold at most {max} items; split it."),
            ),
            ApiError::UnsupportedMediaType(d) => {
                Problem::new(status, ProblemCode::UnsupportedMediaType, d)
            }
            ApiError::RateLimited { retry_after_secs } => Problem::new(
                status,
                ProblemCode::RateLimited,
                format!("Too many requests; try again in {retry_after_secs} s."),
            ),
            ApiError::Unavailable(d) => Problem::new(status, ProblemCode::NotReady, d),
            ApiError::Unexpected(_) => Problem::from_status(status),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::InvalidBody(_) | ApiError::InvalidParameter(_) => StatusCode::BAD_REQUEST,
            ApiError::UnknownField(_) | ApiError::Validation { .. } | ApiError::Rejected { .. } => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden => StatusCode::FORBIDDEN,
            ApiError::NotFound { .. } => StatusCode::NOT_FOUND,
            ApiError::Gone { .. } => StatusCode::GONE,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge { .. } | ApiError::BatchTooLarge { .. } => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let problem = self.problem();
        let mut builder = HttpResponse::build(self.status_code());
        builder.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON)));
        match self {
            ApiError::Unauthorized => {
                builder.insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"sipas\""));
            }
            ApiError::RateLimited { retry_after_secs } => {
                builder.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
            }
            _ => {}
        }
        let body = serde_json::to_string(&problem).unwrap_or_default();
        let mut response = builder.body(body);
        response.extensions_mut().insert(problem);
        response
    }
}

/// Maps actix's JSON extractor failures onto the contract's codes.
pub fn json_error(err: actix_web::error::JsonPayloadError, limit: usize) -> ApiError {
    use actix_web::error::JsonPayloadError as J;
    match err {
        J::Overflow { .. } | J::OverflowKnownLength { .. } => ApiError::PayloadTooLarge { limit },
        J::ContentType => ApiError::UnsupportedMediaType(
            "Send the body as JSON with `Content-Type: application/json`.".into(),
        ),
        J::Deserialize(e) => serde_error(&e),
        other => ApiError::InvalidBody(other.to_string()),
    }
}

/// Classifies a serde_json error: syntax → 400, unknown field → 422 `unknown_field`,
/// wrong shape → 422 `validation_failed`.
pub fn serde_error(e: &serde_json::Error) -> ApiError {
    use serde_json::error::Category;
    match e.classify() {
        Category::Syntax | Category::Eof | Category::Io => {
            ApiError::InvalidBody(format!("The body is not valid JSON: {e}."))
        }
        Category::Data => {
            let message = e.to_string();
            if let Some(field) = message
                .strip_prefix("unknown field `")
                .and_then(|rest| rest.split('`').next())
            {
                return ApiError::UnknownField(field.to_owned());
            }
            ApiError::Validation {
                detail: format!("The body does not have the expected shape: {message}."),
                errors: Vec::new(),
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn serde_errors_are_classified() {
        #[derive(serde::Deserialize, Debug)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Body {
            a: u32,
        }
        let syntax = serde_json::from_str::<Body>("{").unwrap_err();
        assert!(matches!(serde_error(&syntax), ApiError::InvalidBody(_)));
        let unknown = serde_json::from_str::<Body>(r#"{"a":1,"zz":2}"#).unwrap_err();
        assert!(matches!(serde_error(&unknown), ApiError::UnknownField(f) if f == "zz"));
        let shape = serde_json::from_str::<Body>(r#"{"a":"x"}"#).unwrap_err();
        assert!(matches!(serde_error(&shape), ApiError::Validation { .. }));
    }

    #[test]
    fn internal_errors_never_show_their_cause() {
        let err = ApiError::Unexpected(anyhow::anyhow!("password=hunter2 in connection string"));
        let p = err.problem();
        assert_eq!(p.status, 500);
        assert_eq!(p.code, ProblemCode::Internal);
        assert!(!serde_json::to_string(&p).unwrap().contains("hunter2"));
    }
}
