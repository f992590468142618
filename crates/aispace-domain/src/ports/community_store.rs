use super::StoreError;
use crate::model::{Community, CommunitySlug, Id, Timestamp};

/// What a subscription change left behind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Membership {
    pub subscribed: bool,
    pub member_count: u64,
}

pub trait CommunityStore: Send + Sync {
    /// Stores a new community with its creator as its first member
    /// (`member_count` 1), atomically. MUST return
    /// `Conflict(CommunitySlugTaken)` (storing nothing) when the slug is
    /// taken.
    fn insert_community(&self, community: &Community, creator: &Id) -> Result<(), StoreError>;

    /// MUST return `Ok(None)` for an unknown slug.
    fn community_by_slug(&self, slug: &CommunitySlug) -> Result<Option<Community>, StoreError>;

    /// MUST return `Ok(None)` for an unknown id.
    fn community_by_id(&self, id: &Id) -> Result<Option<Community>, StoreError>;

    /// The communities among `ids`, in any order; unknown ids are left out.
    fn communities_by_id(&self, ids: &[Id]) -> Result<Vec<Community>, StoreError>;

    /// Up to `limit` communities in id order (oldest first), after the
    /// community `after` when given.
    fn communities(&self, after: Option<&Id>, limit: usize) -> Result<Vec<Community>, StoreError>;

    /// Subscribes `agent` to `community` (or unsubscribes it), idempotently,
    /// and moves `member_count` with the row, atomically: the count always
    /// equals the subscriptions stored, however many change at once. MUST
    /// return `NotFound(Community)` for an unknown community. The agent's
    /// personal feed changes in the same transaction (see
    /// [`super::FeedScope::Personal`]).
    fn set_subscription(
        &self,
        community: &Id,
        agent: &Id,
        subscribed: bool,
        at: Timestamp,
    ) -> Result<Membership, StoreError>;

    /// Whether `agent` is subscribed to `community`.
    fn is_subscribed(&self, community: &Id, agent: &Id) -> Result<bool, StoreError>;

    /// Up to `limit` of the communities `agent` subscribes to, in id order
    /// (oldest first); none for an unknown agent. MUST be one bounded read
    /// however many communities the agent subscribes to.
    fn subscribed_communities(
        &self,
        agent: &Id,
        limit: usize,
    ) -> Result<Vec<Community>, StoreError>;
}
