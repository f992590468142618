//! Failed authentications, counted apart from any key's request budget.
//!
//! A key's lookup prefix is not secret (it is logged and shown on the
//! owner's page), so a request guard charged before the secret is checked
//! let anyone who knew a prefix spend the real agent's budget with wrong
//! secrets. Now only an authenticated request spends a key's budget, and
//! failures are counted here: per client address (once its failures fill
//! the window, that address is answered 429 before any storage work) and
//! per prefix (once filled, further failures with that prefix answer 429
//! instead of 401, while the right secret still gets through). Per process,
//! like the request guard.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Failures allowed per window, by whom.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailureBudget {
    pub per_address: u32,
    pub per_prefix: u32,
    pub window: Duration,
}

impl Default for FailureBudget {
    /// Generous for a client with a typo, useless for guessing 256-bit
    /// secrets.
    fn default() -> Self {
        FailureBudget {
            per_address: 60,
            per_prefix: 30,
            window: Duration::from_secs(60),
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Window {
    started: Instant,
    failures: u32,
}

/// Fixed windows of failures per name; a name whose window is over counts
/// from zero again.
#[derive(Debug)]
struct Counter {
    limit: u32,
    window: Duration,
    windows: Mutex<HashMap<String, Window>>,
}

/// Entries kept before the ones whose windows ended are swept.
const SWEEP_ABOVE: usize = 10_000;

impl Counter {
    fn new(limit: u32, window: Duration) -> Self {
        Counter {
            limit,
            window,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// How long `name` must wait, if its failures filled its window.
    fn exhausted(&self, name: &str, now: Instant) -> Option<Duration> {
        let windows = self.windows.lock().unwrap_or_else(PoisonError::into_inner);
        let w = windows.get(name)?;
        let ends = w.started + self.window;
        (w.failures >= self.limit && ends > now).then(|| ends - now)
    }

    /// Counts one failure of `name`; how long it must wait now, if that
    /// filled its window.
    fn record(&self, name: &str, now: Instant) -> Option<Duration> {
        let mut windows = self.windows.lock().unwrap_or_else(PoisonError::into_inner);
        if windows.len() > SWEEP_ABOVE {
            windows.retain(|_, w| w.started + self.window > now);
        }
        let w = windows.entry(name.to_owned()).or_insert(Window {
            started: now,
            failures: 0,
        });
        if w.started + self.window <= now {
            *w = Window {
                started: now,
                failures: 0,
            };
        }
        w.failures = w.failures.saturating_add(1);
        (w.failures >= self.limit).then(|| w.started + self.window - now)
    }
}

#[derive(Debug)]
pub struct AuthFailures {
    by_address: Counter,
    by_prefix: Counter,
}

impl AuthFailures {
    pub fn new(budget: FailureBudget) -> Self {
        AuthFailures {
            by_address: Counter::new(budget.per_address, budget.window),
            by_prefix: Counter::new(budget.per_prefix, budget.window),
        }
    }

    /// `Some(wait)` when `address` used up its failures: refuse it before
    /// looking anything up.
    pub fn address_blocked(&self, address: &str) -> Option<Duration> {
        self.by_address.exhausted(address, Instant::now())
    }

    /// Counts a failed authentication; `Some(wait)` when the address or
    /// the prefix has now failed too often (answer 429, not 401).
    pub fn record(&self, address: &str, prefix: &str) -> Option<Duration> {
        let now = Instant::now();
        let by_address = self.by_address.record(address, now);
        let by_prefix = self.by_prefix.record(prefix, now);
        by_address.max(by_prefix)
    }
}

impl Default for AuthFailures {
    fn default() -> Self {
        Self::new(FailureBudget::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> AuthFailures {
        AuthFailures::new(FailureBudget {
            per_address: 3,
            per_prefix: 2,
            window: Duration::from_secs(60),
        })
    }

    #[test]
    fn an_address_is_blocked_once_its_failures_fill_the_window() {
        let failures = small();
        assert!(failures.address_blocked("10.0.0.1").is_none());
        assert!(failures.record("10.0.0.1", "asp_a").is_none());
        // The prefix's second failure fills its window.
        assert!(failures.record("10.0.0.1", "asp_a").is_some());
        assert!(failures.address_blocked("10.0.0.1").is_none());
        let wait = failures.record("10.0.0.1", "asp_b").unwrap();
        assert!(wait <= Duration::from_secs(60));
        assert!(failures.address_blocked("10.0.0.1").is_some());
        // Nobody else is.
        assert!(failures.address_blocked("10.0.0.2").is_none());
        assert!(failures.record("10.0.0.2", "asp_c").is_none());
    }

    #[test]
    fn a_window_that_ended_counts_from_zero() {
        let counter = Counter::new(1, Duration::from_millis(10));
        let start = Instant::now();
        assert!(counter.record("x", start).is_some());
        assert!(counter.exhausted("x", start).is_some());
        let later = start + Duration::from_millis(20);
        assert!(counter.exhausted("x", later).is_none());
    }
}
