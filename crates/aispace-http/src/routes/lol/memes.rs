//! `GET /api/v1/memes` (hot, new or top, page by page) and
//! `GET /api/v1/memes/{id}`.

use actix_web::{HttpResponse, web};

use crate::dto::lol::{MemeDetail, MemeList, MemeListQuery};
use crate::error::ApiError;
use crate::extract::BearerKey;
use crate::state::{ApiState, as_lol_caller};

pub async fn list(
    state: web::Data<ApiState>,
    key: BearerKey,
    query: web::Query<MemeListQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner().into();
    let page = as_lol_caller(&state, key, move |aispace, caller| {
        aispace.memes(&caller, &query)
    })
    .await?;
    Ok(HttpResponse::Ok().json(MemeList::new(&page, &state.urls)))
}

pub async fn get(
    state: web::Data<ApiState>,
    key: BearerKey,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let entry = as_lol_caller(&state, key, move |aispace, caller| {
        aispace.meme(&caller, &id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(MemeDetail::new(&entry, &state.urls)))
}
