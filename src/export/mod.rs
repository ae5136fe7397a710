//! Exports: SVG charts of the officer pages (`charts`), and — from other work — reports and
//! raw-answer files. Pure: data in, bytes or text out; no actix, no sea-orm.

pub mod charts;
