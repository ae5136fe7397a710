//! Officer accounts: creating, finding by e-mail or id, listing and disabling them, and the
//! lockout counters of failed sign-ins — on the account for addresses that have one, in
//! `sign_in_throttle` (keyed by a keyed hash of the address) for those that do not.
//!
//! Counters change by a conditional UPDATE that only succeeds if the row still holds what was
//! read (retried otherwise), so concurrent failed attempts cannot lose a count on SQLite or
//! PostgreSQL.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    Set,
};
use uuid::Uuid;

use super::entities::{agency, session, sign_in_throttle, user};
use crate::domain::accounts::{Email, Lockout, LockoutPolicy};
use crate::domain::auth::{AgencyScope, Role};

/// How often a conditional counter update is retried before giving up (each retry means
/// another attempt on the same address won the race, so this bounds a burst, not a wait).
const RETRIES: usize = 64;

/// An account to store. For [`Role::Agency`] `agency_id` is required, otherwise it must be
/// `None` (the table's check constraint enforces it).
#[derive(Debug)]
pub struct NewUser {
    pub email: Email,
    pub role: Role,
    pub agency_id: Option<Uuid>,
    /// The argon2id PHC string.
    pub password_hash: String,
}

/// An account as sign-in and the officer pages need it.
#[derive(Debug, Clone)]
pub struct Account {
    pub id: Uuid,
    pub email: Email,
    pub role: Role,
    /// Set for (and only for) [`Role::Agency`].
    pub scope: Option<AgencyScope>,
    pub password_hash: String,
    pub disabled_at: Option<DateTime<Utc>>,
    pub lockout: Lockout,
}

/// An account as `sipas users list` shows it (never the password hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserInfo {
    pub id: Uuid,
    pub email: String,
    pub role: Role,
    pub agency_code: Option<String>,
    pub created_at: DateTime<Utc>,
    pub last_sign_in_at: Option<DateTime<Utc>>,
    pub disabled_at: Option<DateTime<Utc>>,
    pub locked_until: Option<DateTime<Utc>>,
}

/// What `disable` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disabled {
    /// Disabled now; this many open sessions were ended.
    Now {
        sessions_ended: u64,
    },
    Already(DateTime<Utc>),
    NoSuchUser,
}

fn role_of(m: &user::Model) -> Result<Role, DbErr> {
    Role::parse(&m.role).ok_or_else(|| DbErr::Type(format!("user {}: role {}", m.id, m.role)))
}

fn count(n: i32) -> u32 {
    u32::try_from(n).unwrap_or(0)
}

fn stored_count(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

fn to_account(m: user::Model) -> Result<Account, DbErr> {
    let role = role_of(&m)?;
    let scope = match (role, m.agency_id) {
        (Role::Agency, Some(id)) => Some(AgencyScope { id }),
        (Role::Agency, None) => {
            return Err(DbErr::Type(format!(
                "user {}: agency role without agency",
                m.id
            )));
        }
        _ => None,
    };
    Ok(Account {
        id: m.id,
        email: Email::from_stored(m.email),
        role,
        scope,
        password_hash: m.password_hash,
        disabled_at: m.disabled_at,
        lockout: Lockout {
            failed_attempts: count(m.failed_attempts),
            last_failed_at: m.last_failed_at,
            locked_until: m.locked_until,
        },
    })
}

/// Stores a new account and returns its id. A second account with the same e-mail address is
/// refused by the unique index (`SqlErr::UniqueConstraintViolation`).
pub async fn insert(db: &impl ConnectionTrait, new: NewUser) -> Result<Uuid, DbErr> {
    let id = Uuid::now_v7();
    user::ActiveModel {
        id: Set(id),
        email: Set(new.email.as_str().to_owned()),
        role: Set(new.role.as_str().to_owned()),
        agency_id: Set(new.agency_id),
        password_hash: Set(new.password_hash),
        disabled_at: Set(None),
        failed_attempts: Set(0),
        last_failed_at: Set(None),
        locked_until: Set(None),
        created_at: Set(Utc::now()),
        last_sign_in_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok(id)
}

/// The account with this (normalised) e-mail address.
pub async fn find_by_email(
    db: &impl ConnectionTrait,
    email: &Email,
) -> Result<Option<Account>, DbErr> {
    user::Entity::find()
        .filter(user::Column::Email.eq(email.as_str()))
        .one(db)
        .await?
        .map(to_account)
        .transpose()
}

/// The account with this id.
pub async fn find_by_id(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<Account>, DbErr> {
    user::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(to_account)
        .transpose()
}

/// Every account, oldest first.
pub async fn list(db: &impl ConnectionTrait) -> Result<Vec<UserInfo>, DbErr> {
    let users = user::Entity::find()
        .order_by_asc(user::Column::Id)
        .all(db)
        .await?;
    let mut agency_ids: Vec<Uuid> = users.iter().filter_map(|u| u.agency_id).collect();
    agency_ids.sort_unstable();
    agency_ids.dedup();
    let mut codes = HashMap::new();
    for chunk in agency_ids.chunks(500) {
        for a in agency::Entity::find()
            .filter(agency::Column::Id.is_in(chunk.iter().copied()))
            .all(db)
            .await?
        {
            codes.insert(a.id, a.code);
        }
    }
    users
        .into_iter()
        .map(|m| {
            Ok(UserInfo {
                id: m.id,
                role: role_of(&m)?,
                agency_code: m.agency_id.and_then(|id| codes.get(&id).cloned()),
                email: m.email,
                created_at: m.created_at,
                last_sign_in_at: m.last_sign_in_at,
                disabled_at: m.disabled_at,
                locked_until: m.locked_until,
            })
        })
        .collect()
}

/// Disables the account `id` and deletes its sessions: it can no longer sign in, and pages
/// opened with its cookies send the browser to the sign-in page. Call it in a transaction.
pub async fn disable(
    db: &impl ConnectionTrait,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<Disabled, DbErr> {
    let Some(m) = user::Entity::find_by_id(id).one(db).await? else {
        return Ok(Disabled::NoSuchUser);
    };
    if let Some(at) = m.disabled_at {
        return Ok(Disabled::Already(at));
    }
    let mut active: user::ActiveModel = m.into();
    active.disabled_at = Set(Some(now));
    active.update(db).await?;
    let ended = session::Entity::delete_many()
        .filter(session::Column::UserId.eq(id))
        .exec(db)
        .await?
        .rows_affected;
    Ok(Disabled::Now {
        sessions_ended: ended,
    })
}

/// Records a successful sign-in at `now`: the failure count starts again.
pub async fn record_sign_in(
    db: &impl ConnectionTrait,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    user::Entity::update_many()
        .col_expr(user::Column::LastSignInAt, Expr::value(now))
        .col_expr(user::Column::FailedAttempts, Expr::value(0))
        .col_expr(
            user::Column::LastFailedAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(
            user::Column::LockedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(user::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Records a failed sign-in at `now` on the account `id`; returns the new state.
pub async fn record_failure(
    db: &impl ConnectionTrait,
    id: Uuid,
    now: DateTime<Utc>,
    policy: &LockoutPolicy,
) -> Result<Lockout, DbErr> {
    for _ in 0..RETRIES {
        let Some(m) = user::Entity::find_by_id(id).one(db).await? else {
            return Ok(Lockout::default());
        };
        let before = Lockout {
            failed_attempts: count(m.failed_attempts),
            last_failed_at: m.last_failed_at,
            locked_until: m.locked_until,
        };
        let after = before.after_failure(now, policy);
        if after == before {
            return Ok(after);
        }
        let mut update = user::Entity::update_many()
            .col_expr(
                user::Column::FailedAttempts,
                Expr::value(stored_count(after.failed_attempts)),
            )
            .col_expr(
                user::Column::LastFailedAt,
                Expr::value(after.last_failed_at),
            )
            .col_expr(user::Column::LockedUntil, Expr::value(after.locked_until))
            .filter(user::Column::Id.eq(id))
            .filter(user::Column::FailedAttempts.eq(m.failed_attempts));
        update = match m.last_failed_at {
            Some(t) => update.filter(user::Column::LastFailedAt.eq(t)),
            None => update.filter(user::Column::LastFailedAt.is_null()),
        };
        if update.exec(db).await?.rows_affected == 1 {
            return Ok(after);
        }
    }
    Err(DbErr::Custom(
        "the failed sign-in could not be counted (too much contention)".into(),
    ))
}

/// The lockout state of an e-mail address without an account (by its keyed hash).
pub async fn throttle(db: &impl ConnectionTrait, email_key: &str) -> Result<Lockout, DbErr> {
    Ok(sign_in_throttle::Entity::find_by_id(email_key)
        .one(db)
        .await?
        .map(|m| throttle_state(&m))
        .unwrap_or_default())
}

fn throttle_state(m: &sign_in_throttle::Model) -> Lockout {
    Lockout {
        failed_attempts: count(m.failed_attempts),
        last_failed_at: Some(m.last_failed_at),
        locked_until: m.locked_until,
    }
}

/// Records a failed sign-in at `now` for an e-mail address without an account; returns the new
/// state. The same rules as [`record_failure`], so the two cannot be told apart.
pub async fn record_throttle_failure(
    db: &impl ConnectionTrait,
    email_key: &str,
    now: DateTime<Utc>,
    policy: &LockoutPolicy,
) -> Result<Lockout, DbErr> {
    for _ in 0..RETRIES {
        let Some(m) = sign_in_throttle::Entity::find_by_id(email_key)
            .one(db)
            .await?
        else {
            let after = Lockout::default().after_failure(now, policy);
            let row = sign_in_throttle::ActiveModel {
                email_key: Set(email_key.to_owned()),
                failed_attempts: Set(stored_count(after.failed_attempts)),
                last_failed_at: Set(now),
                locked_until: Set(after.locked_until),
            };
            let inserted = sign_in_throttle::Entity::insert(row)
                .on_conflict_do_nothing_on([sign_in_throttle::Column::EmailKey])
                .exec_without_returning(db)
                .await?;
            match inserted {
                sea_orm::TryInsertResult::Inserted(1) => return Ok(after),
                // Someone else inserted it first: count on top of theirs.
                _ => continue,
            }
        };
        let before = throttle_state(&m);
        let after = before.after_failure(now, policy);
        if after == before {
            return Ok(after);
        }
        let done = sign_in_throttle::Entity::update_many()
            .col_expr(
                sign_in_throttle::Column::FailedAttempts,
                Expr::value(stored_count(after.failed_attempts)),
            )
            .col_expr(sign_in_throttle::Column::LastFailedAt, Expr::value(now))
            .col_expr(
                sign_in_throttle::Column::LockedUntil,
                Expr::value(after.locked_until),
            )
            .filter(sign_in_throttle::Column::EmailKey.eq(email_key))
            .filter(sign_in_throttle::Column::FailedAttempts.eq(m.failed_attempts))
            .filter(sign_in_throttle::Column::LastFailedAt.eq(m.last_failed_at))
            .exec(db)
            .await?;
        if done.rows_affected == 1 {
            return Ok(after);
        }
    }
    Err(DbErr::Custom(
        "the failed sign-in could not be counted (too much contention)".into(),
    ))
}

/// Deletes the `sign_in_throttle` rows that no longer matter at `now` (not locked, last
/// failure older than the lockout duration); returns how many.
pub async fn purge_throttle(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    policy: &LockoutPolicy,
) -> Result<u64, DbErr> {
    let forgotten = now - policy.duration;
    Ok(sign_in_throttle::Entity::delete_many()
        .filter(sign_in_throttle::Column::LastFailedAt.lte(forgotten))
        .filter(
            sea_orm::Condition::any()
                .add(sign_in_throttle::Column::LockedUntil.is_null())
                .add(sign_in_throttle::Column::LockedUntil.lte(now)),
        )
        .exec(db)
        .await?
        .rows_affected)
}
