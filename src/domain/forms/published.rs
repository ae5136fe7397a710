//! The published form versions the service serves: every stored version (not only those still
//! in `survey-forms/`), each with its API JSON and entity tag computed once at start.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::{FormCatalog, FormDefinition, FormStatus, FormSummary};
use crate::domain::aggregates::ScoreShape;

/// One version, ready to serve.
#[derive(Debug)]
pub struct PublishedForm {
    pub definition: FormDefinition,
    /// The full-form JSON of `GET /api/v1/forms/{key}/versions/{version}`.
    pub json: String,
    /// A strong entity tag of `json` (quoted, as sent in `ETag`).
    pub etag: String,
    /// The layout of this version's counts (index tree, item scales).
    pub score: Arc<ScoreShape>,
}

/// Every published version, by key, oldest first. Cheap to clone (the forms are shared).
#[derive(Debug, Default, Clone)]
pub struct PublishedForms {
    by_key: BTreeMap<String, Vec<Arc<PublishedForm>>>,
}

impl PublishedForms {
    /// Builds the set from a catalog of every stored version; `retired(key, version)` says which
    /// versions are retired (in the database or in their file).
    pub fn new(
        catalog: &FormCatalog,
        retired: impl Fn(&str, u32) -> bool,
    ) -> Result<Self, serde_json::Error> {
        let mut by_key: BTreeMap<String, Vec<Arc<PublishedForm>>> = BTreeMap::new();
        for form in catalog.iter() {
            let mut definition = form.clone();
            if retired(definition.key(), definition.version()) {
                definition.set_status(FormStatus::Retired);
            }
            let json = serde_json::to_string(&definition)?;
            let etag = format!("\"{}\"", crate::domain::digest::sha256_hex(json.as_bytes()));
            by_key
                .entry(definition.key().to_owned())
                .or_default()
                .push(Arc::new(PublishedForm {
                    score: Arc::new(ScoreShape::of(&definition)),
                    definition,
                    json,
                    etag,
                }));
        }
        for versions in by_key.values_mut() {
            versions.sort_by_key(|f| f.definition.version());
        }
        Ok(Self { by_key })
    }

    /// That exact version, retired or not.
    /// Every form key, in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.by_key.keys().map(String::as_str)
    }

    pub fn version(&self, key: &str, version: u32) -> Option<&Arc<PublishedForm>> {
        self.by_key
            .get(key)?
            .iter()
            .find(|f| f.definition.version() == version)
    }

    /// Every stored version of `key`, oldest first (none for an unknown key).
    pub fn versions(&self, key: &str) -> &[Arc<PublishedForm>] {
        self.by_key.get(key).map(Vec::as_slice).unwrap_or_default()
    }

    /// The newest published version of `key`; if every version is retired, the newest one.
    pub fn current(&self, key: &str) -> Option<&Arc<PublishedForm>> {
        let versions = self.by_key.get(key)?;
        versions
            .iter()
            .rev()
            .find(|f| f.definition.status() == FormStatus::Published)
            .or_else(|| versions.last())
    }

    /// The newest published version of `key`, for new surveys; `None` when all are retired.
    pub fn for_new_surveys(&self, key: &str) -> Option<&Arc<PublishedForm>> {
        self.current(key)
            .filter(|f| f.definition.status() == FormStatus::Published)
    }

    /// One summary per key that has a published version: its newest published version.
    pub fn list(&self) -> Vec<FormSummary> {
        self.by_key
            .keys()
            .filter_map(|key| self.for_new_surveys(key))
            .map(|f| f.definition.summary())
            .collect()
    }

    /// Number of stored versions.
    pub fn len(&self) -> usize {
        self.by_key.values().map(Vec::len).sum()
    }

    /// Whether no version is stored.
    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }
}
