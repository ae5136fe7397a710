//! Request extractors shared by the resources: [`ValidatedJson`], a JSON body that has been
//! deserialised (unknown fields refused) and checked with its `validator` rules; and
//! [`ParsedJson`], a JSON body deserialised the same way and parsed at once into its domain
//! type, which names every field at fault ([`FieldErrors`]).

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest, mime, web};
use serde::de::DeserializeOwned;
use validator::{Validate, ValidationErrors, ValidationErrorsKind};

use crate::error::{ApiError, FieldError, serde_error};
use crate::http::bodies::BodyLimit;
use crate::state::AppState;

/// A JSON body of type `T` that passed `T::validate()`.
///
/// Failures, in the order they are checked: not JSON content type → 415; too large → 413; not
/// UTF-8 → 422 `validation_failed`; not JSON → 400 `malformed_body`; an unknown field → 422
/// `unknown_field`; wrong shape or a failed rule → 422 `validation_failed` with `errors`.
#[derive(Debug)]
pub struct ValidatedJson<T>(pub T);

impl<T> ValidatedJson<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T: DeserializeOwned + Validate + 'static> FromRequest for ValidatedJson<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let bytes = json_bytes(req, payload);
        Box::pin(async move { Ok(parse(&bytes.await?).map(ValidatedJson)?) })
    }
}

/// A JSON body read as the request type `B` (with the same answers as [`ValidatedJson`] for
/// its content type, size, encoding, syntax and shape), then parsed into the domain value `T`
/// by `T::try_from`, which names every field at fault at once: 422 `validation_failed` with
/// one `errors` entry per field, sorted by field, then code.
#[derive(Debug)]
pub struct ParsedJson<B, T>(T, PhantomData<B>);

impl<B, T> ParsedJson<B, T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<B, T> FromRequest for ParsedJson<B, T>
where
    B: DeserializeOwned + 'static,
    T: TryFrom<B, Error = FieldErrors> + 'static,
{
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let bytes = json_bytes(req, payload);
        Box::pin(async move {
            let body: B = deserialize(&bytes.await?)?;
            let value = T::try_from(body).map_err(FieldErrors::into_problem)?;
            Ok(ParsedJson(value, PhantomData))
        })
    }
}

/// The fields at fault found while a body is parsed into its domain type, collected so that
/// one answer names them all.
#[derive(Debug, Default)]
pub struct FieldErrors(Vec<FieldError>);

impl FieldErrors {
    /// The value of `field` if it parsed; otherwise `None`, and its error (`code`, `message`)
    /// is noted.
    pub fn take<T>(&mut self, field: &str, parsed: Result<T, (&'static str, String)>) -> Option<T> {
        parsed
            .map_err(|(code, message)| self.0.push(FieldError::new(field, code, message)))
            .ok()
    }

    /// 422 `validation_failed` naming every field at fault, sorted as [`field_errors`] sorts.
    pub fn into_problem(mut self) -> ApiError {
        self.0
            .sort_by(|a, b| a.field.cmp(&b.field).then_with(|| a.code.cmp(&b.code)));
        ApiError::Validation {
            detail: "Some fields are not valid; see `errors`.".into(),
            errors: self.0,
        }
    }
}

/// The body of a JSON request, read within the route's limit: 415 when the content type is not
/// JSON, 413 when it is too large.
fn json_bytes(
    req: &HttpRequest,
    payload: &mut Payload,
) -> impl Future<Output = Result<web::Bytes, ApiError>> + 'static {
    let is_json =
        req.mime_type().ok().flatten().is_some_and(|m| {
            m.subtype() == mime::JSON || m.suffix().is_some_and(|s| s == mime::JSON)
        });
    // The route's own limit (`http::bodies`), else the largest any route takes.
    let limit = req
        .extensions()
        .get::<BodyLimit>()
        .map(|l| l.0)
        .or_else(|| {
            req.app_data::<web::Data<AppState>>()
                .map(|s| s.settings.limits.json_body_bytes)
        })
        .unwrap_or_default();
    let bytes = web::Bytes::from_request(req, payload);
    async move {
        if !is_json {
            return Err(ApiError::UnsupportedMediaType(
                "Send the body as JSON with `Content-Type: application/json`.".into(),
            ));
        }
        bytes.await.map_err(|e| {
            if e.as_response_error().status_code().as_u16() == 413 {
                ApiError::PayloadTooLarge { limit }
            } else {
                ApiError::InvalidBody(format!("The body could not be read: {e}."))
            }
        })
    }
}

/// Deserialises and validates a body (the part of the extractor that needs no request).
pub fn parse<T: DeserializeOwned + Validate>(bytes: &[u8]) -> Result<T, ApiError> {
    let value: T = deserialize(bytes)?;
    value.validate().map_err(|errors| ApiError::Validation {
        detail: "Some fields are not valid; see `errors`.".into(),
        errors: field_errors(&errors),
    })?;
    Ok(value)
}

/// Deserialises a body: 422 `validation_failed` when it is not UTF-8, 400 `malformed_body`
/// when it is not JSON, 422 `unknown_field` or `validation_failed` when its shape is wrong.
fn deserialize<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if std::str::from_utf8(bytes).is_err() {
        return Err(ApiError::Validation {
            detail: "The body is not valid UTF-8.".into(),
            errors: vec![FieldError::new(
                "body",
                "invalid_utf8",
                "JSON text must be encoded as UTF-8",
            )],
        });
    }
    serde_json::from_slice(bytes).map_err(|e| serde_error(&e))
}

/// Flattens `validator`'s nested errors into `field` paths such as `name.vi` or `items[2].id`,
/// sorted so responses are stable.
pub fn field_errors(errors: &ValidationErrors) -> Vec<FieldError> {
    fn walk(errors: &ValidationErrors, prefix: &str, out: &mut Vec<FieldError>) {
        for (field, kind) in errors.errors() {
            let path = if prefix.is_empty() {
                field.to_string()
            } else {
                format!("{prefix}.{field}")
            };
            match kind {
                ValidationErrorsKind::Field(list) => {
                    for e in list {
                        let message = e
                            .message
                            .as_ref()
                            .map(|m| m.to_string())
                            .unwrap_or_else(|| format!("is not valid ({})", e.code));
                        out.push(FieldError::new(path.clone(), e.code.to_string(), message));
                    }
                }
                ValidationErrorsKind::Struct(inner) => walk(inner, &path, out),
                ValidationErrorsKind::List(items) => {
                    for (i, inner) in items {
                        walk(inner, &format!("{path}[{i}]"), out);
                    }
                }
            }
        }
    }
    let mut out = Vec::new();
    walk(errors, "", &mut out);
    out.sort_by(|a, b| a.field.cmp(&b.field).then_with(|| a.code.cmp(&b.code)));
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use validator::ValidationError;

    fn not_x(v: &str) -> Result<(), ValidationError> {
        if v == "x" {
            Err(ValidationError::new("is_x").with_message("must not be x".into()))
        } else {
            Ok(())
        }
    }

    #[derive(serde::Deserialize, Validate, Debug)]
    #[serde(deny_unknown_fields)]
    struct Inner {
        #[validate(custom(function = "not_x"))]
        vi: String,
    }

    #[derive(serde::Deserialize, Validate, Debug)]
    #[serde(deny_unknown_fields)]
    struct Outer {
        #[validate(custom(function = "not_x"))]
        code: String,
        #[validate(custom(function = "not_x"))]
        parent: Option<String>,
        #[validate(nested)]
        name: Inner,
    }

    #[test]
    fn nested_errors_get_dotted_field_paths() {
        let err = parse::<Outer>(br#"{"code":"x","parent":"x","name":{"vi":"x"}}"#).unwrap_err();
        let ApiError::Validation { errors, .. } = err else {
            panic!("{err:?}")
        };
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["code", "name.vi", "parent"]);
        assert_eq!(errors[0].code, "is_x");
        assert_eq!(errors[0].message, "must not be x");
        assert!(parse::<Outer>(br#"{"code":"a","name":{"vi":"b"}}"#).is_ok());
    }

    #[test]
    fn encoding_syntax_and_unknown_fields_are_told_apart() {
        let not_utf8 = parse::<Outer>(b"{\"code\":\"\xff\",\"name\":{\"vi\":\"b\"}}").unwrap_err();
        assert!(
            matches!(&not_utf8, ApiError::Validation { errors, .. } if errors[0].code == "invalid_utf8")
        );
        assert!(matches!(
            parse::<Outer>(b"{").unwrap_err(),
            ApiError::InvalidBody(_)
        ));
        assert!(matches!(
            parse::<Outer>(br#"{"code":"a","name":{"vi":"b"},"zz":1}"#).unwrap_err(),
            ApiError::UnknownField(f) if f == "zz"
        ));
    }
}
