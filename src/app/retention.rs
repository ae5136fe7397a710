//! Retention (`retention.dossier_months`, `domain::retention`): the maintenance task and
//! `sipas retention run` delete the sealed dossiers of old closed months, keeping their counts, and
//! record each pass that deleted anything in the audit log (`retention.applied`). Registration
//! asks [`registrable_from`] which months it may still register dossiers for.

use chrono::{DateTime, Utc};
use sea_orm::{DatabaseConnection, DbErr};

use crate::domain::audit::AuditEvent;
use crate::domain::periods::Month;
use crate::domain::{publication, retention};
use crate::persistence::{audit, months, retention as store};

/// What a pass did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Applied {
    /// The last month whose sealed dossiers were due (`None`: none was, e.g. retention is off).
    pub through: Option<Month>,
    /// Dossiers deleted.
    pub deleted: u64,
}

/// One pass at `now` with `months` months of retention (0: nothing is deleted).
pub async fn apply(
    db: &DatabaseConnection,
    months: u32,
    now: DateTime<Utc>,
) -> Result<Applied, DbErr> {
    let published = months::published_through(db).await?;
    let Some(through) = retention::deletable_through(now, months, published) else {
        return Ok(Applied {
            through: None,
            deleted: 0,
        });
    };
    let deleted = store::delete_sealed_before(db, publication::ends_at(through), now).await?;
    if deleted > 0 {
        let event = AuditEvent::RetentionApplied {
            through: through.to_string(),
            dossiers: deleted,
        };
        audit::record(db, None, &event).await?;
        tracing::info!(%through, deleted, "retention: old sealed dossiers deleted");
    }
    Ok(Applied {
        through: Some(through),
        deleted,
    })
}

/// The first month a dossier may be registered for at `now` (`None`: any month): see
/// `domain::retention::registrable_from`.
pub async fn registrable_from(
    db: &impl sea_orm::ConnectionTrait,
    months: u32,
    now: DateTime<Utc>,
) -> Result<Option<Month>, DbErr> {
    let retained = store::retained_through(db).await?;
    Ok(retention::registrable_from(now, months, retained))
}
