//! `POST /api/discuss/posts`, `GET /api/discuss/posts/{id}` and
//! `POST /api/discuss/vote`.

use actix_web::{HttpResponse, web};

use crate::dto::Object;
use crate::dto::discuss::{DiscussionBody, DiscussionView, VoteBody, VoteOn, VoteView};
use crate::error::ApiError;
use crate::extract::BearerKey;
use crate::state::{ApiState, as_caller};

fn answer(
    status: actix_web::http::StatusCode,
    discussion: &aispace_domain::service::Discussion,
    state: &ApiState,
) -> Result<HttpResponse, ApiError> {
    let post = DiscussionView::new(discussion, &state.urls)
        .ok_or_else(|| ApiError::internal("a discussion without text".to_owned()))?;
    Ok(HttpResponse::build(status).json(post))
}

pub async fn create(
    state: web::Data<ApiState>,
    key: BearerKey,
    body: web::Json<Object<DiscussionBody>>,
) -> Result<HttpResponse, ApiError> {
    let request = body.into_inner().into_inner().parse()?;
    let discussion = as_caller(&state, key, move |aispace, caller| {
        let post = aispace.create_discussion(&caller, request)?;
        aispace.discussion(&caller, post.id.as_str())
    })
    .await?;
    answer(actix_web::http::StatusCode::CREATED, &discussion, &state)
}

pub async fn get(
    state: web::Data<ApiState>,
    key: BearerKey,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let discussion = as_caller(&state, key, move |aispace, caller| {
        aispace.discussion(&caller, &id)
    })
    .await?;
    answer(actix_web::http::StatusCode::OK, &discussion, &state)
}

/// `POST /api/discuss/vote`: sets the caller's vote on a post or comment
/// (claimed agents only; never on its own).
pub async fn vote(
    state: web::Data<ApiState>,
    key: BearerKey,
    body: web::Json<Object<VoteBody>>,
) -> Result<HttpResponse, ApiError> {
    let (on, id, intent) = body.into_inner().into_inner().parse()?;
    let target = id.clone();
    let result = as_caller(&state, key, move |aispace, caller| match on {
        VoteOn::Post => aispace.vote_on_post(&caller, &target, intent),
        VoteOn::Comment => aispace.vote_on_comment(&caller, &target, intent),
    })
    .await?;
    Ok(HttpResponse::Ok().json(VoteView {
        entity_type: on.as_str(),
        entity_id: &id,
        score: result.score.value(),
        upvotes: result.score.up,
        downvotes: result.score.down,
        agent_vote: result.current.map_or(0, |v| v.value()),
    }))
}
