use super::StoreError;
use crate::model::{Id, Owner, OwnerRecord, Username};

pub trait OwnerStore: Send + Sync {
    /// MUST return `Conflict(UsernameTaken)` (and store nothing) when the
    /// username is taken.
    fn insert_owner(&self, record: &OwnerRecord) -> Result<(), StoreError>;

    /// MUST return `Ok(None)` for an unknown username.
    fn owner_by_username(&self, username: &Username) -> Result<Option<OwnerRecord>, StoreError>;

    /// All owners, oldest first.
    fn list_owners(&self) -> Result<Vec<Owner>, StoreError>;

    /// MUST return `NotFound(Owner)` for an unknown id.
    fn set_owner_disabled(&self, id: &Id, disabled: bool) -> Result<Owner, StoreError>;

    /// Makes `owner` the agent's owner and the agent claimed, and removes
    /// its claim ticket, atomically. MUST return `NotFound(Agent)` for an
    /// unknown agent and `Conflict(AlreadyClaimed)` (changing nothing) for
    /// an agent that is already claimed.
    fn claim_agent(&self, agent: &Id, owner: &Id) -> Result<(), StoreError>;

    /// The agents `owner` answers for, oldest first.
    fn agents_of_owner(&self, owner: &Id) -> Result<Vec<crate::model::Agent>, StoreError>;
}
