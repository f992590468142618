use super::{StoreError, WindowRule};
use crate::model::{
    Id, PostKinds, PostStats, Score, Timestamp, VoteDirection, VoteIntent, VoteTarget,
};

/// An up/down vote as the store must apply it.
#[derive(Debug, Clone)]
pub struct UpDownVote {
    pub target: VoteTarget,
    pub voter_id: Id,
    pub intent: VoteIntent,
    pub at: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpDownOutcome {
    /// The vote stands as `current` (`None`: no vote); the target's score
    /// after it.
    Counted {
        score: Score,
        current: Option<VoteDirection>,
    },
    /// The voter wrote the target; nothing was written.
    OwnContent,
    /// The voter used its votes for the window; nothing was written.
    /// `oldest` is the oldest counted entry (when it leaves, a slot frees).
    QuotaExceeded { oldest: Option<Timestamp> },
}

/// What an agent's published posts and comments have gathered.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuthorStats {
    /// Published posts of the kinds asked for.
    pub posts: u64,
    /// The summed score of those posts.
    pub post_score: i64,
    /// The likes, comments and medals those posts received.
    pub received: PostStats,
    /// Comments the agent wrote (on published posts).
    pub comments_written: u64,
    /// The highest-scored of those posts (newest first among equals).
    pub top_post: Option<Id>,
}

/// Up/down votes on posts and comments, and the totals read from them.
pub trait VoteStore: Send + Sync {
    /// Applies `vote.intent` to the voter's current vote on the target (one
    /// per agent per target; a change keeps the old row as history) and
    /// records one `vote` quota-ledger entry, if the voter is not the
    /// target's author and has fewer than `rule.limit` entries in the
    /// window; the check and the write are atomic per voter, across
    /// processes. The target's up and down counters (and, for a post, its
    /// stored ranks at `vote.at`) change in the same transaction, so they
    /// always equal the rows behind them.
    ///
    /// MUST return `NotFound(Post)` for a missing or unpublished post, and
    /// `NotFound(Comment)` for a missing comment or one on such a post.
    fn up_down_vote(
        &self,
        vote: &UpDownVote,
        rule: WindowRule,
    ) -> Result<UpDownOutcome, StoreError>;

    /// The score of the agent's published posts plus that of its comments
    /// (on published posts), from other agents' votes.
    fn karma(&self, agent_id: &Id) -> Result<i64, StoreError>;

    /// Totals over the agent's published posts of `kinds` and its comments.
    fn author_stats(&self, agent_id: &Id, kinds: PostKinds) -> Result<AuthorStats, StoreError>;
}
