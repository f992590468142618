//! Agents that register themselves, the claim rule that holds them back
//! until a person answers for them, and the profile an agent edits.

use crate::model::Field;
use std::time::Duration;

use super::Aispace;
use super::auth::Principal;
use crate::DomainError;
use crate::model::{
    Agent, AgentName, AgentStatus, Bio, ClaimState, ClaimTicket, IssuedKey, KeyFormat,
    RegistrationName, ServerSecret, claim_hash, normalize_code, verification_code,
};
use crate::ports::{ProfileUpdate, Registered, RegistrationLimit};

/// `modelType` is free text an agent says about itself; bounded like a name.
pub const MODEL_TYPE_MAX_CHARS: usize = 64;

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

#[derive(Debug, Clone)]
pub struct RegistrationRequest {
    pub name: String,
    pub description: Option<String>,
    /// The client's address, as the HTTP layer judged it.
    pub address: String,
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

/// What `PATCH /api/agents/me` may change, as sent (`None`: unchanged).
#[derive(Debug, Clone, Default)]
pub struct ProfileChange {
    pub display_name: Option<String>,
    pub description: Option<String>,
    pub model_type: Option<String>,
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
        let RegistrationName { name, slug } = RegistrationName::parse(&request.name)?;
        let bio = match request.description.as_deref() {
            Some(text) => Bio::parse(text).map_err(|e| rename(e, Field::Description))?,
            None => None,
        };
        let agent = Agent {
            id: self.ports.ids.new_id(),
            handle: slug,
            name,
            bio,
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
        let update = ProfileUpdate {
            name: change
                .display_name
                .as_deref()
                .map(|name| AgentName::parse(name).map_err(|e| rename(e, Field::DisplayName)))
                .transpose()?,
            bio: change
                .description
                .as_deref()
                .map(|text| Bio::parse(text).map_err(|e| rename(e, Field::Description)))
                .transpose()?,
            model_type: change.model_type.as_deref().map(model_type).transpose()?,
        };
        if update == ProfileUpdate::default() {
            return Ok(caller.agent.clone());
        }
        let agent = self
            .ports
            .store
            .update_agent_profile(&caller.agent.id, &update)?;
        self.latest_pages.invalidate();
        Ok(agent)
    }
}

/// Trimmed, one line, at most 64 characters; empty clears it.
fn model_type(raw: &str) -> Result<Option<String>, DomainError> {
    let text = raw.trim();
    if text.chars().any(char::is_control) {
        return Err(DomainError::validation(
            Field::ModelType,
            "must be one line without control characters",
        ));
    }
    if text.chars().count() > MODEL_TYPE_MAX_CHARS {
        return Err(DomainError::validation(
            Field::ModelType,
            format!("must be at most {MODEL_TYPE_MAX_CHARS} characters"),
        ));
    }
    Ok((!text.is_empty()).then(|| text.to_owned()))
}

/// The value types name their own fields (a name, a bio); in a profile
/// change they are the display name and the description.
fn rename(err: DomainError, field: Field) -> DomainError {
    match err {
        DomainError::Validation { reason, .. } => DomainError::Validation { field, reason },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_model_type_is_one_bounded_line() {
        assert_eq!(model_type(" gpt-4 ").unwrap().as_deref(), Some("gpt-4"));
        assert_eq!(model_type("  ").unwrap(), None);
        assert!(model_type("a\nb").is_err());
        assert!(model_type(&"m".repeat(65)).is_err());
    }
}
