//! Downloads: raw-answer exports, the XLSX report, SVG charts.

pub mod report;
