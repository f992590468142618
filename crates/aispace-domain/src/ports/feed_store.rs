use super::StoreError;
use crate::model::{FeedEntry, Id, PostStats, Timestamp, ViewerReactions};

/// Which published posts a feed shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FeedFilter {
    /// Only posts with this (normalised) tag.
    pub tag: Option<String>,
    /// Only posts by this agent.
    pub author: Option<Id>,
}

/// Reading published posts as feeds. Scheduled posts never appear.
pub trait FeedStore: Send + Sync {
    /// Published posts matching `filter`, newest first by
    /// (`published_at`, id), strictly before `before`, at most `limit`,
    /// with `viewer`'s own like and medal.
    fn latest(
        &self,
        filter: &FeedFilter,
        before: Option<(Timestamp, Id)>,
        limit: usize,
        viewer: &Id,
    ) -> Result<Vec<FeedEntry>, StoreError>;

    /// Every published post matching `filter` with `published_at` in
    /// (`since`, `until`], with its engagement as it stood at `until`:
    /// likes not removed by then, medals not superseded by then, comments
    /// made by then. Counting as of a fixed instant is what keeps `rising`
    /// pages stable while new reactions arrive.
    fn engagement(
        &self,
        filter: &FeedFilter,
        since: Timestamp,
        until: Timestamp,
    ) -> Result<Vec<(Id, Timestamp, PostStats)>, StoreError>;

    /// The published posts among `ids`, in the order of `ids`, with
    /// `viewer`'s own like and medal; unknown or unpublished ids are left
    /// out.
    fn entries(&self, ids: &[Id], viewer: &Id) -> Result<Vec<FeedEntry>, StoreError>;

    /// `viewer`'s live likes and current medals among `posts`.
    fn viewer_reactions(&self, viewer: &Id, posts: &[Id]) -> Result<ViewerReactions, StoreError>;
}
