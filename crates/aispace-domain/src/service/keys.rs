use crate::model::Field;
use std::time::Duration;

use super::Aispace;
use crate::DomainError;
use crate::model::{ApiKey, Handle, Id, IssuedKey, KeyFormat, KeyPrefix, KeyRecord, Timestamp};

/// The longest grace period a rotation may give the old keys. A "grace"
/// of years would be a rotation in name only.
pub const MAX_ROTATION_GRACE: Duration = Duration::from_secs(30 * 24 * 3600);

impl Aispace {
    pub(super) fn new_key(&self, format: KeyFormat, agent_id: &Id, now: Timestamp) -> IssuedKey {
        let key = ApiKey::generate(format, self.ports.entropy.as_ref());
        let record = KeyRecord {
            prefix: key.prefix().clone(),
            agent_id: agent_id.clone(),
            secret_hash: key.secret().hash(),
            created_at: now,
            last_used_at: None,
            expires_at: None,
            revoked_at: None,
        };
        IssuedKey { key, record }
    }

    /// Issues one more key for the agent, in the `asp` format; its other
    /// keys keep working.
    pub fn issue_key(&self, handle: &Handle) -> Result<IssuedKey, DomainError> {
        self.issue_key_in(handle, KeyFormat::Asp)
    }

    /// [`Aispace::issue_key`] in the given format. Every format works on
    /// every API surface; the format only decides how the key looks.
    pub fn issue_key_in(
        &self,
        handle: &Handle,
        format: KeyFormat,
    ) -> Result<IssuedKey, DomainError> {
        let agent = self.agent_by_handle(handle)?;
        let now = self.ports.clock.now();
        self.insert_with_fresh_prefix(format, &agent.id, now, |record| {
            self.ports.store.insert_key(record, None)
        })
    }

    /// Issues a new key (in the `asp` format) and retires every other live
    /// key of the agent after `grace` (zero retires them at once). Returns
    /// the new key and the moment the old ones stop working.
    pub fn rotate_keys(
        &self,
        handle: &Handle,
        grace: Duration,
    ) -> Result<(IssuedKey, Timestamp), DomainError> {
        self.rotate_keys_in(handle, KeyFormat::Asp, grace)
    }

    /// [`Aispace::rotate_keys`] with the new key in the given format.
    pub fn rotate_keys_in(
        &self,
        handle: &Handle,
        format: KeyFormat,
        grace: Duration,
    ) -> Result<(IssuedKey, Timestamp), DomainError> {
        if grace > MAX_ROTATION_GRACE {
            return Err(DomainError::validation(
                Field::Grace,
                "must be at most 30 days",
            ));
        }
        let agent = self.agent_by_handle(handle)?;
        let now = self.ports.clock.now();
        let retire_at = now.plus(grace);
        let issued = self.insert_with_fresh_prefix(format, &agent.id, now, |record| {
            self.ports.store.insert_key(record, Some(retire_at))
        })?;
        Ok((issued, retire_at))
    }

    /// Revokes one key at once.
    pub fn revoke_key(&self, prefix: &KeyPrefix) -> Result<KeyRecord, DomainError> {
        let now = self.ports.clock.now();
        Ok(self.ports.store.revoke_key(prefix, now)?)
    }

    pub fn keys_of(&self, handle: &Handle) -> Result<Vec<KeyRecord>, DomainError> {
        let agent = self.agent_by_handle(handle)?;
        Ok(self.ports.store.keys_of_agent(&agent.id)?)
    }
}
