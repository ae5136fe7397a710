//! The domain: the rules of SIPAS surveys, free of HTTP and storage (no actix, no sea-orm).

pub mod digest;
pub mod forms;
