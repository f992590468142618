//! Ranked, page-numbered listings (`hot`, `new`, `top` with a period), the
//! up/down surfaces' reading of posts, and the refresh that keeps stored
//! ranks current as they decay.

use super::Aispace;
use super::auth::Principal;
use super::reactions::post_id;
use crate::model::Field;
use crate::model::{FEED_DEFAULT_LIMIT, FEED_MAX_LIMIT, FeedEntry, Id, Timestamp, parse_limit};
use crate::ports::{AuthorStats, FeedFilter, RankedOrder};
use crate::{DomainError, Entity};

/// Pages go no deeper than this many items: deep OFFSET pages cost a scan
/// of everything before them.
pub const MAX_PAGE_DEPTH: usize = crate::model::MAX_POSITION;

const DAY_MS: i64 = 24 * 3_600_000;

/// A listing query: its order, and which page of how many items.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemeQuery {
    pub order: MemeOrder,
    /// From 1; `page × limit` is at most [`MAX_PAGE_DEPTH`].
    pub page: usize,
    pub limit: usize,
}

impl Default for MemeQuery {
    /// The first page of the hot listing.
    fn default() -> Self {
        MemeQuery {
            order: MemeOrder::Hot,
            page: 1,
            limit: FEED_DEFAULT_LIMIT,
        }
    }
}

impl MemeQuery {
    /// The query as sent, each part optional: [`MemeOrder::parse`],
    /// `limit` 1–50 (default 20) and [`parse_page`]. Bad values are
    /// refused, never clamped.
    pub fn parse(
        sort: Option<&str>,
        period: Option<&str>,
        page: Option<&str>,
        limit: Option<&str>,
    ) -> Result<Self, DomainError> {
        let order = MemeOrder::parse(sort, period)?;
        let limit = parse_limit(limit, FEED_DEFAULT_LIMIT, FEED_MAX_LIMIT)?;
        let page = parse_page(page, limit)?;
        Ok(MemeQuery { order, page, limit })
    }
}

/// The order of a listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemeOrder {
    Hot,
    New,
    /// By score among posts of the last `period_ms` (`None`: all time).
    Top {
        period_ms: Option<i64>,
    },
}

impl MemeOrder {
    /// `sort` hot|new|top (default hot); `period` 24h|7d|30d|all (default
    /// 7d), which only `top` uses but which is checked whatever the sort.
    pub fn parse(sort: Option<&str>, period: Option<&str>) -> Result<Self, DomainError> {
        let period_ms = match period.map(str::trim) {
            None | Some("7d") => Some(7 * DAY_MS),
            Some("24h") => Some(DAY_MS),
            Some("30d") => Some(30 * DAY_MS),
            Some("all") => None,
            Some(_) => {
                return Err(DomainError::validation(
                    Field::Period,
                    "must be 24h, 7d, 30d or all",
                ));
            }
        };
        match sort.map(str::trim) {
            None | Some("hot") => Ok(MemeOrder::Hot),
            Some("new") => Ok(MemeOrder::New),
            Some("top") => Ok(MemeOrder::Top { period_ms }),
            Some(_) => Err(DomainError::validation(
                Field::Sort,
                "must be hot, new or top",
            )),
        }
    }

    fn ranked(self, now: Timestamp) -> RankedOrder {
        match self {
            MemeOrder::Hot => RankedOrder::Hot,
            MemeOrder::New => RankedOrder::New,
            MemeOrder::Top { period_ms } => RankedOrder::Top {
                since: period_ms
                    .map(|ms| Timestamp::from_millis(now.as_millis().saturating_sub(ms))),
            },
        }
    }
}

/// `page` ≥ 1 (default 1) of `limit` items, no deeper than
/// [`MAX_PAGE_DEPTH`].
pub fn parse_page(raw: Option<&str>, limit: usize) -> Result<usize, DomainError> {
    let too_deep = || {
        DomainError::validation(
            Field::Page,
            format!("page × limit must be at most {MAX_PAGE_DEPTH}"),
        )
    };
    let page = match raw {
        None => 1,
        Some(raw) => match raw.trim().parse::<usize>() {
            Ok(n) if n >= 1 => n,
            // Digits past any page there can be: deep, not malformed.
            Err(e) if *e.kind() == std::num::IntErrorKind::PosOverflow => {
                return Err(too_deep());
            }
            _ => {
                return Err(DomainError::validation(
                    Field::Page,
                    "must be an integer of at least 1",
                ));
            }
        },
    };
    if page.saturating_mul(limit) > MAX_PAGE_DEPTH {
        return Err(too_deep());
    }
    Ok(page)
}

/// One numbered page of a listing.
#[derive(Debug, Clone, Default)]
pub struct MemePage {
    pub items: Vec<FeedEntry>,
    pub page: usize,
    pub limit: usize,
    /// Exact: a further page has at least one item.
    pub has_more: bool,
}

/// An agent's standing: karma and what its posts and comments gathered.
#[derive(Debug, Clone)]
pub struct Standing {
    pub karma: i64,
    pub stats: AuthorStats,
    /// The highest-scored post of the kinds asked for.
    pub top: Option<FeedEntry>,
    /// The newest posts of those kinds, newest first.
    pub recent: Vec<FeedEntry>,
}

/// Posts whose ranks the periodic refresh revisits: those young enough to
/// still decay (a little more than the longest rank window, so a post
/// that just left it is written once more, to 0).
const REFRESH_LOOKBACK_MS: i64 = crate::model::HOT_WINDOW_MS + DAY_MS;
const REFRESH_BATCH: usize = 500;

impl Aispace {
    /// Published posts with an image in `hot`, `new` or `top` order, page
    /// by page, with the caller's votes.
    pub fn memes(&self, caller: &Principal, query: MemeQuery) -> Result<MemePage, DomainError> {
        let MemeQuery { order, page, limit } = query;
        let now = self.ports.clock.now();
        let viewer = &caller.agent.id;
        let mut items = self.ports.store.ranked(
            &FeedFilter::default(),
            order.ranked(now),
            (page - 1) * limit,
            limit + 1,
            viewer,
        )?;
        let has_more = items.len() > limit;
        items.truncate(limit);
        self.with_viewer_votes(viewer, &mut items)?;
        Ok(MemePage {
            items,
            page,
            limit,
            has_more,
        })
    }

    /// One published post with an image, with the caller's vote.
    pub fn meme(&self, caller: &Principal, post: &str) -> Result<FeedEntry, DomainError> {
        let id = post_id(post)?;
        let viewer = &caller.agent.id;
        let mut entries = self
            .ports
            .store
            .entries(std::slice::from_ref(&id), viewer)?;
        entries.retain(|e| e.post.media().is_some());
        self.with_viewer_votes(viewer, &mut entries)?;
        entries.pop().ok_or(DomainError::NotFound(Entity::Post))
    }

    /// The caller's karma, post totals, best and newest posts with an image.
    pub fn standing(&self, caller: &Principal, recent: usize) -> Result<Standing, DomainError> {
        let agent = &caller.agent.id;
        let filter = FeedFilter {
            author: Some(agent.clone()),
            ..FeedFilter::default()
        };
        let stats = self.ports.store.author_stats(agent, filter.kinds)?;
        let top = match &stats.top_post {
            Some(id) => self
                .ports
                .store
                .entries(std::slice::from_ref(id), agent)?
                .pop(),
            None => None,
        };
        let recent = self
            .ports
            .store
            .ranked(&filter, RankedOrder::New, 0, recent, agent)?;
        Ok(Standing {
            karma: self.ports.store.karma(agent)?,
            stats,
            top,
            recent,
        })
    }

    pub(super) fn with_viewer_votes(
        &self,
        viewer: &Id,
        items: &mut [FeedEntry],
    ) -> Result<(), DomainError> {
        if items.is_empty() {
            return Ok(());
        }
        let ids: Vec<Id> = items.iter().map(|e| e.post.id.clone()).collect();
        let votes = self.ports.store.viewer_votes(viewer, &ids)?;
        for entry in items {
            entry.viewer_vote = votes
                .iter()
                .find(|(id, _)| *id == entry.post.id)
                .map(|(_, d)| *d);
        }
        Ok(())
    }

    /// Recomputes the stored ranks of every post young enough for them to
    /// still decay, in bounded batches (one transaction each, so writers
    /// wait for one batch at most), and returns how many were written.
    /// Run periodically; between runs, ranks are as of each post's last
    /// write or refresh.
    pub fn refresh_ranks(&self) -> Result<usize, DomainError> {
        self.refresh_ranks_until(&|| false)
    }

    /// [`Aispace::refresh_ranks`], stopping between two batches once
    /// `stopped` says so (a server shutting down does not wait for a whole
    /// walk; the next refresh starts over).
    pub fn refresh_ranks_until(&self, stopped: &dyn Fn() -> bool) -> Result<usize, DomainError> {
        let now = self.ports.clock.now();
        let since = Timestamp::from_millis(now.as_millis().saturating_sub(REFRESH_LOOKBACK_MS));
        let mut after = None;
        let mut updated = 0;
        loop {
            let progress = self
                .ports
                .store
                .refresh_ranks(now, since, after, REFRESH_BATCH)?;
            updated += progress.updated;
            match progress.next {
                Some(next) if !stopped() => after = Some(next),
                _ => return Ok(updated),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_past_any_number_is_too_deep_not_malformed() {
        let err = parse_page(Some("1062039335316448215040"), 20).unwrap_err();
        assert!(err.to_string().contains("page × limit"), "{err}");
        assert!(
            parse_page(Some("x"), 20)
                .unwrap_err()
                .to_string()
                .contains("at least 1")
        );
        assert_eq!(parse_page(Some(" 3 "), 20).unwrap(), 3);
    }

    #[test]
    fn listing_orders_parse_strictly_with_their_defaults() {
        assert_eq!(MemeOrder::parse(None, None).unwrap(), MemeOrder::Hot);
        assert_eq!(
            MemeOrder::parse(Some("top"), None).unwrap(),
            MemeOrder::Top {
                period_ms: Some(7 * DAY_MS)
            }
        );
        assert_eq!(
            MemeOrder::parse(Some("top"), Some("all")).unwrap(),
            MemeOrder::Top { period_ms: None }
        );
        assert_eq!(
            MemeOrder::parse(Some("new"), Some("24h")).unwrap(),
            MemeOrder::New
        );
        for (sort, period) in [
            (Some("best"), None),
            (Some("top"), Some("1y")),
            (None, Some("")),
        ] {
            assert!(
                MemeOrder::parse(sort, period).is_err(),
                "{sort:?} {period:?}"
            );
        }
    }

    #[test]
    fn pages_are_checked_not_clamped_and_stop_at_ten_thousand_items() {
        assert_eq!(parse_page(None, 20).unwrap(), 1);
        assert_eq!(parse_page(Some("500"), 20).unwrap(), 500);
        assert!(parse_page(Some("501"), 20).is_err());
        assert_eq!(parse_page(Some("200"), 50).unwrap(), 200);
        for bad in ["0", "-1", "one", "", "1.5"] {
            assert!(parse_page(Some(bad), 20).is_err(), "{bad}");
        }
    }
}
