//! Recently read `latest` pages, shared by every reader of this process.
//!
//! A page is the same for every reader but for the reader's own like and
//! medal, which are read fresh on every request and laid over the cached
//! entries. A cached page is used only while
//!
//! - no write of this process has happened since it was read (every use
//!   case that changes what a feed shows calls [`LatestCache::invalidate`]),
//!   so one process reads its own writes exactly; and
//! - it is younger than the configured lifetime (`Settings::feed_cache`),
//!   which bounds how long a write made by *another* process (a second
//!   server, the operator CLI) can go unseen.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::model::{FeedEntry, Id, Timestamp};
use crate::ports::FeedFilter;

/// Pages kept; a page holds at most 51 entries.
const CAPACITY: usize = 32;

/// What a `latest` page is read by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PageKey {
    pub filter: FeedFilter,
    pub before: Option<(Timestamp, Id)>,
    pub limit: usize,
}

#[derive(Debug)]
struct Cached {
    key: PageKey,
    generation: u64,
    read_at: Timestamp,
    entries: Arc<[FeedEntry]>,
}

#[derive(Debug, Default)]
pub(crate) struct LatestCache {
    generation: AtomicU64,
    pages: Mutex<VecDeque<Cached>>,
}

impl LatestCache {
    /// To be taken *before* reading a page from the store and handed to
    /// [`put`](Self::put): a write that lands while the page is read then
    /// makes the page stale at once.
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Forgets every page (after a write of this process).
    pub(crate) fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    pub(crate) fn get(
        &self,
        key: &PageKey,
        now: Timestamp,
        lifetime: Duration,
    ) -> Option<Arc<[FeedEntry]>> {
        let generation = self.generation();
        let oldest = now.minus(lifetime);
        let pages = self.pages.lock().unwrap_or_else(|p| p.into_inner());
        pages
            .iter()
            .find(|c| {
                c.generation == generation
                    && c.read_at > oldest
                    && c.read_at <= now
                    && c.key == *key
            })
            .map(|c| c.entries.clone())
    }

    pub(crate) fn put(
        &self,
        key: PageKey,
        generation: u64,
        read_at: Timestamp,
        entries: Arc<[FeedEntry]>,
    ) {
        let mut pages = self.pages.lock().unwrap_or_else(|p| p.into_inner());
        pages.retain(|c| c.key != key);
        if pages.len() == CAPACITY {
            pages.pop_front();
        }
        pages.push_back(Cached {
            key,
            generation,
            read_at,
            entries,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(limit: usize) -> PageKey {
        PageKey {
            filter: FeedFilter::default(),
            before: None,
            limit,
        }
    }

    fn page() -> Arc<[FeedEntry]> {
        Arc::from(Vec::new())
    }

    const LIFETIME: Duration = Duration::from_secs(1);

    #[test]
    fn a_page_is_served_within_its_lifetime_and_not_after() {
        let cache = LatestCache::default();
        cache.put(
            key(20),
            cache.generation(),
            Timestamp::from_millis(1_000),
            page(),
        );
        assert!(
            cache
                .get(&key(20), Timestamp::from_millis(1_999), LIFETIME)
                .is_some()
        );
        assert!(
            cache
                .get(&key(20), Timestamp::from_millis(2_000), LIFETIME)
                .is_none()
        );
        assert!(
            cache
                .get(&key(21), Timestamp::from_millis(1_500), LIFETIME)
                .is_none()
        );
    }

    #[test]
    fn a_write_makes_every_page_stale_including_one_being_read() {
        let cache = LatestCache::default();
        let before_read = cache.generation();
        cache.put(key(20), before_read, Timestamp::from_millis(1_000), page());
        cache.invalidate();
        assert!(
            cache
                .get(&key(20), Timestamp::from_millis(1_001), LIFETIME)
                .is_none()
        );

        // Read began before the write, stored after it: never served.
        let racing = before_read;
        cache.put(key(5), racing, Timestamp::from_millis(1_002), page());
        assert!(
            cache
                .get(&key(5), Timestamp::from_millis(1_003), LIFETIME)
                .is_none()
        );
    }

    #[test]
    fn a_zero_lifetime_disables_the_cache() {
        let cache = LatestCache::default();
        cache.put(
            key(20),
            cache.generation(),
            Timestamp::from_millis(1_000),
            page(),
        );
        assert!(
            cache
                .get(&key(20), Timestamp::from_millis(1_000), Duration::ZERO)
                .is_none()
        );
    }

    #[test]
    fn the_oldest_page_leaves_first() {
        let cache = LatestCache::default();
        let at = Timestamp::from_millis(1_000);
        for limit in 0..=CAPACITY {
            cache.put(key(limit), cache.generation(), at, page());
        }
        assert!(cache.get(&key(0), at, LIFETIME).is_none());
        assert!(cache.get(&key(CAPACITY), at, LIFETIME).is_some());
        assert!(cache.get(&key(1), at, LIFETIME).is_some());
    }
}
