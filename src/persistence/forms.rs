//! Publication of survey-form versions: the first start that sees a `key` + `version` stores it;
//! later starts check that the file still has the stored checksum. Versions are never deleted,
//! so every version that responses may bind to stays retrievable.

use chrono::Utc;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
};

use super::entities::form_version::{self, Entity as FormVersion};

/// A definition file as found on disk, ready to be published.
#[derive(Debug, Clone)]
pub struct FormFile {
    pub key: String,
    pub version: i32,
    pub edition: String,
    pub checksum: String,
    pub source: String,
    pub file_name: String,
}

/// A stored version.
#[derive(Debug, Clone)]
pub struct StoredForm {
    pub key: String,
    pub version: i32,
    pub checksum: String,
    pub source: String,
    pub file_name: String,
    pub retired: bool,
}

/// Why publication refused to go on.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error(
        "{file}: form `{key}` version {version} is already published with different content \
         (published checksum {published}, file now {now}). A published version never changes: \
         restore the file, or give your change a new `version` number (keep the old file too)"
    )]
    Changed {
        file: String,
        key: String,
        version: i32,
        published: String,
        now: String,
    },
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// Stores every file whose key + version is new; refuses if a published one changed.
/// Returns how many versions were newly published. Safe to run from several processes at
/// once: a concurrent insert of the same version is ignored and then checked like any other.
pub async fn publish(db: &impl ConnectionTrait, files: &[FormFile]) -> Result<usize, PublishError> {
    let mut published = 0;
    for file in files {
        let existing = FormVersion::find_by_id((file.key.clone(), file.version))
            .one(db)
            .await?;
        let existing = match existing {
            Some(row) => row,
            None => {
                let row = form_version::ActiveModel {
                    form_key: Set(file.key.clone()),
                    version: Set(file.version),
                    checksum: Set(file.checksum.clone()),
                    source: Set(file.source.clone()),
                    file_name: Set(file.file_name.clone()),
                    edition: Set(file.edition.clone()),
                    status: Set("published".into()),
                    published_at: Set(Utc::now().fixed_offset()),
                };
                let inserted = FormVersion::insert(row)
                    .on_conflict(
                        OnConflict::columns([
                            form_version::Column::FormKey,
                            form_version::Column::Version,
                        ])
                        .do_nothing()
                        .to_owned(),
                    )
                    .exec_without_returning(db)
                    .await?;
                published += usize::from(inserted > 0);
                FormVersion::find_by_id((file.key.clone(), file.version))
                    .one(db)
                    .await?
                    .ok_or_else(|| DbErr::RecordNotFound(file.key.clone()))?
            }
        };
        if existing.checksum != file.checksum {
            return Err(PublishError::Changed {
                file: file.file_name.clone(),
                key: file.key.clone(),
                version: file.version,
                published: existing.checksum,
                now: file.checksum.clone(),
            });
        }
    }
    Ok(published)
}

/// Every stored version, ordered by key then version.
pub async fn all(db: &impl ConnectionTrait) -> Result<Vec<StoredForm>, DbErr> {
    Ok(FormVersion::find()
        .order_by_asc(form_version::Column::FormKey)
        .order_by_asc(form_version::Column::Version)
        .all(db)
        .await?
        .into_iter()
        .map(|m| StoredForm {
            retired: m.status == "retired",
            key: m.form_key,
            version: m.version,
            checksum: m.checksum,
            source: m.source,
            file_name: m.file_name,
        })
        .collect())
}

/// Marks a version retired (no new surveys use it; it stays retrievable). Returns false when
/// no such version exists.
pub async fn retire(db: &impl ConnectionTrait, key: &str, version: i32) -> Result<bool, DbErr> {
    let res = FormVersion::update_many()
        .col_expr(
            form_version::Column::Status,
            sea_orm::sea_query::Expr::value("retired"),
        )
        .filter(form_version::Column::FormKey.eq(key))
        .filter(form_version::Column::Version.eq(version))
        .exec(db)
        .await?;
    Ok(res.rows_affected > 0)
}
