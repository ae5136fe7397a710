//! The period query parameters (`period=…` or `from=…&to=…`, api.md "Results") as the HTTP
//! layer reports them: every endpoint that takes a period parses it with
//! [`Period::from_query`](crate::domain::periods::Period::from_query) and `?`, and a bad one
//! becomes a **422 `validation_failed`** whose `errors` name the field (`period`, `from` or
//! `to`) and the reason (`missing`, `ambiguous_period`, `invalid_period`, `invalid_month`,
//! `year_out_of_range`, `range_reversed`, `range_too_long`).
//!
//! Why 422 and not 400 `invalid_parameter`: 400 is what the query extractor answers when the
//! query string cannot be deserialised at all (a number that is not a number); a period is a
//! well-formed string whose *meaning* is wrong, which the API reports per field with 422, as it
//! does for an agency code in `?parent=`.

use crate::domain::periods::PeriodError;
use crate::error::{ApiError, FieldError};

impl From<PeriodError> for ApiError {
    fn from(e: PeriodError) -> Self {
        let field = e.field.as_str();
        ApiError::Validation {
            detail: format!("`{field}` is not a valid period: {}.", e.message()),
            errors: vec![FieldError::new(field, e.problem.code(), e.message())],
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use crate::domain::periods::Period;
    use crate::error::ApiError;
    use actix_web::ResponseError;

    #[test]
    fn a_bad_period_is_a_422_naming_the_field() {
        let err: ApiError = Period::from_query(None, Some("2026-05"), Some("2026-04"))
            .unwrap_err()
            .into();
        assert_eq!(err.status_code().as_u16(), 422);
        let p = err.problem();
        assert_eq!(p.code, crate::error::ProblemCode::ValidationFailed);
        let errors = p.errors.unwrap();
        assert_eq!(errors[0].field, "to");
        assert_eq!(errors[0].code, "range_reversed");
        assert!(p.detail.contains("`to`"), "{}", p.detail);
    }
}
