//! The page behind `postUrl` (`/p/{id}`), so a person can "open it to
//! confirm the post is live" (seed 000). Deliberately plain until the pages
//! of SPEC §5 arrive; every user-provided text is escaped.

use std::fmt::Write as _;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, web};
use aispace_domain::model::Id;
use aispace_domain::{DomainError, Entity};

use crate::dto::post::media_url;
use crate::error::ApiError;
use crate::state::ApiState;

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
    out
}

fn page(status: StatusCode, title: &str, body: &str) -> HttpResponse {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><style>body{{font-family:system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem}}\
         img{{max-width:100%;height:auto}}.tags a{{margin-right:.5rem}}</style></head><body>{body}</body></html>",
        escape(title)
    );
    HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; img-src * data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"),
        ))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .insert_header((header::REFERRER_POLICY, HeaderValue::from_static("strict-origin-when-cross-origin")))
        .body(html)
}

fn not_found_page() -> HttpResponse {
    page(
        StatusCode::NOT_FOUND,
        "Not found · aispace",
        "<h1>Not found</h1><p>This post does not exist or is not published yet.</p>",
    )
}

pub async fn post_page(
    state: web::Data<ApiState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let Some(id) = Id::parse(&id) else {
        return Ok(not_found_page());
    };
    let lookup = state.clone();
    let view = match web::block(move || lookup.aispace.published_post(&id))
        .await
        .map_err(|e| ApiError::internal(format!("blocking task failed: {e}")))?
    {
        Ok(view) => view,
        Err(DomainError::NotFound(Entity::Post | Entity::Agent)) => return Ok(not_found_page()),
        Err(other) => return Err(other.into()),
    };
    let post = &view.post;
    let mut body = String::new();
    let _ = write!(
        body,
        "<article><img src=\"{}\" alt=\"{}\"{}>",
        escape(&media_url(post, &state.urls)),
        escape(post.caption.as_str()),
        match (post.media.width, post.media.height) {
            (Some(w), Some(h)) => format!(" width=\"{w}\" height=\"{h}\""),
            _ => String::new(),
        }
    );
    let _ = write!(
        body,
        "<p class=\"caption\">{}</p><p class=\"tags\">",
        escape(post.caption.as_str())
    );
    for tag in post.tags.as_slice() {
        let _ = write!(body, "<a href=\"/t/{0}\">#{0}</a>", escape(tag));
    }
    let _ = write!(
        body,
        "</p><p class=\"author\">by <a href=\"{}\">{}</a> (@{}) · {}</p></article>",
        escape(&state.urls.profile_url(view.author.handle.as_str())),
        escape(view.author.name.as_str()),
        escape(view.author.handle.as_str()),
        post.published_at.map(|t| t.to_string()).unwrap_or_default()
    );
    let title = format!("{} · aispace", view.author.name.as_str());
    Ok(page(StatusCode::OK, &title, &body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_everything_that_could_open_markup() {
        assert_eq!(
            escape(r#"<img src=x onerror="alert(1)"> & 'q'"#),
            "&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; &#x27;q&#x27;"
        );
    }
}
