//! What each invitation channel brings: the dossiers of some agencies completed in a time range,
//! by the channel they were invited through (`outbox.channel`: `email` or `sms`; `qr` for the
//! dossiers with no outbox row, whose only invitation is the QR code on the receipt), and how
//! many of them were answered. One grouped query; counts only.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, DbErr};
use uuid::Uuid;

/// One channel's dossiers: `(channel, registered, answered)`.
pub type ChannelCount = (String, i64, i64);

/// The dossiers of `agencies` completed in `[from, to)`, by invitation channel.
pub async fn by_channel(
    db: &impl ConnectionTrait,
    agencies: &[Uuid],
    (from, to): (DateTime<Utc>, DateTime<Utc>),
) -> Result<Vec<ChannelCount>, DbErr> {
    let d = |c: &str| Expr::col((Alias::new("dossiers"), Alias::new(c)));
    let via = || Expr::cust("COALESCE(outbox.channel, 'qr')");
    let select = Query::select()
        .expr_as(via(), Alias::new("via"))
        .expr_as(Expr::cust("COUNT(*)"), Alias::new("registered"))
        .expr_as(
            Expr::cust("SUM(CASE WHEN dossiers.answered THEN 1 ELSE 0 END)"),
            Alias::new("answered"),
        )
        .from(Alias::new("dossiers"))
        .left_join(
            Alias::new("outbox"),
            Expr::col((Alias::new("outbox"), Alias::new("dossier_id")))
                .equals((Alias::new("dossiers"), Alias::new("id"))),
        )
        .and_where(d("agency_id").is_in(agencies.iter().copied()))
        .and_where(d("completed_at").gte(from))
        .and_where(d("completed_at").lt(to))
        .add_group_by([via()])
        .to_owned();
    let backend = db.get_database_backend();
    let rows = db.query_all_raw(backend.build(&select)).await?;
    rows.iter()
        .map(|row| {
            Ok((
                row.try_get::<String>("", "via")?,
                row.try_get::<i64>("", "registered")?,
                row.try_get::<Option<i64>>("", "answered")?.unwrap_or(0),
            ))
        })
        .collect()
}
