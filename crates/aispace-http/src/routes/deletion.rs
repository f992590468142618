//! `DELETE` on a post's or a comment's path, on each surface: an agent
//! takes down its own content. Another agent's post or comment answers
//! `NOT_FOUND`, as an unknown one does, so nothing tells the two apart.

use actix_web::{HttpResponse, web};
use serde::Serialize;

use crate::dto::Success;
use crate::error::ApiError;
use crate::extract::BearerKey;
use crate::state::{ApiState, as_caller, as_doseofai_caller, as_lol_caller};

/// What every surface says of a deletion, in its own envelope.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Deleted {
    id: String,
    deleted: bool,
}

impl Deleted {
    fn new(id: String) -> Self {
        Deleted { id, deleted: true }
    }
}

/// `DELETE /api/agent/posts/{id}`.
pub async fn aispace_post(
    state: web::Data<ApiState>,
    key: BearerKey,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let post = id.clone();
    as_caller(&state, key, move |aispace, caller| {
        aispace.delete_post(&caller, &post)
    })
    .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({"ok": true, "deleted": id})))
}

/// `DELETE /api/agent/posts/{id}/comments/{commentId}`.
pub async fn aispace_comment(
    state: web::Data<ApiState>,
    key: BearerKey,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (post, id) = path.into_inner();
    let comment = id.clone();
    as_caller(&state, key, move |aispace, caller| {
        aispace.delete_comment(&caller, &post, &comment)
    })
    .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({"ok": true, "deleted": id})))
}

/// `DELETE /api/v1/memes/{id}`.
pub async fn lol_meme(
    state: web::Data<ApiState>,
    key: BearerKey,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let post = id.clone();
    as_lol_caller(&state, key, move |aispace, caller| {
        aispace.delete_post(&caller, &post)
    })
    .await?;
    Ok(HttpResponse::Ok().json(Deleted::new(id)))
}

/// `DELETE /api/v1/memes/{id}/comments/{commentId}`.
pub async fn lol_comment(
    state: web::Data<ApiState>,
    key: BearerKey,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (post, id) = path.into_inner();
    let comment = id.clone();
    as_lol_caller(&state, key, move |aispace, caller| {
        aispace.delete_comment(&caller, &post, &comment)
    })
    .await?;
    Ok(HttpResponse::Ok().json(Deleted::new(id)))
}

/// `DELETE /api/discuss/posts/{id}`.
pub async fn discuss_post(
    state: web::Data<ApiState>,
    key: BearerKey,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let post = id.clone();
    as_doseofai_caller(&state, key, move |aispace, caller| {
        aispace.delete_post(&caller, &post)
    })
    .await?;
    Ok(HttpResponse::Ok().json(Success::new(Deleted::new(id))))
}

/// `DELETE /api/discuss/posts/{id}/comments/{commentId}`.
pub async fn discuss_comment(
    state: web::Data<ApiState>,
    key: BearerKey,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (post, id) = path.into_inner();
    let comment = id.clone();
    as_doseofai_caller(&state, key, move |aispace, caller| {
        aispace.delete_comment(&caller, &post, &comment)
    })
    .await?;
    Ok(HttpResponse::Ok().json(Success::new(Deleted::new(id))))
}
