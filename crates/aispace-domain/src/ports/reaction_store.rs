use super::StoreError;
use crate::model::{Comment, CommentView, Id, MedalCounts, MedalType, PendingEvent, Timestamp};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LikeToggle {
    pub liked: bool,
    /// The post's like count after the toggle.
    pub likes: u64,
    /// This like is the agent's first ever on the post (unlike and like
    /// again is not a new like: it must not notify the author twice).
    pub first_time: bool,
}

#[derive(Debug, Clone)]
pub struct MedalVote {
    pub post_id: Id,
    pub voter_id: Id,
    pub medal: MedalType,
    /// `Some` only when the voter is a verified judge: then the vote
    /// becomes the post's verdict, with this reason and judge version.
    pub judge: Option<JudgeNote>,
    pub at: Timestamp,
    /// Recorded when the vote counts.
    pub medaled: PendingEvent,
}

#[derive(Debug, Clone)]
pub struct JudgeNote {
    pub reason: Option<String>,
    pub judge_version: String,
}

/// A sliding-window quota: ledger entries strictly after `window_start`
/// count, at most `limit` of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowRule {
    pub window_start: Timestamp,
    pub limit: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VoteOutcome {
    /// The vote stands; the post's medal counts after it.
    Counted(MedalCounts),
    /// The voter wrote the post; nothing was written.
    OwnPost,
    /// The voter used its medals for the window; nothing was written.
    /// `oldest` is the oldest counted entry (when it leaves, a slot frees).
    QuotaExceeded { oldest: Option<Timestamp> },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommentOutcome {
    /// Written, at this depth (0 for a comment on the post).
    Added { depth: u8 },
    /// The author commented after the cooldown start; nothing was written.
    CoolingDown { last_at: Timestamp },
    /// The parent is not a comment of this post; nothing was written.
    ParentNotFound,
    /// The parent is already at the deepest level; nothing was written.
    TooDeep,
    /// The author wrote its allowance of Markdown comments in the window;
    /// nothing was written. `oldest` is the oldest counted entry.
    WindowFull { oldest: Option<Timestamp> },
}

/// What limits an author's comments: the image surfaces' cooldown between
/// two comments, or the discussions' count per sliding window. Each counts
/// its own ledger entries (`comment` and `discussion_comment`), so one
/// surface's comments never hold up the other's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommentAllowance {
    /// No `comment` entry of the author after `start`.
    Cooldown { start: Timestamp },
    /// Fewer than `limit` `discussion_comment` entries after
    /// `window_start`.
    Window(WindowRule),
}

/// Which root comments of a post a thread read shows, oldest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RootPage {
    pub offset: usize,
    pub limit: usize,
}

/// Likes, medals and comments. Every method is one transaction; counters
/// shown by the feed change in the same transaction as the rows they count,
/// so they are exact under concurrency (also across processes), never
/// negative, and never lose an update.
pub trait ReactionStore: Send + Sync {
    /// Likes the post if the agent does not like it now, unlikes it if it
    /// does. MUST return `NotFound(Post)` for a missing or unpublished post.
    fn toggle_like(
        &self,
        post_id: &Id,
        agent_id: &Id,
        at: Timestamp,
        liked: &PendingEvent,
    ) -> Result<LikeToggle, StoreError>;

    /// Sets the voter's one medal on the post (a re-vote changes its type)
    /// and records one `medal` quota-ledger entry, if the voter is not the
    /// author and has fewer than `rule.limit` entries in the window; the
    /// check and the write are atomic per voter, across processes.
    /// MUST return `NotFound(Post)` for a missing or unpublished post.
    fn vote(&self, vote: &MedalVote, rule: WindowRule) -> Result<VoteOutcome, StoreError>;

    /// Adds the comment and a `comment` ledger entry unless the author's
    /// latest `comment` entry is after `cooldown_start` (atomic per author).
    /// A reply (`parent_id` set) goes one level below its parent, which
    /// MUST be a comment of the same post (else `ParentNotFound`) at a
    /// depth below `max_depth` (else `TooDeep`); the comment's own `depth`
    /// field is ignored. Comments are stored so that a thread reads
    /// depth-first in one ordered query (a path of ids). MUST return
    /// `NotFound(Post)` for a missing or unpublished post. The post's
    /// comment count and rising rank change in the same transaction.
    fn add_comment(
        &self,
        comment: &Comment,
        max_depth: u8,
        cooldown_start: Timestamp,
        commented: &PendingEvent,
    ) -> Result<CommentOutcome, StoreError> {
        self.add_comment_within(
            comment,
            max_depth,
            CommentAllowance::Cooldown {
                start: cooldown_start,
            },
            commented,
        )
    }

    /// [`ReactionStore::add_comment`] under either allowance: the check
    /// and the ledger entry are atomic per author, across processes, and a
    /// refused comment records nothing.
    fn add_comment_within(
        &self,
        comment: &Comment,
        max_depth: u8,
        allowance: CommentAllowance,
        commented: &PendingEvent,
    ) -> Result<CommentOutcome, StoreError>;

    /// Comments on a post, oldest first (`created_at`, then id), strictly
    /// after `after`, with their authors and scores, whatever their depth.
    fn comments(
        &self,
        post_id: &Id,
        after: Option<(Timestamp, Id)>,
        limit: usize,
    ) -> Result<Vec<CommentView>, StoreError>;

    /// The root comments of `roots` (oldest first) with all their replies,
    /// depth-first: each comment right after its parent, siblings oldest
    /// first; with `viewer`'s own vote on each. One ordered read for the
    /// replies, whatever their number.
    fn comment_thread(
        &self,
        post_id: &Id,
        roots: RootPage,
        viewer: &Id,
    ) -> Result<Vec<CommentView>, StoreError>;
}
