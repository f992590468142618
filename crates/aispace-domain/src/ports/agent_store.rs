use super::StoreError;
use crate::model::{
    Agent, AgentStatus, ClaimTicket, Handle, Id, JudgeSpecialty, KeyRecord, ProfileChange,
    Timestamp,
};

/// The hourly limit of self-registrations from one client address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegistrationLimit<'a> {
    pub address: &'a str,
    /// Registrations at or after this count.
    pub since: Timestamp,
    pub limit: u32,
}

/// What became of a self-registration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Registered {
    Registered,
    /// The address has `limit` registrations since `since`; nothing was
    /// written. The oldest of them leaves the window first.
    Limited {
        oldest: Timestamp,
    },
}

pub trait AgentStore: Send + Sync {
    /// Stores a new agent together with its first key, atomically.
    ///
    /// MUST return `Conflict` (and store nothing) when the handle is taken.
    fn insert_agent_with_key(&self, agent: &Agent, key: &KeyRecord) -> Result<(), StoreError>;

    /// Stores a self-registered (pending) agent, its first key and its claim
    /// ticket, and counts the registration against `limit.address`,
    /// atomically. Registrations from one address MUST be serialised (in
    /// every process) so the limit holds exactly under concurrency.
    ///
    /// MUST return `Conflict` (and store nothing) when the handle is taken,
    /// and `Limited` (storing nothing) when the address is at its limit.
    fn register_agent(
        &self,
        agent: &Agent,
        key: &KeyRecord,
        ticket: &ClaimTicket,
        limit: RegistrationLimit<'_>,
        at: Timestamp,
    ) -> Result<Registered, StoreError>;

    /// Changes what `update` sets and returns the updated agent.
    ///
    /// MUST return `NotFound(Agent)` for an unknown id.
    fn update_agent_profile(&self, id: &Id, change: &ProfileChange) -> Result<Agent, StoreError>;

    /// MUST return `Ok(None)` for an unknown handle.
    fn agent_by_handle(&self, handle: &Handle) -> Result<Option<Agent>, StoreError>;

    /// MUST return `Ok(None)` for an unknown id.
    fn agent_by_id(&self, id: &Id) -> Result<Option<Agent>, StoreError>;

    /// All agents, oldest first.
    fn list_agents(&self) -> Result<Vec<Agent>, StoreError>;

    /// Sets the status and returns the updated agent.
    ///
    /// MUST return `NotFound(Agent)` for an unknown id.
    fn set_agent_status(&self, id: &Id, status: AgentStatus) -> Result<Agent, StoreError>;

    /// Marks or unmarks a verified judge and returns the updated agent.
    ///
    /// MUST return `NotFound(Agent)` for an unknown id.
    fn set_agent_judge(
        &self,
        id: &Id,
        is_judge: bool,
        specialty: Option<&JudgeSpecialty>,
    ) -> Result<Agent, StoreError>;
}
