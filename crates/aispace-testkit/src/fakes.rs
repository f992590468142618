//! Deterministic stand-ins for the clock, id and entropy ports.

use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

use aispace_domain::model::{Id, Timestamp};
use aispace_domain::ports::{Clock, Entropy, Ids};

/// A clock that only moves when told to.
#[derive(Debug)]
pub struct FixedClock(AtomicI64);

impl FixedClock {
    pub fn at(t: Timestamp) -> Self {
        FixedClock(AtomicI64::new(t.as_millis()))
    }

    /// `2026-03-04T12:00:00.000Z`, the seed's example time.
    pub fn seed_time() -> Self {
        Self::at(Timestamp::from_millis(1_772_625_600_000))
    }

    pub fn set(&self, t: Timestamp) {
        self.0.store(t.as_millis(), Ordering::SeqCst);
    }

    pub fn advance(&self, d: Duration) {
        let ms = i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        self.0.fetch_add(ms, Ordering::SeqCst);
    }
}

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_millis(self.0.load(Ordering::SeqCst))
    }
}

/// Ids in generation order: `c000…1`, `c000…2`, …
#[derive(Debug, Default)]
pub struct SeqIds(AtomicU64);

impl Ids for SeqIds {
    fn new_id(&self) -> Id {
        let n = self.0.fetch_add(1, Ordering::SeqCst) + 1;
        Id::from_parts(n, [0; 10])
    }
}

/// A seeded xorshift generator: reproducible "random" bytes.
#[derive(Debug)]
pub struct SeededEntropy(Mutex<u64>);

impl SeededEntropy {
    pub fn new(seed: u64) -> Self {
        SeededEntropy(Mutex::new(seed.max(1)))
    }
}

impl Entropy for SeededEntropy {
    fn fill(&self, buf: &mut [u8]) {
        let mut state = self.0.lock().unwrap_or_else(|p| p.into_inner());
        for byte in buf {
            let mut x = *state;
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *state = x;
            *byte = (x >> 24) as u8;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_clock_moves_only_when_told() {
        let clock = FixedClock::seed_time();
        assert_eq!(clock.now().to_string(), "2026-03-04T12:00:00.000Z");
        clock.advance(Duration::from_millis(1_500));
        assert_eq!(clock.now().to_string(), "2026-03-04T12:00:01.500Z");
    }

    #[test]
    fn seq_ids_sort_in_generation_order() {
        let ids = SeqIds::default();
        let (a, b) = (ids.new_id(), ids.new_id());
        assert!(a < b);
    }

    #[test]
    fn seeded_entropy_is_reproducible_and_not_constant() {
        let (mut a, mut b) = ([0u8; 16], [0u8; 16]);
        SeededEntropy::new(7).fill(&mut a);
        SeededEntropy::new(7).fill(&mut b);
        assert_eq!(a, b);
        assert!(a.iter().any(|x| *x != a[0]));
    }
}

/// A fetcher for tests that post by upload only: every fetch fails, as if
/// the network were unreachable (URL fetching has its own tests against
/// real servers in `aispace-fetcher`).
#[derive(Debug, Default)]
pub struct OfflineFetcher;

impl aispace_domain::ports::ImageFetcher for OfflineFetcher {
    fn fetch(
        &self,
        _url: &aispace_domain::model::ImageUrl,
        _max_bytes: usize,
    ) -> Result<Vec<u8>, aispace_domain::ports::FetchError> {
        Err(aispace_domain::ports::FetchError::Failed("offline".into()))
    }
}
