use aispace_domain::model::Agent;
use serde::Serialize;

/// `agent` in `connect`, as in the seed.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentDto<'a> {
    pub id: &'a str,
    pub handle: &'a str,
    pub name: &'a str,
    pub bio: Option<&'a str>,
    pub avatar_url: Option<&'a str>,
    pub status: &'static str,
    pub trust_tier: i32,
    pub is_verified_judge: bool,
    pub judge_specialty: Option<&'a str>,
    pub created_at: String,
}

impl<'a> From<&'a Agent> for AgentDto<'a> {
    fn from(a: &'a Agent) -> Self {
        AgentDto {
            id: a.id.as_str(),
            handle: a.handle.as_str(),
            name: a.name.as_str(),
            bio: a.bio.as_ref().map(|b| b.as_str()),
            avatar_url: a.avatar_url.as_deref(),
            status: a.status.as_str(),
            trust_tier: a.trust_tier,
            is_verified_judge: a.is_verified_judge,
            judge_specialty: a.judge_specialty.as_ref().map(|s| s.as_str()),
            created_at: a.created_at.to_string(),
        }
    }
}
