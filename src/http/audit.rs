//! `/api/v1/audit`: the audit log of administrative actions, for admins, newest first.

use actix_web::{get, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::ApiError;
use crate::http::auth::Admin;
use crate::persistence::audit;
use crate::state::AppState;

/// Entries per page unless `limit` says otherwise.
const DEFAULT_LIMIT: u64 = 50;
/// The largest `limit` accepted.
const MAX_LIMIT: u64 = 500;

/// Query of `GET /api/v1/audit`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct AuditQuery {
    /// Entries per page, 1–500 (default 50).
    pub limit: Option<u64>,
    /// Only entries older than the entry with this id (the previous page's `next_before`).
    pub before: Option<Uuid>,
}

/// One administrative action.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AuditEntryView {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    /// The key that did it; `null` when it was done at the command line.
    pub actor_key_id: Option<Uuid>,
    /// `agency.created`, `agencies.imported`, `key.created`, `key.revoked`, `user.created`,
    /// `user.disabled`, `months.closed`, `form.retired`, `scores.rebuilt`,
    /// `responses.imported`, `responses.exported` or `retention.applied`
    /// (`domain::audit::AuditEvent::action`).
    pub action: String,
    /// The agency code or key id acted on, if any.
    pub subject: Option<String>,
    /// Further facts (kind, role, count, …); never keys, tokens or e-mail addresses.
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
}

/// A page of the audit log.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AuditPage {
    /// Newest first.
    pub entries: Vec<AuditEntryView>,
    /// Pass as `before` for the next (older) page; `null` on the last page.
    pub next_before: Option<Uuid>,
}

/// The audit log, newest first, a page at a time.
#[utoipa::path(
    tag = "audit",
    params(AuditQuery),
    security(("api_key" = [])),
    responses(
        (status = 200, body = AuditPage),
        (status = 400, description = "`limit` out of range (`invalid_parameter`)"),
        (status = 401, description = "no valid key (`unauthorized`)"),
        (status = 403, description = "not an admin key (`forbidden`)"),
    )
)]
#[get("/audit")]
pub async fn list_audit(
    _admin: Admin,
    query: web::Query<AuditQuery>,
    state: web::Data<AppState>,
) -> Result<web::Json<AuditPage>, ApiError> {
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::InvalidParameter(format!(
            "`limit` must be between 1 and {MAX_LIMIT}."
        )));
    }
    // One more than asked tells whether there is a next page.
    let mut entries = audit::page(&state.db, query.before, limit + 1).await?;
    let more = entries.len() as u64 > limit;
    entries.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let next_before = if more {
        entries.last().map(|e| e.id)
    } else {
        None
    };
    Ok(web::Json(AuditPage {
        entries: entries
            .into_iter()
            .map(|e| AuditEntryView {
                id: e.id,
                at: e.at,
                actor_key_id: e.actor_key_id,
                action: e.action,
                subject: e.subject,
                details: e.details,
            })
            .collect(),
        next_before,
    }))
}
