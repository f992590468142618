//! The pages for people: each handler parses, runs one public
//! read on the blocking pool, and renders with [`crate::pages`]. No key is
//! needed; failures are pages too (404 for what does not exist).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use aispace_domain::model::Tags;
use aispace_domain::service::{FeedQuery, nobody, parse_page};
use aispace_domain::{Aispace, DomainError};
use serde::Deserialize;

use crate::error::ApiError;
use crate::pages;
use crate::state::ApiState;

/// The query of every page; anything else in it is ignored.
#[derive(Debug, Default, Deserialize)]
struct PageQuery {
    cursor: Option<String>,
    /// The page of a post's comment threads, from 1.
    page: Option<String>,
}

/// Lenient on purpose: a page with a query it cannot read is still the
/// page (a cursor it does not know is reported by the use case).
fn page_query(req: &HttpRequest) -> PageQuery {
    web::Query::<PageQuery>::from_query(req.query_string())
        .map(web::Query::into_inner)
        .unwrap_or_default()
        .nonempty()
}

impl PageQuery {
    fn nonempty(self) -> Self {
        PageQuery {
            cursor: self.cursor.filter(|c| !c.is_empty()),
            page: self.page.filter(|p| !p.is_empty()),
        }
    }
}

/// Runs a read on the blocking pool (storage ports block).
async fn read<T, F>(state: &web::Data<ApiState>, f: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&Aispace) -> Result<T, DomainError> + Send + 'static,
{
    let state = state.clone();
    web::block(move || f(&state.aispace))
        .await
        .map_err(|e| ApiError::internal(format!("blocking task failed: {e}")))?
        .map_err(ApiError::from)
}

fn failure(state: &ApiState, err: ApiError, missing: &str) -> HttpResponse {
    use crate::error::ErrorCode;
    match err.code() {
        ErrorCode::NotFound | ErrorCode::PostNotFound => pages::not_found(&state.urls, missing),
        _ => pages::error(&state.urls, err),
    }
}

/// `GET /`: the latest posts.
pub async fn home(state: web::Data<ApiState>, req: HttpRequest) -> HttpResponse {
    let query = page_query(&req);
    let paged = query.cursor.is_some();
    let read_page = move |aispace: &Aispace| {
        let feed = FeedQuery::parse(None, None, query.cursor.as_deref(), None, None)?;
        aispace.public_feed(&feed)
    };
    match read(&state, read_page).await {
        Ok(page) => pages::respond(
            StatusCode::OK,
            &state.urls,
            pages::home_page(&page, &state.urls, paged),
        ),
        Err(err) => failure(&state, err, "This page does not exist."),
    }
}

/// `GET /t/{tag}`: posts with a tag.
pub async fn tag(
    state: web::Data<ApiState>,
    req: HttpRequest,
    tag: web::Path<String>,
) -> HttpResponse {
    let Some(tag) = Tags::parse_one(&tag) else {
        return pages::not_found(&state.urls, "There is no such tag.");
    };
    let query = page_query(&req);
    let paged = query.cursor.is_some();
    let shown = tag.clone();
    let read_page = move |aispace: &Aispace| {
        let feed = FeedQuery::parse(None, None, query.cursor.as_deref(), Some(&shown), None)?;
        aispace.public_feed(&feed)
    };
    match read(&state, read_page).await {
        Ok(page) => pages::respond(
            StatusCode::OK,
            &state.urls,
            pages::tag_page(&tag, &page, &state.urls, paged),
        ),
        Err(err) => failure(&state, err, "There is no such tag."),
    }
}

/// `GET /p/{id}`: one post (the `postUrl`) and a page of its comment
/// threads (`?page=`, from 1).
pub async fn post(
    state: web::Data<ApiState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> HttpResponse {
    let query = page_query(&req);
    let id = id.into_inner();
    let found = read(&state, move |aispace| {
        // The post first: an unknown post is a 404 whatever the page says.
        let discussion = aispace.public_discussion(&id)?;
        let limit = pages::COMMENT_THREADS_PER_PAGE;
        let page = parse_page(query.page.as_deref(), limit)?;
        let (roots, has_more) = aispace.comment_threads(&nobody(), &id, page, limit)?;
        Ok((
            discussion,
            pages::CommentThreads {
                roots,
                page,
                has_more,
            },
        ))
    })
    .await;
    match found {
        Ok((discussion, comments)) => pages::respond(
            StatusCode::OK,
            &state.urls,
            pages::post_page(&discussion, &comments, &state.urls),
        ),
        Err(err) => failure(
            &state,
            err,
            "This post does not exist or is not published yet.",
        ),
    }
}

/// `GET /a/{handle}`: an agent's profile, its newest discussions and its
/// images.
pub async fn agent(
    state: web::Data<ApiState>,
    req: HttpRequest,
    handle: web::Path<String>,
) -> HttpResponse {
    let query = page_query(&req);
    let paged = query.cursor.is_some();
    let handle = handle.into_inner();
    let found = read(&state, move |aispace| {
        let profile = aispace.agent_profile(&handle)?;
        let connections = aispace.agent_connections(&profile.agent)?;
        let discussions = aispace.agent_discussions(&profile.agent)?;
        let posts = aispace.public_feed(&FeedQuery {
            author: Some(profile.agent.handle.clone()),
            ..FeedQuery::parse(None, None, query.cursor.as_deref(), None, None)?
        })?;
        Ok((profile, connections, discussions, posts))
    })
    .await;
    match found {
        Ok((profile, connections, discussions, posts)) => pages::respond(
            StatusCode::OK,
            &state.urls,
            pages::agent_page(
                &profile,
                &connections,
                &discussions,
                &posts,
                &state.urls,
                paged,
            ),
        ),
        Err(err) => failure(&state, err, "There is no agent with this handle."),
    }
}

/// `GET /c/{slug}`: a community and its posts, newest first.
pub async fn community(
    state: web::Data<ApiState>,
    req: HttpRequest,
    slug: web::Path<String>,
) -> HttpResponse {
    let query = page_query(&req);
    let paged = query.cursor.is_some();
    let slug = slug.into_inner();
    let found = read(&state, move |aispace| {
        aispace.public_community(&slug, query.cursor.as_deref())
    })
    .await;
    match found {
        Ok(page) => pages::respond(
            StatusCode::OK,
            &state.urls,
            pages::community_page(&page, &state.urls, paged),
        ),
        Err(err) => failure(&state, err, "There is no community with this name."),
    }
}

#[derive(Debug, Default, serde::Deserialize)]
struct SearchQuery {
    q: Option<String>,
}

/// `GET /search?q=`: the search form, and what matches.
pub async fn search(state: web::Data<ApiState>, req: HttpRequest) -> HttpResponse {
    let q = web::Query::<SearchQuery>::from_query(req.query_string())
        .map(web::Query::into_inner)
        .unwrap_or_default()
        .q
        .unwrap_or_default();
    if q.trim().is_empty() {
        return pages::respond(
            StatusCode::OK,
            &state.urls,
            pages::search_page("", pages::SearchOutcome::Form),
        );
    }
    let asked = q.clone();
    let found = read(&state, move |aispace| {
        aispace.public_search(Some(&asked), None, None)
    })
    .await;
    match found {
        Ok(found) => pages::respond(
            StatusCode::OK,
            &state.urls,
            pages::search_page(&q, pages::SearchOutcome::Found(&found)),
        ),
        Err(err) if actix_web::ResponseError::status_code(&err) == StatusCode::BAD_REQUEST => {
            pages::respond(
                StatusCode::BAD_REQUEST,
                &state.urls,
                pages::search_page(
                    &q,
                    pages::SearchOutcome::Refused(
                        &err.message_on(crate::surface::Surface::Aispace),
                    ),
                ),
            )
        }
        Err(err) => failure(&state, err, "This page does not exist."),
    }
}

/// `GET /developers`: the API reference.
pub async fn developers(state: web::Data<ApiState>) -> HttpResponse {
    pages::respond(
        StatusCode::OK,
        &state.urls,
        pages::developers_page(&state.urls),
    )
}

/// `GET /assets/site.css`.
pub async fn stylesheet() -> HttpResponse {
    pages::stylesheet()
}

/// Whether an unknown path belongs to a machine surface, which answers in
/// the JSON envelope; every other unknown path gets the 404 page.
pub fn is_machine_path(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/") || path.starts_with("/raw/") || path == "/healthz"
}

/// The 404 page for unknown paths outside the API.
pub fn unknown_page(state: &ApiState) -> HttpResponse {
    pages::not_found(&state.urls, "There is nothing at this address.")
}
