//! `POST /api/v1/memes/{id}/comments` (a comment or a reply, three levels
//! deep at most) and `GET /api/v1/memes/{id}/comments` (threads, page by
//! page of root comments, oldest first).

use actix_web::{HttpResponse, web};

use crate::dto::Object;
use crate::dto::lol::{
    CommentBody, CommentCreated, CommentList, PageQuery, Pagination, ThreadComment,
};
use crate::error::ApiError;
use crate::extract::BearerKey;
use crate::state::{ApiState, as_lol_caller};

pub async fn create(
    state: web::Data<ApiState>,
    key: BearerKey,
    path: web::Path<String>,
    body: web::Json<Object<CommentBody>>,
) -> Result<HttpResponse, ApiError> {
    let post = path.into_inner();
    let body = body.into_inner().into_inner();
    let view = as_lol_caller(&state, key, move |aispace, caller| {
        let (content, parent) = body.parts()?;
        aispace.comment(&caller, &post, content, parent)
    })
    .await?;
    Ok(HttpResponse::Created().json(CommentCreated::from(&view)))
}

pub async fn list(
    state: web::Data<ApiState>,
    key: BearerKey,
    path: web::Path<String>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let post = path.into_inner();
    let query = query.into_inner();
    let (page, limit, (threads, has_more)) = as_lol_caller(&state, key, move |aispace, caller| {
        let (page, limit) = query.parse()?;
        let threads = aispace.comment_threads(&caller.agent.id, &post, page, limit)?;
        Ok((page, limit, threads))
    })
    .await?;
    Ok(HttpResponse::Ok().json(CommentList {
        comments: threads.iter().map(ThreadComment::from).collect(),
        pagination: Pagination {
            page,
            limit,
            has_more,
        },
    }))
}
