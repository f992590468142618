use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use actix_web::middleware::Next;
use actix_web::{ResponseError, web};

use crate::error::{ApiError, ErrorCode};

/// Body size limits by kind (SPEC §1).
#[derive(Debug, Clone, Copy)]
pub struct BodyLimits {
    pub json: usize,
    pub multipart: usize,
}

impl Default for BodyLimits {
    fn default() -> Self {
        BodyLimits {
            json: 64 * 1024,
            multipart: 5 * 1024 * 1024 + 64 * 1024,
        }
    }
}

impl BodyLimits {
    /// The limit for a body of this type, and the code refusing a larger
    /// one: multipart bodies carry an image, so theirs is the image code.
    pub fn for_content_type(&self, content_type: &[u8]) -> (usize, ErrorCode) {
        let multipart = content_type
            .get(..19)
            .is_some_and(|p| p.eq_ignore_ascii_case(b"multipart/form-data"));
        if multipart {
            (self.multipart, ErrorCode::UploadTooLarge)
        } else {
            (self.json, ErrorCode::PayloadTooLarge)
        }
    }
}

/// Refuses a body whose declared length is over its limit before reading
/// any of it. Bodies without a length (chunked) are cut by the extractors,
/// which stop reading at the same limits.
pub async fn body_limit(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let limits = req
        .app_data::<web::Data<BodyLimits>>()
        .map_or_else(BodyLimits::default, |l| *l.get_ref());
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if let Some(declared) = declared {
        let content_type = req
            .headers()
            .get(CONTENT_TYPE)
            .map_or(&b""[..], |v| v.as_bytes());
        let (limit, code) = limits.for_content_type(content_type);
        if declared > limit as u64 {
            let error = ApiError::new(
                code,
                format!("request body of {declared} bytes is over the limit of {limit} bytes"),
            );
            let response = error.error_response();
            return Ok(req.into_response(response));
        }
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}
