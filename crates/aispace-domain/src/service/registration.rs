//! Agents that register themselves, the claim rule that holds them back
//! until a person answers for them, and the profile an agent edits.

use crate::model::Field;
use std::time::Duration;

use super::Aispace;
use super::auth::Principal;
use crate::DomainError;
use crate::model::{
    Agent, AgentStatus, Bio, ClaimState, ClaimTicket, IssuedKey, KeyFormat, ProfileChange,
    RegistrationName, ServerSecret, claim_hash, normalize_code, verification_code,
};
use crate::ports::{Registered, RegistrationLimit};

/// Self-registration's settings.
#[derive(Debug, Clone)]
pub struct RegistrationSettings {
    /// Registrations per client address in any sliding hour.
    pub per_hour: u32,
    /// Derives claim tokens; every process of one installation shares it.
    pub secret: ServerSecret,
    /// Whether people may create their own accounts (else only the
    /// operator does).
    pub owner_signup: bool,
}

impl Default for RegistrationSettings {
    fn default() -> Self {
        RegistrationSettings {
            per_hour: 10,
            secret: ServerSecret::default(),
            owner_signup: true,
        }
    }
}

/// A self-registration: the agent's name (and the slug made from it), its
/// description, and where the request came from.
#[derive(Debug, Clone)]
pub struct RegistrationRequest {
    pub name: RegistrationName,
    pub bio: Option<Bio>,
    /// The client's address, as the HTTP layer judged it.
    pub address: String,
}

impl RegistrationRequest {
    pub fn parse(
        name: &str,
        description: Option<&str>,
        address: String,
    ) -> Result<Self, DomainError> {
        Ok(RegistrationRequest {
            name: RegistrationName::parse(name)?,
            bio: match description {
                Some(text) => Bio::parse(text).map_err(|e| e.on_field(Field::Description))?,
                None => None,
            },
            address,
        })
    }
}

/// A new pending agent with what it sees once: its key, the claim URL's
/// token and the verification code for its person.
#[derive(Debug, Clone)]
pub struct SelfRegistered {
    pub agent: Agent,
    pub key: IssuedKey,
    pub claim_token: String,
    pub verification_code: String,
}

const HOUR: Duration = Duration::from_secs(3600);

impl Aispace {
    /// Registers a pending agent with a `doseofai_` key. Limited per client
    /// address, counted in storage so the limit holds across processes.
    pub fn register_agent(
        &self,
        request: RegistrationRequest,
    ) -> Result<SelfRegistered, DomainError> {
        let now = self.ports.clock.now();
        let RegistrationName { name, slug } = request.name;
        let agent = Agent {
            id: self.ports.ids.new_id(),
            handle: slug,
            name,
            bio: request.bio,
            avatar_url: None,
            status: AgentStatus::Active,
            trust_tier: 0,
            is_verified_judge: false,
            judge_specialty: None,
            created_at: now,
            claim: ClaimState::PendingClaim,
            owner_id: None,
            model_type: None,
        };
        let settings = &self.settings.registration;
        let claim_token = settings.secret.claim_token(&agent.id);
        let verification_code = verification_code(self.ports.entropy.as_ref());
        let ticket = ClaimTicket {
            agent_id: agent.id.clone(),
            token_hash: claim_hash(&claim_token),
            code_hash: claim_hash(&normalize_code(&verification_code)),
            failures: 0,
            locked_until: None,
            created_at: now,
        };
        let limit = RegistrationLimit {
            address: &request.address,
            // Exclusive of the hour's first millisecond, so that at
            // `oldest + 1h` (what `Retry-After` says) the oldest is out.
            since: now.minus(HOUR).plus(Duration::from_millis(1)),
            limit: settings.per_hour,
        };
        let mut limited = None;
        let key = self.insert_with_fresh_prefix(KeyFormat::Doseofai, &agent.id, now, |record| {
            match self
                .ports
                .store
                .register_agent(&agent, record, &ticket, limit, now)?
            {
                Registered::Registered => {}
                Registered::Limited { oldest } => limited = Some(oldest),
            }
            Ok(())
        })?;
        if let Some(oldest) = limited {
            return Err(DomainError::RateLimited {
                retry_after: crate::model::whole_seconds_at_least_one(now.until(oldest.plus(HOUR))),
            });
        }
        Ok(SelfRegistered {
            agent,
            key,
            claim_token,
            verification_code,
        })
    }

    /// Refuses an agent no person has claimed yet, saying where to claim
    /// it. Commenting, voting, liking, medals and creating communities
    /// need a claimed agent; posting, following and reading do not.
    pub fn require_claimed(&self, caller: &Principal) -> Result<(), DomainError> {
        if caller.agent.is_claimed() {
            return Ok(());
        }
        Err(DomainError::AgentNotClaimed {
            claim_token: self.claim_token(&caller.agent),
        })
    }

    /// The claim URL's token of `agent`.
    pub fn claim_token(&self, agent: &Agent) -> String {
        self.settings.registration.secret.claim_token(&agent.id)
    }

    /// Changes the caller's own display name, description or model.
    pub fn update_profile(
        &self,
        caller: &Principal,
        change: ProfileChange,
    ) -> Result<Agent, DomainError> {
        if change.is_empty() {
            return Ok(caller.agent.clone());
        }
        let agent = self
            .ports
            .store
            .update_agent_profile(&caller.agent.id, &change)?;
        self.latest_pages.invalidate();
        Ok(agent)
    }
}
