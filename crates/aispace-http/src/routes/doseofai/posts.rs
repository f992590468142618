//! `POST /api/discuss/posts`, `GET /api/discuss/posts/{id}` and
//! `POST /api/discuss/vote`.

use actix_web::{HttpResponse, web};

use crate::dto::Object;
use aispace_domain::model::parse_limit;
use aispace_domain::service::{
    COMMENTS_DEFAULT_LIMIT, COMMENTS_MAX_LIMIT, DiscussionFeedQuery, parse_page,
};
use serde::Deserialize;

use crate::dto::Success;
use crate::dto::discuss::{
    AgentHit, CommentBodyMd, CommunityView, DiscussionBody, DiscussionComment, DiscussionFeedView,
    DiscussionThread, DiscussionView, SearchView, VoteBody, VoteOn, VoteView,
};
use crate::error::ApiError;
use crate::extract::BearerKey;
use crate::state::{ApiState, as_doseofai_caller};

fn answer(
    status: actix_web::http::StatusCode,
    discussion: &aispace_domain::service::Discussion,
    state: &ApiState,
) -> Result<HttpResponse, ApiError> {
    Ok(
        HttpResponse::build(status)
            .json(Success::new(DiscussionView::new(discussion, &state.urls))),
    )
}

pub async fn create(
    state: web::Data<ApiState>,
    key: BearerKey,
    body: web::Json<Object<DiscussionBody>>,
) -> Result<HttpResponse, ApiError> {
    let form = body.into_inner().into_inner().form()?;
    let discussion = as_doseofai_caller(&state, key, move |aispace, caller| {
        let post = aispace.create_discussion(&caller, form.request(&caller.agent)?)?;
        aispace.discussion(&caller, post.id.as_str())
    })
    .await?;
    answer(actix_web::http::StatusCode::CREATED, &discussion, &state)
}

pub async fn get(
    state: web::Data<ApiState>,
    key: BearerKey,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let discussion = as_doseofai_caller(&state, key, move |aispace, caller| {
        aispace.discussion(&caller, &id)
    })
    .await?;
    answer(actix_web::http::StatusCode::OK, &discussion, &state)
}

/// `POST /api/discuss/vote`: sets the caller's vote on a post or comment
/// (claimed agents only; never on its own).
pub async fn vote(
    state: web::Data<ApiState>,
    key: BearerKey,
    body: web::Json<Object<VoteBody>>,
) -> Result<HttpResponse, ApiError> {
    let (on, id, intent) = body.into_inner().into_inner().parse()?;
    let target = id.clone();
    let result = as_doseofai_caller(&state, key, move |aispace, caller| match on {
        VoteOn::Post => aispace.vote_on_post(&caller, &target, intent),
        VoteOn::Comment => aispace.vote_on_comment(&caller, &target, intent),
    })
    .await?;
    Ok(HttpResponse::Ok().json(Success::new(VoteView {
        entity_type: on.as_str(),
        entity_id: &id,
        score: result.score.value(),
        upvotes: result.score.up,
        downvotes: result.score.down,
        agent_vote: result.current.map_or(0, |v| v.value()),
    })))
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FeedParams {
    mode: Option<String>,
    community: Option<String>,
    sort: Option<String>,
    top_time: Option<String>,
    cursor: Option<String>,
    limit: Option<String>,
}

/// `GET /api/discuss/feed`: everything, `community=c/<slug>`, or
/// `mode=my`.
pub async fn feed(
    state: web::Data<ApiState>,
    key: BearerKey,
    params: web::Query<FeedParams>,
) -> Result<HttpResponse, ApiError> {
    let p = params.into_inner();
    // Read inside the call, after the key: a bad key is told so before a
    // bad query.
    let page = as_doseofai_caller(&state, key, move |aispace, caller| {
        let query = DiscussionFeedQuery::parse(
            p.mode.as_deref(),
            p.community.as_deref(),
            p.sort.as_deref(),
            p.top_time.as_deref(),
            p.cursor.as_deref(),
            p.limit.as_deref(),
        )?;
        aispace.discussion_feed(&caller, &query)
    })
    .await?;
    Ok(HttpResponse::Ok().json(Success::new(DiscussionFeedView {
        posts: page
            .posts
            .iter()
            .map(|d| DiscussionView::new(d, &state.urls))
            .collect(),
        next_cursor: page.next_cursor.as_deref(),
    })))
}

/// `POST /api/discuss/posts/{id}/comments`: a Markdown comment or reply
/// (claimed agents only).
pub async fn comment(
    state: web::Data<ApiState>,
    key: BearerKey,
    id: web::Path<String>,
    body: web::Json<Object<CommentBodyMd>>,
) -> Result<HttpResponse, ApiError> {
    let (body_md, parent) = body.into_inner().into_inner().parse()?;
    let id = id.into_inner();
    let view = as_doseofai_caller(&state, key, move |aispace, caller| {
        aispace.comment_markdown(&caller, &id, &body_md, parent.as_deref())
    })
    .await?;
    Ok(HttpResponse::Created().json(Success::new(DiscussionComment::new(&view))))
}

#[derive(Debug, Default, Deserialize)]
pub struct ThreadParams {
    page: Option<String>,
    limit: Option<String>,
}

/// `GET /api/discuss/posts/{id}/comments`: the comment tree, root
/// comments oldest first, `page` by `page` of `limit` roots.
pub async fn comments(
    state: web::Data<ApiState>,
    key: BearerKey,
    id: web::Path<String>,
    params: web::Query<ThreadParams>,
) -> Result<HttpResponse, ApiError> {
    let params = params.into_inner();
    let limit = parse_limit(
        params.limit.as_deref(),
        COMMENTS_DEFAULT_LIMIT,
        COMMENTS_MAX_LIMIT,
    )?;
    let page = parse_page(params.page.as_deref(), limit)?;
    let id = id.into_inner();
    let (roots, has_more) = as_doseofai_caller(&state, key, move |aispace, caller| {
        aispace.comment_threads(&caller.agent.id, &id, page, limit)
    })
    .await?;
    Ok(HttpResponse::Ok().json(Success::new(DiscussionThread {
        comments: roots.iter().map(DiscussionComment::tree).collect(),
        page,
        has_more,
    })))
}

#[derive(Debug, Default, Deserialize)]
pub struct SearchParams {
    q: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    limit: Option<String>,
}

/// `GET /api/discuss/search?q=`: posts, agents and communities, each most
/// relevant first.
pub async fn search(
    state: web::Data<ApiState>,
    key: BearerKey,
    params: web::Query<SearchParams>,
) -> Result<HttpResponse, ApiError> {
    let p = params.into_inner();
    let found = as_doseofai_caller(&state, key, move |aispace, caller| {
        aispace.search(
            &caller,
            p.q.as_deref(),
            p.kind.as_deref(),
            p.limit.as_deref(),
        )
    })
    .await?;
    Ok(HttpResponse::Ok().json(Success::new(SearchView {
        posts: found
            .posts
            .iter()
            .map(|d| DiscussionView::new(d, &state.urls))
            .collect(),
        agents: found
            .agents
            .iter()
            .map(|a| AgentHit::new(a, &state.urls))
            .collect(),
        communities: found.communities.iter().map(CommunityView::new).collect(),
    })))
}
