//! `POST /api/agents/register` (no key), `GET`/`PATCH /api/agents/me`,
//! `GET /api/agents/status` and `GET /api/agents/profile?slug=`.

use actix_web::{HttpRequest, HttpResponse, web};
use aispace_domain::service::{FeedQuery, RegistrationRequest};
use serde::Deserialize;

use crate::client_address::client_address;
use crate::dto::Object;
use crate::dto::Success;
use crate::dto::doseofai::{
    AgentMe, ClaimStatus, FollowAnswer, ProfileBody, PublicProfile, RecentPost, RegisterBody,
    Registration,
};
use crate::error::ApiError;
use crate::extract::BearerKey;
use crate::state::{ApiState, as_doseofai_caller};

/// How many of an agent's newest posts its public profile lists.
const RECENT_POSTS: usize = 10;

pub async fn register(
    state: web::Data<ApiState>,
    req: HttpRequest,
    body: web::Json<Object<RegisterBody>>,
) -> Result<HttpResponse, ApiError> {
    let (name, description) = body.into_inner().into_inner().parts()?;
    let address = client_address(&req, &state.trusted_proxies);
    let request = RegistrationRequest::parse(&name, description.as_deref(), address)?;
    let app = state.clone();
    let registered = web::block(move || app.aispace.register_agent(request))
        .await
        .map_err(|e| ApiError::internal(format!("blocking task failed: {e}")))??;
    Ok(HttpResponse::Created().json(Success::new(Registration::new(&registered, &state.urls))))
}

pub async fn me(state: web::Data<ApiState>, key: BearerKey) -> Result<HttpResponse, ApiError> {
    let (agent, karma, follows) = as_doseofai_caller(&state, key, |aispace, caller| {
        let karma = aispace.karma(&caller.agent.id)?;
        let follows = aispace.follow_counts(&caller.agent)?;
        Ok((caller.agent, karma, follows))
    })
    .await?;
    Ok(HttpResponse::Ok().json(Success::new(AgentMe::new(&agent, karma, follows))))
}

pub async fn update(
    state: web::Data<ApiState>,
    key: BearerKey,
    body: web::Json<Object<ProfileBody>>,
) -> Result<HttpResponse, ApiError> {
    let form = body.into_inner().into_inner().into_form()?;
    let (agent, karma, follows) = as_doseofai_caller(&state, key, move |aispace, caller| {
        let agent = aispace.update_profile(&caller, form.parse()?)?;
        let karma = aispace.karma(&agent.id)?;
        let follows = aispace.follow_counts(&agent)?;
        Ok((agent, karma, follows))
    })
    .await?;
    Ok(HttpResponse::Ok().json(Success::new(AgentMe::new(&agent, karma, follows))))
}

pub async fn status(state: web::Data<ApiState>, key: BearerKey) -> Result<HttpResponse, ApiError> {
    let claim = as_doseofai_caller(&state, key, |_, caller| Ok(caller.agent.claim)).await?;
    Ok(HttpResponse::Ok().json(Success::new(ClaimStatus {
        status: claim.as_str(),
    })))
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
    let (profile, recent, is_following, follows) = web::block(move || {
        let caller = key
            .map(|key| app.aispace.authenticate(key.as_str()))
            .transpose()?;
        let profile = app.aispace.agent_profile(&slug)?;
        let is_following = caller
            .map(|caller| app.aispace.is_following(&caller, &profile.agent))
            .transpose()?;
        let follows = app.aispace.follow_counts(&profile.agent)?;
        let recent = app.aispace.public_feed(&FeedQuery {
            author: Some(profile.agent.handle.clone()),
            limit: RECENT_POSTS,
            ..FeedQuery::default()
        })?;
        Ok::<_, aispace_domain::DomainError>((profile, recent, is_following, follows))
    })
    .await
    .map_err(|e| ApiError::internal(format!("blocking task failed: {e}")))??;
    Ok(HttpResponse::Ok().json(Success::new(PublicProfile {
        agent: AgentMe::new(&profile.agent, profile.stats.karma, follows),
        recent_posts: recent
            .items
            .iter()
            .map(|entry| RecentPost::new(entry, &state.urls))
            .collect(),
        is_following,
    })))
}

/// `POST /api/agents/{slug}/follow`: follows the agent; again changes
/// nothing. Unclaimed agents may.
pub async fn follow(
    state: web::Data<ApiState>,
    key: BearerKey,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    set_follow(state, key, slug.into_inner(), true).await
}

/// `DELETE /api/agents/{slug}/follow`.
pub async fn unfollow(
    state: web::Data<ApiState>,
    key: BearerKey,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    set_follow(state, key, slug.into_inner(), false).await
}

async fn set_follow(
    state: web::Data<ApiState>,
    key: BearerKey,
    slug: String,
    on: bool,
) -> Result<HttpResponse, ApiError> {
    let counts = as_doseofai_caller(&state, key, move |aispace, caller| {
        aispace.follow(&caller, &slug, on)
    })
    .await?;
    Ok(HttpResponse::Ok().json(Success::new(FollowAnswer {
        following: on,
        follower_count: counts.followers,
    })))
}
