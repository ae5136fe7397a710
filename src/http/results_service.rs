//! The results use cases (`app::results`) as the officer's dashboard pages call them: with the
//! server's state, of which each call takes the narrow context it needs (`AppState::results`).
//! Thin: the rules, loading, caching and computations are all in `app::results`.

use crate::app::results::{self, ParQuery, RankingQuery, ResultsQuery, TrendQuery};
use crate::domain::agencies::Agency;
use crate::domain::auth::Principal;
use crate::domain::results::{ParScoresView, RankingView, ResultView, TrendView};
use crate::error::ApiError;
use crate::state::AppState;

pub(crate) use crate::export::par::par_csv;

/// The agency named by query field `field`, if `caller` may read it (`app::results::access`).
pub(crate) async fn readable_agency(
    state: &AppState,
    caller: &Principal,
    field: &str,
    raw: &str,
) -> Result<Agency, ApiError> {
    results::readable_agency(&state.db, caller, field, raw).await
}

/// `GET /api/v1/results` (`app::results::result`).
pub(crate) async fn result(
    state: &AppState,
    caller: &Principal,
    q: &ResultsQuery,
) -> Result<ResultView, ApiError> {
    results::result(&state.results(), caller, q).await
}

/// `GET /api/v1/results/trend` (`app::results::trend`).
pub(crate) async fn trend(
    state: &AppState,
    caller: &Principal,
    q: &TrendQuery,
) -> Result<TrendView, ApiError> {
    results::trend(&state.results(), caller, q).await
}

/// `GET /api/v1/rankings` (`app::results::ranking`).
pub(crate) async fn ranking(
    state: &AppState,
    caller: &Principal,
    q: &RankingQuery,
) -> Result<RankingView, ApiError> {
    results::ranking(&state.results(), caller, q).await
}

/// `GET /api/v1/par/scores` (`app::results::par_scores`).
pub(crate) async fn par_scores(
    state: &AppState,
    caller: &Principal,
    q: &ParQuery,
) -> Result<(ParScoresView, Option<bool>), ApiError> {
    results::par_scores(&state.results(), caller, q).await
}
