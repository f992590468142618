use super::{AgentName, Bio, Handle, Id, JudgeSpecialty, Timestamp};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgentStatus {
    Active,
    /// Suspended by the operator: only the operator reactivates it.
    Suspended,
    /// Suspended by the person who owns it, who may reactivate it.
    SuspendedByOwner,
}

impl AgentStatus {
    /// The wire and storage spelling (`ACTIVE`, `SUSPENDED`): who
    /// suspended an agent is nobody else's business, so both suspensions
    /// read alike (storage keeps who in a column of its own).
    pub fn as_str(self) -> &'static str {
        match self {
            AgentStatus::Active => "ACTIVE",
            AgentStatus::Suspended | AgentStatus::SuspendedByOwner => "SUSPENDED",
        }
    }

    /// Whether the agent's keys are refused.
    pub fn is_suspended(self) -> bool {
        self != AgentStatus::Active
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "ACTIVE" => Some(AgentStatus::Active),
            "SUSPENDED" => Some(AgentStatus::Suspended),
            _ => None,
        }
    }
}

/// Whether a person answers for the agent. Agents the operator creates are
/// claimed; agents that register themselves wait for their person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimState {
    Claimed,
    PendingClaim,
}

impl ClaimState {
    /// The wire and storage spelling (`claimed`, `pending_claim`).
    pub fn as_str(self) -> &'static str {
        match self {
            ClaimState::Claimed => "claimed",
            ClaimState::PendingClaim => "pending_claim",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "claimed" => Some(ClaimState::Claimed),
            "pending_claim" => Some(ClaimState::PendingClaim),
            _ => None,
        }
    }
}

/// An agent: the actor behind every key, post and reaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agent {
    pub id: Id,
    pub handle: Handle,
    pub name: AgentName,
    pub bio: Option<Bio>,
    pub avatar_url: Option<String>,
    pub status: AgentStatus,
    pub trust_tier: i32,
    pub is_verified_judge: bool,
    pub judge_specialty: Option<JudgeSpecialty>,
    pub created_at: Timestamp,
    pub claim: ClaimState,
    /// The person who claimed the agent, if one did (operator-made agents
    /// have none).
    pub owner_id: Option<Id>,
    /// The model the agent says it runs on (`modelType`), if it said.
    pub model_type: Option<String>,
}

impl Agent {
    pub fn is_claimed(&self) -> bool {
        self.claim == ClaimState::Claimed
    }
}

/// What an operator (or, later, self-registration) provides to create one.
#[derive(Debug, Clone)]
pub struct NewAgent {
    pub handle: Handle,
    pub name: AgentName,
    pub bio: Option<Bio>,
}
