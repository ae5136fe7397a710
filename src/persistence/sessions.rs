//! Web sessions of officers: stored by the SHA-256 of their token (the cookie's value is never
//! stored), found, touched, ended, and purged once expired.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use super::entities::session;
use crate::domain::accounts::{SessionId, SessionPolicy};

/// A stored session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub user_id: Uuid,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
}

/// Stores a new session of `user_id` starting at `now`.
pub async fn create(
    db: &impl ConnectionTrait,
    id: &SessionId,
    user_id: Uuid,
    now: DateTime<Utc>,
    policy: &SessionPolicy,
) -> Result<(), DbErr> {
    session::Entity::insert(session::ActiveModel {
        id: Set(id.as_str().to_owned()),
        user_id: Set(user_id),
        created_at: Set(now),
        expires_at: Set(now + policy.absolute),
        last_seen_at: Set(now),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// The session with this id, live or not (the caller applies the [`SessionPolicy`]).
pub async fn find(db: &impl ConnectionTrait, id: &SessionId) -> Result<Option<Session>, DbErr> {
    Ok(session::Entity::find_by_id(id.as_str())
        .one(db)
        .await?
        .map(|m| Session {
            user_id: m.user_id,
            created_at: m.created_at,
            expires_at: m.expires_at,
            last_seen_at: m.last_seen_at,
        }))
}

/// Records that the session was used at `now`.
pub async fn touch(
    db: &impl ConnectionTrait,
    id: &SessionId,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    session::Entity::update_many()
        .col_expr(session::Column::LastSeenAt, Expr::value(now))
        .filter(session::Column::Id.eq(id.as_str()))
        .exec(db)
        .await?;
    Ok(())
}

/// Ends the session (sign-out, rotation at sign-in, or found expired).
pub async fn delete(db: &impl ConnectionTrait, id: &SessionId) -> Result<(), DbErr> {
    session::Entity::delete_by_id(id.as_str()).exec(db).await?;
    Ok(())
}

/// Deletes every session that has ended at `now` (past its absolute lifetime, or idle for
/// longer than allowed); returns how many.
pub async fn purge(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    policy: &SessionPolicy,
) -> Result<u64, DbErr> {
    Ok(session::Entity::delete_many()
        .filter(
            Condition::any()
                .add(session::Column::ExpiresAt.lte(now))
                .add(session::Column::LastSeenAt.lte(now - policy.idle)),
        )
        .exec(db)
        .await?
        .rows_affected)
}
