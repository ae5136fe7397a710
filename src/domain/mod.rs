//! Business rules that do not depend on how requests arrive or where data is stored: the survey
//! forms, value types that can only hold valid values (parse, don't validate), authorisation
//! rules. Nothing in here imports actix or sea-orm.

pub mod accounts;
pub mod agencies;
pub mod aggregates;
pub mod anonymity;
pub mod audit;
pub mod auth;
pub mod digest;
pub mod dossiers;
pub mod forms;
pub mod invitations;
pub mod lang;
pub mod par;
pub mod periods;
pub mod problem_code;
pub mod publication;
pub mod responses;
pub mod results;
pub mod retention;
pub mod sampling;
pub mod scoring;
pub mod spans;
pub mod submissions;
pub mod tokens;
