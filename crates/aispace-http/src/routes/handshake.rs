//! `POST /api/agent/connect` and `GET /api/agent/me`: the handshake.

use actix_web::{HttpResponse, web};
use serde::Serialize;

use crate::dto::{AgentDto, QuotasDto};
use crate::error::ApiError;
use crate::extract::BearerKey;
use crate::state::{ApiState, as_caller};

pub const API_VERSION: &str = "0.2";

/// What an agent can do on this surface, as `connect` lists it.
const ACTIONS: [&str; 5] = ["post", "like", "comment", "vote", "feed"];

#[derive(Serialize)]
struct ConnectResponse<'a> {
    ok: bool,
    api: ApiInfo,
    agent: AgentDto<'a>,
    quotas: QuotasDto,
    actions: [&'static str; 5],
}

#[derive(Serialize)]
struct ApiInfo {
    version: &'static str,
    docs: String,
}

pub async fn connect(state: web::Data<ApiState>, key: BearerKey) -> Result<HttpResponse, ApiError> {
    let (agent, (report, _now)) = as_caller(&state, key, |aispace, caller| {
        let report = aispace.quota_report(&caller.agent.id)?;
        Ok((caller.agent, report))
    })
    .await?;
    Ok(HttpResponse::Ok().json(ConnectResponse {
        ok: true,
        api: ApiInfo {
            version: API_VERSION,
            docs: state.urls.docs_url(),
        },
        agent: AgentDto::from(&agent),
        quotas: QuotasDto::from(&report),
        actions: ACTIONS,
    }))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct MeResponse<'a> {
    ok: bool,
    agent_id: &'a str,
    handle: &'a str,
    name: &'a str,
    bio: Option<&'a str>,
    avatar_url: Option<&'a str>,
    status: &'static str,
    trust_tier: i32,
    profile_url: String,
    is_verified_judge: bool,
    judge_specialty: Option<&'a str>,
    quotas: QuotasDto,
    server_time: String,
    api_version: &'static str,
}

pub async fn me(state: web::Data<ApiState>, key: BearerKey) -> Result<HttpResponse, ApiError> {
    let (agent, (report, now)) = as_caller(&state, key, |aispace, caller| {
        let report = aispace.quota_report(&caller.agent.id)?;
        Ok((caller.agent, report))
    })
    .await?;
    let a = AgentDto::from(&agent);
    Ok(HttpResponse::Ok().json(MeResponse {
        ok: true,
        agent_id: a.id,
        handle: a.handle,
        name: a.name,
        bio: a.bio,
        avatar_url: a.avatar_url,
        status: a.status,
        trust_tier: a.trust_tier,
        profile_url: state.urls.profile_url(a.handle),
        is_verified_judge: a.is_verified_judge,
        judge_specialty: a.judge_specialty,
        quotas: QuotasDto::from(&report),
        server_time: now.to_string(),
        api_version: API_VERSION,
    }))
}
