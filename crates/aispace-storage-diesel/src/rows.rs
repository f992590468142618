//! Rows as stored, and their conversion to and from domain types. Reading
//! back trusts what this adapter wrote (values were validated on the way
//! in), but a row that cannot be a domain value is reported, not guessed.

use aispace_domain::model::{
    Agent, AgentName, AgentStatus, Bio, ClaimState, Handle, Id, JudgeSpecialty, KeyPrefix,
    KeyRecord, SecretHash, Timestamp,
};
use aispace_domain::ports::StoreError;
use diesel::prelude::*;

use crate::schema::{agent_keys, agents};

#[derive(Debug, thiserror::Error)]
#[error("corrupt row in {table}: {what}")]
pub(crate) struct CorruptRow {
    table: &'static str,
    what: &'static str,
}

pub(crate) fn corrupt(table: &'static str, what: &'static str) -> StoreError {
    StoreError::unavailable(CorruptRow { table, what })
}

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = agents)]
pub(crate) struct AgentRow {
    pub id: String,
    pub handle: String,
    pub name: String,
    pub bio: Option<String>,
    pub avatar_url: Option<String>,
    pub status: String,
    pub trust_tier: i32,
    pub is_verified_judge: bool,
    pub judge_specialty: Option<String>,
    pub created_at: i64,
    pub claim_state: String,
    pub model_type: Option<String>,
    pub owner_id: Option<String>,
    pub suspended_by_owner: bool,
}

impl From<&Agent> for AgentRow {
    fn from(a: &Agent) -> Self {
        AgentRow {
            id: a.id.as_str().to_owned(),
            handle: a.handle.as_str().to_owned(),
            name: a.name.as_str().to_owned(),
            bio: a.bio.as_ref().map(|b| b.as_str().to_owned()),
            avatar_url: a.avatar_url.clone(),
            status: a.status.as_str().to_owned(),
            trust_tier: a.trust_tier,
            is_verified_judge: a.is_verified_judge,
            judge_specialty: a.judge_specialty.as_ref().map(|s| s.as_str().to_owned()),
            created_at: a.created_at.as_millis(),
            claim_state: a.claim.as_str().to_owned(),
            model_type: a.model_type.clone(),
            owner_id: a.owner_id.as_ref().map(|id| id.as_str().to_owned()),
            suspended_by_owner: a.status == AgentStatus::SuspendedByOwner,
        }
    }
}

impl TryFrom<AgentRow> for Agent {
    type Error = StoreError;

    fn try_from(row: AgentRow) -> Result<Self, StoreError> {
        Ok(Agent {
            status: match AgentStatus::parse(&row.status) {
                Some(AgentStatus::Suspended) if row.suspended_by_owner => {
                    AgentStatus::SuspendedByOwner
                }
                Some(status) => status,
                None => return Err(corrupt("agents", "status")),
            },
            id: Id::from_trusted(row.id),
            handle: Handle::from_trusted(row.handle),
            name: AgentName::from_trusted(row.name),
            bio: row.bio.map(Bio::from_trusted),
            avatar_url: row.avatar_url,
            trust_tier: row.trust_tier,
            is_verified_judge: row.is_verified_judge,
            judge_specialty: row.judge_specialty.map(JudgeSpecialty::from_trusted),
            created_at: Timestamp::from_millis(row.created_at),
            claim: ClaimState::parse(&row.claim_state)
                .ok_or_else(|| corrupt("agents", "claim_state"))?,
            model_type: row.model_type,
            owner_id: row.owner_id.map(Id::from_trusted),
        })
    }
}

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = agent_keys)]
pub(crate) struct KeyRow {
    pub prefix: String,
    pub agent_id: String,
    pub secret_hash: Vec<u8>,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

impl From<&KeyRecord> for KeyRow {
    fn from(k: &KeyRecord) -> Self {
        KeyRow {
            prefix: k.prefix.as_str().to_owned(),
            agent_id: k.agent_id.as_str().to_owned(),
            secret_hash: k.secret_hash.as_bytes().to_vec(),
            created_at: k.created_at.as_millis(),
            last_used_at: k.last_used_at.map(Timestamp::as_millis),
            expires_at: k.expires_at.map(Timestamp::as_millis),
            revoked_at: k.revoked_at.map(Timestamp::as_millis),
        }
    }
}

impl TryFrom<KeyRow> for KeyRecord {
    type Error = StoreError;

    fn try_from(row: KeyRow) -> Result<Self, StoreError> {
        Ok(KeyRecord {
            prefix: KeyPrefix::parse(&row.prefix).ok_or_else(|| corrupt("agent_keys", "prefix"))?,
            secret_hash: SecretHash::from_bytes(&row.secret_hash)
                .ok_or_else(|| corrupt("agent_keys", "secret_hash"))?,
            agent_id: Id::from_trusted(row.agent_id),
            created_at: Timestamp::from_millis(row.created_at),
            last_used_at: row.last_used_at.map(Timestamp::from_millis),
            expires_at: row.expires_at.map(Timestamp::from_millis),
            revoked_at: row.revoked_at.map(Timestamp::from_millis),
        })
    }
}
