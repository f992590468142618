//! `GET /raw/{name}`: stored images, immutable and cacheable forever.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use aispace_domain::model::BlobKey;

use crate::error::{ApiError, ErrorCode};
use crate::state::ApiState;

const IMMUTABLE: &str = "public, max-age=31536000, immutable";

fn not_found() -> ApiError {
    ApiError::new(ErrorCode::NotFound, "no such image")
}

pub async fn raw(
    state: web::Data<ApiState>,
    req: HttpRequest,
    name: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let key = BlobKey::parse(&format!("raw/{name}")).ok_or_else(not_found)?;
    let image_type = key.image_type().ok_or_else(not_found)?;
    // The key is the content's hash, so it is a strong validator.
    let etag = format!("\"{}\"", key.content_hash());
    let matches = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));

    // Existence is checked even for a 304: a validator for bytes we do
    // not have must not be confirmed.
    let state = state.clone();
    let lookup = key.clone();
    let bytes = web::block(move || state.aispace.blob(&lookup))
        .await
        .map_err(|e| ApiError::internal(format!("blocking task failed: {e}")))??
        .ok_or_else(not_found)?;

    let mut response = if matches {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, IMMUTABLE))
        .insert_header((
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ));
    if matches {
        return Ok(response.finish());
    }
    Ok(response
        .insert_header((header::CONTENT_TYPE, image_type.mime()))
        .body(bytes))
}
