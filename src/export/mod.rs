//! Files people and programs download: the export writers. Each takes what to write (already
//! checked and scoped by its caller) and produces a body; who may download what, and the
//! HTTP headers, are the callers' business (`http::export` for the API, the officer pages).
//!
//! - [`raw`]: the anonymous answers, one row per response, as CSV, XLSX or JSON, streamed in
//!   constant memory (`GET /api/v1/responses/export`).

pub mod raw;
