//! SVG charts of the officer pages, drawn with plotters' SVG backend: data in, an SVG string
//! out (no actix, no sea-orm, no I/O).
//!
//! Every chart is meant to be inlined in an HTML page, so it
//! - is an `<svg role="img">` labelled by its own `<title>` and `<desc>` (ids from
//!   [`ChartText::id`]), with a `viewBox` and no fixed size, so it scales to the page (360 px
//!   phones included); the page puts a data table after it as the text alternative;
//! - says everything in words and numbers, never by colour alone: each value is written beside
//!   its mark, a low-reliability value carries the word for it (and a dashed outline), a
//!   suppressed one is the word instead of a mark, the levels of a distribution are numbered;
//!   so it reads the same printed in black and white;
//! - writes text as SVG `<text>` elements in UTF-8 (Vietnamese diacritics kept as given; the
//!   browser's fonts render them). plotters escapes the text it writes; the title and
//!   description added here are escaped with [`escape`].
//!
//! Values are percentages (0–100), as the results views give them. Numbers are written with
//! [`number`] (round half-up, a decimal comma in Vietnamese).

mod bars;
mod canvas;
mod caterpillar;
mod distribution;
mod lines;
mod model;
mod text;

pub use self::bars::bars;
pub use self::caterpillar::caterpillar;
pub use self::distribution::distribution;
pub use self::lines::lines;
pub use self::model::{Bar, ChartError, ChartText, Mark, Point, Ranked, Series};
pub use self::text::{escape, number};

#[allow(clippy::unwrap_used, clippy::expect_used)]
#[cfg(test)]
mod tests;
