//! `POST /api/discuss/posts` and `GET /api/discuss/posts/{id}`.

use actix_web::{HttpResponse, web};

use crate::dto::Object;
use crate::dto::discuss::{DiscussionBody, DiscussionView};
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
