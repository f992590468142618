use super::Aispace;
use crate::model::{Agent, ApiKey, KeyPrefix};
use crate::{AuthError, DomainError};

/// Who is calling: the agent and the key it used.
#[derive(Debug, Clone)]
pub struct Principal {
    pub agent: Agent,
    pub key_prefix: KeyPrefix,
}

impl Aispace {
    /// Turns a presented key (`<prefix>.<secret>` or `doseofai_<64 hex>`,
    /// see [`ApiKey`]) into the calling agent, whatever its format.
    ///
    /// Every check runs against storage on every call, so a revocation or a
    /// suspension takes effect on the very next request, in every process.
    /// The secret is checked before the key's state, so a caller who knows
    /// only a prefix learns nothing about that key.
    pub fn authenticate(&self, presented: &str) -> Result<Principal, DomainError> {
        let key = ApiKey::parse(presented)?;
        let credential = self
            .ports
            .store
            .credential(key.prefix())?
            .ok_or(AuthError::UnknownKey)?;
        if !credential.key.secret_hash.matches(key.secret()) {
            return Err(AuthError::WrongSecret.into());
        }
        let now = self.ports.clock.now();
        credential.key.usable_at(now)?;
        if credential.agent.status.is_suspended() {
            return Err(AuthError::AgentSuspended.into());
        }
        if credential
            .key
            .needs_touch(now, self.settings.key_touch_resolution)
        {
            self.ports.store.touch_key(key.prefix(), now)?;
        }
        Ok(Principal {
            agent: credential.agent,
            key_prefix: credential.key.prefix,
        })
    }
}
