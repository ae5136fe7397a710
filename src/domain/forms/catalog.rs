//! Loading form definitions: one file's text, the texts of every `*.toml` of a directory
//! (`forms.dir`, read by `persistence::form_files`), or the official forms compiled into the
//! binary, into a [`FormCatalog`], reporting every error of every file.
//!
//! A file must be named `<key>.v<version>.toml` after its content, and a key+version must be
//! defined once. Other files (README.md, sub-directories) are ignored. A folder's forms join the
//! built-in ones ([`FormCatalog::with_added`]): a key+version that is built in may be repeated
//! only with the same content (the same checksum: comments and layout do not count).

use std::collections::BTreeMap;

use super::definition::FormFile;
use super::error::{FormError, FormErrorKind, FormErrors};
use super::model::{FormDefinition, FormStatus};
use super::validate::{line_of, validate};

/// Parses and validates one form file held in memory; `file_name` is used in error messages.
pub fn parse_form_str(file_name: &str, src: &str) -> Result<FormDefinition, FormErrors> {
    let file = parse_file(file_name, src)?;
    validate(file_name, src, &file)
}

/// Parses one form file without validating it (the raw [`FormFile`], spans included).
pub fn parse_file(file_name: &str, src: &str) -> Result<FormFile, FormErrors> {
    let error = |e: toml::de::Error, syntax: bool| {
        let message = e.message().trim().to_string();
        FormError {
            file: file_name.to_string(),
            line: e.span().map(|s| line_of(src, s.start)),
            id: None,
            kind: if syntax {
                FormErrorKind::Syntax { message }
            } else {
                FormErrorKind::Schema { message }
            },
        }
    };
    // Parsing to a plain table first separates TOML syntax errors from schema errors.
    toml::from_str::<toml::Table>(src).map_err(|e| FormErrors::from(error(e, true)))?;
    toml::from_str::<FormFile>(src).map_err(|e| FormErrors::from(error(e, false)))
}

/// The expected file name of a form version: `<key>.v<version>.toml`.
pub fn file_name_for(key: &str, version: u32) -> String {
    format!("{key}.v{version}.toml")
}

/// A loaded form version with the file it came from.
#[derive(Debug, Clone)]
struct Entry {
    file_name: String,
    source: String,
    form: FormDefinition,
}

/// Every form version of a directory, sorted by key then version, with the file name and source
/// text of each (persistence stores them at publication).
#[derive(Debug, Clone, Default)]
pub struct FormCatalog {
    forms: BTreeMap<(String, u32), Entry>,
}

impl FormCatalog {
    /// The official forms compiled into the binary (`survey-forms/` at build time).
    pub fn official() -> Result<FormCatalog, FormErrors> {
        Self::from_sources(
            super::official::OFFICIAL_FORMS
                .iter()
                .map(|(name, text)| ((*name).to_owned(), (*text).to_owned()))
                .collect(),
        )
    }

    /// This catalog with the forms of `added` (a `forms.dir` folder) beside its own. A version
    /// both define must have the same checksum — the first is kept, so stored sources stay the
    /// built-in text, retired if the added copy says so — otherwise it is an error naming the
    /// added file: a published version never changes, and a folder cannot override what the
    /// binary ships.
    pub fn with_added(mut self, added: FormCatalog) -> Result<FormCatalog, FormErrors> {
        let mut errors = Vec::new();
        for (k, entry) in added.forms {
            match self.forms.get_mut(&k) {
                // `retired = true` is not content (nor in the checksum): a folder may retire a
                // built-in version by repeating it with that line.
                Some(own) if own.form.checksum() == entry.form.checksum() => {
                    if entry.form.status() == FormStatus::Retired {
                        own.form.set_status(FormStatus::Retired);
                    }
                }
                Some(own) => errors.push(FormError {
                    file: entry.file_name,
                    line: Some(1),
                    id: Some(k.0.clone()),
                    kind: FormErrorKind::ChangesBuiltIn {
                        built_in: own.form.checksum().to_owned(),
                    },
                }),
                None => {
                    self.forms.insert(k, entry);
                }
            }
        }
        if errors.is_empty() {
            Ok(self)
        } else {
            Err(FormErrors(errors))
        }
    }

    /// Builds a catalog from `(file name, TOML text)` pairs (files on disk, or sources stored at
    /// publication): parses and validates every one, checks that each file is named
    /// `<key>.v<version>.toml` and that no key+version is defined twice, and returns every error.
    pub fn from_sources(files: Vec<(String, String)>) -> Result<FormCatalog, FormErrors> {
        let mut errors = Vec::new();
        let mut forms: BTreeMap<(String, u32), Entry> = BTreeMap::new();
        for (file_name, source) in files {
            let form = match parse_form_str(&file_name, &source) {
                Ok(form) => form,
                Err(e) => {
                    errors.extend(e.0);
                    continue;
                }
            };
            let expected = file_name_for(form.key(), form.version());
            if file_name != expected {
                errors.push(FormError {
                    file: file_name.clone(),
                    line: Some(1),
                    id: Some(form.key().to_string()),
                    kind: FormErrorKind::FileName { expected },
                });
            }
            let k = (form.key().to_string(), form.version());
            if let Some(other) = forms.get(&k) {
                errors.push(FormError {
                    file: file_name,
                    line: Some(1),
                    id: Some(form.key().to_string()),
                    kind: FormErrorKind::DuplicateForm {
                        other_file: other.file_name.clone(),
                    },
                });
                continue;
            }
            forms.insert(
                k,
                Entry {
                    file_name,
                    source,
                    form,
                },
            );
        }
        if !errors.is_empty() {
            return Err(FormErrors(errors));
        }
        Ok(FormCatalog { forms })
    }

    /// The file name a version was loaded from.
    pub fn file_name(&self, key: &str, version: u32) -> Option<&str> {
        self.entry(key, version).map(|e| e.file_name.as_str())
    }

    /// The TOML text a version was loaded from.
    pub fn source(&self, key: &str, version: u32) -> Option<&str> {
        self.entry(key, version).map(|e| e.source.as_str())
    }

    fn entry(&self, key: &str, version: u32) -> Option<&Entry> {
        self.forms.get(&(key.to_string(), version))
    }

    /// Every form version, sorted by key then version.
    pub fn iter(&self) -> impl Iterator<Item = &FormDefinition> {
        self.forms.values().map(|e| &e.form)
    }

    /// Number of form versions.
    pub fn len(&self) -> usize {
        self.forms.len()
    }

    /// Whether the catalog holds no form.
    pub fn is_empty(&self) -> bool {
        self.forms.is_empty()
    }

    /// That exact version.
    pub fn get(&self, key: &str, version: u32) -> Option<&FormDefinition> {
        self.entry(key, version).map(|e| &e.form)
    }

    /// The newest published (not retired) version of a key.
    pub fn latest(&self, key: &str) -> Option<&FormDefinition> {
        self.iter()
            .filter(|f| f.key() == key && f.status() == FormStatus::Published)
            .max_by_key(|f| f.version())
    }

    /// The newest published version of each key, sorted by key (the `GET /api/v1/forms` list).
    pub fn latest_published(&self) -> Vec<&FormDefinition> {
        let mut keys: Vec<&str> = self.forms.keys().map(|(k, _)| k.as_str()).collect();
        keys.dedup();
        keys.into_iter().filter_map(|k| self.latest(k)).collect()
    }

    /// Mutable access to a version, e.g. to apply a status stored in the database.
    pub fn get_mut(&mut self, key: &str, version: u32) -> Option<&mut FormDefinition> {
        self.forms
            .get_mut(&(key.to_string(), version))
            .map(|e| &mut e.form)
    }
}
