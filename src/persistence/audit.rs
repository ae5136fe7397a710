//! The audit log: appending an entry and reading it newest first, a page at a time.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use uuid::Uuid;

use super::entities::audit_entry;
use crate::domain::audit::AuditEvent;

/// A stored entry.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    /// The key that acted; `None` for the command line.
    pub actor_key_id: Option<Uuid>,
    pub action: String,
    pub subject: Option<String>,
    pub details: serde_json::Value,
}

/// Appends `event`, done by the key `actor` (`None`: at the command line). Call it in the same
/// transaction as the action, so there is an entry exactly when the action happened.
pub async fn record(
    db: &impl ConnectionTrait,
    actor: Option<Uuid>,
    event: &AuditEvent,
) -> Result<Uuid, DbErr> {
    let id = Uuid::now_v7();
    audit_entry::ActiveModel {
        id: Set(id),
        at: Set(Utc::now()),
        actor_key_id: Set(actor),
        action: Set(event.action().to_owned()),
        subject: Set(event.subject()),
        details: Set(Some(event.details())),
    }
    .insert(db)
    .await?;
    Ok(id)
}

/// Up to `limit` entries older than the entry `before` (or the newest), newest first. Ids are
/// UUID v7, so id order is time order on both databases.
pub async fn page(
    db: &impl ConnectionTrait,
    before: Option<Uuid>,
    limit: u64,
) -> Result<Vec<AuditEntry>, DbErr> {
    let mut query = audit_entry::Entity::find();
    if let Some(before) = before {
        query = query.filter(audit_entry::Column::Id.lt(before));
    }
    Ok(query
        .order_by_desc(audit_entry::Column::Id)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(|m| AuditEntry {
            id: m.id,
            at: m.at,
            actor_key_id: m.actor_key_id,
            action: m.action,
            subject: m.subject,
            details: m.details.unwrap_or(serde_json::Value::Null),
        })
        .collect())
}
