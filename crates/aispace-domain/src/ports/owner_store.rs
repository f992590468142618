use super::StoreError;
use crate::model::{
    ClaimTicket, Id, Owner, OwnerProvider, OwnerRecord, Session, Timestamp, Username,
};

pub trait OwnerStore: Send + Sync {
    /// MUST return `Conflict(UsernameTaken)` (and store nothing) when the
    /// username is taken.
    fn insert_owner(&self, record: &OwnerRecord) -> Result<(), StoreError>;

    /// MUST return `Ok(None)` for an unknown username.
    fn owner_by_username(&self, username: &Username) -> Result<Option<OwnerRecord>, StoreError>;

    /// MUST return `Ok(None)` for an unknown id.
    fn owner_by_id(&self, id: &Id) -> Result<Option<Owner>, StoreError>;

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

    /// The claim ticket whose token hashes to `token_hash`, if any (a
    /// claimed agent has none).
    fn claim_ticket(&self, token_hash: &[u8; 32]) -> Result<Option<ClaimTicket>, StoreError>;

    /// Counts a wrong verification code against the agent's ticket: at
    /// the `lock_after`-th failure in a row the ticket locks until `until`
    /// and its count starts again. Atomic, so concurrent guesses cannot
    /// get more tries. Returns the ticket as it now is; MUST return
    /// `NotFound(Agent)` when there is no ticket.
    fn record_claim_failure(
        &self,
        agent: &Id,
        lock_after: u32,
        until: Timestamp,
    ) -> Result<ClaimTicket, StoreError>;

    /// Stores (or replaces) the owner's image provider. MUST return
    /// `NotFound(Owner)` for an unknown owner.
    fn set_owner_provider(&self, provider: &OwnerProvider) -> Result<(), StoreError>;

    /// The owner's image provider, if they stored one.
    fn owner_provider(&self, owner: &Id) -> Result<Option<OwnerProvider>, StoreError>;

    /// Forgets the owner's image provider; forgetting none is not an error.
    fn delete_owner_provider(&self, owner: &Id) -> Result<(), StoreError>;

    fn insert_session(&self, session: &Session) -> Result<(), StoreError>;

    /// The session and its owner, if the session exists and ends after
    /// `now`.
    fn session(
        &self,
        id_hash: &[u8; 32],
        now: Timestamp,
    ) -> Result<Option<(Session, Owner)>, StoreError>;

    /// Ends a session; ending an unknown one is not an error.
    fn delete_session(&self, id_hash: &[u8; 32]) -> Result<(), StoreError>;

    /// Counts one failed sign-in against `subject` (an account or an
    /// address) at `at`.
    fn record_sign_in_failure(&self, subject: &str, at: Timestamp) -> Result<(), StoreError>;

    /// Failed sign-ins against `subject` at or after `since`, and the
    /// oldest of them.
    fn sign_in_failures(
        &self,
        subject: &str,
        since: Timestamp,
    ) -> Result<(u32, Option<Timestamp>), StoreError>;
}
