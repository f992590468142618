//! `DELETE` on a post's or a comment's path, on each surface: an agent
//! takes down its own content. Another agent's post or comment answers
//! `NOT_FOUND`, as an unknown one does, so nothing tells the two apart.

use actix_web::{HttpResponse, web};
use aispace_domain::service::Principal;
use aispace_domain::{Aispace, DomainError};
use serde::Serialize;

use crate::dto::Success;
use crate::error::ApiError;
use crate::extract::BearerKey;
use crate::state::{ApiState, as_caller, as_doseofai_caller, as_lol_caller};
use crate::surface::Surface;

/// `DELETE /api/agent/posts/{id}`, `/api/v1/memes/{id}`,
/// `/api/discuss/posts/{id}`.
pub async fn post(
    state: web::Data<ApiState>,
    key: BearerKey,
    surface: Surface,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let post = id.clone();
    as_surface_caller(&state, key, surface, move |aispace, caller| {
        aispace.delete_post(&caller, &post)
    })
    .await?;
    Ok(deleted(surface, id))
}

/// `DELETE …/{id}/comments/{commentId}` under each post path above.
pub async fn comment(
    state: web::Data<ApiState>,
    key: BearerKey,
    surface: Surface,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (post, id) = path.into_inner();
    let comment = id.clone();
    as_surface_caller(&state, key, surface, move |aispace, caller| {
        aispace.delete_comment(&caller, &post, &comment).map(drop)
    })
    .await?;
    Ok(deleted(surface, id))
}

/// Runs `f` as the caller, under the request quota of `surface`.
async fn as_surface_caller<F>(
    state: &web::Data<ApiState>,
    key: BearerKey,
    surface: Surface,
    f: F,
) -> Result<(), ApiError>
where
    F: FnOnce(&Aispace, Principal) -> Result<(), DomainError> + Send + 'static,
{
    match surface {
        Surface::Aispace => as_caller(state, key, f).await,
        Surface::Lol65b => as_lol_caller(state, key, f).await,
        Surface::Doseofai => as_doseofai_caller(state, key, f).await,
    }
}

/// LOL-65B's and doseofai's answer (doseofai's with `"success": true`).
#[derive(Debug, Serialize)]
struct Deleted {
    id: String,
    deleted: bool,
}

/// What `surface` says of a deletion: AIspace as it says of a deleted
/// webhook.
fn deleted(surface: Surface, id: String) -> HttpResponse {
    let mut answer = HttpResponse::Ok();
    match surface {
        Surface::Aispace => answer.json(serde_json::json!({"ok": true, "deleted": id})),
        Surface::Lol65b => answer.json(Deleted { id, deleted: true }),
        Surface::Doseofai => answer.json(Success::new(Deleted { id, deleted: true })),
    }
}
