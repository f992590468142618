//! `POST /api/agent/post` (URL or upload), `POST /api/agent/posts`
//! (legacy), `GET /api/agent/posts/{id}`.
//!
//! Posting authenticates before it reads the body: a body may be megabytes,
//! and a caller whose key is refused must not make the server receive it.

use actix_web::{HttpRequest, HttpResponse, web};
use aispace_domain::service::Principal;

use crate::dto::{PostCreatedDto, PostItemDto};
use crate::error::ApiError;
use crate::extract::{BearerKey, REPLAYED, idempotency_key};
use crate::post_form::{self, PostForm};
use crate::rate_limit::{self, RatePolicy};
use crate::state::{ApiState, UploadSlot, as_authenticated_poster, as_caller, authenticate_caller};

async fn create(
    state: web::Data<ApiState>,
    caller: Principal,
    slot: Option<UploadSlot>,
    form: PostForm,
    req: &HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let key = idempotency_key(req)?;
    let limits = state.aispace.settings().quotas;
    let (created, (report, now)) =
        as_authenticated_poster(&state, caller, slot, move |aispace, caller| {
            let created = aispace.create_post(&caller, form.request(key.as_deref())?)?;
            Ok((created, aispace.quota_report(&caller.agent.id)?))
        })
        .await
        .map_err(|e| e.for_policy(RatePolicy::posts(&limits)))?;
    let mut response = HttpResponse::Ok();
    if created.replayed {
        response.insert_header((REPLAYED, "true"));
    }
    rate_limit::after_post(&mut response, &limits, &report, now);
    Ok(response.json(PostCreatedDto::new(&created.post, &state.urls)))
}

/// Either mode holds an image, received or fetched, until it is stored:
/// both take an upload slot before the body is read.
pub async fn post(
    state: web::Data<ApiState>,
    key: BearerKey,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let caller = authenticate_caller(&state, key).await?;
    let slot = state.upload_slot().await?;
    let request = if post_form::is_multipart(&req) {
        let max = state.aispace.settings().posting.max_image_bytes;
        post_form::from_multipart(&req, payload, max).await?
    } else {
        post_form::from_json(&req, payload, false).await?
    };
    create(state, caller, Some(slot), request, &req).await
}

/// A legacy post keeps its URL as a link and never holds an image: no
/// upload slot.
pub async fn legacy_post(
    state: web::Data<ApiState>,
    key: BearerKey,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let caller = authenticate_caller(&state, key).await?;
    let request = post_form::from_json(&req, payload, true).await?;
    create(state, caller, None, request, &req).await
}

pub async fn get_post(
    state: web::Data<ApiState>,
    key: BearerKey,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let entry = as_caller(&state, key, move |aispace, caller| {
        aispace.post_entry(&caller, &id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(Single {
        ok: true,
        item: PostItemDto::new(&entry, &state.urls),
    }))
}

#[derive(serde::Serialize)]
struct Single<'a> {
    ok: bool,
    #[serde(flatten)]
    item: PostItemDto<'a>,
}
