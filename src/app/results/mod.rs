//! The results use cases: everything `GET /api/v1/results`, `/results/trend`, `/rankings` and
//! `/par/scores` do between parsing the query and serialising the view, for whoever asks — an
//! API key or a signed-in officer, both a [`Principal`] — so the API handlers (`http::results`)
//! and the officer's dashboard pages (`http::pages::dashboard`) compute the same figures under
//! the same rules.
//!
//! Each entry point takes the request as the API receives it ([`request`]: text, so a bad value
//! is a 422 naming the field), checks who may see what ([`access`]), sets up what every view is
//! computed from (form version, published period, options, inputs' revisions: [`basis`]),
//! reads the counts by revision ([`load`]: score buckets and registered-dossier counts of the
//! period's months, plus a scan of the responses for `by=mode|procedure_field`, [`scan`]) and
//! hands them to `domain::results`, which computes and shapes everything ([`views`], [`par`]).
//! Views are kept while their inputs are unchanged ([`cache`]) and computed again in the
//! background when they change ([`refresh`]).
//!
//! Who sees what: an agency principal reads its own subtree (anything else is 403 `forbidden`,
//! whether it exists or not); pipeline and admin principals read every agency. PAR scores list
//! only the agencies the principal may read ([`par_scores`]); the API additionally keeps them
//! for the pipeline and admins.

pub mod access;
pub mod basis;
pub mod cache;
pub mod context;
pub mod load;
pub mod par;
pub mod refresh;
pub mod request;
pub mod scan;
pub mod views;

pub use self::access::{published, readable_agency};
pub use self::cache::{Asked, ResultViews};
pub use self::context::{Context, ScanKey, ScannedCells};
pub use self::load::unexpected;
pub use self::refresh::{Opening, refresh, warm_up};
pub use self::request::{ParQuery, RankingQuery, ResultsQuery, TrendQuery};
use crate::domain::auth::Principal;
use crate::domain::results::{ParScoresView, RankingView, ResultView, TrendView};
use crate::error::ApiError;

/// `GET /api/v1/results` (see [`views::compute_result`]), remembered for [`refresh`].
pub async fn result(
    cx: &Context<'_>,
    caller: &Principal,
    q: &ResultsQuery,
) -> Result<ResultView, ApiError> {
    let view = views::compute_result(cx, caller, q).await?;
    cx.views.asked(caller, Asked::Result(q.clone()));
    Ok(view)
}

/// `GET /api/v1/results/trend` (see [`views::compute_trend`]), remembered for [`refresh`].
pub async fn trend(
    cx: &Context<'_>,
    caller: &Principal,
    q: &TrendQuery,
) -> Result<TrendView, ApiError> {
    let view = views::compute_trend(cx, caller, q).await?;
    cx.views.asked(caller, Asked::Trend(q.clone()));
    Ok(view)
}

/// `GET /api/v1/rankings` (see [`views::compute_ranking`]), remembered for [`refresh`].
pub async fn ranking(
    cx: &Context<'_>,
    caller: &Principal,
    q: &RankingQuery,
) -> Result<RankingView, ApiError> {
    let view = views::compute_ranking(cx, caller, q).await?;
    cx.views.asked(caller, Asked::Ranking(q.clone()));
    Ok(view)
}

/// `GET /api/v1/par/scores` (see [`par::compute_par_scores`]), remembered for [`refresh`]; and
/// whether CSV was asked for with `format=`.
pub async fn par_scores(
    cx: &Context<'_>,
    caller: &Principal,
    q: &ParQuery,
) -> Result<(ParScoresView, Option<bool>), ApiError> {
    let view = par::compute_par_scores(cx, caller, q).await?;
    cx.views.asked(caller, Asked::Par(q.clone()));
    Ok(view)
}
