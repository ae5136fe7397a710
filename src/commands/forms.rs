//! `sipas forms check|list|retire`.

use std::path::{Path, PathBuf};

use crate::cli::FormsAction;
use crate::config::Settings;
use crate::domain::forms::{FormCatalog, FormDefinition, WordingStatus, parse_form_file};
use crate::persistence;

/// `sipas forms …`.
pub async fn run(settings: &Settings, action: FormsAction) -> anyhow::Result<()> {
    match action {
        FormsAction::Check { paths, wordings } => {
            let paths = if paths.is_empty() {
                vec![settings.forms.dir.clone()]
            } else {
                paths
            };
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
            let version_i32 = i32::try_from(version)?;
            let found = persistence::forms::retire(&db, &key, version_i32).await?;
            db.close().await?;
            if !found {
                anyhow::bail!("no published form {key} version {version}");
            }
            eprintln!("retired {key} version {version}; servers apply it at their next start");
            Ok(())
        }
    }
}

/// Checks every path (folder or file), prints a line per valid form and every error.
fn check_forms(paths: &[PathBuf], list_wordings: bool) -> anyhow::Result<()> {
    let mut errors = 0;
    let mut forms: Vec<FormDefinition> = Vec::new();
    for path in paths {
        let loaded = if path.is_dir() {
            FormCatalog::load_dir(path).map(|c| c.iter().cloned().collect::<Vec<_>>())
        } else {
            parse_form_file(path).map(|f| vec![f])
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
    for form in &forms {
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
    if errors > 0 {
        anyhow::bail!("{errors} error(s) in the form definitions");
    }
    if forms.is_empty() {
        anyhow::bail!("no form definition found in {paths:?}");
    }
    Ok(())
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
