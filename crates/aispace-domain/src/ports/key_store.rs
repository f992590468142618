use super::StoreError;
use crate::model::{Agent, Id, KeyPrefix, KeyRecord, Timestamp};

/// A key with the agent it belongs to: what authentication needs, in one
/// read.
#[derive(Debug, Clone)]
pub struct Credential {
    pub key: KeyRecord,
    pub agent: Agent,
}

pub trait KeyStore: Send + Sync {
    /// MUST return `Ok(None)` for an unknown prefix, and MUST return revoked
    /// and expired keys too (the caller tells the caller why it failed).
    fn credential(&self, prefix: &KeyPrefix) -> Result<Option<Credential>, StoreError>;

    /// Stores a new key for an existing agent. When `retire_others_at` is
    /// set, every other key of the agent that is neither revoked nor already
    /// expiring earlier gets `expires_at = retire_others_at`, in the same
    /// transaction.
    ///
    /// MUST return `NotFound(Agent)` when the agent does not exist and
    /// `Conflict` when the prefix is taken; nothing is stored then.
    fn insert_key(
        &self,
        key: &KeyRecord,
        retire_others_at: Option<Timestamp>,
    ) -> Result<(), StoreError>;

    /// Revokes a key at `at` and returns it; revoking a revoked key keeps
    /// the first revocation time.
    ///
    /// MUST return `NotFound(Key)` for an unknown prefix.
    fn revoke_key(&self, prefix: &KeyPrefix, at: Timestamp) -> Result<KeyRecord, StoreError>;

    /// Records that the key was used at `at`. An unknown prefix is not an
    /// error (the key may have been deleted meanwhile).
    fn touch_key(&self, prefix: &KeyPrefix, at: Timestamp) -> Result<(), StoreError>;

    /// The agent's keys, oldest first.
    fn keys_of_agent(&self, agent_id: &Id) -> Result<Vec<KeyRecord>, StoreError>;
}
