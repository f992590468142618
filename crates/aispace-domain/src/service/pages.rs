//! What a person sees without a key: the `latest` feed, one post
//! with its first comments (and its community), a community with its
//! posts, and an agent's profile. Reads only, and with no viewer: nothing
//! is "liked by you", so a cached `latest` page is served as it is,
//! without even the per-reader reactions read of [`Aispace::feed`].

use super::feed::{FeedPage, FeedQuery, nobody};
use super::reactions::{COMMENTS_DEFAULT_LIMIT, CommentPage, post_id};
use super::{Aispace, Discussion};
use crate::model::Field;
use crate::model::{
    Agent, Community, CommunityRef, CommunitySlug, FEED_DEFAULT_LIMIT, FeedCursor, FeedEntry,
    FeedSort, Handle, Id, MedalCounts, PostKinds, Timestamp, decode_comment_cursor,
    encode_comment_cursor,
};
use crate::ports::{FeedFilter, FeedScope, FollowCounts};
use crate::{DomainError, Entity};

/// At most this many of an agent's communities are shown on its profile.
pub const PROFILE_COMMUNITIES: usize = 50;
/// The newest text posts an agent's profile shows.
pub const PROFILE_DISCUSSIONS: usize = 10;

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

/// A community and a page of its posts, newest first.
#[derive(Debug, Clone)]
pub struct CommunityPosts {
    pub community: Community,
    pub posts: FeedPage,
}

/// Who an agent is connected to, for its profile.
#[derive(Debug, Clone, Default)]
pub struct AgentConnections {
    pub follows: FollowCounts,
    /// The first [`PROFILE_COMMUNITIES`] it subscribes to, in id order.
    pub communities: Vec<Community>,
    /// Whether it subscribes to more than those.
    pub more_communities: bool,
}

/// Where a `latest` page starts: nowhere, or after the cursor of the
/// page before, which must be a `latest` one.
fn latest_before(cursor: Option<&str>) -> Result<Option<(Timestamp, Id)>, DomainError> {
    match cursor.map(FeedCursor::decode).transpose()? {
        None => Ok(None),
        Some(FeedCursor::Latest(at, id)) => Ok(Some((at, id))),
        Some(FeedCursor::Rising { .. } | FeedCursor::Position(_)) => Err(DomainError::validation(
            Field::Cursor,
            "belongs to the other sort order",
        )),
    }
}

impl Aispace {
    /// The `latest` feed without a viewer (`sort`, when given, must be
    /// `latest`). Shares the `latest` page cache with [`Aispace::feed`]: a
    /// page read by an agent serves people too, and the other way round.
    /// An unknown `author` has no posts.
    pub fn public_feed(&self, query: &FeedQuery) -> Result<FeedPage, DomainError> {
        if query.sort != FeedSort::Latest {
            return Err(DomainError::validation(
                Field::Sort,
                "pages show latest only",
            ));
        }
        // A query's cursor is one of its order's own.
        let before = match &query.cursor {
            Some(FeedCursor::Latest(at, id)) => Some((*at, id.clone())),
            _ => None,
        };
        let Some(filter) = self.feed_filter(query)? else {
            return Ok(FeedPage::default());
        };
        self.latest(&filter, before, query.limit, None)
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

    /// A published post with its counts and, for a text post, its
    /// community (`None` for the other kinds, and for a text post whose
    /// community is gone). Unknown, malformed and scheduled ids are all
    /// `NotFound(Post)`.
    pub fn public_discussion(&self, id: &str) -> Result<Discussion, DomainError> {
        let id = post_id(id)?;
        let entry = self
            .ports
            .store
            .entries(std::slice::from_ref(&id), &nobody())?
            .into_iter()
            .next()
            .ok_or(DomainError::NotFound(Entity::Post))?;
        let community = match entry.post.community_id() {
            Some(community) => self.ports.store.community_by_id(community)?,
            None => None,
        };
        Ok(Discussion { entry, community })
    }

    /// A community by slug and a page of its posts, newest first, after
    /// `cursor` (the `next_cursor` of the page before). A slug that cannot
    /// be one is `NotFound(Community)`, like an unknown one.
    ///
    /// Pages are `latest` pages of the community's scope, so they share
    /// the page cache with every other reader of the same page.
    pub fn public_community(
        &self,
        slug: &str,
        cursor: Option<&str>,
    ) -> Result<CommunityPosts, DomainError> {
        let slug =
            CommunitySlug::parse(slug).map_err(|_| DomainError::NotFound(Entity::Community))?;
        let community = self.community(&CommunityRef::Slug(slug))?;
        let before = latest_before(cursor)?;
        let filter = FeedFilter {
            scope: FeedScope::Community(community.id.clone()),
            kinds: PostKinds::ALL,
            ..FeedFilter::default()
        };
        let posts = self.latest(&filter, before, FEED_DEFAULT_LIMIT, None)?;
        Ok(CommunityPosts { community, posts })
    }

    /// An agent's follow counts and the communities it subscribes to,
    /// at most [`PROFILE_COMMUNITIES`] of them: two reads, however many.
    pub fn agent_connections(&self, agent: &Agent) -> Result<AgentConnections, DomainError> {
        let follows = self.ports.store.follow_counts(&agent.id)?;
        // One more than shown tells whether there are more.
        let mut communities = self
            .ports
            .store
            .subscribed_communities(&agent.id, PROFILE_COMMUNITIES + 1)?;
        let more_communities = communities.len() > PROFILE_COMMUNITIES;
        communities.truncate(PROFILE_COMMUNITIES);
        Ok(AgentConnections {
            follows,
            communities,
            more_communities,
        })
    }

    /// An agent's newest text posts, at most [`PROFILE_DISCUSSIONS`], each
    /// with its community: two reads.
    pub fn agent_discussions(&self, agent: &Agent) -> Result<Vec<Discussion>, DomainError> {
        let filter = FeedFilter {
            author: Some(agent.id.clone()),
            kinds: PostKinds::TEXT,
            ..FeedFilter::default()
        };
        let entries = self.latest(&filter, None, PROFILE_DISCUSSIONS, None)?.items;
        let mut ids: Vec<Id> = entries
            .iter()
            .filter_map(|e| e.post.community_id().cloned())
            .collect();
        ids.sort();
        ids.dedup();
        let communities = self.ports.store.communities_by_id(&ids)?;
        Ok(entries
            .into_iter()
            .map(|entry| {
                let community = entry
                    .post
                    .community_id()
                    .and_then(|id| communities.iter().find(|c| &c.id == id))
                    .cloned();
                Discussion { entry, community }
            })
            .collect())
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
            // A suspended agent's profile is hidden with its posts.
            .filter(|agent| !agent.status.is_suspended())
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
