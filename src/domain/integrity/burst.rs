//! Bursts of answers from one network, in memory only: per network, the arrival times of its
//! last few web answers through links, forgotten once older than the window. Nothing of it is
//! stored or logged; a restart forgets it (a burst then starts counting again).

use std::collections::{HashMap, VecDeque};

use chrono::{DateTime, TimeDelta, Utc};

use super::Network;

/// Most networks tracked at once; beyond it, networks quiet for a whole window are forgotten
/// first, and if all are busy a new network is not tracked (its answers are not bursts).
pub const MAX_NETWORKS: usize = 100_000;

/// Recent arrivals per network.
#[derive(Debug)]
pub struct BurstWindow {
    /// More than this many answers within `window` make a burst.
    count: usize,
    window: TimeDelta,
    recent: HashMap<Network, VecDeque<DateTime<Utc>>>,
}

impl BurstWindow {
    /// A window of `minutes` in which more than `count` answers from one network are a burst.
    pub fn new(count: u32, minutes: u32) -> Self {
        Self {
            count: usize::try_from(count).unwrap_or(usize::MAX),
            window: TimeDelta::minutes(i64::from(minutes)),
            recent: HashMap::new(),
        }
    }

    /// Records an answer from `network` at `now`; whether it makes (or continues) a burst: more
    /// than `count` answers, this one included, within the window before `now`.
    pub fn arrive(&mut self, network: Network, now: DateTime<Utc>) -> bool {
        let since = now - self.window;
        if !self.recent.contains_key(&network) && self.recent.len() >= MAX_NETWORKS {
            self.recent
                .retain(|_, times| times.back().is_some_and(|&t| t > since));
            if self.recent.len() >= MAX_NETWORKS {
                return false;
            }
        }
        let times = self.recent.entry(network).or_default();
        while times.front().is_some_and(|&t| t <= since) {
            times.pop_front();
        }
        times.push_back(now);
        // Only whether there are more than `count` matters: the oldest beyond that go.
        while times.len() > self.count.saturating_add(1) {
            times.pop_front();
        }
        times.len() > self.count
    }

    /// Networks tracked now (tests, metrics).
    pub fn tracked(&self) -> usize {
        self.recent.len()
    }
}
