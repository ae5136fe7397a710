//! Downloads and pictures of the officer pages: SVG charts (`charts`), the XLSX report of an
//! agency and period (`report`), and the raw-answer exports. Pure: data in, bytes or text out;
//! no actix, no sea-orm.

pub mod charts;
pub mod report;
