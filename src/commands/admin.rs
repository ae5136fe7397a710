//! What the administrative subcommands do (`keys create|list|revoke`, `agencies import`), over
//! the persistence layer and inside transactions. `main.rs` only parses arguments and prints:
//! data (the new key, the key list) on standard output, everything else on standard error.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context, anyhow, bail};
use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::import_file::{ImportError, read_csv};
use crate::domain::agencies::{AgencyName, ImportRow, RowError, plan_import};
use crate::domain::audit::AuditEvent;
use crate::domain::auth::{ApiKeySecret, Role};
use crate::persistence::api_keys::{self, ApiKeyInfo, NewApiKey, Revoked};
use crate::persistence::{agencies, audit};

/// A key just created: its id, and the key itself to show once.
#[derive(Debug)]
pub struct CreatedKey {
    pub id: Uuid,
    pub secret: ApiKeySecret,
}

/// Creates a key. An `agency` key needs the code of an existing agency; other roles take none.
/// The label is free text for people (it is not written to the audit log).
pub async fn create_key(
    db: &DatabaseConnection,
    role: Role,
    agency: Option<&str>,
    label: Option<&str>,
) -> anyhow::Result<CreatedKey> {
    let label = match label.map(str::trim).filter(|l| !l.is_empty()) {
        Some(raw) => Some(
            AgencyName::parse(raw)
                .map_err(|p| anyhow!("--label {p}"))?
                .into_string(),
        ),
        None => None,
    };
    let txn = crate::persistence::begin_write(db).await?;
    let agency = match (role, agency) {
        (Role::Agency, Some(code)) => Some(
            agencies::find_by_code(&txn, code)
                .await?
                .ok_or_else(|| anyhow!("there is no agency with the code `{code}`"))?,
        ),
        (Role::Agency, None) => bail!("an agency key needs --agency CODE"),
        (_, Some(_)) => bail!("--agency is only for --role agency"),
        (_, None) => None,
    };
    let secret = ApiKeySecret::generate().context("the operating system's random generator")?;
    let id = api_keys::insert(
        &txn,
        NewApiKey {
            hash: secret.hash(),
            role,
            agency_id: agency.as_ref().map(|a| a.id),
            label,
        },
    )
    .await?;
    audit::record(
        &txn,
        None,
        &AuditEvent::KeyCreated {
            key_id: id,
            role,
            agency_code: agency.map(|a| a.code),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(CreatedKey { id, secret })
}

/// Every key, oldest first.
pub async fn list_keys(db: &DatabaseConnection) -> anyhow::Result<Vec<ApiKeyInfo>> {
    Ok(api_keys::list(db).await?)
}

/// The key list as tab-separated lines with a header (`-` for an empty cell).
pub fn format_keys(keys: &[ApiKeyInfo]) -> String {
    fn time(t: Option<DateTime<Utc>>) -> String {
        t.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            .unwrap_or_else(|| "-".into())
    }
    let mut out = String::from("id\trole\tagency\tlabel\tcreated\tlast_used\trevoked\n");
    for k in keys {
        let label = k
            .label
            .as_deref()
            .map(|l| l.replace('\t', " "))
            .unwrap_or_else(|| "-".into());
        out.push_str(&format!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\n",
            k.id,
            k.role,
            k.agency_code.as_deref().unwrap_or("-"),
            label,
            time(Some(k.created_at)),
            time(k.last_used_at),
            time(k.revoked_at),
        ));
    }
    out
}

/// Revokes the key `id` (auditing it when it was active).
pub async fn revoke_key(db: &DatabaseConnection, id: Uuid) -> anyhow::Result<Revoked> {
    let txn = crate::persistence::begin_write(db).await?;
    let outcome = api_keys::revoke(&txn, id, Utc::now()).await?;
    if outcome == Revoked::Now {
        audit::record(&txn, None, &AuditEvent::KeyRevoked { key_id: id }).await?;
    }
    txn.commit().await?;
    Ok(outcome)
}

const COLUMNS: [&str; 6] = [
    "code",
    "name_vi",
    "name_en",
    "kind",
    "parent_code",
    "default_form",
];
const REQUIRED: [&str; 3] = ["code", "name_vi", "kind"];

/// Reads the rows of an import file. Rows that cannot even be read (not UTF-8, wrong number of
/// cells) come back as errors next to the rows that could; a header that is unusable fails.
pub fn read_import(input: &[u8]) -> Result<(Vec<ImportRow>, Vec<RowError>), ImportError> {
    let file = read_csv(input)?;
    let mut at: HashMap<&str, usize> = HashMap::new();
    let mut header_errors = Vec::new();
    for (i, name) in file.header.iter().enumerate() {
        let name = name.as_str();
        match COLUMNS.iter().find(|c| **c == name) {
            Some(c) if at.contains_key(c) => header_errors.push(RowError::new(
                1,
                "header",
                format!("the column `{name}` appears twice"),
            )),
            Some(c) => {
                at.insert(c, i);
            }
            None => header_errors.push(RowError::new(
                1,
                "header",
                format!("unknown column `{name}` (expected {})", COLUMNS.join(",")),
            )),
        }
    }
    for column in REQUIRED {
        if !at.contains_key(column) {
            header_errors.push(RowError::new(
                1,
                "header",
                format!("the column `{column}` is missing"),
            ));
        }
    }
    if !header_errors.is_empty() {
        return Err(ImportError::Invalid(header_errors));
    }

    let rows = file
        .rows
        .into_iter()
        .map(|row| {
            let cell = |column: &str| {
                at.get(column)
                    .and_then(|&i| row.cells.get(i))
                    .cloned()
                    .unwrap_or_default()
            };
            ImportRow {
                line: row.line,
                code: cell("code"),
                name_vi: cell("name_vi"),
                name_en: cell("name_en"),
                kind: cell("kind"),
                parent_code: cell("parent_code"),
                default_form: cell("default_form"),
            }
        })
        .collect();
    Ok((rows, file.errors))
}

/// Imports the agencies in a CSV file, all or nothing, and returns how many were created.
pub async fn import_agencies(db: &DatabaseConnection, file: &Path) -> Result<usize, ImportError> {
    // Agency lists are small (a province has about a thousand); reading the file whole lets
    // line numbers be exact.
    let input = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let (rows, mut errors) = read_import(&input)?;

    let mut named: Vec<&str> = rows
        .iter()
        .flat_map(|r| [r.code.as_str(), r.parent_code.as_str()])
        .filter(|c| !c.is_empty())
        .collect();
    named.sort_unstable();
    named.dedup();
    let txn = crate::persistence::begin_write(db)
        .await
        .map_err(anyhow::Error::new)?;
    let stored = agencies::paths_by_code(&txn, &named)
        .await
        .map_err(anyhow::Error::new)?;
    let plan = plan_import(&rows, |code| stored.contains_key(code));
    let plan = match plan {
        Ok(plan) if errors.is_empty() => plan,
        Ok(_) => return Err(ImportError::Invalid(errors)),
        Err(more) => {
            errors.extend(more);
            errors.sort_by_key(|e| e.line);
            return Err(ImportError::Invalid(errors));
        }
    };
    let count = agencies::insert_planned(&txn, &plan)
        .await
        .context("storing the agencies")?;
    if count > 0 {
        audit::record(&txn, None, &AuditEvent::AgenciesImported { count })
            .await
            .map_err(anyhow::Error::new)?;
    }
    txn.commit().await.map_err(anyhow::Error::new)?;
    Ok(count)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn rows_carry_their_line_numbers_and_unreadable_rows_are_reported() {
        let csv = b"\xef\xbb\xbfcode,name_vi,name_en,kind,parent_code\n\
                    A,\"Tinh A\",,province,\n\
                    \n\
                    B,\"S\xe1\xbb\x9f\nhai d\xc3\xb2ng\",Dept,department,A\n\
                    C,bad \xff name,,commune,B\n\
                    \r\n\n\
                    D,too,few\n";
        let (rows, errors) = read_import(&csv[..]).unwrap();
        let lines: Vec<u64> = rows.iter().map(|r| r.line).collect();
        assert_eq!(lines, [2, 4], "{rows:?}");
        assert_eq!(rows[1].name_vi, "Sở\nhai dòng");
        assert_eq!(rows[1].parent_code, "A");
        let bad: Vec<(u64, &str)> = errors
            .iter()
            .map(|e| (e.line, e.message.as_str()))
            .collect();
        assert_eq!(bad.len(), 2, "{errors:?}");
        assert_eq!(bad[0], (6, "is not valid UTF-8"));
        assert_eq!(bad[1].0, 9);
    }

    #[test]
    fn the_header_must_name_known_columns() {
        let Err(ImportError::Invalid(errors)) = read_import(&b"code,name,kind\n"[..]) else {
            panic!("accepted")
        };
        let messages: Vec<&str> = errors.iter().map(|e| e.message.as_str()).collect();
        assert!(messages.iter().any(|m| m.contains("unknown column `name`")));
        assert!(messages.iter().any(|m| m.contains("`name_vi` is missing")));
        assert!(errors.iter().all(|e| e.line == 1));
    }
}
