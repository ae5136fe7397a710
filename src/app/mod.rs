//! The application's use cases, each over a narrow context (a database connection, the forms,
//! the clock) rather than the whole server state: what the HTTP handlers, the command line and
//! the maintenance task call. Handlers and commands parse, call a use case and render.

pub mod dossiers;
pub mod entry;
pub mod export;
pub mod forms;
pub mod guards;
pub mod metrics;
pub mod months;
pub mod ratelimit;
pub mod results;
pub mod retention;
pub mod sampling;
pub mod single_flight;
pub mod submissions;
