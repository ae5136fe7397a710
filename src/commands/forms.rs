//! `sipas forms check|list|retire`. `check` without a path checks what a start would load: the
//! forms built into the binary with those of `forms.dir`.

use std::path::{Path, PathBuf};

use sea_orm::DatabaseConnection;

use crate::cli::FormsAction;
use crate::config::Settings;
use crate::domain::audit::AuditEvent;
use crate::domain::forms::{FormDefinition, WordingStatus};
use crate::persistence;

/// `sipas forms …`.
pub async fn run(settings: &Settings, action: FormsAction) -> anyhow::Result<()> {
    match action {
        FormsAction::Check { paths, wordings } => {
            if paths.is_empty() {
                // What a start would load: the built-in forms with those of `forms.dir`.
                let catalog = crate::app::forms::catalog(settings.forms.dir.as_deref())?;
                let forms: Vec<FormDefinition> = catalog.iter().cloned().collect();
                print_forms(&forms, wordings);
                return Ok(());
            }
            check_forms(&paths, wordings)
        }
        FormsAction::List => {
            let db = persistence::connect(&settings.database).await?;
            for f in persistence::forms::all(&db).await? {
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    f.key,
                    f.version,
                    if f.retired { "retired" } else { "published" },
                    &f.checksum[..12.min(f.checksum.len())],
                    f.file_name
                );
            }
            db.close().await?;
            Ok(())
        }
        FormsAction::Retire { key, version } => {
            let db = persistence::connect(&settings.database).await?;
            let result = retire(&db, &key, version).await;
            db.close().await?;
            match result? {
                Retired::Now => eprintln!(
                    "retired {key} version {version}; servers apply it at their next start"
                ),
                Retired::Already => eprintln!("{key} version {version} was already retired"),
                Retired::NoSuchForm => anyhow::bail!("no published form {key} version {version}"),
            }
            Ok(())
        }
    }
}

/// What `sipas forms retire` did.
enum Retired {
    Now,
    Already,
    NoSuchForm,
}

/// Retires a version and records it in the audit log (`form.retired`), in one transaction.
async fn retire(db: &DatabaseConnection, key: &str, version: u32) -> anyhow::Result<Retired> {
    let version_i32 = i32::try_from(version)?;
    let txn = persistence::begin_write(db).await?;
    let stored = persistence::forms::all(&txn).await?;
    let Some(form) = stored
        .iter()
        .find(|f| f.key == key && f.version == version_i32)
    else {
        return Ok(Retired::NoSuchForm);
    };
    if form.retired {
        return Ok(Retired::Already);
    }
    persistence::forms::retire(&txn, key, version_i32).await?;
    let event = AuditEvent::FormRetired {
        key: key.to_owned(),
        version,
        by_file: false,
    };
    persistence::audit::record(&txn, None, &event).await?;
    txn.commit().await?;
    Ok(Retired::Now)
}

/// Checks every path (folder or file), prints a line per valid form and every error.
fn check_forms(paths: &[PathBuf], list_wordings: bool) -> anyhow::Result<()> {
    let mut errors = 0;
    let mut forms: Vec<FormDefinition> = Vec::new();
    for path in paths {
        let loaded = if path.is_dir() {
            crate::persistence::form_files::load_dir(path)
                .map(|c| c.iter().cloned().collect::<Vec<_>>())
        } else {
            crate::persistence::form_files::parse_form_file(path).map(|f| vec![f])
        };
        match loaded {
            Ok(mut list) => forms.append(&mut list),
            Err(e) => {
                for err in e.errors() {
                    eprintln!("{}", located(path, &err.to_string()));
                }
                errors += e.errors().len();
            }
        }
    }
    print_forms(&forms, list_wordings);
    if errors > 0 {
        anyhow::bail!("{errors} error(s) in the form definitions");
    }
    if forms.is_empty() {
        anyhow::bail!("no form definition found in {paths:?}");
    }
    Ok(())
}

/// One line per form (with `list_wordings`, one more per question whose wording is not
/// official).
fn print_forms(forms: &[FormDefinition], list_wordings: bool) {
    for form in forms {
        let not_official = form.non_official_wordings();
        let count = |s| not_official.iter().filter(|(_, st)| *st == s).count();
        println!(
            "ok  {} v{}: {} satisfaction items in {} index nodes; wording not yet official: \
             {} draft, {} reproduced",
            form.key(),
            form.version(),
            form.satisfaction_items().len(),
            form.index().descendants().len(),
            count(WordingStatus::Draft),
            count(WordingStatus::Reproduced),
        );
        if list_wordings {
            for (id, status) in &not_official {
                println!("      {id}: {status:?}");
            }
        }
    }
}

/// Prefixes a bare file name with its folder so the operator can open it.
fn located(path: &Path, message: &str) -> String {
    if path.is_dir() {
        format!("{}/{message}", path.display())
    } else {
        match path.parent().filter(|p| !p.as_os_str().is_empty()) {
            Some(dir) => format!("{}/{message}", dir.display()),
            None => message.to_owned(),
        }
    }
}
