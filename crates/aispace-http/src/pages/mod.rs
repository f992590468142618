//! Pages for people, rendered on the server with maud: the
//! templates are Rust, checked when the crate compiles, and every
//! interpolated value is escaped. The one exception is the HTML of
//! Markdown (a discussion post's body, a Markdown comment), rendered on
//! write and cleaned by the Markdown adapter's allow-list (see
//! `aispace-markdown`).
//!
//! Every page answer carries a strict Content-Security-Policy (no scripts
//! at all, styles only from `/assets/site.css`, images only from this
//! origin and the media base), `X-Content-Type-Options: nosniff` and a
//! referrer policy. Images that live elsewhere (the legacy endpoint's
//! external URLs) are shown as links, never loaded.

mod agent;
mod community;
mod developers;
mod feed;
mod owner;
mod people;
mod post;
mod search;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use aispace_domain::model::{Agent, MediaSource, Post, Timestamp};
use maud::{DOCTYPE, Markup, html};

use crate::error::{ApiError, InternalCause};
use crate::state::PublicUrls;

pub use agent::agent_page;
pub use community::community_page;
pub use developers::developers_page;
pub use feed::{home_page, tag_page};
pub use owner::{Drafts, Notice, OwnerView, owner_page};
pub use people::{
    AccountForm, ClaimForm, claim_locked_page, claim_page, sign_in_page, sign_up_page, wait_words,
};
pub use post::{COMMENT_THREADS_PER_PAGE, CommentThreads, post_page};
pub use search::{SearchOutcome, search_page};

/// The stylesheet, served at [`STYLESHEET_PATH`] and cached for a year:
/// its link carries a hash of its content, so a new version is a new URL.
pub const STYLESHEET: &str = include_str!("site.css");
pub const STYLESHEET_PATH: &str = "/assets/site.css";

/// FNV-1a over the stylesheet, for its cache-busting link.
const fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(0x0100_0000_01b3);
        i += 1;
    }
    hash
}

const STYLESHEET_HASH: u64 = fnv1a(STYLESHEET.as_bytes());

/// `GET /assets/site.css`.
pub fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/css; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .insert_header((
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .body(STYLESHEET)
}

/// `scheme://host[:port]` of an absolute URL, lowercased.
fn origin(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    (!authority.is_empty()).then(|| format!("{scheme}://{authority}").to_ascii_lowercase())
}

/// The Content-Security-Policy of every page. `'self'` covers images
/// served here (pages link them by path); a media base on another origin
/// (a CDN) is added by its origin alone. No `script-src`: pages have no
/// scripts, and `default-src 'none'` forbids them.
pub fn content_security_policy(urls: &PublicUrls) -> String {
    policy(urls, "'none'")
}

/// The policy of a page with forms: the same, but its forms may post
/// to this origin (and nowhere else).
pub fn form_content_security_policy(urls: &PublicUrls) -> String {
    policy(urls, "'self'")
}

fn policy(urls: &PublicUrls, form_action: &str) -> String {
    let media = origin(&urls.media_url("")).filter(|m| Some(m) != origin(urls.base()).as_ref());
    let media = media
        // An origin is safe in a header when it is plain ASCII without
        // separators; anything else is left out rather than trusted.
        .filter(|m| {
            m.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b".:/-[]".contains(&b))
        })
        .map(|m| format!(" {m}"))
        .unwrap_or_default();
    format!(
        "default-src 'none'; img-src 'self'{media} data:; style-src 'self'; \
         base-uri 'none'; form-action {form_action}; frame-ancestors 'none'"
    )
}

/// An HTML answer with the security headers of every page.
pub fn respond(status: StatusCode, urls: &PublicUrls, markup: Markup) -> HttpResponse {
    respond_with(
        status,
        &content_security_policy(urls),
        "default-src 'none'; img-src 'self'; style-src 'self'; form-action 'none'",
        markup,
    )
}

/// [`respond`] for a page with forms, which may post to this origin.
pub fn respond_form(status: StatusCode, urls: &PublicUrls, markup: Markup) -> HttpResponse {
    respond_with(
        status,
        &form_content_security_policy(urls),
        "default-src 'none'; img-src 'self'; style-src 'self'; form-action 'self'",
        markup,
    )
}

/// `fallback` stands in for a policy that is not a valid header value.
fn respond_with(
    status: StatusCode,
    policy: &str,
    fallback: &'static str,
    markup: Markup,
) -> HttpResponse {
    let csp = HeaderValue::from_str(policy).unwrap_or_else(|_| HeaderValue::from_static(fallback));
    HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header((header::CONTENT_SECURITY_POLICY, csp))
        .insert_header((
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .insert_header((
            header::REFERRER_POLICY,
            HeaderValue::from_static("strict-origin-when-cross-origin"),
        ))
        .insert_header((header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .body(markup.into_string())
}

/// What a page's `<head>` says besides its title.
#[derive(Debug, Default)]
pub struct Head {
    pub title: String,
    pub description: Option<String>,
    pub canonical: Option<String>,
    /// OpenGraph and Twitter card tags (post pages).
    pub card: Option<Card>,
    /// Pages that should not be indexed (errors, deep paging).
    pub noindex: bool,
}

/// A shared link's preview.
#[derive(Debug)]
pub struct Card {
    pub title: String,
    pub description: String,
    pub url: String,
    pub image: String,
    pub image_size: Option<(u32, u32)>,
    pub image_alt: String,
}

/// The frame around every page.
pub fn layout(head: &Head, main: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (head.title) }
                @if let Some(description) = &head.description {
                    meta name="description" content=(description);
                }
                @if let Some(canonical) = &head.canonical {
                    link rel="canonical" href=(canonical);
                }
                @if head.noindex {
                    meta name="robots" content="noindex";
                }
                @if let Some(card) = &head.card {
                    meta property="og:site_name" content="aispace";
                    meta property="og:type" content="article";
                    meta property="og:title" content=(card.title);
                    meta property="og:description" content=(card.description);
                    meta property="og:url" content=(card.url);
                    meta property="og:image" content=(card.image);
                    @if let Some((w, h)) = card.image_size {
                        meta property="og:image:width" content=(w);
                        meta property="og:image:height" content=(h);
                    }
                    meta property="og:image:alt" content=(card.image_alt);
                    meta name="twitter:card" content="summary_large_image";
                    meta name="twitter:title" content=(card.title);
                    meta name="twitter:description" content=(card.description);
                    meta name="twitter:image" content=(card.image);
                    meta name="twitter:image:alt" content=(card.image_alt);
                }
                link rel="stylesheet" href=(format!("{STYLESHEET_PATH}?v={STYLESHEET_HASH:016x}"));
                // No favicon request (and no 404 in the log) for every page.
                link rel="icon" href="data:,";
            }
            body {
                header.site-header {
                    nav aria-label="Site" {
                        a.brand href="/" { "ai" span { "space" } }
                        div.links {
                            a href="/" { "Latest" }
                            a href="/search" { "Search" }
                            a href="/developers" { "Developers" }
                            // Signed out, it leads to the sign-in form.
                            a href="/owner" { "Your agents" }
                        }
                    }
                }
                main #main { (main) }
                footer.site-footer {
                    "aispace — a social network for AI agents, built API-first. "
                    a href="/developers" { "API reference" }
                    " · "
                    a href="/api/openapi.json" { "OpenAPI" }
                }
            }
        }
    }
}

/// The 404 page.
pub fn not_found(urls: &PublicUrls, what: &str) -> HttpResponse {
    let head = Head {
        title: "Not found · aispace".to_owned(),
        noindex: true,
        ..Head::default()
    };
    respond(
        StatusCode::NOT_FOUND,
        urls,
        layout(
            &head,
            html! {
                section.empty #not-found {
                    h1 { "Not found" }
                    p { (what) }
                    p { a href="/" { "See the latest posts" } }
                }
            },
        ),
    )
}

/// A failure as a page: the status of the API's mapping, its words for a
/// client error, nothing but the request id hint for ours; a 5xx keeps its
/// cause for the access log and a `Retry-After` when the API would send one.
pub fn error(urls: &PublicUrls, err: ApiError) -> HttpResponse {
    let api = err.error_response();
    let status = api.status();
    let message = if status.is_server_error() {
        "Something went wrong on our side. Please try again in a moment.".to_owned()
    } else {
        err.message_on(crate::surface::Surface::Aispace)
            .into_owned()
    };
    let head = Head {
        title: format!("{} · aispace", status.canonical_reason().unwrap_or("Error")),
        noindex: true,
        ..Head::default()
    };
    let mut page = respond(
        status,
        urls,
        layout(
            &head,
            html! {
                section.empty #error {
                    h1 { (status.canonical_reason().unwrap_or("Error")) }
                    p { (message) }
                    p { a href="/" { "See the latest posts" } }
                }
            },
        ),
    );
    if let Some(retry) = api.headers().get(header::RETRY_AFTER) {
        page.headers_mut()
            .insert(header::RETRY_AFTER, retry.clone());
    }
    if let Some(cause) = api.extensions().get::<InternalCause>() {
        page.extensions_mut().insert(cause.clone());
    }
    page
}

/// Where a post's image is, for a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageRef {
    /// Stored by us: a path on this site when the media base is this site
    /// (so pages work under whatever address they are reached by), the
    /// media URL otherwise.
    Here { src: String, absolute: String },
    /// The legacy endpoint's external URL: linked, never loaded.
    Elsewhere { url: String },
}

/// `None` for a text post, which has no image.
pub fn image_ref(post: &Post, urls: &PublicUrls) -> Option<ImageRef> {
    let media = post.media()?;
    Some(match &media.source {
        MediaSource::Blob { key, .. } => {
            let absolute = urls.media_url(key.as_str());
            let src = local_path(&absolute, urls).unwrap_or_else(|| absolute.clone());
            ImageRef::Here { src, absolute }
        }
        MediaSource::External { url } => ImageRef::Elsewhere {
            url: url.as_str().to_owned(),
        },
    })
}

/// `url` as a path when it is on this site.
fn local_path(url: &str, urls: &PublicUrls) -> Option<String> {
    url.strip_prefix(urls.base())
        .filter(|rest| rest.starts_with('/') && !rest.starts_with("//"))
        .map(str::to_owned)
}

/// An avatar we may show: one stored under the media base; anything else
/// would be blocked by the policy (and would tell a third party who looks).
pub fn avatar_src(agent: &Agent, urls: &PublicUrls) -> Option<String> {
    let url = agent.avatar_url.as_deref()?;
    let media = urls.media_url("raw/");
    url.starts_with(&media)
        .then(|| local_path(url, urls).unwrap_or_else(|| url.to_owned()))
}

/// An avatar image, or the name's first letter in a circle.
pub fn avatar(agent: &Agent, urls: &PublicUrls, large: bool) -> Markup {
    let initial: String = agent
        .name
        .as_str()
        .chars()
        .next()
        .map(|c| c.to_uppercase().collect())
        .unwrap_or_default();
    html! {
        @match avatar_src(agent, urls) {
            Some(src) => img.avatar.large[large] src=(src) alt="" width="80" height="80" loading="lazy";
            None => span.avatar.initial.large[large] aria-hidden="true" { (initial) }
        }
    }
}

/// A score (up − down) as shown: a triangle pointing the way it leans,
/// then the signed number. The triangle is decoration; the number says it
/// all, to a screen reader too.
pub fn score(value: i64) -> Markup {
    html! {
        span.arrow aria-hidden="true" { @if value < 0 { "▼" } @else { "▲" } }
        " " (value)
    }
}

/// `2026-03-04 12:00 UTC` in a `<time>` element.
pub fn time(at: Timestamp) -> Markup {
    let iso = at.to_string();
    let shown = iso.get(..16).unwrap_or(&iso).replacen('T', " ", 1);
    html! { time datetime=(iso) { (shown) " UTC" } }
}

/// At most `max` characters of `text`, with an ellipsis when cut.
pub fn excerpt(text: &str, max: usize) -> String {
    let mut chars = text.chars();
    let mut out: String = chars.by_ref().take(max).collect();
    if chars.next().is_some() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_adds_only_a_foreign_media_origin() {
        let same = PublicUrls::new("https://aispace.example", None);
        let csp = content_security_policy(&same);
        assert!(csp.contains("img-src 'self' data:;"), "{csp}");
        assert!(csp.contains("default-src 'none'"));
        assert!(!csp.contains("unsafe"));
        let cdn = PublicUrls::new("https://aispace.example", Some("https://CDN.example/media"));
        assert!(
            content_security_policy(&cdn).contains("img-src 'self' https://cdn.example data:;")
        );
    }

    #[test]
    fn media_on_this_site_is_linked_by_path() {
        let urls = PublicUrls::new("https://aispace.example", None);
        assert_eq!(
            local_path("https://aispace.example/raw/ab.png", &urls).as_deref(),
            Some("/raw/ab.png")
        );
        assert_eq!(local_path("https://aispace.example.evil/x", &urls), None);
        assert_eq!(local_path("https://aispace.example//evil/x", &urls), None);
    }

    #[test]
    fn excerpts_cut_on_characters() {
        assert_eq!(excerpt("héllo", 10), "héllo");
        assert_eq!(excerpt("héllo", 2), "hé…");
    }

    #[test]
    fn the_stylesheet_link_changes_with_its_content() {
        assert_ne!(fnv1a(b"a{}"), fnv1a(b"b{}"));
    }
}
