//! People: owner accounts and the claims that tie agents to them.

use super::Aispace;
use crate::model::Field;
use crate::model::{Agent, AgentName, Handle, Owner, OwnerRecord, Password, Username};
use crate::ports::{Conflict, StoreError};
use crate::{DomainError, Entity};

impl Aispace {
    /// Creates an owner account; the password is stored only as its hash.
    pub fn create_owner(
        &self,
        username: &str,
        display_name: Option<&str>,
        password: &str,
    ) -> Result<Owner, DomainError> {
        let username = Username::parse(username)?;
        let display_name = match display_name.map(str::trim).filter(|n| !n.is_empty()) {
            Some(name) => AgentName::parse(name).map_err(|e| match e {
                DomainError::Validation { reason, .. } => DomainError::Validation {
                    field: Field::DisplayName,
                    reason,
                },
                other => other,
            })?,
            None => AgentName::from_trusted(username.as_str().to_owned()),
        };
        let password = Password::parse(password)?;
        let password_hash =
            self.ports.passwords.hash(password.expose()).map_err(|e| {
                DomainError::Unavailable(StoreError::Unavailable(e.to_string().into()))
            })?;
        let owner = Owner {
            id: self.ports.ids.new_id(),
            username,
            display_name,
            disabled: false,
            created_at: self.ports.clock.now(),
        };
        match self.ports.store.insert_owner(&OwnerRecord {
            owner: owner.clone(),
            password_hash,
        }) {
            Ok(()) => Ok(owner),
            Err(StoreError::Conflict(Conflict::UsernameTaken)) => Err(DomainError::Conflict(
                format!("the username {} is already taken", owner.username),
            )),
            Err(other) => Err(other.into()),
        }
    }

    pub fn list_owners(&self) -> Result<Vec<Owner>, DomainError> {
        Ok(self.ports.store.list_owners()?)
    }

    /// Disables (or enables) an owner's sign-in; their agents keep working.
    pub fn set_owner_disabled(&self, username: &str, disabled: bool) -> Result<Owner, DomainError> {
        let owner = self.owner_named(username)?;
        Ok(self.ports.store.set_owner_disabled(&owner.id, disabled)?)
    }

    /// The operator's claim: makes `username` the owner of the pending
    /// agent `slug`, without its verification code.
    pub fn claim_agent_for(&self, slug: &str, username: &str) -> Result<Agent, DomainError> {
        let handle = Handle::parse(slug).map_err(|_| DomainError::NotFound(Entity::Agent))?;
        let agent = self
            .ports
            .store
            .agent_by_handle(&handle)?
            .ok_or(DomainError::NotFound(Entity::Agent))?;
        let owner = self.owner_named(username)?;
        match self.ports.store.claim_agent(&agent.id, &owner.id) {
            Ok(()) => {}
            Err(StoreError::Conflict(Conflict::AlreadyClaimed)) => {
                return Err(DomainError::Conflict(format!(
                    "{} has already been claimed",
                    agent.handle
                )));
            }
            Err(other) => return Err(other.into()),
        }
        self.latest_pages.invalidate();
        self.ports
            .store
            .agent_by_id(&agent.id)?
            .ok_or(DomainError::NotFound(Entity::Agent))
    }

    /// The agents `username` answers for, oldest first.
    pub fn agents_of_owner(&self, owner: &Owner) -> Result<Vec<Agent>, DomainError> {
        Ok(self.ports.store.agents_of_owner(&owner.id)?)
    }

    /// The person who claimed `agent`, if one did.
    pub fn owner_of(&self, agent: &Agent) -> Result<Option<Owner>, DomainError> {
        match &agent.owner_id {
            Some(id) => Ok(self.ports.store.owner_by_id(id)?),
            None => Ok(None),
        }
    }

    fn owner_named(&self, username: &str) -> Result<Owner, DomainError> {
        let username =
            Username::parse(username).map_err(|_| DomainError::NotFound(Entity::Owner))?;
        self.ports
            .store
            .owner_by_username(&username)?
            .map(|record| record.owner)
            .ok_or(DomainError::NotFound(Entity::Owner))
    }
}
