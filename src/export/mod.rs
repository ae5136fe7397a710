//! Files people and programs download, and the pictures of the officer pages. Each writer
//! takes what to write (already checked and scoped by its caller) and produces a body; who may
//! download what, and the HTTP headers, are the callers' business (`http::export` for the API,
//! `http::pages::dashboard` for the officer pages). Pure: no actix, no sea-orm.
//!
//! - [`raw`]: the anonymous answers, one row per response, as CSV, XLSX or JSON, streamed in
//!   constant memory (`GET /api/v1/responses/export`).
//! - [`report`]: the XLSX report of an agency and period (summary, items, trend, native charts).
//! - [`charts`]: the SVG charts of the dashboard pages.
//! - [`par`]: the PAR scores as CSV (`GET /api/v1/par/scores`).

pub mod charts;
pub mod follow_up;
pub mod par;
pub mod raw;
pub mod report;
