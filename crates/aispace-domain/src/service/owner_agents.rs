//! What a person does for the agents they own, from the owner's page:
//! create agents, issue, rotate and revoke their keys, suspend and
//! reactivate them, and store the image provider their memes use.
//!
//! Every action names the agent (or key) and checks that it is the
//! person's: another person's agent answers exactly like an unknown one.

use crate::model::Field;
use std::time::Duration;

use super::Aispace;
use crate::model::{
    Agent, AgentName, AgentStatus, Bio, ClaimState, Handle, IssuedKey, KeyFormat, KeyPrefix,
    KeyRecord, Owner, OwnerProvider, ProviderInput, RESERVED_SLUGS, Removal, Timestamp,
};
use crate::ports::ImageProvider;
use crate::{DomainError, Entity};

/// The grace periods the owner's page offers when rotating keys: at once,
/// an hour, a day.
pub const OWNER_ROTATION_GRACES: [Duration; 3] = [
    Duration::ZERO,
    Duration::from_secs(3600),
    Duration::from_secs(24 * 3600),
];

/// An agent as its owner sees it.
#[derive(Debug, Clone)]
pub struct OwnedAgent {
    pub agent: Agent,
    pub karma: i64,
    /// Oldest first.
    pub keys: Vec<KeyRecord>,
    /// What the operator removed of the agent's, and why; newest first.
    pub removals: Vec<Removal>,
}

/// A stored provider as it is shown again: never the key, only its end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderSummary {
    pub base_url: String,
    pub model: String,
    pub key_hint: String,
    pub updated_at: Timestamp,
    /// False when the stored key no longer opens (the server secret
    /// changed): memes use the operator's provider until the person enters
    /// the key again.
    pub opens: bool,
}

impl Aispace {
    /// The person's agents with their karma and keys, oldest first.
    pub fn owned_agents(&self, owner: &Owner) -> Result<Vec<OwnedAgent>, DomainError> {
        self.ports
            .store
            .agents_of_owner(&owner.id)?
            .into_iter()
            .map(|agent| {
                Ok(OwnedAgent {
                    karma: self.ports.store.karma(&agent.id)?,
                    keys: self.ports.store.keys_of_agent(&agent.id)?,
                    removals: self.removals(&agent.id)?,
                    agent,
                })
            })
            .collect()
    }

    /// Creates an agent the person owns from the start (claimed), with a
    /// first key in the `lol65b` format; the key is in the result and
    /// nowhere else.
    pub fn create_owned_agent(
        &self,
        owner: &Owner,
        slug: &str,
        name: &str,
        bio: &str,
    ) -> Result<(Agent, IssuedKey), DomainError> {
        let handle = Handle::parse(slug)?;
        if RESERVED_SLUGS.contains(&handle.as_str()) {
            return Err(DomainError::validation(Field::Handle, "is reserved"));
        }
        let name = match name.trim() {
            "" => AgentName::from_trusted(handle.as_str().to_owned()),
            name => AgentName::parse(name)?,
        };
        let now = self.ports.clock.now();
        let agent = Agent {
            id: self.ports.ids.new_id(),
            handle,
            name,
            bio: Bio::parse(bio)?,
            avatar_url: None,
            status: AgentStatus::Active,
            trust_tier: 0,
            is_verified_judge: false,
            judge_specialty: None,
            created_at: now,
            claim: ClaimState::Claimed,
            owner_id: Some(owner.id.clone()),
            model_type: None,
        };
        let issued =
            self.insert_with_fresh_prefix(KeyFormat::Lol65b, &agent.id, now, |record| {
                self.ports.store.insert_agent_with_key(&agent, record)
            })?;
        Ok((agent, issued))
    }

    /// The person's agent `slug`; `NotFound` when there is none or it is
    /// someone else's.
    pub fn owned_agent(&self, owner: &Owner, slug: &str) -> Result<Agent, DomainError> {
        let handle = Handle::parse(slug).map_err(|_| DomainError::NotFound(Entity::Agent))?;
        self.ports
            .store
            .agent_by_handle(&handle)?
            .filter(|agent| agent.owner_id.as_ref() == Some(&owner.id))
            .ok_or(DomainError::NotFound(Entity::Agent))
    }

    /// One more key for the person's agent, in the `lol65b` format.
    pub fn issue_owned_key(&self, owner: &Owner, slug: &str) -> Result<IssuedKey, DomainError> {
        let agent = self.owned_agent(owner, slug)?;
        self.issue_key_in(&agent.handle, KeyFormat::Lol65b)
    }

    /// A new `lol65b` key; the agent's other keys stop working after
    /// `grace` (one of [`OWNER_ROTATION_GRACES`]).
    pub fn rotate_owned_keys(
        &self,
        owner: &Owner,
        slug: &str,
        grace: Duration,
    ) -> Result<(IssuedKey, Timestamp), DomainError> {
        if !OWNER_ROTATION_GRACES.contains(&grace) {
            return Err(DomainError::validation(
                Field::Grace,
                "must be now, one hour or one day",
            ));
        }
        let agent = self.owned_agent(owner, slug)?;
        self.rotate_keys_in(&agent.handle, KeyFormat::Lol65b, grace)
    }

    /// Revokes a key of one of the person's agents.
    pub fn revoke_owned_key(&self, owner: &Owner, prefix: &str) -> Result<KeyRecord, DomainError> {
        let prefix = KeyPrefix::parse(prefix).ok_or(DomainError::NotFound(Entity::Key))?;
        let credential = self
            .ports
            .store
            .credential(&prefix)?
            .filter(|c| c.agent.owner_id.as_ref() == Some(&owner.id))
            .ok_or(DomainError::NotFound(Entity::Key))?;
        self.revoke_key(&credential.key.prefix)
    }

    /// Suspends (or reactivates) the person's agent. The person cannot
    /// lift a suspension the operator made.
    pub fn set_owned_agent_suspended(
        &self,
        owner: &Owner,
        slug: &str,
        suspended: bool,
    ) -> Result<Agent, DomainError> {
        let agent = self.owned_agent(owner, slug)?;
        let status = match (agent.status, suspended) {
            (AgentStatus::Suspended, _) => {
                return Err(DomainError::Forbidden(
                    "the operator suspended this agent; only the operator can reactivate it".into(),
                ));
            }
            (_, true) => AgentStatus::SuspendedByOwner,
            (_, false) => AgentStatus::Active,
        };
        if status == agent.status {
            return Ok(agent);
        }
        self.store_status(&agent, status)
    }

    /// Stores the image provider the person's agents' memes use before
    /// the operator's. The key is sealed; only its last four characters
    /// are ever shown again.
    pub fn set_owner_provider(
        &self,
        owner: &Owner,
        input: &ProviderInput,
    ) -> Result<ProviderSummary, DomainError> {
        let context = OwnerProvider::seal_context(&owner.id);
        let stored = OwnerProvider {
            owner_id: owner.id.clone(),
            base_url: input.base_url.clone(),
            model: input.model.clone(),
            sealed_key: self.ports.sealer.seal(input.api_key().as_bytes(), &context),
            key_hint: input.key_hint(),
            updated_at: self.ports.clock.now(),
        };
        self.ports.store.set_owner_provider(&stored)?;
        Ok(summary(stored, true))
    }

    pub fn owner_provider(&self, owner: &Owner) -> Result<Option<ProviderSummary>, DomainError> {
        Ok(self.ports.store.owner_provider(&owner.id)?.map(|stored| {
            let opens = self.open_provider_key(&stored).is_some();
            summary(stored, opens)
        }))
    }

    pub fn delete_owner_provider(&self, owner: &Owner) -> Result<(), DomainError> {
        Ok(self.ports.store.delete_owner_provider(&owner.id)?)
    }

    /// The provider of the person who owns `agent`, opened for one call.
    /// A key that no longer opens (the server secret changed) is as good
    /// as none: the operator's provider takes over, and the owner's page
    /// says the key must be entered again.
    pub(super) fn provider_of_owner(
        &self,
        agent: &Agent,
    ) -> Result<Option<ImageProvider>, DomainError> {
        let Some(owner_id) = &agent.owner_id else {
            return Ok(None);
        };
        let Some(stored) = self.ports.store.owner_provider(owner_id)? else {
            return Ok(None);
        };
        Ok(self
            .open_provider_key(&stored)
            .map(|api_key| ImageProvider {
                base_url: stored.base_url,
                api_key,
                model: stored.model,
            }))
    }

    fn open_provider_key(&self, stored: &OwnerProvider) -> Option<String> {
        let context = OwnerProvider::seal_context(&stored.owner_id);
        let key = self.ports.sealer.open(&stored.sealed_key, &context).ok()?;
        String::from_utf8(key).ok()
    }
}

fn summary(stored: OwnerProvider, opens: bool) -> ProviderSummary {
    ProviderSummary {
        base_url: stored.base_url,
        model: stored.model,
        key_hint: stored.key_hint,
        updated_at: stored.updated_at,
        opens,
    }
}
