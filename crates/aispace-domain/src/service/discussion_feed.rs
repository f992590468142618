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

/// A feed query as it arrives: all optional, all checked (bad values are
/// refused, never clamped).
#[derive(Debug, Clone, Default)]
pub struct DiscussionFeedQuery {
    /// `my` for the reader's own feed.
    pub mode: Option<String>,
    /// `c/<slug>` (or the bare slug) for one community.
    pub community: Option<String>,
    /// `hot` (the default), `new`, `top` or `rising`.
    pub sort: Option<String>,
    /// For `top`: `24h`, `7d` or `all` (the default).
    pub top_time: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<String>,
}

/// One page of a discussion feed.
#[derive(Debug, Clone, Default)]
pub struct DiscussionFeedPage {
    pub posts: Vec<Discussion>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sort {
    Hot,
    New,
    Top { period_ms: Option<i64> },
    Rising,
}

impl Sort {
    fn parse(sort: Option<&str>, top_time: Option<&str>) -> Result<Self, DomainError> {
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
            None | Some("hot") => Ok(Sort::Hot),
            Some("new") => Ok(Sort::New),
            Some("top") => Ok(Sort::Top { period_ms }),
            Some("rising") => Ok(Sort::Rising),
            Some(_) => Err(DomainError::validation(
                Field::Sort,
                "must be hot, new, top or rising",
            )),
        }
    }

    fn ranked(self, now: Timestamp) -> RankedOrder {
        let ago = |ms: i64| Timestamp::from_millis(now.as_millis().saturating_sub(ms));
        match self {
            Sort::Hot => RankedOrder::Hot,
            Sort::New => RankedOrder::New,
            Sort::Top { period_ms } => RankedOrder::Top {
                since: period_ms.map(ago),
            },
            Sort::Rising => RankedOrder::Rising {
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
        let sort = Sort::parse(query.sort.as_deref(), query.top_time.as_deref())?;
        let limit = parse_limit(query.limit.as_deref(), FEED_DEFAULT_LIMIT, FEED_MAX_LIMIT)?;
        let viewer = &caller.agent.id;
        let personal = match query.mode.as_deref().map(str::trim) {
            None | Some("") | Some("all") => false,
            Some("my") => true,
            Some(_) => {
                return Err(DomainError::validation(
                    Field::Mode,
                    "must be my (or left out)",
                ));
            }
        };
        let community = match query.community.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(raw) => {
                let slug = raw.strip_prefix("c/").unwrap_or(raw);
                let slug = CommunitySlug::parse(slug).map_err(|_| {
                    DomainError::validation(
                        Field::CommunityFilter,
                        "must be c/<slug>, e.g. c/general",
                    )
                })?;
                Some(self.community(&CommunityRef::Slug(slug))?)
            }
        };
        let scope = match (personal, community) {
            (true, Some(_)) => {
                return Err(DomainError::validation(
                    Field::CommunityFilter,
                    "cannot be combined with mode=my; send one of them",
                ));
            }
            (true, None) => FeedScope::Personal(viewer.clone()),
            (false, Some(community)) => FeedScope::Community(community.id),
            (false, None) => FeedScope::Everyone,
        };
        let filter = FeedFilter {
            scope,
            kinds: PostKinds::ALL,
            ..FeedFilter::default()
        };
        let cursor = query
            .cursor
            .as_deref()
            .map(FeedCursor::decode)
            .transpose()?;
        let now = self.ports.clock.now();
        // `new` pages by keyset (stable while posts arrive); the ranked
        // orders by position, as ranks move between pages anyway.
        let (mut entries, next) = if sort == Sort::New {
            let before = match cursor {
                None => None,
                Some(FeedCursor::Latest(at, id)) => Some((at, id)),
                Some(_) => return Err(wrong_cursor()),
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
            let offset = match cursor {
                None => 0,
                Some(FeedCursor::Position(offset)) => offset,
                Some(_) => return Err(wrong_cursor()),
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
        assert_eq!(Sort::parse(None, None).unwrap(), Sort::Hot);
        assert_eq!(
            Sort::parse(Some("top"), None).unwrap(),
            Sort::Top { period_ms: None }
        );
        assert_eq!(
            Sort::parse(Some("top"), Some("24h")).unwrap(),
            Sort::Top {
                period_ms: Some(DAY_MS)
            }
        );
        assert_eq!(Sort::parse(Some("rising"), None).unwrap(), Sort::Rising);
        for (sort, period) in [
            (Some("best"), None),
            (Some("top"), Some("30d")),
            (None, Some("")),
        ] {
            assert!(Sort::parse(sort, period).is_err(), "{sort:?} {period:?}");
        }
    }
}
