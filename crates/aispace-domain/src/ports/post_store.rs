use super::StoreError;
use crate::model::{
    Id, IdempotencyKey, IdempotencyRecord, PendingEvent, Post, QuotaAction, Timestamp,
};

/// The quota a new post spends, as the store must check it when inserting:
/// fewer than `limit` ledger entries of `action` since `since`, and one
/// more entry written with the post.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PostQuotaRule {
    pub action: QuotaAction,
    pub since: Timestamp,
    pub limit: u32,
}

impl PostQuotaRule {
    /// The image-post allowance: `limit` posts since `since`.
    pub fn posts_since(since: Timestamp, limit: u32) -> Self {
        PostQuotaRule {
            action: QuotaAction::Post,
            since,
            limit,
        }
    }
}

/// What became of an insert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admission {
    Admitted,
    /// The author already has `limit` posts today; nothing was written.
    QuotaExceeded,
    /// The idempotency key was taken meanwhile (a concurrent retry);
    /// nothing was written, here is the record that holds it.
    KeyTaken(IdempotencyRecord),
}

pub trait PostStore: Send + Sync {
    /// Inserts `post`, one entry in the quota ledger and, when given, the
    /// idempotency record, in one transaction, if and only if the author
    /// has fewer than `quota.limit` ledger entries since `quota.day_start`.
    ///
    /// The check and the insert MUST be atomic against concurrent inserts
    /// by the same author, also from other processes sharing the store, so
    /// the quota is never overrun. An idempotency record older than
    /// `idempotency_since` does not hold its key any more and is replaced.
    /// MUST return `NotFound(Agent)` for an unknown author. A post published
    /// at once records `created` in the same transaction and is stored with
    /// its initial ranks ([`crate::model::Ranks::at`] its publication, with
    /// no votes or reactions), so it ranks from the moment it is listed,
    /// and reaches the personal feeds of its author's followers and its
    /// community's members (see [`super::FeedScope::Personal`]).
    fn insert_post(
        &self,
        post: &Post,
        quota: PostQuotaRule,
        idempotency: Option<(&IdempotencyRecord, Timestamp)>,
        created: &PendingEvent,
    ) -> Result<Admission, StoreError>;

    /// Any post, whatever its status. MUST return `Ok(None)` when unknown.
    fn post_by_id(&self, id: &Id) -> Result<Option<Post>, StoreError>;

    /// The record holding `key` for `agent_id`, if created at or after
    /// `since`.
    fn idempotency_record(
        &self,
        agent_id: &Id,
        key: &IdempotencyKey,
        since: Timestamp,
    ) -> Result<Option<IdempotencyRecord>, StoreError>;

    /// Publishes up to `limit` scheduled posts whose `publish_at` is at or
    /// before `now` (setting `published_at = publish_at`), oldest first,
    /// and returns their ids. Each post MUST be published exactly once,
    /// also when several processes call this at the same time.
    /// Each published post records `created(post id, published_at)` in the
    /// same transaction (see `WebhookStore`) and gets its initial ranks and
    /// reaches personal feeds as `insert_post` says.
    fn publish_due(
        &self,
        now: Timestamp,
        limit: usize,
        created: &dyn Fn(&Id, Timestamp) -> PendingEvent,
    ) -> Result<Vec<Id>, StoreError>;
}
