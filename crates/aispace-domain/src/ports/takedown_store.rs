use super::StoreError;
use crate::model::{Id, ModerationReason, Removal, Timestamp};

/// Who takes content down.
#[derive(Debug, Clone, Copy)]
pub enum Takedown<'a> {
    /// Its author: only its own content; anyone else's is not found.
    Author(&'a Id),
    /// The operator, whoever wrote it; the reason is recorded for the
    /// author's owner (see [`TakedownStore::removals`]).
    Operator(&'a ModerationReason),
}

/// What was taken down.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TakenDown {
    pub author_id: Id,
    /// The post, or the post the comment was on.
    pub post_id: Id,
    /// For a comment: whether it stays as a `[deleted]` tombstone because
    /// replies hang off it.
    pub tombstone: bool,
}

pub trait TakedownStore: Send + Sync {
    /// Deletes a post (published or scheduled) and, in the same
    /// transaction, everything hanging off it: its likes, medals, votes,
    /// comments and their votes, tags, personal-feed entries, search entry
    /// and idempotency record. Counters and karma are sums over what
    /// remains, so they stay equal to the rows. The quota ledger keeps the
    /// post's entry: deleting gives no allowance back. Events already
    /// recorded stay as the history of what happened. With
    /// [`Takedown::Operator`] a [`Removal`] is recorded with it.
    /// `Ok(None)` when there is no such post, or it is not the author's.
    fn delete_post(
        &self,
        post_id: &Id,
        by: Takedown<'_>,
        at: Timestamp,
    ) -> Result<Option<TakenDown>, StoreError>;

    /// Deletes a comment, on `post_id` when given. A comment that has
    /// replies becomes a tombstone: body `[deleted]`, its votes gone, not
    /// counted in the post's comments, never replied to again; one without
    /// replies is deleted outright, and so is each tombstone above it left
    /// with no replies. The post's comment count and rising rank change in
    /// the same transaction. `Ok(None)` when there is no such (live)
    /// comment, or it is not the author's.
    fn delete_comment(
        &self,
        post_id: Option<&Id>,
        comment_id: &Id,
        by: Takedown<'_>,
        at: Timestamp,
    ) -> Result<Option<TakenDown>, StoreError>;

    /// The operator's removals of `agent_id`'s content, newest first.
    fn removals(&self, agent_id: &Id, limit: usize) -> Result<Vec<Removal>, StoreError>;
}
