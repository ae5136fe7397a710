//! Business rules that do not depend on how requests arrive or where data is stored: value types
//! that can only hold valid values (parse, don't validate), authorisation rules and planning
//! functions. Nothing in here imports actix or sea-orm.

pub mod agencies;
pub mod audit;
pub mod auth;
