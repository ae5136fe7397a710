//! Integrity indicators: signs that an agency answers its own citizens' surveys, counted per
//! agency and month when each answer arrives, and kept **only as counts** (no address, no time,
//! nothing per response; docs/privacy.md, "Integrity indicators").
//!
//! What one stored answer adds ([`Signals`], then [`Counts::add`]):
//! - *quick*: a web answer through the link within `integrity.quick_answer_minutes` of the
//!   dossier's completion — usually an officer's device at the desk;
//! - *burst*: a web answer through the link while its network (IPv4 /24, IPv6 /48) had sent
//!   more than `integrity.burst_count` answers within `integrity.burst_minutes`
//!   ([`burst::BurstWindow`], in memory only);
//! - *straight-lined*: every answered index item at one level (at least [`MIN_PATTERN_ITEMS`]
//!   answered), and *top-box only*: every one at the top level;
//! - its mode (web, kiosk, phone, paper).
//!
//! Kiosk answers go through the link too, but at the desk by design: they are neither quick nor
//! burst answers, and show in the mix of modes instead.
//!
//! [`report`] turns a month's counts into shares with Wilson intervals and flags an agency far
//! outside the rest of its province.

pub mod burst;
pub mod report;

use std::collections::BTreeMap;
use std::net::IpAddr;

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::Value;

use crate::domain::aggregates::ScoreShape;
use crate::domain::submissions::Mode;

/// Fewer answered index items than this say nothing about a pattern.
pub const MIN_PATTERN_ITEMS: usize = 3;

/// What one answer shows, decided when it arrives and never stored as such.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Signals {
    /// A web answer through the citizen's link (the basis of `quick` and `burst`).
    pub web_link: bool,
    pub quick: bool,
    pub burst: bool,
    /// At least [`MIN_PATTERN_ITEMS`] index items answered (the basis of the two below).
    pub patterned: bool,
    pub straight_lined: bool,
    pub top_box_only: bool,
}

impl Signals {
    /// The pattern signals of a questionnaire: its answers to the index items of `shape`.
    pub fn of_answers(shape: &ScoreShape, answers: &BTreeMap<String, Value>) -> Self {
        let mut positions = Vec::with_capacity(shape.n_items());
        let mut top = true;
        for (j, id) in shape.tree.items.iter().enumerate() {
            let levels = shape.levels_of(j);
            let Some(position) = answers
                .get(id)
                .and_then(Value::as_i64)
                .and_then(|a| levels.iter().position(|&l| l == a))
            else {
                continue;
            };
            top &= position + 1 == levels.len();
            positions.push(position);
        }
        let patterned = positions.len() >= MIN_PATTERN_ITEMS;
        let straight = patterned && positions.iter().all(|&p| p == positions[0]);
        Signals {
            patterned,
            straight_lined: straight,
            top_box_only: straight && top,
            ..Signals::default()
        }
    }

    /// Adds what only an answer through the link shows: whether it is a web answer, and then
    /// whether it came within `quick` of the completion and in a burst.
    pub fn through_link(&mut self, mode: Mode, quick: bool, burst: bool) {
        self.web_link = mode == Mode::Web;
        self.quick = self.web_link && quick;
        self.burst = self.web_link && burst;
    }
}

/// Whether an answer at `answered_at` came within `minutes` of the completion at `completed_at`.
pub fn is_quick(completed_at: DateTime<Utc>, answered_at: DateTime<Utc>, minutes: u32) -> bool {
    answered_at - completed_at <= TimeDelta::minutes(i64::from(minutes))
}

/// The network an address belongs to for bursts: an IPv4 /24 or an IPv6 /48 (a site); an
/// IPv4-mapped IPv6 address is its IPv4 address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Network(IpAddr);

impl Network {
    pub fn of(ip: IpAddr) -> Self {
        match ip.to_canonical() {
            IpAddr::V4(v4) => Self(IpAddr::V4((u32::from(v4) & 0xffff_ff00).into())),
            IpAddr::V6(v6) => Self(IpAddr::V6((u128::from(v6) & !((1u128 << 80) - 1)).into())),
        }
    }
}

/// One agency's counts of one month.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Every stored questionnaire.
    pub answers: i64,
    pub web_link: i64,
    pub quick: i64,
    pub burst: i64,
    pub patterned: i64,
    pub straight_lined: i64,
    pub top_box_only: i64,
    pub web: i64,
    pub kiosk: i64,
    pub phone: i64,
    pub paper: i64,
}

impl Counts {
    /// Adds one stored answer in `mode` (`Mode::as_str`) with `signals`.
    pub fn add(&mut self, signals: &Signals, mode: &str) {
        self.answers += 1;
        self.web_link += i64::from(signals.web_link);
        self.quick += i64::from(signals.quick);
        self.burst += i64::from(signals.burst);
        self.patterned += i64::from(signals.patterned);
        self.straight_lined += i64::from(signals.straight_lined);
        self.top_box_only += i64::from(signals.top_box_only);
        match mode {
            "web" => self.web += 1,
            "kiosk" => self.kiosk += 1,
            "phone" => self.phone += 1,
            _ => self.paper += 1,
        }
    }

    /// The sum of two agencies' counts (a province's, less one agency's, …).
    pub fn plus(&self, o: &Counts) -> Counts {
        Counts {
            answers: self.answers + o.answers,
            web_link: self.web_link + o.web_link,
            quick: self.quick + o.quick,
            burst: self.burst + o.burst,
            patterned: self.patterned + o.patterned,
            straight_lined: self.straight_lined + o.straight_lined,
            top_box_only: self.top_box_only + o.top_box_only,
            web: self.web + o.web,
            kiosk: self.kiosk + o.kiosk,
            phone: self.phone + o.phone,
            paper: self.paper + o.paper,
        }
    }

    /// `self` without `o` (a province's counts less one agency's).
    pub fn less(&self, o: &Counts) -> Counts {
        let (a, b) = (self.values(), o.values());
        Counts::from_values(std::array::from_fn(|i| a[i] - b[i]))
    }

    /// The counts in the order of the stored columns ([`COLUMNS`]).
    pub fn values(&self) -> [i64; 11] {
        [
            self.answers,
            self.web_link,
            self.quick,
            self.burst,
            self.patterned,
            self.straight_lined,
            self.top_box_only,
            self.web,
            self.kiosk,
            self.phone,
            self.paper,
        ]
    }

    /// The counts from the stored columns' values, in [`COLUMNS`] order.
    pub fn from_values(v: [i64; 11]) -> Self {
        Counts {
            answers: v[0],
            web_link: v[1],
            quick: v[2],
            burst: v[3],
            patterned: v[4],
            straight_lined: v[5],
            top_box_only: v[6],
            web: v[7],
            kiosk: v[8],
            phone: v[9],
            paper: v[10],
        }
    }
}

/// The stored count columns, in [`Counts::values`] order.
pub const COLUMNS: [&str; 11] = [
    "answers",
    "web_link",
    "quick",
    "burst",
    "patterned",
    "straight_lined",
    "top_box_only",
    "mode_web",
    "mode_kiosk",
    "mode_phone",
    "mode_paper",
];

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests;
