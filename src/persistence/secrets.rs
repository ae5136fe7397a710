//! Server secrets generated on first use and kept in the database, so that restarts and every
//! node of a deployment agree on them (today: the survey-token secret, when none is
//! configured).

use chrono::Utc;
use sea_orm::{ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait};

use super::entities::server_secret;

/// The name of the survey-token secret.
pub const SURVEY_TOKEN_SECRET: &str = "survey_token_secret";

/// The secret called `name`, stored as `fresh` when there is none yet. Two nodes starting
/// at once both try to insert; the first insert wins and both read it back.
pub async fn get_or_create(
    db: &impl ConnectionTrait,
    name: &str,
    fresh: String,
) -> Result<String, DbErr> {
    if let Some(row) = server_secret::Entity::find_by_id(name).one(db).await? {
        return Ok(row.value);
    }
    let row = server_secret::ActiveModel {
        name: Set(name.to_owned()),
        value: Set(fresh),
        created_at: Set(Utc::now()),
    };
    server_secret::Entity::insert(row)
        .on_conflict_do_nothing_on([server_secret::Column::Name])
        .exec_without_returning(db)
        .await?;
    server_secret::Entity::find_by_id(name)
        .one(db)
        .await?
        .map(|row| row.value)
        .ok_or_else(|| DbErr::RecordNotFound(format!("server secret {name}")))
}
