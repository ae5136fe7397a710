//! Agencies in time (`domain::agency_history`): reading every agency's timeline (its latest
//! placement from `agencies`, its changes from `agency_revisions`, its lifetime from
//! `agency_lifetimes`) and storing the timelines a set of changes left, with the materialised
//! paths of the latest hierarchy rewritten where a move changed them.

use std::collections::{BTreeSet, HashMap};

use chrono::Utc;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    Set,
};
use uuid::Uuid;

use super::entities::{agency, agency_lifetime, agency_revision, dossier_count};
use crate::domain::agencies::AgencyPath;
use crate::domain::agency_history::{Hierarchy, Lifetime, Placement, Revision, Timeline};
use crate::domain::periods::Month;

fn month_of(raw: &str) -> Result<Month, DbErr> {
    Month::parse(raw).ok_or_else(|| DbErr::Type(format!("malformed month `{raw}`")))
}

fn optional_month(raw: Option<&str>) -> Result<Option<Month>, DbErr> {
    raw.map(month_of).transpose()
}

fn lifetime_of(m: &agency_lifetime::Model) -> Result<Lifetime, DbErr> {
    Ok(Lifetime {
        opened_from: optional_month(m.opened_from.as_deref())?,
        closed_from: optional_month(m.closed_from.as_deref())?,
        successor: m.successor_id,
    })
}

/// Every agency's timeline: the hierarchy of any month. A province has about a thousand
/// agencies; three queries read them all.
pub async fn load(db: &impl ConnectionTrait) -> Result<Hierarchy, DbErr> {
    let mut revisions: HashMap<Uuid, Vec<Revision>> = HashMap::new();
    for r in agency_revision::Entity::find()
        .order_by_asc(agency_revision::Column::EffectiveFrom)
        .all(db)
        .await?
    {
        revisions.entry(r.agency_id).or_default().push(Revision {
            effective_from: month_of(&r.effective_from)?,
            before: Placement {
                name_vi: r.before_name_vi,
                name_en: r.before_name_en,
                parent: r.before_parent_id,
            },
        });
    }
    let mut lifetimes = HashMap::new();
    for l in agency_lifetime::Entity::find().all(db).await? {
        lifetimes.insert(l.agency_id, lifetime_of(&l)?);
    }
    let agencies = agency::Entity::find().all(db).await?;
    Ok(Hierarchy::new(agencies.into_iter().map(|a| Timeline {
        id: a.id,
        revisions: revisions.remove(&a.id).unwrap_or_default(),
        lifetime: lifetimes.remove(&a.id).unwrap_or_default(),
        latest: Placement {
            name_vi: a.name_vi,
            name_en: a.name_en,
            parent: a.parent_id,
        },
    })))
}

/// The lifetimes of those of `ids` that have one (the others are in force always).
pub async fn lifetimes(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Lifetime>, DbErr> {
    let mut out = HashMap::new();
    for chunk in ids.chunks(500) {
        for l in agency_lifetime::Entity::find()
            .filter(agency_lifetime::Column::AgencyId.is_in(chunk.iter().copied()))
            .all(db)
            .await?
        {
            out.insert(l.agency_id, lifetime_of(&l)?);
        }
    }
    Ok(out)
}

/// Stores `lifetime` as the lifetime of `id`.
pub async fn put_lifetime(
    db: &impl ConnectionTrait,
    id: Uuid,
    lifetime: &Lifetime,
) -> Result<(), DbErr> {
    let model = agency_lifetime::ActiveModel {
        agency_id: Set(id),
        opened_from: Set(lifetime.opened_from.map(|m| m.to_string())),
        closed_from: Set(lifetime.closed_from.map(|m| m.to_string())),
        successor_id: Set(lifetime.successor),
        recorded_at: Set(Utc::now()),
    };
    agency_lifetime::Entity::insert(model)
        .on_conflict(
            OnConflict::column(agency_lifetime::Column::AgencyId)
                .update_columns([
                    agency_lifetime::Column::OpenedFrom,
                    agency_lifetime::Column::ClosedFrom,
                    agency_lifetime::Column::SuccessorId,
                    agency_lifetime::Column::RecordedAt,
                ])
                .to_owned(),
        )
        .exec(db)
        .await?;
    Ok(())
}

/// Stores the timelines of `changed` as `hierarchy` holds them after changes in `month`: the
/// revision of `month` (if the change made one and none is stored), the latest names and
/// parent, the lifetime; then the paths of the latest hierarchy.
pub async fn store(
    db: &impl ConnectionTrait,
    hierarchy: &Hierarchy,
    changed: &BTreeSet<Uuid>,
    month: Month,
) -> Result<(), DbErr> {
    let key = month.to_string();
    for id in changed {
        let Some(t) = hierarchy.timeline(*id) else {
            continue;
        };
        if let Some(r) = t.revisions.iter().find(|r| r.effective_from == month) {
            let model = agency_revision::ActiveModel {
                agency_id: Set(t.id),
                effective_from: Set(key.clone()),
                before_name_vi: Set(r.before.name_vi.clone()),
                before_name_en: Set(r.before.name_en.clone()),
                before_parent_id: Set(r.before.parent),
                recorded_at: Set(Utc::now()),
            };
            agency_revision::Entity::insert(model)
                .on_conflict_do_nothing_on([
                    agency_revision::Column::AgencyId,
                    agency_revision::Column::EffectiveFrom,
                ])
                .exec(db)
                .await?;
        }
        agency::ActiveModel {
            id: Set(t.id),
            name_vi: Set(t.latest.name_vi.clone()),
            name_en: Set(t.latest.name_en.clone()),
            parent_id: Set(t.latest.parent),
            ..Default::default()
        }
        .update(db)
        .await?;
        if t.lifetime != Lifetime::default() {
            put_lifetime(db, t.id, &t.lifetime).await?;
        }
    }
    rewrite_paths(db).await
}

/// Rewrites the materialised path of every agency whose latest parent chain changed.
async fn rewrite_paths(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    let rows = agency::Entity::find().all(db).await?;
    let parent: HashMap<Uuid, Option<Uuid>> = rows.iter().map(|a| (a.id, a.parent_id)).collect();
    for a in &rows {
        let mut chain = vec![a.id];
        let mut at = a.parent_id;
        while let Some(p) = at {
            if chain.len() > rows.len() {
                return Err(DbErr::Custom(format!(
                    "agency {}: parent chain loops",
                    a.code
                )));
            }
            chain.push(p);
            at = parent.get(&p).copied().flatten();
        }
        chain.reverse();
        let mut path = AgencyPath::root(chain[0]);
        for id in &chain[1..] {
            path = path.child(*id);
        }
        let encoded = path.encode();
        if encoded != a.path {
            agency::ActiveModel {
                id: Set(a.id),
                path: Set(encoded),
                ..Default::default()
            }
            .update(db)
            .await?;
        }
    }
    Ok(())
}

/// Whether dossiers completed in `month` or later are registered for the agency `id`.
pub async fn has_dossiers_from(
    db: &impl ConnectionTrait,
    id: Uuid,
    month: Month,
) -> Result<bool, DbErr> {
    let found = dossier_count::Entity::find()
        .filter(dossier_count::Column::AgencyId.eq(id))
        .filter(dossier_count::Column::PeriodMonth.gte(month.to_string()))
        .filter(dossier_count::Column::Dossiers.gt(0))
        .one(db)
        .await?;
    Ok(found.is_some())
}
