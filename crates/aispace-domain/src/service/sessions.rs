//! Signing people in and out, and claiming an agent with its verification
//! code.

use crate::model::Field;
use std::time::Duration;

use super::Aispace;
use crate::model::{
    Agent, CLAIM_ATTEMPTS, Owner, Session, Timestamp, Username, claim_hash, normalize_code,
};
use crate::ports::{Conflict, StoreError};
use crate::{DomainError, Entity};

/// Why sign-up is refused when the operator closed it.
pub const SIGN_UP_CLOSED: &str =
    "sign-up is closed on this server; ask its operator for an account";

/// How long a session lasts.
pub const SESSION_LIFETIME: Duration = Duration::from_secs(30 * 24 * 3600);
/// How long wrong verification codes lock a claim.
pub const CLAIM_LOCK: Duration = Duration::from_secs(3600);
/// Failed sign-ins counted per account and per address, and the window.
pub const SIGN_IN_FAILURES_PER_ACCOUNT: u32 = 5;
pub const SIGN_IN_FAILURES_PER_ADDRESS: u32 = 20;
pub const SIGN_IN_WINDOW: Duration = Duration::from_secs(15 * 60);

/// A new session: the cookie's value (shown once) and its CSRF token.
#[derive(Clone)]
pub struct NewSession {
    pub token: String,
    pub csrf_token: String,
    pub owner: Owner,
    pub expires_at: Timestamp,
}

impl std::fmt::Debug for NewSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewSession")
            .field("owner", &self.owner)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// The signed-in person behind a cookie, with the token their forms
/// must carry.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub owner: Owner,
    pub csrf_token: String,
}

impl Aispace {
    /// A new account, signed in at once.
    pub fn sign_up(
        &self,
        username: &str,
        display_name: Option<&str>,
        password: &str,
    ) -> Result<NewSession, DomainError> {
        if !self.settings.registration.owner_signup {
            return Err(DomainError::Forbidden(SIGN_UP_CLOSED.into()));
        }
        let owner = self.create_owner(username, display_name, password)?;
        self.open_session(owner)
    }

    /// Checks the password and opens a new session (never reusing one, so
    /// a session id planted before sign-in is worth nothing after it).
    /// Failures are throttled per account and per address, counted in
    /// storage so every process sees them; a throttled attempt is refused
    /// before the password is checked.
    pub fn sign_in(
        &self,
        username: &str,
        password: &str,
        address: &str,
    ) -> Result<NewSession, DomainError> {
        let now = self.ports.clock.now();
        // Exclusive of the window's first millisecond, so that waiting
        // exactly `Retry-After` is enough.
        let since = now.minus(SIGN_IN_WINDOW).plus(Duration::from_millis(1));
        let account = format!("user:{}", username.trim().to_ascii_lowercase());
        let from = format!("addr:{address}");
        for (subject, limit) in [
            (&account, SIGN_IN_FAILURES_PER_ACCOUNT),
            (&from, SIGN_IN_FAILURES_PER_ADDRESS),
        ] {
            let (failures, oldest) = self.ports.store.sign_in_failures(subject, since)?;
            if failures >= limit {
                let free_at = oldest.unwrap_or(now).plus(SIGN_IN_WINDOW);
                return Err(DomainError::RateLimited {
                    retry_after: crate::model::whole_seconds_at_least_one(now.until(free_at)),
                });
            }
        }
        let record = match Username::parse(username) {
            Ok(name) => self.ports.store.owner_by_username(&name)?,
            Err(_) => None,
        };
        let verified = match &record {
            Some(record) => self.ports.passwords.verify(password, &record.password_hash),
            // The same work for an unknown account: the answer's time does
            // not tell which accounts exist.
            None => {
                let _ = self.ports.passwords.verify(password, DUMMY_HASH);
                false
            }
        };
        match record {
            Some(record) if verified && !record.owner.disabled => self.open_session(record.owner),
            Some(record) if verified => Err(DomainError::Forbidden(format!(
                "the account {} is disabled",
                record.owner.username
            ))),
            _ => {
                self.ports.store.record_sign_in_failure(&account, now)?;
                self.ports.store.record_sign_in_failure(&from, now)?;
                Err(DomainError::SignInFailed)
            }
        }
    }

    /// The person signed in with `token`, if the session is live and the
    /// account not disabled.
    pub fn signed_in(&self, token: &str) -> Result<Option<SignedIn>, DomainError> {
        let now = self.ports.clock.now();
        Ok(self
            .ports
            .store
            .session(&claim_hash(token), now)?
            .filter(|(_, owner)| !owner.disabled)
            .map(|(session, owner)| SignedIn {
                owner,
                csrf_token: session.csrf_token,
            }))
    }

    pub fn sign_out(&self, token: &str) -> Result<(), DomainError> {
        Ok(self.ports.store.delete_session(&claim_hash(token))?)
    }

    fn open_session(&self, owner: Owner) -> Result<NewSession, DomainError> {
        let now = self.ports.clock.now();
        let token = self.random_hex(32);
        let csrf_token = self.random_hex(32);
        let expires_at = now.plus(SESSION_LIFETIME);
        self.ports.store.insert_session(&Session {
            id_hash: claim_hash(&token),
            owner_id: owner.id.clone(),
            csrf_token: csrf_token.clone(),
            created_at: now,
            expires_at,
        })?;
        Ok(NewSession {
            token,
            csrf_token,
            owner,
            expires_at,
        })
    }

    /// 32 random bytes as hex, from the entropy port: for tokens the
    /// surfaces make themselves (a form's double-submit CSRF token).
    pub fn random_token(&self) -> String {
        self.random_hex(32)
    }

    fn random_hex(&self, bytes: usize) -> String {
        let mut buf = vec![0u8; bytes];
        self.ports.entropy.fill(&mut buf);
        buf.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The pending agent a claim URL's token is for.
    pub fn claim_target(&self, token: &str) -> Result<Agent, DomainError> {
        let ticket = self
            .ports
            .store
            .claim_ticket(&claim_hash(token))?
            .ok_or(DomainError::NotFound(Entity::Agent))?;
        self.ports
            .store
            .agent_by_id(&ticket.agent_id)?
            .ok_or(DomainError::NotFound(Entity::Agent))
    }

    /// Makes `owner` the owner of the agent behind `token` if `code` is
    /// its verification code. Five wrong codes in a row lock the claim for
    /// an hour; a claimed agent has no ticket any more, so its URL is
    /// `NotFound`.
    pub fn redeem_claim(
        &self,
        token: &str,
        code: &str,
        owner: &Owner,
    ) -> Result<Agent, DomainError> {
        let now = self.ports.clock.now();
        let ticket = self
            .ports
            .store
            .claim_ticket(&claim_hash(token))?
            .ok_or(DomainError::NotFound(Entity::Agent))?;
        let locked = |until: Timestamp| DomainError::RateLimited {
            retry_after: crate::model::whole_seconds_at_least_one(now.until(until)),
        };
        if let Some(until) = ticket.locked_until.filter(|until| *until > now) {
            return Err(locked(until));
        }
        if claim_hash(&normalize_code(code)) != ticket.code_hash {
            let after = self.ports.store.record_claim_failure(
                &ticket.agent_id,
                CLAIM_ATTEMPTS,
                now.plus(CLAIM_LOCK),
            )?;
            if let Some(until) = after.locked_until.filter(|until| *until > now) {
                return Err(locked(until));
            }
            let left = CLAIM_ATTEMPTS.saturating_sub(after.failures);
            return Err(DomainError::validation(
                Field::ClaimCode,
                format!("is not this agent's verification code; {left} tries left"),
            ));
        }
        match self.ports.store.claim_agent(&ticket.agent_id, &owner.id) {
            Ok(()) => {}
            Err(StoreError::Conflict(Conflict::AlreadyClaimed)) => {
                return Err(DomainError::Conflict(
                    "this agent has already been claimed".into(),
                ));
            }
            Err(other) => return Err(other.into()),
        }
        self.latest_pages.invalidate();
        self.ports
            .store
            .agent_by_id(&ticket.agent_id)?
            .ok_or(DomainError::NotFound(Entity::Agent))
    }
}

/// An Argon2id hash of nothing anyone types, verified against when the
/// account does not exist.
const DUMMY_HASH: &str = "$argon2id$v=19$m=47104,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$2x0Ugp6Jr0bWRbN9+Vsx7uXcHkWu7Hh6Ue4vUL3l1hI";
