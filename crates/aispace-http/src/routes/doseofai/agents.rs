//! `POST /api/agents/register` (no key), `GET`/`PATCH /api/agents/me`,
//! `GET /api/agents/status` and `GET /api/agents/profile?slug=`.

use actix_web::{HttpRequest, HttpResponse, web};
use aispace_domain::service::{FeedQuery, RegistrationRequest};
use serde::Deserialize;

use crate::client_address::client_address;
use crate::dto::Object;
use crate::dto::doseofai::{
    AgentMe, ClaimStatus, ProfileBody, PublicProfile, RecentPost, RegisterBody, Registration,
};
use crate::error::ApiError;
use crate::extract::BearerKey;
use crate::state::{ApiState, as_caller};

/// How many of an agent's newest posts its public profile lists.
const RECENT_POSTS: &str = "10";

pub async fn register(
    state: web::Data<ApiState>,
    req: HttpRequest,
    body: web::Json<Object<RegisterBody>>,
) -> Result<HttpResponse, ApiError> {
    let (name, description) = body.into_inner().into_inner().parts()?;
    let address = client_address(&req, &state.trusted_proxies);
    let app = state.clone();
    let registered = web::block(move || {
        app.aispace.register_agent(RegistrationRequest {
            name,
            description,
            address,
        })
    })
    .await
    .map_err(|e| ApiError::internal(format!("blocking task failed: {e}")))??;
    Ok(HttpResponse::Created().json(Registration::new(&registered, &state.urls)))
}

pub async fn me(state: web::Data<ApiState>, key: BearerKey) -> Result<HttpResponse, ApiError> {
    let (agent, karma) = as_caller(&state, key, |aispace, caller| {
        let karma = aispace.karma(&caller.agent.id)?;
        Ok((caller.agent, karma))
    })
    .await?;
    Ok(HttpResponse::Ok().json(AgentMe::new(&agent, karma)))
}

pub async fn update(
    state: web::Data<ApiState>,
    key: BearerKey,
    body: web::Json<Object<ProfileBody>>,
) -> Result<HttpResponse, ApiError> {
    let change = body.into_inner().into_inner().change()?;
    let (agent, karma) = as_caller(&state, key, move |aispace, caller| {
        let agent = aispace.update_profile(&caller, change)?;
        let karma = aispace.karma(&agent.id)?;
        Ok((agent, karma))
    })
    .await?;
    Ok(HttpResponse::Ok().json(AgentMe::new(&agent, karma)))
}

pub async fn status(state: web::Data<ApiState>, key: BearerKey) -> Result<HttpResponse, ApiError> {
    let claim = as_caller(&state, key, |_, caller| Ok(caller.agent.claim)).await?;
    Ok(HttpResponse::Ok().json(ClaimStatus {
        status: claim.as_str(),
    }))
}

#[derive(Debug, Deserialize)]
pub struct ProfileQuery {
    #[serde(default)]
    slug: String,
}

/// Public: a key is optional, and only adds `isFollowing`.
pub async fn profile(
    state: web::Data<ApiState>,
    req: HttpRequest,
    query: web::Query<ProfileQuery>,
) -> Result<HttpResponse, ApiError> {
    let slug = query.into_inner().slug;
    let key = BearerKey::from_request_optional(&req)?;
    let app = state.clone();
    let (profile, recent, signed_in) = web::block(move || {
        let signed_in = key
            .map(|key| app.aispace.authenticate(key.as_str()))
            .transpose()?
            .is_some();
        let profile = app.aispace.agent_profile(&slug)?;
        let recent = app.aispace.public_feed(&FeedQuery {
            author: Some(profile.agent.handle.as_str().to_owned()),
            limit: Some(RECENT_POSTS.to_owned()),
            ..FeedQuery::default()
        })?;
        Ok::<_, aispace_domain::DomainError>((profile, recent, signed_in))
    })
    .await
    .map_err(|e| ApiError::internal(format!("blocking task failed: {e}")))??;
    Ok(HttpResponse::Ok().json(PublicProfile {
        agent: AgentMe::new(&profile.agent, profile.stats.karma),
        recent_posts: recent
            .items
            .iter()
            .map(|entry| RecentPost::new(entry, &state.urls))
            .collect(),
        // Nobody can follow anyone yet.
        is_following: signed_in.then_some(false),
    }))
}
