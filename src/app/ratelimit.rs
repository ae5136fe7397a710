//! Per-client rate limits, keyed by [`ClientKey`] (taken from a request by `http::client_addr`:
//! the peer, or the client a trusted proxy names; an IPv6 client by its /64):
//!
//! - [`SurveyLookupLimiter`]: lookups of **unknown** survey tokens (`surveys.lookup_*`). A token
//!   is looked up first and the limiter is asked only on a miss, so a valid token is never
//!   refused, whoever presents it: before, a client that had spent its misses was refused
//!   every lookup, and behind a proxy twenty wrong links from anyone locked every citizen out.
//!   A limited client still learns, from a 200, that a guess was right — which is safe because
//!   a token is 192 bits of HMAC output (`domain::tokens`): at a billion guesses a second, the
//!   chance of hitting any of a hundred million live tokens within a century is below 2^-100.
//!   What the limiter bounds is how fast a client learns "no such link" (docs/privacy.md,
//!   "Guessing survey links"), not the lookups: a limited client still costs one indexed point
//!   query per well-formed token (a malformed one, none) — the price of never refusing a valid
//!   link.
//! - [`SignInLimiter`]: sign-in attempts per client address (`accounts.sign_in_*`), whatever
//!   e-mail addresses they try, checked before the password is hashed — beside the
//!   per-e-mail-address lockout (`domain::accounts`), which stops guessing one account's
//!   password but not one client keeping argon2 busy with attempts on many addresses.
//!
//! Both are a GCRA (generic cell rate algorithm): `burst` requests in a row, then one more per
//! `period`; a refusal costs nothing, and says how long to wait.
//!
//! **Memory and pruning.** A key whose allowance has fully come back holds nothing a new key
//! would not, so it is forgotten. Entries are also indexed by that moment, so every check
//! first forgets the entries due, oldest first — each entry is forgotten once, at a cost of
//! O(log n), so no pass over the whole table ever runs and no timer is needed. At most
//! [`MAX_TRACKED`] keys are held: when the table is full, a new key evicts the entry whose
//! allowance comes back soonest (the one that would be forgotten next). Only a client with
//! more addresses than that (an IPv6 attacker with many /64s) can make the limiter forget a
//! limited key early — and such a client can spread its own requests over those addresses
//! anyway.

use std::collections::{BTreeSet, HashMap};
use std::net::{IpAddr, Ipv6Addr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::config::{AccountSettings, SurveySettings};

/// What a per-client limit counts by: an IPv4 address or an IPv6 /64 (see
/// `http::client_addr`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClientKey(IpAddr);

impl ClientKey {
    /// The key of an address.
    pub fn of(ip: IpAddr) -> Self {
        // An IPv4-mapped IPv6 address is the IPv4 client it maps.
        match ip.to_canonical() {
            IpAddr::V6(v6) => {
                let prefix = u128::from(v6) & !(u128::from(u64::MAX));
                Self(IpAddr::V6(Ipv6Addr::from(prefix)))
            }
            v4 => Self(v4),
        }
    }
}

/// Most keys a limiter tracks (about 100 bytes each).
pub const MAX_TRACKED: usize = 100_000;

/// Seconds for a `Retry-After` header: whole seconds, rounded up, at least 1.
fn retry_after_secs(wait: Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

/// A keyed GCRA limiter with bounded memory (see the module documentation).
pub struct KeyedLimiter {
    /// The time one request's allowance takes to come back.
    period: Duration,
    /// How far ahead of now a key's next-allowed time may run: `period × (burst − 1)`.
    tolerance: Duration,
    capacity: usize,
    table: Mutex<Table>,
}

/// Each key's theoretical arrival time (when its allowance is whole again), and the same
/// entries ordered by it.
#[derive(Default)]
struct Table {
    due: HashMap<ClientKey, Instant>,
    by_due: BTreeSet<(Instant, ClientKey)>,
}

impl Table {
    fn forget_due(&mut self, now: Instant) {
        while let Some(&(at, key)) = self.by_due.first() {
            if at > now {
                break;
            }
            self.by_due.pop_first();
            self.due.remove(&key);
        }
    }

    fn set(&mut self, key: ClientKey, at: Instant) {
        if let Some(old) = self.due.insert(key, at) {
            self.by_due.remove(&(old, key));
        }
        self.by_due.insert((at, key));
    }

    fn evict_soonest(&mut self) {
        if let Some((_, key)) = self.by_due.pop_first() {
            self.due.remove(&key);
        }
    }
}

impl std::fmt::Debug for KeyedLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyedLimiter")
            .field("period", &self.period)
            .field("tolerance", &self.tolerance)
            .field("capacity", &self.capacity)
            .finish_non_exhaustive()
    }
}

impl KeyedLimiter {
    /// `burst` requests in a row, then one per `period`; at most `capacity` keys.
    pub fn new(burst: u32, period: Duration, capacity: usize) -> Self {
        let period = period.max(Duration::from_millis(1));
        Self {
            period,
            tolerance: period.saturating_mul(burst.max(1) - 1),
            capacity: capacity.max(1),
            table: Mutex::new(Table::default()),
        }
    }

    /// Counts one request of `key`; `Err(seconds to wait)` when it is one too many.
    pub fn check(&self, key: ClientKey) -> Result<(), u64> {
        self.check_at(key, Instant::now())
    }

    fn check_at(&self, key: ClientKey, now: Instant) -> Result<(), u64> {
        // Every operation leaves the table whole, so a poisoned lock is still usable.
        let mut table = self.table.lock().unwrap_or_else(|e| e.into_inner());
        table.forget_due(now);
        let due = table.due.get(&key).copied().unwrap_or(now).max(now);
        let ahead = due - now;
        if ahead > self.tolerance {
            return Err(retry_after_secs(ahead - self.tolerance));
        }
        if !table.due.contains_key(&key) && table.due.len() >= self.capacity {
            table.evict_soonest();
        }
        table.set(key, due + self.period);
        Ok(())
    }

    /// Gives `key` back the allowance of one request it was charged for.
    pub fn refund(&self, key: ClientKey) {
        let mut table = self.table.lock().unwrap_or_else(|e| e.into_inner());
        let Some(&due) = table.due.get(&key) else {
            return;
        };
        match due
            .checked_sub(self.period)
            .filter(|at| *at > Instant::now())
        {
            Some(at) => table.set(key, at),
            None => {
                table.by_due.remove(&(due, key));
                table.due.remove(&key);
            }
        }
    }

    /// How many keys are held.
    pub fn tracked(&self) -> usize {
        self.table
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .due
            .len()
    }
}

/// The limit on lookups of unknown survey tokens (see the module documentation).
#[derive(Debug)]
pub struct SurveyLookupLimiter(KeyedLimiter);

impl SurveyLookupLimiter {
    /// A limiter with the configured burst and replenishment period.
    pub fn new(settings: &SurveySettings) -> Self {
        Self(KeyedLimiter::new(
            settings.lookup_burst,
            Duration::from_millis(settings.lookup_period_ms),
            MAX_TRACKED,
        ))
    }

    /// After a lookup found nothing: counts the miss; `Err(seconds)` when it was one too many
    /// (the lookup is then answered 429 rather than 404).
    pub fn record_miss(&self, key: ClientKey) -> Result<(), u64> {
        self.0.check(key)
    }

    /// How many clients are held.
    pub fn tracked(&self) -> usize {
        self.0.tracked()
    }
}

/// The limit on sign-in attempts per client address (see the module documentation).
#[derive(Debug)]
pub struct SignInLimiter(KeyedLimiter);

impl SignInLimiter {
    /// A limiter with the configured burst and replenishment period.
    pub fn new(settings: &AccountSettings) -> Self {
        Self(KeyedLimiter::new(
            settings.sign_in_burst,
            Duration::from_millis(settings.sign_in_period_ms),
            MAX_TRACKED,
        ))
    }

    /// Before checking a password: counts the attempt; `Err(seconds)` when it is one too many.
    pub fn attempt(&self, key: ClientKey) -> Result<(), u64> {
        self.0.check(key)
    }

    /// The attempt signed in: it does not count. Only failures use up an address's allowance,
    /// so an office whose officers all sign in from one address in the morning is not refused.
    pub fn succeeded(&self, key: ClientKey) {
        self.0.refund(key);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn key(s: &str) -> ClientKey {
        ClientKey::of(s.parse().unwrap())
    }

    #[test]
    fn a_burst_then_one_per_period_per_key() {
        let l = KeyedLimiter::new(2, Duration::from_secs(60), 100);
        let t0 = Instant::now();
        let (a, b) = (key("10.0.0.1"), key("10.0.0.2"));
        assert!(l.check_at(a, t0).is_ok());
        assert!(l.check_at(a, t0).is_ok());
        let wait = l.check_at(a, t0).unwrap_err();
        assert!((59..=60).contains(&wait), "{wait}");
        // Refusals cost nothing: the wait does not grow.
        assert_eq!(l.check_at(a, t0).unwrap_err(), wait);
        assert!(l.check_at(b, t0).is_ok());
        // One period later, one more.
        let t1 = t0 + Duration::from_secs(60);
        assert!(l.check_at(a, t1).is_ok());
        assert!(l.check_at(a, t1).is_err());
    }

    #[test]
    fn a_refunded_request_does_not_count() {
        let l = KeyedLimiter::new(2, Duration::from_secs(60), 100);
        let a = key("10.0.0.1");
        for _ in 0..10 {
            assert!(l.check(a).is_ok());
            l.refund(a);
        }
        assert_eq!(l.tracked(), 0);
        assert!(l.check(a).is_ok());
        assert!(l.check(a).is_ok());
        l.refund(a);
        assert!(l.check(a).is_ok());
        assert!(l.check(a).is_err());
    }

    #[test]
    fn whole_allowances_are_forgotten_and_the_table_never_passes_its_cap() {
        let l = KeyedLimiter::new(3, Duration::from_secs(1), 50);
        let t0 = Instant::now();
        for i in 0..40 {
            l.check_at(key(&format!("10.0.1.{i}")), t0).unwrap();
        }
        assert_eq!(l.tracked(), 40);
        // A second later every allowance is whole again: the next check forgets them all.
        l.check_at(key("10.0.2.1"), t0 + Duration::from_secs(2))
            .unwrap();
        assert_eq!(l.tracked(), 1);
        // A flood of new keys stays within the cap, evicting the soonest due first.
        let t2 = t0 + Duration::from_secs(3);
        let limited = key("10.0.3.1");
        for _ in 0..3 {
            l.check_at(limited, t2).unwrap();
        }
        assert!(l.check_at(limited, t2).is_err());
        for i in 0..200u32 {
            let ip = std::net::Ipv4Addr::from(0x0b00_0000 + i);
            l.check_at(ClientKey::of(ip.into()), t2).unwrap();
            assert!(l.tracked() <= 50);
        }
        assert_eq!(l.tracked(), 50);
    }

    #[test]
    fn retry_after_rounds_up() {
        assert_eq!(retry_after_secs(Duration::from_millis(1)), 1);
        assert_eq!(retry_after_secs(Duration::from_secs(3)), 3);
        assert_eq!(retry_after_secs(Duration::from_millis(3001)), 4);
    }
}
