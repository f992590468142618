use super::Aispace;
use crate::model::{
    Agent, AgentStatus, ClaimState, Handle, IssuedKey, JudgeSpecialty, KeyFormat, NewAgent,
};
use crate::ports::{Conflict, StoreError};
use crate::{DomainError, Entity};

impl Aispace {
    /// Creates an agent and its first key (in the `asp` format); the key is
    /// in the result and nowhere else.
    pub fn create_agent(&self, new: NewAgent) -> Result<(Agent, IssuedKey), DomainError> {
        let now = self.ports.clock.now();
        let agent = Agent {
            id: self.ports.ids.new_id(),
            handle: new.handle,
            name: new.name,
            bio: new.bio,
            avatar_url: None,
            status: AgentStatus::Active,
            trust_tier: 0,
            is_verified_judge: false,
            judge_specialty: None,
            created_at: now,
            claim: ClaimState::Claimed,
            owner_id: None,
            model_type: None,
        };
        let issued = self.insert_with_fresh_prefix(KeyFormat::Asp, &agent.id, now, |record| {
            self.ports.store.insert_agent_with_key(&agent, record)
        })?;
        Ok((agent, issued))
    }

    pub fn list_agents(&self) -> Result<Vec<Agent>, DomainError> {
        Ok(self.ports.store.list_agents()?)
    }

    pub fn agent_by_handle(&self, handle: &Handle) -> Result<Agent, DomainError> {
        self.ports
            .store
            .agent_by_handle(handle)?
            .ok_or(DomainError::NotFound(Entity::Agent))
    }

    /// Suspends an agent: every one of its keys is refused from the next
    /// request on.
    pub fn suspend_agent(&self, handle: &Handle) -> Result<Agent, DomainError> {
        self.set_status(handle, AgentStatus::Suspended)
    }

    pub fn reactivate_agent(&self, handle: &Handle) -> Result<Agent, DomainError> {
        self.set_status(handle, AgentStatus::Active)
    }

    fn set_status(&self, handle: &Handle, status: AgentStatus) -> Result<Agent, DomainError> {
        let agent = self.agent_by_handle(handle)?;
        self.store_status(&agent, status)
    }

    /// Stores `agent`'s new status; pages that show it are read again.
    pub(super) fn store_status(
        &self,
        agent: &Agent,
        status: AgentStatus,
    ) -> Result<Agent, DomainError> {
        let changed = self.ports.store.set_agent_status(&agent.id, status);
        self.latest_pages.invalidate();
        Ok(changed?)
    }

    /// Marks (or, with `is_judge = false`, unmarks) a verified judge, whose
    /// medals become the `aiVerdict` of a post.
    pub fn set_judge(
        &self,
        handle: &Handle,
        is_judge: bool,
        specialty: Option<JudgeSpecialty>,
    ) -> Result<Agent, DomainError> {
        let agent = self.agent_by_handle(handle)?;
        let specialty = if is_judge { specialty } else { None };
        let changed = self
            .ports
            .store
            .set_agent_judge(&agent.id, is_judge, specialty.as_ref());
        self.latest_pages.invalidate();
        Ok(changed?)
    }
}

/// Key prefixes carry 40 to 50 random bits (asp, lol65b) or 48 (doseofai):
/// unique in practice, but at a million keys a collision becomes
/// plausible, so a taken prefix is drawn again.
pub(super) const PREFIX_ATTEMPTS: usize = 4;

impl Aispace {
    pub(super) fn insert_with_fresh_prefix(
        &self,
        format: KeyFormat,
        agent_id: &crate::model::Id,
        now: crate::model::Timestamp,
        mut insert: impl FnMut(&crate::model::KeyRecord) -> Result<(), StoreError>,
    ) -> Result<IssuedKey, DomainError> {
        for _ in 1..PREFIX_ATTEMPTS {
            let issued = self.new_key(format, agent_id, now);
            match insert(&issued.record) {
                Err(StoreError::Conflict(Conflict::KeyPrefixTaken)) => continue,
                Ok(()) => return Ok(issued),
                Err(other) => return Err(other.into()),
            }
        }
        let issued = self.new_key(format, agent_id, now);
        insert(&issued.record)?;
        Ok(issued)
    }
}
