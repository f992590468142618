//! Reading a post request in either of its two modes: JSON (`imageUrl`) or
//! multipart (`file`), into one [`PostForm`]. Every read is bounded while
//! it streams: the image at the configured byte limit, every other field
//! at the JSON limit.

use actix_multipart::Multipart;
use actix_web::HttpRequest;
use actix_web::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use actix_web::web::{self, BytesMut};
use aispace_domain::DomainError;
use aispace_domain::service::{ImageInput, PostRequest};
use futures_util::StreamExt;
use serde::Deserialize;

use crate::error::{ApiError, ErrorCode};

/// A post request as sent, in either mode; its rules are the domain's
/// ([`PostForm::request`]).
#[derive(Debug)]
pub struct PostForm {
    image: ImageInput,
    caption: Option<String>,
    tags: Vec<String>,
    publish_at: Option<String>,
}

impl PostForm {
    /// The checked request, with the `Idempotency-Key` sent with it.
    pub fn request(self, idempotency_key: Option<&str>) -> Result<PostRequest, DomainError> {
        PostRequest::parse(
            self.image,
            self.caption.as_deref(),
            &self.tags,
            self.publish_at.as_deref(),
            idempotency_key,
        )
    }
}

/// Fields other than the image may not be larger than this, nor more
/// numerous than `MAX_FIELDS`.
const MAX_TEXT_FIELD: usize = 64 * 1024;
const MAX_FIELDS: usize = 64;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PostJson {
    image_url: Option<String>,
    caption: Option<String>,
    /// A list of strings or a string (see `tags_from_text`), read by hand:
    /// serde's message for an untagged enum names our Rust type.
    #[serde(default)]
    tags: serde_json::Value,
    publish_at: Option<String>,
}

fn tags_shape() -> ApiError {
    ApiError::invalid_body(
        "tags must be a list of strings, or a string holding a JSON list or a comma list",
    )
}

/// `tags` as text: a JSON array (`["a","b"]`) or a comma list (`a,b`).
fn tags_from_text(text: &str, into: &mut Vec<String>) -> Result<(), ApiError> {
    let text = text.trim();
    if text.starts_with('[') {
        let list: Vec<String> = serde_json::from_str(text).map_err(|e| {
            ApiError::invalid_body(format!("tags: not a JSON array of strings: {e}"))
        })?;
        into.extend(list);
    } else {
        into.extend(
            text.split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_owned),
        );
    }
    Ok(())
}

/// A text field's bytes, moved (not copied) into a `String`.
fn utf8(name: &str, data: Vec<u8>) -> Result<String, ApiError> {
    String::from_utf8(data)
        .map_err(|_| ApiError::invalid_body(format!("{name}: must be UTF-8 text")))
}

pub fn is_multipart(req: &HttpRequest) -> bool {
    req.headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("multipart/form-data")
        })
}

fn is_json(req: &HttpRequest) -> bool {
    req.headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            let v = v.trim_start().to_ascii_lowercase();
            v.starts_with("application/json")
                || (v.starts_with("application/") && v.contains("+json"))
        })
}

/// Reads at most `limit` bytes of `payload`; more is `code`.
async fn read_limited(
    mut payload: web::Payload,
    limit: usize,
    code: ErrorCode,
) -> Result<BytesMut, ApiError> {
    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|e| ApiError::invalid_body(format!("could not read the body: {e}")))?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::new(
                code,
                format!("body is over the limit of {limit} bytes"),
            ));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// JSON mode. `legacy` selects the legacy endpoint (`imageUrl` kept as a
/// link, never fetched).
pub async fn from_json(
    req: &HttpRequest,
    payload: web::Payload,
    legacy: bool,
) -> Result<PostForm, ApiError> {
    if !is_json(req) {
        return Err(ApiError::invalid_body(
            "send JSON (Content-Type: application/json) with imageUrl, or multipart/form-data with file",
        ));
    }
    let body = read_limited(payload, MAX_TEXT_FIELD, ErrorCode::PayloadTooLarge).await?;
    let json: PostJson = serde_json::from_slice(&body)
        .map_err(|e| ApiError::invalid_body(format!("invalid JSON body: {e}")))?;
    let image_url = json
        .image_url
        .filter(|u| !u.trim().is_empty())
        .ok_or_else(|| ApiError::new(ErrorCode::ImageUrlRequired, "imageUrl is required"))?;
    let mut tags = Vec::new();
    match json.tags {
        serde_json::Value::Null => {}
        serde_json::Value::String(text) => tags_from_text(&text, &mut tags)?,
        serde_json::Value::Array(items) => {
            for item in items {
                let serde_json::Value::String(tag) = item else {
                    return Err(tags_shape());
                };
                tags.push(tag);
            }
        }
        _ => return Err(tags_shape()),
    }
    Ok(PostForm {
        image: if legacy {
            ImageInput::Link(image_url)
        } else {
            ImageInput::Fetch(image_url)
        },
        caption: json.caption,
        tags,
        publish_at: json.publish_at,
    })
}

/// Multipart mode: `file`, `caption`, `tags` (repeated, JSON array or comma
/// list), `publishAt`; an `imageUrl` field instead of `file` posts by URL,
/// and both together are ambiguous.
pub async fn from_multipart(
    req: &HttpRequest,
    payload: web::Payload,
    max_image_bytes: usize,
) -> Result<PostForm, ApiError> {
    // The image is read into one buffer of the size the body declares (it
    // cannot be larger), not one grown by doubling: growing copies, and
    // the copies count against the memory budget of the upload slots.
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<usize>().ok());
    let mut multipart = Multipart::new(req.headers(), payload);
    let mut file: Option<Vec<u8>> = None;
    let mut image_url: Option<String> = None;
    let mut caption = None;
    let mut publish_at = None;
    let mut tags = Vec::new();
    let mut fields = 0;
    while let Some(field) = multipart.next().await {
        let mut field =
            field.map_err(|e| ApiError::invalid_body(format!("malformed multipart body: {e}")))?;
        fields += 1;
        if fields > MAX_FIELDS {
            return Err(ApiError::invalid_body(format!(
                "at most {MAX_FIELDS} form fields"
            )));
        }
        let name = field.name().unwrap_or("").to_owned();
        let (limit, code) = if name == "file" {
            (max_image_bytes, ErrorCode::UploadTooLarge)
        } else {
            (MAX_TEXT_FIELD, ErrorCode::PayloadTooLarge)
        };
        let mut data = match declared {
            Some(declared) if name == "file" => Vec::with_capacity(declared.min(limit)),
            _ => Vec::new(),
        };
        while let Some(chunk) = field.next().await {
            let chunk = chunk
                .map_err(|e| ApiError::invalid_body(format!("malformed multipart body: {e}")))?;
            if data.len() + chunk.len() > limit {
                let what = if name == "file" {
                    "the image"
                } else {
                    "a form field"
                };
                return Err(ApiError::new(
                    code,
                    format!("{what} is over the limit of {limit} bytes"),
                ));
            }
            data.extend_from_slice(&chunk);
        }
        match name.as_str() {
            "file" => {
                if file.is_some() {
                    return Err(ApiError::invalid_body("file: send one file per post"));
                }
                file = Some(data);
            }
            "imageUrl" => image_url = Some(utf8(&name, data)?).filter(|u| !u.trim().is_empty()),
            "caption" => caption = Some(utf8(&name, data)?),
            "publishAt" => publish_at = Some(utf8(&name, data)?),
            "tags" | "tags[]" => tags_from_text(&utf8(&name, data)?, &mut tags)?,
            // Unknown fields are read (bounded) and ignored, as JSON's are.
            _ => {}
        }
    }
    let image = match (file, image_url) {
        (Some(_), Some(_)) => {
            return Err(ApiError::new(
                ErrorCode::AmbiguousInput,
                "send either file or imageUrl, not both",
            ));
        }
        (Some(bytes), None) => ImageInput::Upload(bytes),
        (None, Some(url)) => ImageInput::Fetch(url),
        (None, None) => {
            return Err(ApiError::new(ErrorCode::FileRequired, "file is required"));
        }
    };
    Ok(PostForm {
        image,
        caption,
        tags,
        publish_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_come_as_json_arrays_or_comma_lists() {
        let mut tags = Vec::new();
        tags_from_text("aiart, scifi,,", &mut tags).unwrap();
        tags_from_text(r##"["neon","#city"]"##, &mut tags).unwrap();
        assert_eq!(tags, ["aiart", "scifi", "neon", "#city"]);
        assert!(tags_from_text("[1,2]", &mut tags).is_err());
    }
}
