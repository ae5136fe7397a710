//! Agencies: lookups by code and id, the children of an agency, creating one, and inserting a
//! planned import.

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    Set,
};
use uuid::Uuid;

use super::entities::agency;
use crate::domain::agencies::{Agency, AgencyKind, AgencyPath, NewAgency};

/// SQLite allows 32,766 bound parameters per statement; stay far below it (and PostgreSQL's
/// 65,535) for `IN (…)` lists and multi-row inserts.
const CHUNK: usize = 500;
/// Rows per multi-row insert (9 columns each).
const INSERT_ROWS: usize = 50;

fn to_domain(m: agency::Model, parent_code: Option<String>) -> Result<Agency, DbErr> {
    let kind = AgencyKind::parse(&m.kind)
        .map_err(|_| DbErr::Type(format!("agency {}: unknown kind `{}`", m.code, m.kind)))?;
    let path = AgencyPath::decode(&m.path)
        .ok_or_else(|| DbErr::Type(format!("agency {}: malformed path", m.code)))?;
    Ok(Agency {
        id: m.id,
        code: m.code,
        name_vi: m.name_vi,
        name_en: m.name_en,
        kind,
        parent_code,
        default_form: m.default_form,
        path,
        created_at: m.created_at,
    })
}

async fn with_parent_code(db: &impl ConnectionTrait, m: agency::Model) -> Result<Agency, DbErr> {
    let parent_code = match m.parent_id {
        Some(parent_id) => agency::Entity::find_by_id(parent_id)
            .one(db)
            .await?
            .map(|p| p.code),
        None => None,
    };
    to_domain(m, parent_code)
}

/// The agency with this code.
pub async fn find_by_code(db: &impl ConnectionTrait, code: &str) -> Result<Option<Agency>, DbErr> {
    match agency::Entity::find()
        .filter(agency::Column::Code.eq(code))
        .one(db)
        .await?
    {
        Some(m) => with_parent_code(db, m).await.map(Some),
        None => Ok(None),
    }
}

/// The agency with this id.
pub async fn find_by_id(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<Agency>, DbErr> {
    match agency::Entity::find_by_id(id).one(db).await? {
        Some(m) => with_parent_code(db, m).await.map(Some),
        None => Ok(None),
    }
}

/// The agencies directly below `parent` (the top-level agencies when `None`), by code.
pub async fn list_children(
    db: &impl ConnectionTrait,
    parent: Option<&Agency>,
) -> Result<Vec<Agency>, DbErr> {
    let query = match parent {
        Some(p) => agency::Entity::find().filter(agency::Column::ParentId.eq(p.id)),
        None => agency::Entity::find().filter(agency::Column::ParentId.is_null()),
    };
    let parent_code = parent.map(|p| p.code.clone());
    query
        .order_by_asc(agency::Column::Code)
        .all(db)
        .await?
        .into_iter()
        .map(|m| to_domain(m, parent_code.clone()))
        .collect()
}

/// The paths (which end in the agency's id) of those of `codes` that are stored.
pub async fn paths_by_code(
    db: &impl ConnectionTrait,
    codes: &[&str],
) -> Result<HashMap<String, AgencyPath>, DbErr> {
    let mut found = HashMap::new();
    for chunk in codes.chunks(CHUNK) {
        let rows = agency::Entity::find()
            .filter(agency::Column::Code.is_in(chunk.iter().copied()))
            .all(db)
            .await?;
        for m in rows {
            let path = AgencyPath::decode(&m.path)
                .ok_or_else(|| DbErr::Type(format!("agency {}: malformed path", m.code)))?;
            found.insert(m.code, path);
        }
    }
    Ok(found)
}

fn path_below(parent: Option<&AgencyPath>, id: Uuid) -> AgencyPath {
    match parent {
        Some(p) => p.child(id),
        None => AgencyPath::root(id),
    }
}

fn new_model(new: &NewAgency, path: &AgencyPath) -> Result<agency::ActiveModel, DbErr> {
    let id = path
        .id()
        .ok_or_else(|| DbErr::Custom("an agency path is never empty".into()))?;
    Ok(agency::ActiveModel {
        id: Set(id),
        code: Set(new.code.as_str().to_owned()),
        name_vi: Set(new.name_vi.as_str().to_owned()),
        name_en: Set(new.name_en.as_ref().map(|n| n.as_str().to_owned())),
        kind: Set(new.kind.as_str().to_owned()),
        parent_id: Set(path.parent_id()),
        path: Set(path.encode()),
        default_form: Set(new.default_form.clone()),
        created_at: Set(Utc::now()),
    })
}

/// Stores `new` below `parent` (which must be the agency named by `new.parent_code`). A taken
/// code fails with the database's unique-constraint error.
pub async fn insert(
    db: &impl ConnectionTrait,
    new: &NewAgency,
    parent: Option<&Agency>,
) -> Result<Agency, DbErr> {
    let path = path_below(parent.map(|p| &p.path), Uuid::now_v7());
    let model = new_model(new, &path)?.insert(db).await?;
    to_domain(model, parent.map(|p| p.code.clone()))
}

/// Stores a planned import (parents before children; see `domain::agencies::plan_import`).
/// Parents not in the batch must already be stored. Run it in a transaction: on an error,
/// some rows may have been written.
pub async fn insert_planned(
    db: &impl ConnectionTrait,
    planned: &[NewAgency],
) -> Result<usize, DbErr> {
    let outside: Vec<&str> = {
        let in_batch: std::collections::HashSet<&str> =
            planned.iter().map(|a| a.code.as_str()).collect();
        let mut codes: Vec<&str> = planned
            .iter()
            .filter_map(|a| a.parent_code.as_ref().map(|c| c.as_str()))
            .filter(|c| !in_batch.contains(c))
            .collect();
        codes.sort_unstable();
        codes.dedup();
        codes
    };
    let mut paths = paths_by_code(db, &outside).await?;
    let mut models = Vec::with_capacity(planned.len());
    for new in planned {
        let parent = match &new.parent_code {
            Some(code) => Some(paths.get(code.as_str()).cloned().ok_or_else(|| {
                DbErr::RecordNotFound(format!("parent agency {code} of {}", new.code))
            })?),
            None => None,
        };
        let path = path_below(parent.as_ref(), Uuid::now_v7());
        models.push(new_model(new, &path)?);
        paths.insert(new.code.as_str().to_owned(), path);
    }
    let count = models.len();
    let mut models = models.into_iter().peekable();
    while models.peek().is_some() {
        let chunk: Vec<_> = models.by_ref().take(INSERT_ROWS).collect();
        agency::Entity::insert_many(chunk).exec(db).await?;
    }
    Ok(count)
}

/// Domain agencies from `models`, parent codes resolved within the set or, for parents
/// outside it, looked up.
async fn with_parent_codes(
    db: &impl ConnectionTrait,
    models: Vec<agency::Model>,
) -> Result<Vec<Agency>, DbErr> {
    let mut codes: HashMap<Uuid, String> = models.iter().map(|m| (m.id, m.code.clone())).collect();
    for m in &models {
        if let Some(parent) = m.parent_id
            && !codes.contains_key(&parent)
            && let Some(p) = agency::Entity::find_by_id(parent).one(db).await?
        {
            codes.insert(parent, p.code);
        }
    }
    models
        .into_iter()
        .map(|m| {
            let parent_code = m.parent_id.and_then(|p| codes.get(&p).cloned());
            to_domain(m, parent_code)
        })
        .collect()
}

/// The agency at `path` and every agency below it, by code (one prefix match on the stored
/// path).
pub async fn subtree(db: &impl ConnectionTrait, path: &AgencyPath) -> Result<Vec<Agency>, DbErr> {
    let models = agency::Entity::find()
        .filter(agency::Column::Path.starts_with(path.encode()))
        .order_by_asc(agency::Column::Code)
        .all(db)
        .await?;
    with_parent_codes(db, models).await
}

/// Every agency, or every agency of one kind, by code.
pub async fn list_all(
    db: &impl ConnectionTrait,
    kind: Option<AgencyKind>,
) -> Result<Vec<Agency>, DbErr> {
    let mut query = agency::Entity::find().order_by_asc(agency::Column::Code);
    if let Some(kind) = kind {
        query = query.filter(agency::Column::Kind.eq(kind.as_str()));
    }
    let models = query.all(db).await?;
    with_parent_codes(db, models).await
}
