//! Survey forms: the definition files in `survey-forms/` (one TOML file per form version, compiled
//! into the binary: [`official`]), their validation, and the validated [`FormDefinition`] the rest of the application works with.
//!
//! What belongs here: the file format ([`definition`]), the rules and their errors ([`validate`],
//! [`error`]), the validated model with lookups, the index tree, experience gating and the
//! api.md JSON shape ([`model`]), the canonical checksum ([`checksum`]) and loading a directory
//! ([`catalog`]). What does not: storing forms or their checksums (persistence), HTTP handlers,
//! validating submitted answers (submissions), computing indices (stats).
//!
//! This module is pure: no actix, no sea-orm, no global state. The public model types derive
//! `utoipa::ToSchema` so that the HTTP layer can reference them in the OpenAPI document. The methodology it implements is
//! `docs/methodology.md` §1.2, §2 and §3.7–§3.8; the file format is described in
//! `survey-forms/README.md`.
//!
//! ```no_run
//! use sipas::domain::forms::FormCatalog;
//! let catalog = FormCatalog::official()?;
//! let form = catalog.latest("sipas-2017").ok_or("no such form")?;
//! assert_eq!(form.satisfaction_items().len(), 22);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod catalog;
pub mod checksum;
pub mod definition;
pub mod error;
pub mod model;
pub mod official;
pub mod published;
pub mod validate;

#[cfg(test)]
mod tests_rules;
#[cfg(test)]
mod tests_shipped;

pub use catalog::{FormCatalog, file_name_for, parse_file, parse_form_str};
pub use error::{FormError, FormErrorKind, FormErrors};
pub use model::{
    Answers, ChoiceOption, Condition, ConditionValue, DisplayOrder, FormDefinition, FormStatus,
    FormSummary, IndexNode, LegalBasis, Level, Par, Prefill, Question, QuestionKind, Scale,
    Section, Text, WordingStatus,
};
pub use published::{PublishedForm, PublishedForms};

/// The latest shipped version of `key` from `survey-forms/` (unit tests' fixture).
#[cfg(test)]
#[allow(clippy::expect_used)]
pub(crate) fn shipped(key: &str) -> FormDefinition {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("survey-forms");
    crate::persistence::form_files::load_dir(&dir)
        .expect("the shipped forms load")
        .latest(key)
        .expect("the shipped form exists")
        .clone()
}
