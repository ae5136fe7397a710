//! The demo data set (`sipas demo`, `sipas serve --demo`): a fictional province — tỉnh Minh Sơn,
//! 20 departments, 10 districts with 10 communes each — with months of registered dossiers and
//! the questionnaires their holders returned, realistic enough to show every page and number:
//! agencies and factors that differ, agencies that improve or worsen, tiny agencies whose
//! numbers are suppressed or of low reliability, response rates, modes and invalid returns.
//!
//! What lives here is pure and seeded (`rand` `StdRng::seed_from_u64`): the [`plan`] of the
//! province and the [`generate`]d dossiers and answers of each month. Writing them — through the
//! same persistence functions registration and answering use — is `commands::demo`. Nothing in
//! here imports actix or sea-orm.

pub mod generate;
pub mod names;
pub mod plan;
mod random;
pub mod reform;

pub use generate::{DemoDossier, DemoResponse, Generator};
pub use plan::{Plan, Scale, Spec};
