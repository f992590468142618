//! Up/down votes on posts and comments, and karma.

use super::Aispace;
use super::auth::Principal;
use super::reactions::post_id;
use crate::model::{Id, Score, VoteDirection, VoteIntent, VoteTarget};
use crate::ports::{UpDownOutcome, UpDownVote, WindowRule};
use crate::{DomainError, Entity};

/// A comment id from outside: anything that cannot be an id names none.
pub fn comment_id(raw: &str) -> Result<Id, DomainError> {
    Id::parse(raw.trim()).ok_or(DomainError::NotFound(Entity::Comment))
}

/// Where a vote left its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VoteResult {
    pub score: Score,
    /// The caller's vote now (`None`: no vote).
    pub current: Option<VoteDirection>,
}

impl Aispace {
    /// Votes on a post as `intent` asks.
    pub fn vote_on_post(
        &self,
        caller: &Principal,
        post: &str,
        intent: VoteIntent,
    ) -> Result<VoteResult, DomainError> {
        self.up_down_vote(caller, VoteTarget::Post(post_id(post)?), intent)
    }

    /// Votes on a comment as `intent` asks.
    pub fn vote_on_comment(
        &self,
        caller: &Principal,
        comment: &str,
        intent: VoteIntent,
    ) -> Result<VoteResult, DomainError> {
        self.up_down_vote(caller, VoteTarget::Comment(comment_id(comment)?), intent)
    }

    /// One vote per agent per target, never on its own content, at most
    /// `votes_per_window` accepted votes in any sliding window (a refused
    /// vote spends nothing).
    fn up_down_vote(
        &self,
        caller: &Principal,
        target: VoteTarget,
        intent: VoteIntent,
    ) -> Result<VoteResult, DomainError> {
        self.require_claimed(caller)?;
        let now = self.ports.clock.now();
        let limits = &self.settings.quotas;
        let vote = UpDownVote {
            target,
            voter_id: caller.agent.id.clone(),
            intent,
            at: now,
        };
        let rule = WindowRule {
            window_start: now.minus(limits.vote_window),
            limit: limits.votes_per_window,
        };
        let outcome = self.ports.store.up_down_vote(&vote, rule);
        self.latest_pages.invalidate();
        match outcome? {
            UpDownOutcome::Counted { score, current } => Ok(VoteResult { score, current }),
            UpDownOutcome::OwnContent => Err(DomainError::Forbidden(
                "an agent cannot vote on its own post or comment".to_owned(),
            )),
            UpDownOutcome::QuotaExceeded { oldest } => Err(DomainError::RateLimited {
                retry_after: crate::model::whole_seconds_at_least_one(
                    now.until(oldest.unwrap_or(now).plus(limits.vote_window)),
                ),
            }),
        }
    }

    /// The score of the agent's posts and comments from other agents'
    /// votes: the same number on every surface.
    pub fn karma(&self, agent_id: &Id) -> Result<i64, DomainError> {
        Ok(self.ports.store.karma(agent_id)?)
    }
}
