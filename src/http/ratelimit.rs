//! The rate limit on survey-token guessing: lookups of unknown tokens, per client IP, with
//! `governor` (GCRA). A client that has used up its misses is refused **every** survey lookup
//! until the wait is over, valid token or not, so guesses made while limited can never succeed.
//! Clients that only look up their own token never touch the limiter.

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::config::SurveySettings;

/// Forget idle clients once the limiter tracks this many addresses.
const PRUNE_AT: usize = 10_000;

/// Per-IP limiter of unknown-token lookups.
pub struct SurveyLookupLimiter {
    misses: DefaultKeyedRateLimiter<IpAddr>,
    /// Addresses that are refused until the instant given (set when a miss is refused).
    blocked: Mutex<HashMap<IpAddr, Instant>>,
}

impl std::fmt::Debug for SurveyLookupLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SurveyLookupLimiter")
            .finish_non_exhaustive()
    }
}

/// Seconds for a `Retry-After` header: whole seconds, rounded up, at least 1.
fn retry_after_secs(wait: Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

impl SurveyLookupLimiter {
    /// A limiter with the configured burst and replenishment period.
    pub fn new(settings: &SurveySettings) -> Self {
        let period = Duration::from_millis(settings.lookup_period_ms.max(1));
        let burst = NonZeroU32::new(settings.lookup_burst).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::with_period(period)
            .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
            .allow_burst(burst);
        Self {
            misses: RateLimiter::keyed(quota),
            blocked: Mutex::new(HashMap::new()),
        }
    }

    /// Before a lookup: `Err(seconds)` while `ip` is blocked.
    pub fn check(&self, ip: IpAddr) -> Result<(), u64> {
        let now = Instant::now();
        let mut blocked = self.blocked.lock().unwrap_or_else(|e| e.into_inner());
        match blocked.get(&ip) {
            Some(until) if *until > now => Err(retry_after_secs(*until - now)),
            Some(_) => {
                blocked.remove(&ip);
                Ok(())
            }
            None => Ok(()),
        }
    }

    /// After a lookup found nothing: counts the miss; `Err(seconds)` when it was one too many
    /// (the address is then blocked for that long).
    pub fn record_miss(&self, ip: IpAddr) -> Result<(), u64> {
        if self.misses.len() > PRUNE_AT {
            self.misses.retain_recent();
        }
        match self.misses.check_key(&ip) {
            Ok(()) => Ok(()),
            Err(not_until) => {
                let wait = not_until.wait_time_from(DefaultClock::default().now());
                let mut blocked = self.blocked.lock().unwrap_or_else(|e| e.into_inner());
                let now = Instant::now();
                if blocked.len() > PRUNE_AT {
                    blocked.retain(|_, until| *until > now);
                }
                blocked.insert(ip, now + wait);
                Err(retry_after_secs(wait))
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn misses_beyond_the_burst_block_the_address_only() {
        let limiter = SurveyLookupLimiter::new(&SurveySettings {
            token_ttl_days: 30,
            lookup_burst: 2,
            lookup_period_ms: 60_000,
            seal_interval_secs: 60,
        });
        let (a, b): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        assert!(limiter.check(a).is_ok());
        assert!(limiter.record_miss(a).is_ok());
        assert!(limiter.record_miss(a).is_ok());
        let wait = limiter.record_miss(a).unwrap_err();
        assert!((1..=60).contains(&wait), "{wait}");
        assert!(limiter.check(a).is_err());
        assert!(limiter.check(b).is_ok());
        assert!(limiter.record_miss(b).is_ok());
    }

    #[test]
    fn retry_after_rounds_up() {
        assert_eq!(retry_after_secs(Duration::from_millis(1)), 1);
        assert_eq!(retry_after_secs(Duration::from_secs(3)), 3);
        assert_eq!(retry_after_secs(Duration::from_millis(3001)), 4);
    }
}
