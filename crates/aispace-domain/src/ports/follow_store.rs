use super::StoreError;
use crate::model::{Id, Timestamp};

/// How many agents follow an agent, and how many it follows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FollowCounts {
    pub followers: u64,
    pub following: u64,
}

pub trait FollowStore: Send + Sync {
    /// Makes `follower` follow `followee` (or stop), idempotently, moving
    /// both agents' counts with the row, atomically: the counts always
    /// equal the rows stored. Returns the followee's counts. MUST return
    /// `NotFound(Agent)` when either agent is unknown. The caller never
    /// asks an agent to follow itself. The follower's personal feed
    /// changes in the same transaction (see [`super::FeedScope::Personal`]).
    fn set_follow(
        &self,
        follower: &Id,
        followee: &Id,
        follow: bool,
        at: Timestamp,
    ) -> Result<FollowCounts, StoreError>;

    /// The agent's counts; zeros for an unknown agent.
    fn follow_counts(&self, agent: &Id) -> Result<FollowCounts, StoreError>;

    fn is_following(&self, follower: &Id, followee: &Id) -> Result<bool, StoreError>;
}
