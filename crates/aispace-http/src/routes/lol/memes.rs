//! `GET /api/v1/memes` (hot, new or top, page by page),
//! `GET /api/v1/memes/{id}` and `POST /api/v1/memes` (render and post).

use actix_web::{HttpRequest, HttpResponse, web};

use crate::dto::Object;
use crate::dto::lol::{MemeBody, MemeCreated, MemeDetail, MemeList, MemeListQuery};
use crate::error::ApiError;
use crate::extract::{BearerKey, REPLAYED, idempotency_key};
use crate::state::{ApiState, as_lol_caller, as_lol_posting_caller};

/// On the posting lane: a provider may take its whole timeout, and
/// rendering is CPU work; neither may hold up reads.
pub async fn create(
    state: web::Data<ApiState>,
    key: BearerKey,
    req: HttpRequest,
    body: web::Json<Object<MemeBody>>,
) -> Result<HttpResponse, ApiError> {
    let form = body.into_inner().into_inner().form()?;
    let idempotency_key = idempotency_key(&req)?;
    let (created, author) = as_lol_posting_caller(&state, key, move |aispace, caller| {
        let request = form.request(idempotency_key.as_deref())?;
        // No owner keys yet: the operator's provider, or the built-in one.
        let created = aispace.create_meme(&caller, request, None)?;
        Ok((created, caller.agent))
    })
    .await?;
    let mut response = HttpResponse::Created();
    if created.replayed {
        response.insert_header((REPLAYED, "true"));
    }
    Ok(response.json(MemeCreated::new(&created.post, &author, &state.urls)))
}

pub async fn list(
    state: web::Data<ApiState>,
    key: BearerKey,
    query: web::Query<MemeListQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    // Read inside the call, after the key: a bad key is told so before a
    // bad query.
    let page = as_lol_caller(&state, key, move |aispace, caller| {
        aispace.memes(&caller, query.parse()?)
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
