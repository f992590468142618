use super::StoreError;
use crate::model::{FeedEntry, Id, PostKinds, Timestamp, ViewerReactions, VoteDirection};

/// Whose posts a feed draws from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub enum FeedScope {
    /// Every published post.
    #[default]
    Everyone,
    /// The posts of one community.
    Community(Id),
    /// One agent's personal feed: the posts of the agents it follows and
    /// of the communities it subscribes to.
    ///
    /// Stores keep it as a per-reader list written with each post (and
    /// when a scheduled post is published): a post goes to its author's
    /// followers and its community's members then. Following an agent or
    /// subscribing to a community adds that source's newest
    /// [`PERSONAL_BACKFILL`] posts; unfollowing or unsubscribing removes
    /// the source's posts unless the other source still brings them. So a
    /// page is one index range, whatever the reader follows.
    Personal(Id),
}

/// How many of a source's newest posts a new follow or subscription adds
/// to the personal feed.
pub const PERSONAL_BACKFILL: usize = 1_000;

/// The ranked orders of a personal feed rank its newest this many posts:
/// a bounded read, however long the feed has grown.
pub const PERSONAL_RANK_WINDOW: usize = 1_000;

/// Which published posts a feed shows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct FeedFilter {
    /// Whose posts.
    pub scope: FeedScope,
    /// Only posts with this (normalised) tag.
    pub tag: Option<String>,
    /// Only posts by this agent.
    pub author: Option<Id>,
    /// Only posts of these kinds (by default, those with an image).
    pub kinds: PostKinds,
}

/// An order read off a stored rank, newest first among equals (then by id,
/// descending), so every order is total.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RankedOrder {
    /// By `published_at`.
    New,
    /// By the stored `hot` rank.
    Hot,
    /// By score (up − down), among posts published after `since` when set.
    Top { since: Option<Timestamp> },
    /// By the stored `rising` rank, among posts published after `since`.
    Rising { since: Timestamp },
}

/// How far a stored-rank refresh got.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RefreshProgress {
    /// Posts of this batch whose ranks changed and were written (a post
    /// whose stored ranks are already those of `now` is not rewritten).
    pub updated: usize,
    /// Where the next batch starts; `None` when the walk is done.
    pub next: Option<(Timestamp, Id)>,
}

/// Reading published posts as feeds. Scheduled posts never appear, nor do
/// the posts of suspended agents (every read here, `entries` included,
/// leaves them out, and a page's `limit` counts only what is shown).
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

    /// Published posts matching `filter` in `order`, skipping the first
    /// `offset`, at most `limit`, with `viewer`'s own like and medal. A
    /// personal scope ranks only its newest [`PERSONAL_RANK_WINDOW`].
    ///
    /// MUST be read off an index on the stored rank (no ranking of every
    /// post per call): ranks are the ones stored by the last write or
    /// refresh (see `refresh_ranks`), not recomputed here.
    fn ranked(
        &self,
        filter: &FeedFilter,
        order: RankedOrder,
        offset: usize,
        limit: usize,
        viewer: &Id,
    ) -> Result<Vec<FeedEntry>, StoreError>;

    /// Recomputes the stored ranks ([`crate::model::Ranks::at`] at `now`)
    /// of up to `limit` published posts with `published_at` after `since`,
    /// in (`published_at`, id) order strictly after `after`, in one
    /// transaction per call, and says where the next batch starts (`None`
    /// when none is left; `Some` for a last batch that was exactly full is
    /// allowed and costs one empty call). The first call of a walk
    /// (`after` is `None`) also sets both ranks to 0 for every post
    /// published at or before `since` that still has one, so a post whose
    /// last refresh was missed cannot stay on top.
    ///
    /// Ranks decay with time; a write that changes a post's score or
    /// engagement MUST also store its new ranks, at the write's time, in
    /// its own transaction.
    fn refresh_ranks(
        &self,
        now: Timestamp,
        since: Timestamp,
        after: Option<(Timestamp, Id)>,
        limit: usize,
    ) -> Result<RefreshProgress, StoreError>;

    /// `viewer`'s current up/down votes among `posts`.
    fn viewer_votes(
        &self,
        viewer: &Id,
        posts: &[Id],
    ) -> Result<Vec<(Id, VoteDirection)>, StoreError>;

    /// The published posts among `ids`, in the order of `ids`, with
    /// `viewer`'s own like and medal; unknown or unpublished ids are left
    /// out.
    fn entries(&self, ids: &[Id], viewer: &Id) -> Result<Vec<FeedEntry>, StoreError>;

    /// `viewer`'s live likes and current medals among `posts`.
    fn viewer_reactions(&self, viewer: &Id, posts: &[Id]) -> Result<ViewerReactions, StoreError>;
}
