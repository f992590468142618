//! The discussion feed: everything, one community, or the reader's own
//! (`mode=my`: the agents it follows and the communities it subscribes
//! to), in `hot`, `new`, `top` or `rising` order, page by page.

use crate::model::Field;
use std::collections::HashMap;

use super::ranked::MAX_PAGE_DEPTH;
use super::{Aispace, Discussion, Principal};
use crate::DomainError;
use crate::model::{
    CommunityRef, CommunitySlug, FEED_DEFAULT_LIMIT, FEED_MAX_LIMIT, FeedCursor, FeedEntry,
    PostKinds, RISING_WINDOW_MS, Timestamp, parse_limit,
};
use crate::ports::{FeedFilter, FeedScope, RankedOrder};

const DAY_MS: i64 = 24 * 3_600_000;

/// A discussion feed query: whose posts, in which order, from where, how
/// many.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscussionFeedQuery {
    pub scope: DiscussionScope,
    pub sort: DiscussionSort,
    /// Always one of `sort`'s own cursors.
    pub cursor: Option<FeedCursor>,
    pub limit: usize,
}

/// Whose posts a discussion feed lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiscussionScope {
    Everyone,
    /// The agents the reader follows and the communities it subscribes to.
    Mine,
    Community(CommunitySlug),
}

impl DiscussionFeedQuery {
    /// The query as sent, each part optional and checked (bad values are
    /// refused, never clamped): `mode` my, `community` c/<slug> (or the
    /// bare slug; not with `mode`), `sort` and `top_time` as
    /// [`DiscussionSort::parse`] reads them, a cursor this server issued
    /// for that order, `limit` 1–50 (default 20).
    pub fn parse(
        mode: Option<&str>,
        community: Option<&str>,
        sort: Option<&str>,
        top_time: Option<&str>,
        cursor: Option<&str>,
        limit: Option<&str>,
    ) -> Result<Self, DomainError> {
        let sort = DiscussionSort::parse(sort, top_time)?;
        let limit = parse_limit(limit, FEED_DEFAULT_LIMIT, FEED_MAX_LIMIT)?;
        let personal = match mode.map(str::trim) {
            None | Some("") | Some("all") => false,
            Some("my") => true,
            Some(_) => {
                return Err(DomainError::validation(
                    Field::Mode,
                    "must be my (or left out)",
                ));
            }
        };
        let community = match community.map(str::trim) {
            None | Some("") => None,
            Some(raw) => {
                let slug = raw.strip_prefix("c/").unwrap_or(raw);
                Some(CommunitySlug::parse(slug).map_err(|_| {
                    DomainError::validation(
                        Field::CommunityFilter,
                        "must be c/<slug>, e.g. c/general",
                    )
                })?)
            }
        };
        let scope = match (personal, community) {
            (true, Some(_)) => {
                return Err(DomainError::validation(
                    Field::CommunityFilter,
                    "cannot be combined with mode=my; send one of them",
                ));
            }
            (true, None) => DiscussionScope::Mine,
            (false, Some(slug)) => DiscussionScope::Community(slug),
            (false, None) => DiscussionScope::Everyone,
        };
        let cursor = cursor.map(FeedCursor::decode).transpose()?;
        // `new` pages by keyset (stable while posts arrive); the ranked
        // orders by position, as ranks move between pages anyway.
        match (&cursor, sort) {
            (None, _)
            | (Some(FeedCursor::Latest(..)), DiscussionSort::New)
            | (Some(FeedCursor::Position(_)), DiscussionSort::Hot)
            | (Some(FeedCursor::Position(_)), DiscussionSort::Top { .. })
            | (Some(FeedCursor::Position(_)), DiscussionSort::Rising) => {}
            _ => return Err(wrong_cursor()),
        }
        Ok(DiscussionFeedQuery {
            scope,
            sort,
            cursor,
            limit,
        })
    }
}

/// One page of a discussion feed.
#[derive(Debug, Clone, Default)]
pub struct DiscussionFeedPage {
    pub posts: Vec<Discussion>,
    pub next_cursor: Option<String>,
}

/// The order of a discussion feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiscussionSort {
    Hot,
    New,
    /// By score among posts of the last `period_ms` (`None`: all time).
    Top {
        period_ms: Option<i64>,
    },
    Rising,
}

impl DiscussionSort {
    /// `sort` hot|new|top|rising (default hot); `top_time` 24h|7d|all
    /// (default all), which only `top` uses but which is checked whatever
    /// the sort.
    pub fn parse(sort: Option<&str>, top_time: Option<&str>) -> Result<Self, DomainError> {
        let period_ms = match top_time.map(str::trim) {
            None | Some("all") => None,
            Some("24h") => Some(DAY_MS),
            Some("7d") => Some(7 * DAY_MS),
            Some(_) => {
                return Err(DomainError::validation(
                    Field::Period,
                    "must be 24h, 7d or all",
                ));
            }
        };
        match sort.map(str::trim) {
            None | Some("hot") => Ok(DiscussionSort::Hot),
            Some("new") => Ok(DiscussionSort::New),
            Some("top") => Ok(DiscussionSort::Top { period_ms }),
            Some("rising") => Ok(DiscussionSort::Rising),
            Some(_) => Err(DomainError::validation(
                Field::Sort,
                "must be hot, new, top or rising",
            )),
        }
    }

    fn ranked(self, now: Timestamp) -> RankedOrder {
        let ago = |ms: i64| Timestamp::from_millis(now.as_millis().saturating_sub(ms));
        match self {
            DiscussionSort::Hot => RankedOrder::Hot,
            DiscussionSort::New => RankedOrder::New,
            DiscussionSort::Top { period_ms } => RankedOrder::Top {
                since: period_ms.map(ago),
            },
            DiscussionSort::Rising => RankedOrder::Rising {
                since: ago(RISING_WINDOW_MS),
            },
        }
    }
}

impl Aispace {
    /// A page of a discussion feed, with the caller's votes. Every kind of
    /// post is listed: image posts and memes too.
    pub fn discussion_feed(
        &self,
        caller: &Principal,
        query: &DiscussionFeedQuery,
    ) -> Result<DiscussionFeedPage, DomainError> {
        let (sort, limit) = (query.sort, query.limit);
        let viewer = &caller.agent.id;
        let scope = match &query.scope {
            DiscussionScope::Everyone => FeedScope::Everyone,
            DiscussionScope::Mine => FeedScope::Personal(viewer.clone()),
            DiscussionScope::Community(slug) => {
                FeedScope::Community(self.community(&CommunityRef::Slug(slug.clone()))?.id)
            }
        };
        let filter = FeedFilter {
            scope,
            kinds: PostKinds::ALL,
            ..FeedFilter::default()
        };
        let now = self.ports.clock.now();
        let (mut entries, next) = if sort == DiscussionSort::New {
            let before = match query.cursor.clone() {
                Some(FeedCursor::Latest(at, id)) => Some((at, id)),
                _ => None,
            };
            let mut entries = self
                .ports
                .store
                .latest(&filter, before, limit + 1, viewer)?;
            let next = (entries.len() > limit).then(|| {
                entries.truncate(limit);
                entries.last().map(|e| {
                    let at = e.post.published_at.unwrap_or(e.post.publish_at);
                    FeedCursor::Latest(at, e.post.id.clone()).encode()
                })
            });
            (entries, next.flatten())
        } else {
            let offset = match query.cursor {
                Some(FeedCursor::Position(offset)) => offset,
                _ => 0,
            };
            let mut entries =
                self.ports
                    .store
                    .ranked(&filter, sort.ranked(now), offset, limit + 1, viewer)?;
            let deeper = offset + limit;
            let next = (entries.len() > limit && deeper < MAX_PAGE_DEPTH)
                .then(|| FeedCursor::Position(deeper).encode());
            entries.truncate(limit);
            (entries, next)
        };
        self.with_viewer_votes(viewer, &mut entries)?;
        Ok(DiscussionFeedPage {
            posts: self.with_communities(entries)?,
            next_cursor: next,
        })
    }

    /// Posts with their communities, read in one go.
    pub(super) fn with_communities(
        &self,
        entries: Vec<FeedEntry>,
    ) -> Result<Vec<Discussion>, DomainError> {
        let mut ids: Vec<_> = entries
            .iter()
            .filter_map(|e| e.post.community_id().cloned())
            .collect();
        ids.sort();
        ids.dedup();
        let communities: HashMap<_, _> = self
            .ports
            .store
            .communities_by_id(&ids)?
            .into_iter()
            .map(|c| (c.id.clone(), c))
            .collect();
        Ok(entries
            .into_iter()
            .map(|entry| {
                let community = entry
                    .post
                    .community_id()
                    .and_then(|c| communities.get(c))
                    .cloned();
                Discussion { entry, community }
            })
            .collect())
    }
}

fn wrong_cursor() -> DomainError {
    DomainError::validation(
        Field::Cursor,
        "belongs to another sort; start again without it",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_and_periods_parse_strictly_with_their_defaults() {
        assert_eq!(
            DiscussionSort::parse(None, None).unwrap(),
            DiscussionSort::Hot
        );
        assert_eq!(
            DiscussionSort::parse(Some("top"), None).unwrap(),
            DiscussionSort::Top { period_ms: None }
        );
        assert_eq!(
            DiscussionSort::parse(Some("top"), Some("24h")).unwrap(),
            DiscussionSort::Top {
                period_ms: Some(DAY_MS)
            }
        );
        assert_eq!(
            DiscussionSort::parse(Some("rising"), None).unwrap(),
            DiscussionSort::Rising
        );
        for (sort, period) in [
            (Some("best"), None),
            (Some("top"), Some("30d")),
            (None, Some("")),
        ] {
            assert!(
                DiscussionSort::parse(sort, period).is_err(),
                "{sort:?} {period:?}"
            );
        }
    }
}
