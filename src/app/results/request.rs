//! A results request as the API receives it — every query parameter as text, so that a bad
//! value is a 422 naming it (`validation_failed`, `unknown_agency`, `unknown_form`), not a 400 —
//! and the checks that turn each parameter into its value. The HTTP layer deserialises the query
//! string into these types (`http::results`, `http::pages::dashboard`); the checks run inside
//! the use cases, in the order the API has always answered (who may read the agency first).

use std::sync::Arc;

use serde::Deserialize;

use crate::config::{IndicatorSettings, ResultSettings};
use crate::domain::forms::{PublishedForm, PublishedForms};
use crate::domain::par::ParScales;
use crate::domain::periods::Period;
use crate::domain::results::{self, Aggregate, Design, Options};
use crate::error::{ApiError, FieldError, ProblemCode};

/// Declares the query of a results endpoint: its own parameters, then those every results query
/// takes (the form and its version, the period, the confidence level), and after `+ estimate`
/// those of the views estimated with a sampling design (the result, the trend and the ranking:
/// `design`, `aggregate`, `lang`). Every parameter is text (see the module documentation).
/// Written once here, so that the four queries name and document each parameter alike.
macro_rules! results_query {
    ($(#[$doc:meta])* $name:ident { $($own:tt)* } + estimate) => {
        results_query! {
            $(#[$doc])*
            $name {
                $($own)*
                /// `srs_fpc` (default), `srs` or `stratified` (strata = channel, weighted).
                design,
                /// For a subtree: `mean` (default; the mean of the agencies, pooled as second
                /// figure) or `pooled`.
                aggregate,
                /// Language of labels: `vi` (default) or `en`.
                lang,
            }
        }
    };
    ($(#[$doc:meta])* $name:ident { $($(#[$field_doc:meta])* $field:ident,)* }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
        #[into_params(parameter_in = Query)]
        pub struct $name {
            $($(#[$field_doc])* pub $field: Option<String>,)*
            /// The form key, e.g. `sipas-2017`.
            pub form: Option<String>,
            /// A form version; default: the newest with responses in the period.
            pub version: Option<String>,
            /// `YYYY`, `YYYY-Qn`, `YYYY-Hn` or `YYYY-MM`; or give `from` and `to`.
            pub period: Option<String>,
            /// First month, `YYYY-MM` (with `to`).
            pub from: Option<String>,
            /// Last month, `YYYY-MM` (inclusive).
            pub to: Option<String>,
            /// Confidence level: `0.90`, `0.95` (default) or `0.99`.
            pub level: Option<String>,
        }
    };
}

results_query! {
    /// Query of `GET /api/v1/results`.
    ResultsQuery {
        /// The agency's code.
        agency,
        /// `true`: the agency and every agency below it.
        subtree,
        /// A breakdown: `channel`, `mode` or `procedure_field`.
        by,
    } + estimate
}

results_query! {
    /// Query of `GET /api/v1/results/trend` (the period is the whole range).
    TrendQuery {
        /// The agency's code.
        agency,
        /// `true`: the agency and every agency below it.
        subtree,
        /// `month` (default), `quarter` or `year`.
        step,
    } + estimate
}

results_query! {
    /// Query of `GET /api/v1/rankings`.
    RankingQuery {
        /// The agency whose children are ranked.
        parent,
        /// `true`: rank each child by the mean (or `aggregate=pooled`) of its subtree.
        subtree,
    } + estimate
}

results_query! {
    /// Query of `GET /api/v1/par/scores`.
    ParQuery {
        /// Only agencies of this kind (`ministry`, `province`, `department`, `district`,
        /// `commune`, `other`).
        kind,
        /// `true`: each agency's score is the mean of its subtree.
        subtree,
        /// `json` (default) or `csv` (also chosen by `Accept: text/csv`).
        format,
    }
}

/// A 422 `validation_failed` for one query parameter.
pub fn invalid(field: &str, code: &str, message: impl Into<String>) -> ApiError {
    let message = message.into();
    ApiError::Validation {
        detail: format!("`{field}`: {message}."),
        errors: vec![FieldError::new(field, code, message)],
    }
}

pub fn required<'a>(field: &str, value: &'a Option<String>) -> Result<&'a str, ApiError> {
    value
        .as_deref()
        .filter(|v| !v.is_empty())
        .ok_or_else(|| invalid(field, "missing", "is required"))
}

/// An optional parameter parsed by `parse`, `default` when absent or empty.
pub fn choice<T>(
    field: &str,
    value: &Option<String>,
    default: T,
    parse: impl Fn(&str) -> Option<T>,
    allowed: &str,
) -> Result<T, ApiError> {
    match value.as_deref().filter(|v| !v.is_empty()) {
        None => Ok(default),
        Some(raw) => {
            parse(raw).ok_or_else(|| invalid(field, "invalid_value", format!("must be {allowed}")))
        }
    }
}

pub fn flag(field: &str, value: &Option<String>) -> Result<bool, ApiError> {
    choice(
        field,
        value,
        false,
        |v| match v {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        },
        "`true` or `false`",
    )
}

pub fn period(
    period: &Option<String>,
    from: &Option<String>,
    to: &Option<String>,
) -> Result<Period, ApiError> {
    Ok(Period::from_query(
        period.as_deref(),
        from.as_deref(),
        to.as_deref(),
    )?)
}

pub(super) fn unknown_form(field: &str, what: &str) -> ApiError {
    ApiError::Rejected {
        code: ProblemCode::UnknownForm,
        detail: format!("`{field}` names no {what}."),
        errors: vec![FieldError::new(
            field,
            "unknown_form",
            format!("names no {what}"),
        )],
    }
}

/// The form key's current version and the requested version, if any (both checked).
pub fn form_of<'a>(
    forms: &'a PublishedForms,
    key: &Option<String>,
    version: &Option<String>,
) -> Result<(&'a Arc<PublishedForm>, Option<u32>), ApiError> {
    let key = required("form", key)?;
    let current = forms
        .current(key)
        .ok_or_else(|| unknown_form("form", "published form"))?;
    let requested = match version.as_deref().filter(|v| !v.is_empty()) {
        None => None,
        Some(raw) => {
            let v: u32 = raw
                .parse()
                .map_err(|_| invalid("version", "invalid_value", "must be a version number"))?;
            forms
                .version(key, v)
                .ok_or_else(|| unknown_form("version", "version of this form"))?;
            Some(v)
        }
    };
    Ok((current, requested))
}

/// Settings and request options of a result.
pub(super) fn options(
    (results, indicators, par): (&ResultSettings, &IndicatorSettings, &ParScales),
    form: &PublishedForm,
    level: &Option<String>,
    lang: &Option<String>,
) -> Result<Options, ApiError> {
    let level = choice(
        "level",
        level,
        0.95,
        results::parse_level,
        "0.90, 0.95 or 0.99",
    )?;
    let lang = match lang.as_deref().filter(|v| !v.is_empty()) {
        None => "vi".to_owned(),
        Some(l) if form.definition.languages().iter().any(|x| x == l) => l.to_owned(),
        Some(_) => {
            return Err(invalid(
                "lang",
                "unsupported_language",
                format!("must be one of {}", form.definition.languages().join(", ")),
            ));
        }
    };
    let r = results;
    Ok(Options {
        level,
        thresholds: crate::stats::ReliabilityThresholds {
            suppress_below: r.suppress_below,
            low_reliability_below: r.low_reliability_below,
            max_ci_width: r.max_ci_width,
        },
        d766_enabled: indicators.d766.enabled,
        d766_rule: indicators.d766.dissatisfied_rule,
        par_scales: par.clone(),
        lang,
    })
}

pub(super) fn design_of(raw: &Option<String>) -> Result<Design, ApiError> {
    choice(
        "design",
        raw,
        Design::SrsFpc,
        Design::parse,
        "srs_fpc, srs or stratified",
    )
}

pub(super) fn aggregate_of(raw: &Option<String>) -> Result<Aggregate, ApiError> {
    choice(
        "aggregate",
        raw,
        Aggregate::Mean,
        Aggregate::parse,
        "mean or pooled",
    )
}
