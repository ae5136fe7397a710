//! The results use cases: everything `GET /api/v1/results`, `/results/trend`, `/rankings` and
//! `/par/scores` do between parsing the query and serialising the view, for whoever asks — an
//! API key or a signed-in officer, both a [`Principal`] — so the API handlers (`http::results`)
//! and the officer's dashboard pages (`http::pages::dashboard`) compute the same figures under
//! the same rules.
//!
//! Each entry point takes the request as the API receives it ([`request`]: text, so a bad value
//! is a 422 naming the field), checks who may see what ([`access`]), sets up what every view is
//! computed from (form version, published period, options: [`basis`]), reads the roll-ups of
//! the period's spans ([`load`]: a handful of rows per agency, whatever the number of
//! questionnaires, plus a scan of the responses for `by=mode|procedure_field`, [`scan`], whose
//! cells alone are kept between requests, [`cache`]) and hands them to `domain::results`, which
//! computes and shapes everything ([`views`], [`par`]).
//!
//! Who sees what: an agency principal reads its own subtree (anything else is 403 `forbidden`,
//! whether it exists or not); pipeline and admin principals read every agency. PAR scores list
//! only the agencies the principal may read ([`par_scores`]); the API additionally keeps them
//! for the pipeline and admins.

pub mod access;
pub mod basis;
pub mod cache;
pub mod context;
pub mod history;
pub mod load;
pub mod par;
mod parts;
pub mod request;
pub mod scan;
pub mod views;

pub use self::access::{published, readable_agency};
pub use self::cache::{KeptBreakdowns, kept_breakdowns};
pub use self::context::{Context, ScanKey, ScannedCells};
pub use self::load::unexpected;
pub use self::request::{ParQuery, RankingQuery, ResultsQuery, TrendQuery};
use crate::domain::auth::Principal;
use crate::domain::results::{ParScoresView, RankingView, ResultView, TrendView};
use crate::error::ApiError;

/// `GET /api/v1/results` (see [`views::compute_result`]).
pub async fn result(
    cx: &Context<'_>,
    caller: &Principal,
    q: &ResultsQuery,
) -> Result<ResultView, ApiError> {
    views::compute_result(cx, caller, q).await
}

/// `GET /api/v1/results/trend` (see [`views::compute_trend`]).
pub async fn trend(
    cx: &Context<'_>,
    caller: &Principal,
    q: &TrendQuery,
) -> Result<TrendView, ApiError> {
    views::compute_trend(cx, caller, q).await
}

/// `GET /api/v1/rankings` (see [`views::compute_ranking`]).
pub async fn ranking(
    cx: &Context<'_>,
    caller: &Principal,
    q: &RankingQuery,
) -> Result<RankingView, ApiError> {
    views::compute_ranking(cx, caller, q).await
}

/// `GET /api/v1/par/scores` (see [`par::compute_par_scores`]); and
/// whether CSV was asked for with `format=`.
pub async fn par_scores(
    cx: &Context<'_>,
    caller: &Principal,
    q: &ParQuery,
) -> Result<(ParScoresView, Option<bool>), ApiError> {
    par::compute_par_scores(cx, caller, q).await
}
