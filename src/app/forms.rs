//! Which forms a process works with: the official forms compiled into the binary, with those of
//! the optional `forms.dir` folder beside them (`domain::forms::catalog` has the rules). Used by
//! `serve`, `sipas forms check`, and every command that publishes forms (`demo`, `months`,
//! `scores`).

use std::path::Path;

use crate::domain::forms::FormCatalog;

/// The built-in forms, plus every `*.toml` of `dir` when given. A given folder must exist (it
/// was configured: a missing one is a mistake, not "no extra forms").
///
/// # Errors
/// Every problem of every file, as one message naming the folder; or that the folder is
/// missing.
pub fn catalog(dir: Option<&Path>) -> anyhow::Result<FormCatalog> {
    let official = FormCatalog::official()
        .map_err(|e| anyhow::anyhow!("the survey forms built into sipas: {e}"))?;
    let Some(dir) = dir else {
        return Ok(official);
    };
    if !dir.is_dir() {
        anyhow::bail!(
            "the survey-form folder {} (forms.dir) does not exist; unset forms.dir to use only the \
             forms built into sipas",
            dir.display()
        );
    }
    let added = crate::persistence::form_files::load_dir(dir)
        .map_err(|e| anyhow::anyhow!("survey forms in {}: {e}", dir.display()))?;
    official
        .with_added(added)
        .map_err(|e| anyhow::anyhow!("survey forms in {}: {e}", dir.display()))
}
