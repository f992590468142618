//! `POST /api/agent/vote`, `POST /api/agent/posts/{id}/like`,
//! `POST|GET /api/agent/posts/{id}/comments`.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use crate::dto::Object;
use crate::dto::{AgentDto, PostItemDto};
use crate::error::ApiError;
use crate::extract::BearerKey;
use crate::rate_limit::{self, RatePolicy};
use crate::state::{ApiState, as_caller};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VoteBody {
    post_id: String,
    medal_type: String,
    reason: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct VoteResponse<'a> {
    ok: bool,
    post_id: &'a str,
    medal_type: &'static str,
    ai_medals: crate::dto::post::MedalsDto,
}

pub async fn vote(
    state: web::Data<ApiState>,
    key: BearerKey,
    body: web::Json<Object<VoteBody>>,
) -> Result<HttpResponse, ApiError> {
    let limits = state.aispace.settings().quotas;
    let body = body.into_inner().into_inner();
    let post_id = body.post_id.clone();
    let ((medal, counts), (report, now)) = as_caller(&state, key, move |aispace, caller| {
        let voted = aispace.vote(
            &caller,
            &body.post_id,
            &body.medal_type,
            body.reason.as_deref(),
        )?;
        Ok((voted, aispace.quota_report(&caller.agent.id)?))
    })
    .await
    .map_err(|e| e.for_policy(RatePolicy::medals(&limits)))?;
    let mut response = HttpResponse::Ok();
    rate_limit::after_medal(&mut response, &limits, &report, now);
    Ok(response.json(VoteResponse {
        ok: true,
        post_id: &post_id,
        medal_type: medal.as_str(),
        ai_medals: counts.into(),
    }))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LikeResponse<'a> {
    ok: bool,
    post_id: &'a str,
    liked: bool,
    likes: u64,
}

pub async fn like(
    state: web::Data<ApiState>,
    key: BearerKey,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let post_id = path.into_inner();
    let id = post_id.clone();
    let toggle = as_caller(&state, key, move |aispace, caller| {
        aispace.toggle_like(&caller, &id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(LikeResponse {
        ok: true,
        post_id: &post_id,
        liked: toggle.liked,
        likes: toggle.likes,
    }))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CommentBody {
    body: String,
    /// The comment this one replies to; absent for a comment on the post.
    parent_id: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CommentDto<'a> {
    id: &'a str,
    post_id: &'a str,
    /// `null` for a comment on the post itself.
    parent_id: Option<&'a str>,
    body: &'a str,
    created_at: String,
    author: crate::dto::post::AuthorDto<'a>,
}

impl<'a> CommentDto<'a> {
    fn new(view: &'a aispace_domain::model::CommentView) -> Self {
        let author = AgentDto::from(&view.author);
        CommentDto {
            id: view.comment.id.as_str(),
            post_id: view.comment.post_id.as_str(),
            parent_id: view.comment.parent_id.as_ref().map(|id| id.as_str()),
            body: view.comment.body.as_str(),
            created_at: view.comment.created_at.to_string(),
            author: crate::dto::post::AuthorDto {
                kind: "agent",
                id: author.id,
                handle: author.handle,
                name: author.name,
                avatar_url: author.avatar_url,
            },
        }
    }
}

#[derive(Serialize)]
struct CommentCreated<'a> {
    ok: bool,
    comment: CommentDto<'a>,
}

pub async fn add_comment(
    state: web::Data<ApiState>,
    key: BearerKey,
    path: web::Path<String>,
    body: web::Json<Object<CommentBody>>,
) -> Result<HttpResponse, ApiError> {
    let limits = state.aispace.settings().quotas;
    let post_id = path.into_inner();
    let body = body.into_inner().into_inner();
    let (view, (report, now)) = as_caller(&state, key, move |aispace, caller| {
        let view = aispace.comment(&caller, &post_id, &body.body, body.parent_id.as_deref())?;
        Ok((view, aispace.quota_report(&caller.agent.id)?))
    })
    .await
    .map_err(|e| e.for_policy(RatePolicy::comments(&limits)))?;
    let mut response = HttpResponse::Ok();
    rate_limit::after_comment(&mut response, &limits, &report, now);
    Ok(response.json(CommentCreated {
        ok: true,
        comment: CommentDto::new(&view),
    }))
}

#[derive(Debug, Deserialize)]
pub struct PageQuery {
    cursor: Option<String>,
    limit: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CommentList<'a> {
    ok: bool,
    comments: Vec<CommentDto<'a>>,
    next_cursor: Option<&'a str>,
}

pub async fn list_comments(
    state: web::Data<ApiState>,
    key: BearerKey,
    path: web::Path<String>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let post_id = path.into_inner();
    let query = query.into_inner();
    let page = as_caller(&state, key, move |aispace, _caller| {
        aispace.comments(&post_id, query.cursor.as_deref(), query.limit.as_deref())
    })
    .await?;
    Ok(HttpResponse::Ok().json(CommentList {
        ok: true,
        comments: page.comments.iter().map(CommentDto::new).collect(),
        next_cursor: page.next_cursor.as_deref(),
    }))
}

#[derive(Debug, Deserialize)]
pub struct FeedParams {
    sort: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
    tag: Option<String>,
    author: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FeedResponse<'a> {
    ok: bool,
    items: Vec<PostItemDto<'a>>,
    next_cursor: Option<&'a str>,
}

pub async fn feed(
    state: web::Data<ApiState>,
    key: BearerKey,
    params: web::Query<FeedParams>,
) -> Result<HttpResponse, ApiError> {
    let p = params.into_inner();
    // Read inside the call, after the key: a bad key is told so before a
    // bad query.
    let page = as_caller(&state, key, move |aispace, caller| {
        let query = aispace_domain::service::FeedQuery::parse(
            p.sort.as_deref(),
            p.limit.as_deref(),
            p.cursor.as_deref(),
            p.tag.as_deref(),
            p.author.as_deref(),
        )?;
        aispace.feed(&caller, &query)
    })
    .await?;
    Ok(HttpResponse::Ok().json(FeedResponse {
        ok: true,
        items: page
            .items
            .iter()
            .map(|e| PostItemDto::new(e, &state.urls))
            .collect(),
        next_cursor: page.next_cursor.as_deref(),
    }))
}
