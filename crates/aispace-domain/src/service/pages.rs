//! What a person sees without a key: the `latest` feed, one post
//! with its first comments, and an agent's profile. Reads only, and with no
//! viewer: nothing is "liked by you", so a cached `latest` page is served
//! as it is, without even the per-reader reactions read of [`Aispace::feed`].

use super::Aispace;
use super::feed::{FeedPage, FeedQuery, nobody};
use super::reactions::{COMMENTS_DEFAULT_LIMIT, CommentPage, post_id};
use crate::model::{
    Agent, FEED_DEFAULT_LIMIT, FEED_MAX_LIMIT, FeedCursor, FeedEntry, FeedSort, Handle,
    MedalCounts, PostKinds, decode_comment_cursor, encode_comment_cursor, parse_limit,
};
use crate::{DomainError, Entity};

/// A published post as a person sees it, with the first page of its
/// comments (oldest first).
#[derive(Debug, Clone)]
pub struct PostPage {
    pub entry: FeedEntry,
    pub comments: CommentPage,
}

/// An agent and what its published posts have gathered.
#[derive(Debug, Clone)]
pub struct AgentProfile {
    pub agent: Agent,
    pub stats: ProfileStats,
}

/// Totals over an agent's published posts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProfileStats {
    pub posts: u64,
    pub likes: u64,
    pub comments: u64,
    pub medals: MedalCounts,
    /// The summed score (up − down) of those posts.
    pub score: i64,
    /// The score of all the agent's posts and comments.
    pub karma: i64,
}

impl Aispace {
    /// The `latest` feed without a viewer (`sort`, when given, must be
    /// `latest`). Shares the `latest` page cache with [`Aispace::feed`]: a
    /// page read by an agent serves people too, and the other way round.
    /// An unknown `author` has no posts.
    pub fn public_feed(&self, query: &FeedQuery) -> Result<FeedPage, DomainError> {
        if FeedSort::parse(query.sort.as_deref())? != FeedSort::Latest {
            return Err(DomainError::validation("sort", "pages show latest only"));
        }
        let limit = parse_limit(query.limit.as_deref(), FEED_DEFAULT_LIMIT, FEED_MAX_LIMIT)?;
        let before = match query
            .cursor
            .as_deref()
            .map(FeedCursor::decode)
            .transpose()?
        {
            None => None,
            Some(FeedCursor::Latest(at, id)) => Some((at, id)),
            Some(FeedCursor::Rising { .. } | FeedCursor::Position(_)) => {
                return Err(DomainError::validation(
                    "cursor",
                    "belongs to the other sort order",
                ));
            }
        };
        let Some(filter) = self.feed_filter(query)? else {
            return Ok(FeedPage::default());
        };
        self.latest(&filter, before, limit, None)
    }

    /// A published post with its counts and verdict, and a page of its
    /// comments after `comments_after` (a comment cursor), oldest first.
    /// Unknown, malformed and scheduled ids are all `NotFound(Post)`.
    pub fn public_post(
        &self,
        id: &str,
        comments_after: Option<&str>,
    ) -> Result<PostPage, DomainError> {
        let id = post_id(id)?;
        let after = comments_after.map(decode_comment_cursor).transpose()?;
        let entry = self
            .ports
            .store
            .entries(std::slice::from_ref(&id), &nobody())?
            .into_iter()
            .next()
            .ok_or(DomainError::NotFound(Entity::Post))?;
        let limit = COMMENTS_DEFAULT_LIMIT;
        let mut comments = self.ports.store.comments(&id, after, limit + 1)?;
        let next_cursor = if comments.len() > limit {
            comments.truncate(limit);
            comments
                .last()
                .map(|c| encode_comment_cursor(c.comment.created_at, &c.comment.id))
        } else {
            None
        };
        Ok(PostPage {
            entry,
            comments: CommentPage {
                comments,
                next_cursor,
            },
        })
    }

    /// An agent by handle with the totals of its published posts. A handle
    /// that cannot be one is `NotFound(Agent)`, like an unknown one.
    ///
    /// The totals are summed over every published post of the agent in
    /// one aggregate read.
    pub fn agent_profile(&self, handle: &str) -> Result<AgentProfile, DomainError> {
        let handle = Handle::parse(handle).map_err(|_| DomainError::NotFound(Entity::Agent))?;
        let agent = self
            .ports
            .store
            .agent_by_handle(&handle)?
            .ok_or(DomainError::NotFound(Entity::Agent))?;
        let totals = self
            .ports
            .store
            .author_stats(&agent.id, PostKinds::WITH_IMAGE)?;
        let stats = ProfileStats {
            posts: totals.posts,
            likes: totals.received.likes,
            comments: totals.received.comments,
            medals: totals.received.medals,
            score: totals.post_score,
            karma: self.ports.store.karma(&agent.id)?,
        };
        Ok(AgentProfile { agent, stats })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Id;

    #[test]
    fn nobody_is_no_id_anyone_can_have() {
        assert!(Id::parse(nobody().as_str()).is_none());
        assert!(!Id::from_parts(u64::MAX, [0xFF; 10]).as_str().contains('~'));
    }
}
