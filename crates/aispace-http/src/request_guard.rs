//! The per-key request-rate guard (the quota "all requests: configurable per
//! key, per process burst guard"): a token bucket per key's lookup prefix,
//! spent only by requests whose key authenticated (a prefix is not secret,
//! so a bucket spent by any request naming it would let anyone lock its
//! agent out; failures are bounded by `auth_failures` instead), so one
//! agent's flood cannot take the server from the others. Per process by
//! design; the quotas that must hold across processes live in the
//! database.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use aispace_domain::model::ApiKey;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GuardRate {
    pub per_second: NonZeroU32,
    pub burst: NonZeroU32,
}

pub struct RequestGuard {
    limiter: DefaultKeyedRateLimiter<String>,
    clock: DefaultClock,
    checks: AtomicU64,
}

impl std::fmt::Debug for RequestGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RequestGuard({} keys)", self.limiter.len())
    }
}

/// Forgotten buckets are swept every this many checks, so keys seen once
/// (or made up by a caller) do not accumulate.
const SWEEP_EVERY: u64 = 10_000;

impl RequestGuard {
    pub fn new(rate: GuardRate) -> Self {
        Self::with_quota(Quota::per_second(rate.per_second).allow_burst(rate.burst))
    }

    /// `requests` a minute per key: a bucket of `requests` that refills one
    /// request every `60 / requests` seconds, so no minute after the first
    /// passes more than `requests`.
    pub fn per_minute(requests: NonZeroU32) -> Self {
        Self::with_quota(Quota::per_minute(requests))
    }

    fn with_quota(quota: Quota) -> Self {
        RequestGuard {
            limiter: RateLimiter::keyed(quota),
            clock: DefaultClock::default(),
            checks: AtomicU64::new(0),
        }
    }

    /// `Err(wait)` when the key's bucket is empty.
    pub fn check(&self, presented_key: &str) -> Result<(), Duration> {
        // The lookup prefix names the key in every format, so varying the
        // secret does not buy a fresh bucket, and no secret becomes a map
        // key. Text not shaped like a key shares the empty name: it fails
        // at parsing, before storage, whoever sent it.
        self.check_name(ApiKey::lookup_prefix(presented_key))
    }

    /// `Err(wait)` when the bucket called `name` is empty.
    pub fn check_name(&self, name: &str) -> Result<(), Duration> {
        if self.checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            self.limiter.retain_recent();
            self.limiter.shrink_to_fit();
        }
        self.limiter
            .check_key(&name.to_owned())
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_key_gets_its_own_burst() {
        let guard = RequestGuard::new(GuardRate {
            per_second: NonZeroU32::MIN,
            burst: NonZeroU32::new(3).unwrap_or(NonZeroU32::MIN),
        });
        for _ in 0..3 {
            assert!(guard.check("asp_aaaaaaaa.secret").is_ok());
        }
        let wait = guard.check("asp_aaaaaaaa.other-secret").unwrap_err();
        assert!(wait <= Duration::from_secs(1), "{wait:?}");
        assert!(guard.check("asp_bbbbbbbb.secret").is_ok());
    }

    #[test]
    fn every_format_is_counted_by_its_lookup_prefix() {
        let guard = RequestGuard::new(GuardRate {
            per_second: NonZeroU32::MIN,
            burst: NonZeroU32::MIN,
        });
        let hex = |c: char| c.to_string().repeat(52);
        let lol = "lol65b_abcdefghjk";
        let dose = "doseofai_0123456789ab";
        for (first, again, other) in [
            (
                format!("{lol}.first"),
                format!("{lol}.second"),
                // Differs in the 10th id character only (a 16-character
                // cut would have missed it).
                "lol65b_abcdefghjm.first".to_owned(),
            ),
            (
                format!("{dose}{}", hex('a')),
                format!("{dose}{}", hex('b')),
                format!("doseofai_0123456789ac{}", hex('a')),
            ),
        ] {
            assert!(guard.check(&first).is_ok(), "{first}");
            assert!(guard.check(&again).is_err(), "{again}");
            assert!(guard.check(&other).is_ok(), "{other}");
        }
    }
}
