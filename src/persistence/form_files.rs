//! Reading survey-form definition files from disk — a form folder (`forms.dir`) or one file
//! (`sipas forms check`) — the file access that `domain::forms` leaves out: it parses and
//! validates the texts it is given, reporting every error of every file.

use std::path::Path;

use crate::domain::forms::{
    FormCatalog, FormDefinition, FormError, FormErrorKind, FormErrors, parse_form_str,
};

/// Reads, parses and validates one form file.
pub fn parse_form_file(path: &Path) -> Result<FormDefinition, FormErrors> {
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let src = std::fs::read_to_string(path).map_err(|e| FormError {
        file: name.clone(),
        line: None,
        id: None,
        kind: FormErrorKind::Io {
            message: e.to_string(),
        },
    })?;
    parse_form_str(&name, &src)
}

/// Loads every `*.toml` file of `dir` (sorted by name), validating all of them and returning
/// every error found, or the catalog when there is none.
pub fn load_dir(dir: &Path) -> Result<FormCatalog, FormErrors> {
    let io_error = |e: std::io::Error| {
        FormErrors::from(FormError {
            file: dir.display().to_string(),
            line: None,
            id: None,
            kind: FormErrorKind::Io {
                message: e.to_string(),
            },
        })
    };
    let mut paths = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io_error)? {
        let path = entry.map_err(io_error)?.path();
        if path.is_file() && path.extension().is_some_and(|e| e == "toml") {
            paths.push(path);
        }
    }
    paths.sort();

    let mut errors = Vec::new();
    let mut files = Vec::new();
    for path in &paths {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        match std::fs::read_to_string(path) {
            Ok(text) => files.push((name, text)),
            Err(e) => errors.push(FormError {
                file: name,
                line: None,
                id: None,
                kind: FormErrorKind::Io {
                    message: e.to_string(),
                },
            }),
        }
    }
    match FormCatalog::from_sources(files) {
        Ok(catalog) if errors.is_empty() => Ok(catalog),
        Ok(_) => Err(FormErrors(errors)),
        Err(e) => {
            errors.extend(e.0);
            Err(FormErrors(errors))
        }
    }
}
