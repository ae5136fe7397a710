//! API keys: storing a new key's hash, finding the active key a client presents, recording its
//! last use, listing and revoking keys.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    Set,
};
use uuid::Uuid;

use super::entities::{agency, api_key};
use crate::domain::auth::{AgencyScope, KeyHash, Principal, Role};

/// A key to store. For [`Role::Agency`] `agency_id` is required, otherwise it must be `None`
/// (the table's check constraint enforces it).
#[derive(Debug, Clone)]
pub struct NewApiKey {
    pub hash: KeyHash,
    pub role: Role,
    pub agency_id: Option<Uuid>,
    pub label: Option<String>,
}

/// A stored key as `sipas keys list` shows it (never the key or its hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyInfo {
    pub id: Uuid,
    pub role: Role,
    pub agency_code: Option<String>,
    pub label: Option<String>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// An unrevoked key found by its hash.
#[derive(Debug, Clone)]
pub struct ActiveKey {
    pub principal: Principal,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// What `revoke` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revoked {
    Now,
    Already(DateTime<Utc>),
    NoSuchKey,
}

fn role_of(m: &api_key::Model) -> Result<Role, DbErr> {
    Role::parse(&m.role).ok_or_else(|| DbErr::Type(format!("api key {}: role {}", m.id, m.role)))
}

/// Stores a new key and returns its id.
pub async fn insert(db: &impl ConnectionTrait, new: NewApiKey) -> Result<Uuid, DbErr> {
    let id = Uuid::now_v7();
    api_key::ActiveModel {
        id: Set(id),
        key_hash: Set(new.hash.to_hex()),
        role: Set(new.role.as_str().to_owned()),
        agency_id: Set(new.agency_id),
        label: Set(new.label),
        created_at: Set(Utc::now()),
        last_used_at: Set(None),
        revoked_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok(id)
}

/// The unrevoked key with this hash. The lookup goes through the unique index; the hash found is
/// then compared again in constant time, so the answer never depends on how much of it matched.
pub async fn find_active(
    db: &impl ConnectionTrait,
    hash: &KeyHash,
) -> Result<Option<ActiveKey>, DbErr> {
    let Some(m) = api_key::Entity::find()
        .filter(api_key::Column::KeyHash.eq(hash.to_hex()))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let matches = KeyHash::from_hex(&m.key_hash).is_some_and(|stored| stored.ct_eq(hash));
    if !matches || m.revoked_at.is_some() {
        return Ok(None);
    }
    let role = role_of(&m)?;
    let scope = match (role, m.agency_id) {
        (Role::Agency, Some(id)) => Some(AgencyScope { id }),
        (Role::Agency, None) => return Ok(None),
        _ => None,
    };
    Ok(Some(ActiveKey {
        principal: Principal {
            key_id: m.id,
            role,
            scope,
        },
        last_used_at: m.last_used_at,
    }))
}

/// Records that the key was used at `now`.
pub async fn touch(db: &impl ConnectionTrait, id: Uuid, now: DateTime<Utc>) -> Result<(), DbErr> {
    api_key::Entity::update_many()
        .col_expr(api_key::Column::LastUsedAt, now.into())
        .filter(api_key::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Every key, oldest first.
pub async fn list(db: &impl ConnectionTrait) -> Result<Vec<ApiKeyInfo>, DbErr> {
    let keys = api_key::Entity::find()
        .order_by_asc(api_key::Column::Id)
        .all(db)
        .await?;
    let mut agency_ids: Vec<Uuid> = keys.iter().filter_map(|k| k.agency_id).collect();
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
    keys.into_iter()
        .map(|m| {
            Ok(ApiKeyInfo {
                id: m.id,
                role: role_of(&m)?,
                agency_code: m.agency_id.and_then(|id| codes.get(&id).cloned()),
                label: m.label,
                created_at: m.created_at,
                last_used_at: m.last_used_at,
                revoked_at: m.revoked_at,
            })
        })
        .collect()
}

/// Revokes the key `id`; it stops working at once.
pub async fn revoke(
    db: &impl ConnectionTrait,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<Revoked, DbErr> {
    let Some(m) = api_key::Entity::find_by_id(id).one(db).await? else {
        return Ok(Revoked::NoSuchKey);
    };
    if let Some(at) = m.revoked_at {
        return Ok(Revoked::Already(at));
    }
    let mut active: api_key::ActiveModel = m.into();
    active.revoked_at = Set(Some(now));
    active.update(db).await?;
    Ok(Revoked::Now)
}
