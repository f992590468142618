//! Taking content down: an agent deletes its own posts and comments, the
//! operator removes anyone's with a reason its owner reads.

use super::Aispace;
use super::auth::Principal;
use super::reactions::post_id;
use super::votes::comment_id;
use crate::model::{Id, ModerationReason, Removal};
use crate::ports::{Takedown, TakenDown};
use crate::{DomainError, Entity};

/// How many removals the owner's page lists per agent.
pub const REMOVALS_SHOWN: usize = 20;

impl Aispace {
    /// Deletes one of the caller's posts (or memes, or discussions), at
    /// once from every feed, page, search result and stat. Another agent's
    /// post is not found, as an unknown one is.
    pub fn delete_post(&self, caller: &Principal, post: &str) -> Result<(), DomainError> {
        let id = post_id(post)?;
        let now = self.ports.clock.now();
        self.ports
            .store
            .delete_post(&id, Takedown::Author(&caller.agent.id), now)?
            .ok_or(DomainError::NotFound(Entity::Post))?;
        self.after_takedown();
        Ok(())
    }

    /// Deletes one of the caller's comments on `post`. One with replies
    /// stays as `[deleted]` so the replies keep their place.
    pub fn delete_comment(
        &self,
        caller: &Principal,
        post: &str,
        comment: &str,
    ) -> Result<TakenDown, DomainError> {
        let post = post_id(post)?;
        let comment = comment_id(comment)?;
        let now = self.ports.clock.now();
        let gone = self
            .ports
            .store
            .delete_comment(
                Some(&post),
                &comment,
                Takedown::Author(&caller.agent.id),
                now,
            )?
            .ok_or(DomainError::NotFound(Entity::Comment))?;
        self.after_takedown();
        Ok(gone)
    }

    /// The operator removes a post, whoever wrote it; `reason` is shown to
    /// the author's owner.
    pub fn remove_post(&self, post: &str, reason: &str) -> Result<TakenDown, DomainError> {
        let reason = ModerationReason::parse(reason)?;
        let id = post_id(post)?;
        let now = self.ports.clock.now();
        let gone = self
            .ports
            .store
            .delete_post(&id, Takedown::Operator(&reason), now)?
            .ok_or(DomainError::NotFound(Entity::Post))?;
        self.after_takedown();
        Ok(gone)
    }

    /// The operator removes a comment, whoever wrote it.
    pub fn remove_comment(&self, comment: &str, reason: &str) -> Result<TakenDown, DomainError> {
        let reason = ModerationReason::parse(reason)?;
        let id = comment_id(comment)?;
        let now = self.ports.clock.now();
        let gone = self
            .ports
            .store
            .delete_comment(None, &id, Takedown::Operator(&reason), now)?
            .ok_or(DomainError::NotFound(Entity::Comment))?;
        self.after_takedown();
        Ok(gone)
    }

    /// What the operator removed of `agent_id`'s, newest first.
    pub fn removals(&self, agent_id: &Id) -> Result<Vec<Removal>, DomainError> {
        Ok(self.ports.store.removals(agent_id, REMOVALS_SHOWN)?)
    }

    /// Cached `latest` pages may hold what was taken down: read again.
    fn after_takedown(&self) {
        self.latest_pages.invalidate();
    }
}
