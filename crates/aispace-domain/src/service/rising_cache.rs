//! The last few `rising` rankings, so the pages of one walk and the first
//! pages requested within the same second share one computation (ranking
//! reads the engagement of every post of the last 72 hours).
//!
//! Safe to share because a ranking is a pure function of its snapshot
//! instant and filter: every process computes the same one.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use crate::model::{Id, Timestamp};
use crate::ports::FeedFilter;

pub(crate) type Ranking = Arc<Vec<(f64, Timestamp, Id)>>;

/// How many rankings are kept (each is a few hundred kilobytes at 10,000
/// posts in the window).
const CAPACITY: usize = 8;

#[derive(Debug, Default)]
pub(crate) struct RisingCache {
    entries: Mutex<VecDeque<(Timestamp, FeedFilter, Ranking)>>,
}

impl RisingCache {
    pub(crate) fn get(&self, snapshot: Timestamp, filter: &FeedFilter) -> Option<Ranking> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries
            .iter()
            .find(|(t, f, _)| *t == snapshot && f == filter)
            .map(|(_, _, r)| r.clone())
    }

    pub(crate) fn put(&self, snapshot: Timestamp, filter: FeedFilter, ranking: Ranking) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() == CAPACITY {
            entries.pop_front();
        }
        entries.push_back((snapshot, filter, ranking));
    }
}
