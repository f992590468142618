use super::StoreError;
use crate::model::{Agent, AgentStatus, Handle, Id, JudgeSpecialty, KeyRecord};

pub trait AgentStore: Send + Sync {
    /// Stores a new agent together with its first key, atomically.
    ///
    /// MUST return `Conflict` (and store nothing) when the handle is taken.
    fn insert_agent_with_key(&self, agent: &Agent, key: &KeyRecord) -> Result<(), StoreError>;

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
