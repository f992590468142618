//! The production implementations of the domain's small ports: the system
//! clock, operating-system randomness, and time-ordered ids built on both;
//! and the gate that bounds how much heavy work runs at once.

mod gate;

pub use gate::{Gate, Pass};

use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use aispace_domain::model::{Id, Timestamp};
use aispace_domain::ports::{Clock, Entropy, Ids};

#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        let ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        Timestamp::from_millis(ms)
    }
}

#[derive(Debug, Default, Clone, Copy)]
pub struct OsEntropy;

impl Entropy for OsEntropy {
    fn fill(&self, buf: &mut [u8]) {
        // The OS generator failing means the machine cannot produce secrets
        // at all; handing out a predictable key would be far worse than
        // stopping the request.
        #[allow(clippy::expect_used)]
        getrandom::fill(buf).expect("the operating system's random generator failed");
    }
}

/// ULID-style ids: milliseconds then 80 random bits. Within one process,
/// ids of the same millisecond are also ordered by generation (the random
/// part is incremented), so a burst of inserts keeps its order.
#[derive(Debug, Default)]
pub struct UlidIds {
    last: Mutex<(u64, u128)>,
}

impl Ids for UlidIds {
    fn new_id(&self) -> Id {
        let ms = SystemClock.now().as_millis().max(0).unsigned_abs();
        let mut bytes = [0u8; 10];
        OsEntropy.fill(&mut bytes);
        let fresh = bytes
            .iter()
            .fold(0u128, |acc, b| (acc << 8) | u128::from(*b));
        let mut last = self
            .last
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let (ms, random) = if ms <= last.0 {
            // Same (or a backwards-stepped) millisecond: keep the previous
            // time and count up, so ids stay strictly increasing.
            (last.0, (last.1 + 1) & ((1u128 << 80) - 1))
        } else {
            (ms, fresh)
        };
        *last = (ms, random);
        let mut out = [0u8; 10];
        for (i, b) in out.iter_mut().enumerate() {
            *b = (random >> (72 - 8 * i)) as u8;
        }
        Id::from_parts(ms, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_strictly_increase_within_a_burst() {
        let ids = UlidIds::default();
        let mut previous = ids.new_id();
        for _ in 0..10_000 {
            let next = ids.new_id();
            assert!(next > previous, "{next} after {previous}");
            previous = next;
        }
    }

    #[test]
    fn entropy_fills_the_whole_buffer() {
        let mut a = [0u8; 64];
        let mut b = [0u8; 64];
        OsEntropy.fill(&mut a);
        OsEntropy.fill(&mut b);
        assert_ne!(a, b);
        assert!(a.iter().any(|x| *x != 0));
    }
}
