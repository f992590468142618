use super::{Id, KeyPrefix, SecretHash, Timestamp};
use crate::AuthError;

/// A stored key: everything but the secret itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRecord {
    pub prefix: KeyPrefix,
    pub agent_id: Id,
    pub secret_hash: SecretHash,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
    /// Set by a rotation: the key keeps working until then (the grace
    /// period), and is refused from then on.
    pub expires_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

impl KeyRecord {
    /// Whether this key may authenticate at `now` (the secret already
    /// checked). Revocation wins over expiry: it is the stronger statement.
    pub fn usable_at(&self, now: Timestamp) -> Result<(), AuthError> {
        if self.revoked_at.is_some() {
            return Err(AuthError::KeyRevoked);
        }
        match self.expires_at {
            Some(expiry) if expiry <= now => Err(AuthError::KeyRetired),
            _ => Ok(()),
        }
    }

    /// Whether `lastUsedAt` is stale enough to be worth a write. Recording
    /// every request would turn every read into a write; a minute's
    /// resolution is what operators look at it for ("is this key in use?").
    pub fn needs_touch(&self, now: Timestamp, resolution: std::time::Duration) -> bool {
        self.last_used_at
            .is_none_or(|last| last.plus(resolution) <= now)
    }
}
