//! Who is calling: the `authenticate` middleware resolves an `Authorization: Bearer <key>` header
//! to a [`Principal`] once per request, and the [`Caller`] and [`Admin`] extractors hand it to
//! handlers (401 `unauthorized` without a valid key, 403 `forbidden` for the wrong role).
//!
//! The key is looked up in middleware rather than in the extractor so that it is settled before
//! any other extractor runs: actix polls a handler's extractors together, and a body error must
//! not win the race against a missing key (401 comes before 422).

use std::future::{Ready, ready};
use std::ops::Deref;

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{AUTHORIZATION, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use chrono::Utc;

use crate::domain::auth::{KeyHash, Principal, needs_touch};
use crate::error::ApiError;
use crate::persistence::api_keys;
use crate::state::AppState;

/// What `authenticate` found, left in the request's extensions when there was a header.
#[derive(Debug, Clone)]
enum Authentication {
    Valid(Principal),
    /// Not a bearer key, not a key, unknown or revoked: the client is told only "unauthorized".
    Invalid,
    /// The database could not be asked (logged where it happened).
    Failed,
}

/// The key in an `Authorization: Bearer <key>` header (scheme case-insensitive).
fn bearer(value: &HeaderValue) -> Option<&str> {
    let value = value.to_str().ok()?;
    let (scheme, key) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(key.trim())
        .filter(|k| !k.is_empty())
}

async fn resolve(state: &AppState, header: &HeaderValue) -> Authentication {
    let Some(hash) = bearer(header).and_then(KeyHash::of_presented) else {
        return Authentication::Invalid;
    };
    match api_keys::find_active(&state.db, &hash).await {
        Ok(Some(key)) => {
            let now = Utc::now();
            if needs_touch(key.last_used_at, now)
                && let Err(err) = api_keys::touch(&state.db, key.principal.key_id, now).await
            {
                // Losing a last-use time is not worth failing the request over.
                tracing::warn!(error = %err, key_id = %key.principal.key_id, "cannot record the key's last use");
            }
            Authentication::Valid(key.principal)
        }
        Ok(None) => Authentication::Invalid,
        Err(err) => {
            tracing::error!(error = %err, "cannot look up an API key");
            Authentication::Failed
        }
    }
}

/// Middleware: see the module documentation. Requests without an `Authorization` header cost
/// nothing; public endpoints ignore the outcome.
pub async fn authenticate(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let header = req.headers().get(AUTHORIZATION).cloned();
    if let (Some(header), Some(state)) = (header, req.app_data::<web::Data<AppState>>().cloned()) {
        let outcome = resolve(&state, &header).await;
        req.extensions_mut().insert(outcome);
    }
    next.call(req).await
}

fn principal(req: &HttpRequest) -> Result<Principal, ApiError> {
    match req.extensions().get::<Authentication>() {
        Some(Authentication::Valid(p)) => Ok(p.clone()),
        Some(Authentication::Failed) => Err(ApiError::Unexpected(anyhow::anyhow!(
            "the API key could not be checked"
        ))),
        Some(Authentication::Invalid) | None => Err(ApiError::Unauthorized),
    }
}

/// Any valid key (401 otherwise). Handlers check what the role may do.
#[derive(Debug, Clone)]
pub struct Caller(pub Principal);

impl Deref for Caller {
    type Target = Principal;
    fn deref(&self) -> &Principal {
        &self.0
    }
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(principal(req).map(Caller))
    }
}

/// A valid key whose role may administer (401 without a valid key, 403 for other roles). As an
/// extractor it refuses the request before the body is looked at.
#[derive(Debug, Clone)]
pub struct Admin(pub Principal);

impl Deref for Admin {
    type Target = Principal;
    fn deref(&self) -> &Principal {
        &self.0
    }
}

impl FromRequest for Admin {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(principal(req).and_then(|p| {
            if p.may_administer() {
                Ok(Admin(p))
            } else {
                Err(ApiError::Forbidden)
            }
        }))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn bearer_header_parsing() {
        let h = |s: &'static str| HeaderValue::from_static(s);
        assert_eq!(bearer(&h("Bearer abc")), Some("abc"));
        assert_eq!(bearer(&h("bearer  abc ")), Some("abc"));
        assert_eq!(bearer(&h("Basic abc")), None);
        assert_eq!(bearer(&h("Bearer ")), None);
        assert_eq!(bearer(&h("Bearerabc")), None);
    }
}
