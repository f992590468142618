use std::pin::Pin;
use std::task::{Context, Poll};

use actix_web::ResponseError;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use actix_web::middleware::Next;
use actix_web::web::{self, Bytes};
use futures_util::{Stream, StreamExt};

use crate::error::{ApiError, ErrorCode};
use crate::surface::Surface;

/// Body size limits by kind. `json` and `multipart` hold on every surface
/// but LOL-65B, whose JSON bodies get `lol65b_json`.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimits {
    pub json: usize,
    pub multipart: usize,
    pub lol65b_json: usize,
    /// `/mcp`: a tool call may carry an image in base64.
    pub mcp: usize,
}

impl Default for BodyLimits {
    fn default() -> Self {
        BodyLimits {
            json: 64 * 1024,
            multipart: 5 * 1024 * 1024 + 64 * 1024,
            lol65b_json: 10 * 1024,
            mcp: crate::mcp::max_request_bytes(5 * 1024 * 1024),
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

    /// The limits that hold on `surface`.
    pub fn for_surface(&self, surface: Surface) -> BodyLimits {
        match surface {
            Surface::Lol65b => BodyLimits {
                json: self.lol65b_json,
                ..*self
            },
            Surface::Aispace | Surface::Doseofai => *self,
        }
    }
}

/// Refuses a body whose declared length is over its surface's limit before
/// reading any of it. Bodies without a length (chunked) are cut while they
/// are read: by the extractors, configured with the limits of most
/// surfaces, and here for a surface with tighter ones.
pub async fn body_limit(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    // Most requests (every GET) have no body: nothing to judge or cut.
    if declared.is_none() && matches!(req.parts().1, Payload::None) {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    let base = req
        .app_data::<web::Data<BodyLimits>>()
        .map_or_else(BodyLimits::default, |l| *l.get_ref());
    let content_type = req
        .headers()
        .get(CONTENT_TYPE)
        .map_or(&b""[..], |v| v.as_bytes());
    let (extractors_cut_at, _) = base.for_content_type(content_type);
    let (limit, code) = if req.path().starts_with("/mcp") {
        (base.mcp, ErrorCode::PayloadTooLarge)
    } else {
        base.for_surface(Surface::of_path(req.path()))
            .for_content_type(content_type)
    };
    match declared {
        Some(declared) if declared > limit as u64 => {
            let error = ApiError::new(
                code,
                format!("request body of {declared} bytes is over the limit of {limit} bytes"),
            );
            let response = error.error_response();
            return Ok(req.into_response(response));
        }
        None if limit < extractors_cut_at => {
            let (_, payload) = req.parts_mut();
            let cut = Capped {
                inner: payload.take(),
                left: limit,
            };
            *payload = Payload::Stream {
                payload: Box::pin(cut),
            };
        }
        _ => {}
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

/// A body stream that fails with `Overflow` past `left` more bytes; the
/// extractors reading it answer `PAYLOAD_TOO_LARGE`.
struct Capped {
    inner: Payload,
    left: usize,
}

impl Stream for Capped {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let chunk = match self.inner.poll_next_unpin(cx) {
            Poll::Ready(Some(Ok(chunk))) => chunk,
            other => return other,
        };
        match self.left.checked_sub(chunk.len()) {
            Some(left) => {
                self.left = left;
                Poll::Ready(Some(Ok(chunk)))
            }
            None => {
                // Nothing more is read once the limit is passed.
                self.inner = Payload::None;
                Poll::Ready(Some(Err(PayloadError::Overflow)))
            }
        }
    }
}
