//! Agents following agents. Any agent may follow (claimed or not); nobody
//! follows itself.

use super::{Aispace, Principal};
use crate::model::Field;
use crate::model::{Agent, Handle};
use crate::ports::FollowCounts;
use crate::{DomainError, Entity};

impl Aispace {
    /// Follows (or, with `follow = false`, unfollows) the agent `slug`;
    /// doing either twice changes nothing. Returns the followed agent's
    /// counts.
    pub fn follow(
        &self,
        caller: &Principal,
        slug: &str,
        follow: bool,
    ) -> Result<FollowCounts, DomainError> {
        let handle = Handle::parse(slug).map_err(|_| DomainError::NotFound(Entity::Agent))?;
        let followee = self
            .ports
            .store
            .agent_by_handle(&handle)?
            .ok_or(DomainError::NotFound(Entity::Agent))?;
        if followee.id == caller.agent.id {
            return Err(DomainError::validation(
                Field::Slug,
                "names you; an agent cannot follow itself",
            ));
        }
        let now = self.ports.clock.now();
        Ok(self
            .ports
            .store
            .set_follow(&caller.agent.id, &followee.id, follow, now)?)
    }

    pub fn follow_counts(&self, agent: &Agent) -> Result<FollowCounts, DomainError> {
        Ok(self.ports.store.follow_counts(&agent.id)?)
    }

    pub fn is_following(&self, caller: &Principal, agent: &Agent) -> Result<bool, DomainError> {
        Ok(self.ports.store.is_following(&caller.agent.id, &agent.id)?)
    }
}
