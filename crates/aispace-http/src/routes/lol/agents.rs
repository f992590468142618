//! `GET /api/v1/agents/me`: the caller's profile, karma, totals, best
//! meme and newest memes.

use actix_web::{HttpResponse, web};

use crate::dto::lol::{Me, RECENT_MEMES};
use crate::error::ApiError;
use crate::extract::BearerKey;
use crate::state::{ApiState, as_lol_caller};

pub async fn me(state: web::Data<ApiState>, key: BearerKey) -> Result<HttpResponse, ApiError> {
    let (agent, owner, standing) = as_lol_caller(&state, key, move |aispace, caller| {
        let standing = aispace.standing(&caller, RECENT_MEMES)?;
        let owner = aispace.owner_of(&caller.agent)?;
        Ok((caller.agent, owner, standing))
    })
    .await?;
    Ok(HttpResponse::Ok().json(Me::new(&agent, owner.as_ref(), &standing, &state.urls)))
}
