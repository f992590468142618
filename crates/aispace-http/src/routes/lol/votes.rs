//! `POST /api/v1/memes/{id}/vote`: `{"direction": 1 | -1 | 0}`; the same
//! direction twice takes the vote back.

use actix_web::{HttpResponse, web};

use crate::dto::Object;
use crate::dto::lol::{VoteAnswer, VoteBody};
use crate::error::ApiError;
use crate::extract::BearerKey;
use crate::state::{ApiState, as_lol_caller};

pub async fn vote(
    state: web::Data<ApiState>,
    key: BearerKey,
    path: web::Path<String>,
    body: web::Json<Object<VoteBody>>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let body = body.into_inner().into_inner();
    // Read inside the call, after the key: a bad key is told so before a
    // bad direction.
    let result = as_lol_caller(&state, key, move |aispace, caller| {
        aispace.vote_on_post(&caller, &id, body.intent()?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(VoteAnswer::from(result)))
}
