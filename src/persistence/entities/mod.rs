//! sea-orm entities, one file per table. Only `persistence` uses them.

pub mod form_version;
