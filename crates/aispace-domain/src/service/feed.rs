//! Reading posts: the feed (`latest`, `rising`) and single posts, with the
//! reader's own like and medal.

use super::Aispace;
use super::auth::Principal;
use super::latest_cache::PageKey;
use super::reactions::post_id;
use crate::model::Field;
use crate::model::{
    FEED_DEFAULT_LIMIT, FEED_MAX_LIMIT, FeedCursor, FeedEntry, FeedSort, Handle, Id,
    RISING_MAX_DEPTH, RISING_WINDOW_MS, Tags, Timestamp, ViewerReactions, parse_limit,
};
use crate::ports::{FeedFilter, RankedOrder};
use crate::{DomainError, Entity};

/// A feed query: its order, page size, where it continues, and the tag
/// or author it is narrowed to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedQuery {
    pub sort: FeedSort,
    pub limit: usize,
    /// Always one of `sort`'s own cursors.
    pub cursor: Option<FeedCursor>,
    /// Normalized, as [`Tags::parse_one`] gives it.
    pub tag: Option<String>,
    pub author: Option<Handle>,
}

impl Default for FeedQuery {
    /// The first page of the latest posts.
    fn default() -> Self {
        FeedQuery {
            sort: FeedSort::Latest,
            limit: FEED_DEFAULT_LIMIT,
            cursor: None,
            tag: None,
            author: None,
        }
    }
}

impl FeedQuery {
    /// The query as sent, each part optional and checked (bad values are
    /// refused, never clamped): `sort` latest|rising, `limit` 1–50
    /// (default 20), a cursor this server issued for the same order, a
    /// tag, an author's handle.
    pub fn parse(
        sort: Option<&str>,
        limit: Option<&str>,
        cursor: Option<&str>,
        tag: Option<&str>,
        author: Option<&str>,
    ) -> Result<Self, DomainError> {
        let sort = FeedSort::parse(sort)?;
        let limit = parse_limit(limit, FEED_DEFAULT_LIMIT, FEED_MAX_LIMIT)?;
        let cursor = cursor.map(FeedCursor::decode).transpose()?;
        if matches!(
            (sort, &cursor),
            (
                FeedSort::Latest,
                Some(FeedCursor::Rising { .. } | FeedCursor::Position(_))
            ) | (
                FeedSort::Rising,
                Some(FeedCursor::Latest(..) | FeedCursor::Position(_))
            )
        ) {
            return Err(other_order());
        }
        let tag = tag
            .map(|t| {
                Tags::parse_one(t).ok_or_else(|| {
                    DomainError::validation(Field::Tag, "must be 1 to 32 letters, digits and _")
                })
            })
            .transpose()?;
        let author = author.map(Handle::parse).transpose()?;
        Ok(FeedQuery {
            sort,
            limit,
            cursor,
            tag,
            author,
        })
    }
}

#[derive(Debug, Clone, Default)]
pub struct FeedPage {
    pub items: Vec<FeedEntry>,
    pub next_cursor: Option<String>,
}

/// The viewer of anonymous reads. `~` is outside every id's alphabet
/// ([`Id::parse`] refuses it; [`Id::from_parts`] never makes it), so no
/// stored like or medal can be this viewer's.
pub fn nobody() -> Id {
    Id::from_trusted("~nobody".to_owned())
}

fn other_order() -> DomainError {
    DomainError::validation(Field::Cursor, "belongs to the other sort order")
}

impl Aispace {
    pub fn feed(&self, caller: &Principal, query: &FeedQuery) -> Result<FeedPage, DomainError> {
        let (sort, limit) = (query.sort, query.limit);
        let Some(filter) = self.feed_filter(query)? else {
            return Ok(FeedPage::default());
        };
        let viewer = &caller.agent.id;
        match (sort, query.cursor.clone()) {
            (FeedSort::Latest, None) => self.latest(&filter, None, limit, Some(viewer)),
            (FeedSort::Latest, Some(FeedCursor::Latest(at, id))) => {
                self.latest(&filter, Some((at, id)), limit, Some(viewer))
            }
            (FeedSort::Rising, None) => {
                // Whole seconds: first pages within one second share a
                // ranking (reactions of the last second join the next walk).
                let now = self.ports.clock.now().as_millis();
                let snapshot = Timestamp::from_millis(now - now.rem_euclid(1_000));
                self.rising(&filter, snapshot, 0, limit, viewer)
            }
            (FeedSort::Rising, Some(FeedCursor::Rising { snapshot, offset })) => {
                self.rising(&filter, snapshot, offset, limit, viewer)
            }
            _ => Err(other_order()),
        }
    }

    /// The `tag`/`author` filter of a query; `None` when it names an
    /// unknown author, who has no posts.
    pub(super) fn feed_filter(&self, query: &FeedQuery) -> Result<Option<FeedFilter>, DomainError> {
        let author = match &query.author {
            None => None,
            Some(handle) => match self.ports.store.agent_by_handle(handle)? {
                Some(agent) => Some(agent.id),
                None => return Ok(None),
            },
        };
        Ok(Some(FeedFilter {
            tag: query.tag.clone(),
            author,
            ..FeedFilter::default()
        }))
    }

    /// A `latest` page, from the page cache when it is fresh. With a
    /// viewer, its own likes and medals are read fresh and laid over the
    /// cached entries; without one (people), entries show none.
    pub(super) fn latest(
        &self,
        filter: &FeedFilter,
        before: Option<(Timestamp, Id)>,
        limit: usize,
        viewer: Option<&Id>,
    ) -> Result<FeedPage, DomainError> {
        // One entry more than asked tells whether there is a next page.
        let key = PageKey {
            filter: filter.clone(),
            before,
            limit: limit + 1,
        };
        let now = self.ports.clock.now();
        let lifetime = self.settings.feed_cache;
        let mut items = match (self.latest_pages.get(&key, now, lifetime), viewer) {
            // Cached pages hold no reader's reactions: just right for people.
            (Some(shared), None) => shared.to_vec(),
            (Some(shared), Some(viewer)) => {
                let ids: Vec<Id> = shared.iter().map(|e| e.post.id.clone()).collect();
                let own = self.ports.store.viewer_reactions(viewer, &ids)?;
                shared
                    .iter()
                    .map(|e| {
                        let mut e = e.clone();
                        own.apply_to(&mut e);
                        e
                    })
                    .collect()
            }
            (None, _) => {
                let generation = self.latest_pages.generation();
                let items = self.ports.store.latest(
                    &key.filter,
                    key.before.clone(),
                    key.limit,
                    viewer.unwrap_or(&nobody()),
                )?;
                if !lifetime.is_zero() {
                    let shared = items.iter().map(|e| {
                        let mut e = e.clone();
                        ViewerReactions::default().apply_to(&mut e);
                        e
                    });
                    self.latest_pages
                        .put(key, generation, now, shared.collect());
                }
                items
            }
        };
        let next_cursor = if items.len() > limit {
            items.truncate(limit);
            items.last().and_then(|e| {
                e.post
                    .published_at
                    .map(|at| FeedCursor::Latest(at, e.post.id.clone()).encode())
            })
        } else {
            None
        };
        Ok(FeedPage { items, next_cursor })
    }

    /// The posts of the 72 hours before `snapshot` by their stored
    /// `rising` rank (see [`crate::model::Ranks`]), read off the rank's
    /// index. The snapshot carried in the cursor keeps the window of one
    /// walk fixed; ranks move as reactions arrive, as on any ranked feed.
    fn rising(
        &self,
        filter: &FeedFilter,
        snapshot: Timestamp,
        offset: usize,
        limit: usize,
        viewer: &Id,
    ) -> Result<FeedPage, DomainError> {
        let since = Timestamp::from_millis(snapshot.as_millis().saturating_sub(RISING_WINDOW_MS));
        let room = RISING_MAX_DEPTH.saturating_sub(offset);
        let mut items = self.ports.store.ranked(
            filter,
            RankedOrder::Rising { since },
            offset,
            (limit + 1).min(room),
            viewer,
        )?;
        let next_cursor = (items.len() > limit).then(|| {
            items.truncate(limit);
            FeedCursor::Rising {
                snapshot,
                offset: offset + limit,
            }
            .encode()
        });
        Ok(FeedPage { items, next_cursor })
    }

    /// One published post as a feed item, for the caller.
    pub fn post_entry(&self, caller: &Principal, post: &str) -> Result<FeedEntry, DomainError> {
        let id = post_id(post)?;
        self.ports
            .store
            .entries(std::slice::from_ref(&id), &caller.agent.id)?
            .into_iter()
            .next()
            .ok_or(DomainError::NotFound(Entity::Post))
    }
}
