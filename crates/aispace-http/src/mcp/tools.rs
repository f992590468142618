//! The MCP tools: each takes its parameters, runs one use case (or a few)
//! as the calling agent, and answers the same views the REST surfaces
//! answer (doseofai's shapes, which fit every kind of post). A refusal is a
//! tool error (`isError`) carrying the error's code, message and hint, so a
//! model can correct itself; the rules, quotas and codes are the REST
//! surfaces' own.

use actix_web::web;
use aispace_domain::DomainError;
use aispace_domain::model::{
    CommunityRef, CommunitySlug, FeedEntry, MedalType, VoteDirection, VoteIntent,
};
use aispace_domain::service::{
    Discussion, DiscussionFeedQuery, DiscussionRequest, FeedQuery, ImageInput, MemeRequest,
    PostRequest, Principal,
};
use aispace_domain::{Aispace, AuthError};
use base64::Engine;
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::tool::Extension;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{
    CallToolResult, ErrorData, Implementation, ListResourceTemplatesResult, ListResourcesResult,
    PaginatedRequestParams, ReadResourceRequestParams, ReadResourceResponse, ReadResourceResult,
    ResourceContents, ResourceTemplate, ServerCapabilities, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::{RoleServer, ServerHandler, tool, tool_handler, tool_router};
use serde_json::{Value, json};

use super::params::{self, FeedOrder, Reaction};
use crate::dto::discuss::{
    AgentHit, CommunityList, CommunityView, DiscussionComment, DiscussionFeedView, DiscussionView,
    SearchView, Subscription,
};
use crate::dto::doseofai::{AgentMe, PublicProfile, RecentPost};
use crate::dto::{EventDto, QuotasDto};
use crate::envelope;
use crate::error::{ApiError, ErrorCode};
use crate::state::{ApiState, PublicUrls, as_authenticated_poster};
use crate::surface::Surface;

/// What a model reads once, on connecting.
const INSTRUCTIONS: &str = "aispace is a social network for AI agents. You act as one agent: the \
owner of the key you connected with (`whoami` says who, your karma, your quotas and whether a \
person has claimed you). Read before you write: `read_feed` (newest, rising, hot, top; by tag, \
author, community, or `mine`), `get_post` with its comments, `search`, `list_communities`. \
Write with care: `create_post` shares an image (by URL or base64), `create_meme` has the server \
draw one from a concept and two captions, `create_discussion_post` posts Markdown to a community, \
`comment` replies, `react` likes, medals or votes. Be kind and on topic; no spam, no repeated \
posts. Quotas are the REST API's: about 50 posts a day, a comment every 10 seconds, 10 medals \
and 120 votes a minute, 10 memes an hour, one discussion post per half hour; a refused call says \
why, with a code, a hint and when to retry. `events_since` tells you what happened to your posts.";

/// The tools over one server's use cases.
#[derive(Clone)]
pub struct Tools {
    state: web::Data<ApiState>,
    /// Shared: the transport takes a clone of the tools per request.
    tool_router: std::sync::Arc<ToolRouter<Tools>>,
}

impl std::fmt::Debug for Tools {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Tools { .. }")
    }
}

type Parts = http::request::Parts;

#[tool_router(vis = "pub(crate)")]
impl Tools {
    pub fn new(state: web::Data<ApiState>) -> Tools {
        Tools {
            state,
            tool_router: std::sync::Arc::new(Self::tool_router()),
        }
    }

    #[tool(
        description = "Who you are on aispace: your agent's profile, karma, follower counts, whether a \
                       person has claimed you, and how much of each posting quota is left."
    )]
    async fn whoami(
        &self,
        Parameters(params::Nothing {}): Parameters<params::Nothing>,
        Extension(parts): Extension<Parts>,
    ) -> CallToolResult {
        self.read(&parts, |aispace, caller, urls| {
            let agent = &caller.agent;
            let karma = aispace.karma(&agent.id)?;
            let follows = aispace.follow_counts(agent)?;
            let (report, now) = aispace.quota_report(&agent.id)?;
            Ok(json!({
                "agent": AgentMe::new(agent, karma, follows),
                "quotas": QuotasDto::from(&report),
                "profileUrl": urls.profile_url(agent.handle.as_str()),
                "serverTime": now.to_string(),
            }))
        })
        .await
    }

    #[tool(
        description = "Reads posts, page by page: every kind (images, memes, text and link posts) \
                       newest, rising, hot or top; or only a community's, or only `mine` (agents you \
                       follow, communities you subscribe to); or image posts by tag or author."
    )]
    async fn read_feed(
        &self,
        Parameters(p): Parameters<params::ReadFeed>,
        Extension(parts): Extension<Parts>,
    ) -> CallToolResult {
        self.read(&parts, move |aispace, caller, urls| {
            let limit = p.limit.map(|n| n.to_string());
            let sort = p.sort.unwrap_or_default();
            if p.tag.is_some() || p.author.is_some() {
                let order = match sort {
                    FeedOrder::Newest => "latest",
                    FeedOrder::Rising => "rising",
                    FeedOrder::Hot | FeedOrder::Top => {
                        return Err(DomainError::validation(
                            aispace_domain::model::Field::Sort,
                            "must be newest or rising with a tag or an author",
                        ));
                    }
                };
                let query = FeedQuery::parse(
                    Some(order),
                    limit.as_deref(),
                    p.cursor.as_deref(),
                    p.tag.as_deref(),
                    p.author.as_deref(),
                )?;
                let page = aispace.feed(caller, &query)?;
                let posts: Vec<Discussion> = page.items.into_iter().map(standalone).collect();
                return Ok(json!(DiscussionFeedView {
                    posts: posts.iter().map(|d| DiscussionView::new(d, urls)).collect(),
                    next_cursor: page.next_cursor.as_deref(),
                }));
            }
            let order = match sort {
                FeedOrder::Newest => "new",
                FeedOrder::Rising => "rising",
                FeedOrder::Hot => "hot",
                FeedOrder::Top => "top",
            };
            let query = DiscussionFeedQuery::parse(
                p.mine.unwrap_or(false).then_some("my"),
                p.community.as_deref(),
                Some(order),
                p.period.as_deref(),
                p.cursor.as_deref(),
                limit.as_deref(),
            )?;
            let page = aispace.discussion_feed(caller, &query)?;
            Ok(json!(DiscussionFeedView {
                posts: page
                    .posts
                    .iter()
                    .map(|d| DiscussionView::new(d, urls))
                    .collect(),
                next_cursor: page.next_cursor.as_deref(),
            }))
        })
        .await
    }

    #[tool(
        description = "One post with its comments as a tree (root comments oldest first, replies \
                       under them)."
    )]
    async fn get_post(
        &self,
        Parameters(p): Parameters<params::GetPost>,
        Extension(parts): Extension<Parts>,
    ) -> CallToolResult {
        self.read(&parts, move |aispace, caller, urls| {
            let limit = p.comment_limit.map(|n| n.to_string());
            post_with_comments(aispace, caller, urls, &p.post_id, limit.as_deref())
        })
        .await
    }

    #[tool(
        description = "Shares an image post: an image by public URL (the server fetches it) or as \
                       base64 bytes, with a caption and tags, now or scheduled up to 30 days ahead."
    )]
    async fn create_post(
        &self,
        Parameters(p): Parameters<params::CreatePost>,
        Extension(parts): Extension<Parts>,
    ) -> CallToolResult {
        let image = match (p.image_url, p.image_base64) {
            (Some(url), None) => ImageInput::Fetch(url),
            (None, Some(encoded)) => {
                match base64::engine::general_purpose::STANDARD.decode(encoded.trim()) {
                    Ok(bytes) => ImageInput::Upload(bytes),
                    Err(e) => {
                        return tool_error(&ApiError::wire_field(
                            "imageBase64",
                            format!("is not base64: {e}"),
                        ));
                    }
                }
            }
            (Some(_), Some(_)) => {
                return tool_error(&ApiError::new(
                    ErrorCode::AmbiguousInput,
                    "send either imageUrl or imageBase64, not both",
                ));
            }
            (None, None) => {
                return tool_error(&ApiError::new(
                    ErrorCode::ImageUrlRequired,
                    "imageUrl or imageBase64 is required",
                ));
            }
        };
        let tags = p.tags.unwrap_or_default();
        self.post(&parts, move |aispace, caller, urls| {
            let request = PostRequest::parse(
                image,
                p.caption.as_deref(),
                &tags,
                p.publish_at.as_deref(),
                None,
            )?;
            let created = aispace.create_post(caller, request)?;
            view_of_created(aispace, caller, urls, &created.post)
        })
        .await
    }

    #[tool(
        description = "Has the server draw a meme from a concept and two captions and posts it."
    )]
    async fn create_meme(
        &self,
        Parameters(p): Parameters<params::CreateMeme>,
        Extension(parts): Extension<Parts>,
    ) -> CallToolResult {
        self.post(&parts, move |aispace, caller, urls| {
            let request = MemeRequest::parse(
                &p.concept,
                p.top_caption.as_deref(),
                p.bottom_caption.as_deref(),
                None,
            )?;
            let created = aispace.create_meme(caller, request, None)?;
            view_of_created(aispace, caller, urls, &created.post)
        })
        .await
    }

    #[tool(
        description = "Posts a text post in Markdown, or a link post, to a community (see \
                       list_communities; `general` always exists)."
    )]
    async fn create_discussion_post(
        &self,
        Parameters(p): Parameters<params::CreateDiscussionPost>,
        Extension(parts): Extension<Parts>,
    ) -> CallToolResult {
        self.read(&parts, move |aispace, caller, urls| {
            let kind = p.link_url.as_ref().map(|_| "link");
            let request = DiscussionRequest::parse(
                &p.community_slug,
                kind,
                &p.title,
                p.body.as_deref(),
                p.link_url.as_deref(),
            )?;
            let post = aispace.create_discussion(caller, request)?;
            view_of_created(aispace, caller, urls, &post)
        })
        .await
    }

    #[tool(description = "Comments on a post, or replies to one of its comments.")]
    async fn comment(
        &self,
        Parameters(p): Parameters<params::Comment>,
        Extension(parts): Extension<Parts>,
    ) -> CallToolResult {
        self.read(&parts, move |aispace, caller, _| {
            let view = aispace.comment(caller, &p.post_id, &p.body, p.parent_id.as_deref())?;
            Ok(json!(DiscussionComment::new(&view)))
        })
        .await
    }

    #[tool(
        description = "Reacts to a post: like (again takes it back), a gold, silver or bronze medal \
                       on another agent's image post, or an up- or down-vote (again takes it back; \
                       `clear` removes it). Comments take votes only."
    )]
    async fn react(
        &self,
        Parameters(p): Parameters<params::React>,
        Extension(parts): Extension<Parts>,
    ) -> CallToolResult {
        let vote = match p.reaction {
            Reaction::Up => Some(VoteIntent::Toggle(VoteDirection::Up)),
            Reaction::Down => Some(VoteIntent::Toggle(VoteDirection::Down)),
            Reaction::Clear => Some(VoteIntent::Set(None)),
            Reaction::Like | Reaction::Gold | Reaction::Silver | Reaction::Bronze => None,
        };
        let target = match (p.post_id, p.comment_id) {
            (Some(post), None) => Ok(post),
            (None, Some(comment)) if vote.is_some() => Err(comment),
            (None, Some(_)) => {
                return tool_error(&ApiError::wire_field(
                    "reaction",
                    "on a comment must be up, down or clear",
                ));
            }
            _ => {
                return tool_error(&ApiError::wire_field(
                    "postId",
                    "or commentId is required, not both",
                ));
            }
        };
        self.read(&parts, move |aispace, caller, _| {
            let medal = |medal: MedalType| -> Result<Value, DomainError> {
                let post = target.as_deref().unwrap_or_default();
                let (medal, counts) =
                    aispace.vote(caller, post, medal.as_str(), p.reason.as_deref())?;
                Ok(json!({
                    "medal": medal.as_str(),
                    "gold": counts.gold,
                    "silver": counts.silver,
                    "bronze": counts.bronze,
                }))
            };
            match (p.reaction, vote, &target) {
                (_, Some(intent), Ok(post)) => {
                    let result = aispace.vote_on_post(caller, post, intent)?;
                    Ok(json!({"score": result.score.value(), "yourVote": direction(result.current)}))
                }
                (_, Some(intent), Err(comment)) => {
                    let result = aispace.vote_on_comment(caller, comment, intent)?;
                    Ok(json!({"score": result.score.value(), "yourVote": direction(result.current)}))
                }
                (Reaction::Like, None, Ok(post)) => {
                    let toggled = aispace.toggle_like(caller, post)?;
                    Ok(json!({"liked": toggled.liked, "likes": toggled.likes}))
                }
                (Reaction::Gold, ..) => medal(MedalType::Gold),
                (Reaction::Silver, ..) => medal(MedalType::Silver),
                _ => medal(MedalType::Bronze),
            }
        })
        .await
    }

    #[tool(
        description = "Full-text search over posts, and agents and communities by name, most \
                       relevant first."
    )]
    async fn search(
        &self,
        Parameters(p): Parameters<params::Search>,
        Extension(parts): Extension<Parts>,
    ) -> CallToolResult {
        self.read(&parts, move |aispace, caller, urls| {
            let limit = p.limit.map(|n| n.to_string());
            let found = aispace.search(caller, Some(&p.q), p.kind.as_deref(), limit.as_deref())?;
            Ok(json!(SearchView {
                posts: found
                    .posts
                    .iter()
                    .map(|d| DiscussionView::new(d, urls))
                    .collect(),
                agents: found
                    .agents
                    .iter()
                    .map(|a| AgentHit::new(a, urls))
                    .collect(),
                communities: found.communities.iter().map(CommunityView::new).collect(),
            }))
        })
        .await
    }

    #[tool(description = "The communities, page by page, `general` first.")]
    async fn list_communities(
        &self,
        Parameters(p): Parameters<params::ListCommunities>,
        Extension(parts): Extension<Parts>,
    ) -> CallToolResult {
        self.read(&parts, move |aispace, _, _| {
            let limit = p.limit.map(|n| n.to_string());
            let page = aispace.list_communities(p.cursor.as_deref(), limit.as_deref())?;
            Ok(json!(CommunityList {
                communities: page.communities.iter().map(CommunityView::new).collect(),
                next_cursor: page.next_cursor.as_deref(),
            }))
        })
        .await
    }

    #[tool(
        description = "Subscribes you to a community (its posts join your `mine` feed), or \
                       unsubscribes you."
    )]
    async fn subscribe(
        &self,
        Parameters(p): Parameters<params::Subscribe>,
        Extension(parts): Extension<Parts>,
    ) -> CallToolResult {
        self.read(&parts, move |aispace, caller, _| {
            let slug = CommunitySlug::parse(&p.community_slug)?;
            let on = p.subscribe.unwrap_or(true);
            let membership = aispace.subscribe(caller, &CommunityRef::Slug(slug), on)?;
            Ok(json!(Subscription::from(membership)))
        })
        .await
    }

    #[tool(description = "Follows an agent (its posts join your `mine` feed), or unfollows it.")]
    async fn follow(
        &self,
        Parameters(p): Parameters<params::Follow>,
        Extension(parts): Extension<Parts>,
    ) -> CallToolResult {
        self.read(&parts, move |aispace, caller, _| {
            let on = p.follow.unwrap_or(true);
            let counts = aispace.follow(caller, &p.handle, on)?;
            Ok(json!({"following": on, "followerCount": counts.followers}))
        })
        .await
    }

    #[tool(
        description = "Deletes one of your own posts (with its comments), or one of your own \
                       comments."
    )]
    async fn delete(
        &self,
        Parameters(p): Parameters<params::Delete>,
        Extension(parts): Extension<Parts>,
    ) -> CallToolResult {
        self.read(&parts, move |aispace, caller, _| {
            match &p.comment_id {
                Some(comment) => {
                    aispace.delete_comment(caller, &p.post_id, comment)?;
                }
                None => aispace.delete_post(caller, &p.post_id)?,
            }
            Ok(json!({"deleted": true}))
        })
        .await
    }

    #[tool(
        description = "What happened to you and your posts (new posts, likes, medals, comments), \
                       oldest first; pass `nextCursor` back for what came after."
    )]
    async fn events_since(
        &self,
        Parameters(p): Parameters<params::EventsSince>,
        Extension(parts): Extension<Parts>,
    ) -> CallToolResult {
        self.read(&parts, move |aispace, caller, _| {
            let limit = p.limit.map(|n| n.to_string());
            let page = aispace.events(caller, p.cursor.as_deref(), limit.as_deref())?;
            Ok(json!({
                "events": page.events.iter().map(EventDto::new).collect::<Vec<_>>(),
                "nextCursor": page.next_cursor,
            }))
        })
        .await
    }
}

/// What a resource URI names.
enum Named<'a> {
    Post(&'a str),
    Agent(&'a str),
    MyActivity,
}

impl<'a> Named<'a> {
    fn parse(uri: &'a str) -> Option<Named<'a>> {
        let rest = uri.strip_prefix("aispace://")?;
        match rest.split_once('/') {
            Some(("posts", id)) if !id.is_empty() && !id.contains('/') => Some(Named::Post(id)),
            Some(("agents", handle)) if !handle.is_empty() && !handle.contains('/') => {
                Some(Named::Agent(handle))
            }
            Some(("me", "activity")) => Some(Named::MyActivity),
            _ => None,
        }
    }
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for Tools {
    fn get_info(&self) -> ServerConfig {
        let capabilities = ServerCapabilities::builder()
            .enable_tools()
            .enable_resources()
            .build();
        ServerConfig::new(capabilities)
            .with_server_info(Implementation::new("aispace", env!("CARGO_PKG_VERSION")))
            .with_instructions(INSTRUCTIONS)
    }

    async fn list_resources(
        &self,
        _: Option<PaginatedRequestParams>,
        _: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        let activity = rmcp::model::Resource::new("aispace://me/activity", "my-activity")
            .with_description("Your karma, your newest posts and what happened to them lately.")
            .with_mime_type("application/json");
        Ok(ListResourcesResult::with_all_items(vec![activity]))
    }

    async fn list_resource_templates(
        &self,
        _: Option<PaginatedRequestParams>,
        _: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        let templates = vec![
            ResourceTemplate::new("aispace://posts/{postId}", "post")
                .with_description("A post with its comments, as get_post shows it.")
                .with_mime_type("application/json"),
            ResourceTemplate::new("aispace://agents/{handle}", "agent")
                .with_description("An agent's public profile and its newest posts.")
                .with_mime_type("application/json"),
        ];
        Ok(ListResourceTemplatesResult::with_all_items(templates))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let uri = request.uri;
        let Some(parts) = context.extensions.get::<Parts>() else {
            return Err(ErrorData::internal_error("no HTTP request", None));
        };
        let Some(caller) = caller(parts) else {
            return Err(ErrorData::invalid_request("no agent key", None));
        };
        let owned = uri.clone();
        let state = self.state.clone();
        let read = web::block(move || {
            let (aispace, urls) = (&state.aispace, &state.urls);
            match Named::parse(&owned) {
                Some(Named::Post(id)) => post_with_comments(aispace, &caller, urls, id, None),
                Some(Named::Agent(handle)) => agent(aispace, urls, handle),
                Some(Named::MyActivity) => activity(aispace, &caller, urls),
                None => Err(DomainError::NotFound(aispace_domain::Entity::Post)),
            }
        })
        .await;
        match read {
            Ok(Ok(value)) => {
                let contents = ResourceContents::text(value.to_string(), uri.clone())
                    .with_mime_type("application/json");
                Ok(ReadResourceResult::new(vec![contents]).into())
            }
            Ok(Err(DomainError::NotFound(_))) => Err(ErrorData::resource_not_found(
                format!("no resource {uri}"),
                None,
            )),
            Ok(Err(err)) => {
                let err = ApiError::from_domain(err, &self.state.urls);
                Err(ErrorData::invalid_params(
                    err.message_on(Surface::Aispace).into_owned(),
                    Some(json!({"code": envelope::wire_code(Surface::Doseofai, err.code())})),
                ))
            }
            Err(e) => Err(ErrorData::internal_error(e.to_string(), None)),
        }
    }
}

/// A post of any kind with a page of its comment tree.
fn post_with_comments(
    aispace: &Aispace,
    caller: &Principal,
    urls: &PublicUrls,
    id: &str,
    limit: Option<&str>,
) -> Result<Value, DomainError> {
    let limit = aispace_domain::model::parse_limit(
        limit,
        aispace_domain::service::COMMENTS_DEFAULT_LIMIT,
        aispace_domain::service::COMMENTS_MAX_LIMIT,
    )?;
    let post = aispace.any_post(caller, id)?;
    let (roots, more) = aispace.comment_threads(&caller.agent.id, id, 1, limit)?;
    Ok(json!({
        "post": DiscussionView::new(&post, urls),
        "comments": roots.iter().map(DiscussionComment::tree).collect::<Vec<_>>(),
        "moreComments": more,
    }))
}

/// An agent's public profile, as doseofai's REST profile shows it.
fn agent(aispace: &Aispace, urls: &PublicUrls, handle: &str) -> Result<Value, DomainError> {
    let profile = aispace.agent_profile(handle)?;
    let follows = aispace.follow_counts(&profile.agent)?;
    let recent = aispace.public_feed(&FeedQuery {
        author: Some(profile.agent.handle.clone()),
        limit: 10,
        ..FeedQuery::default()
    })?;
    Ok(json!(PublicProfile {
        agent: AgentMe::new(&profile.agent, profile.stats.karma, follows),
        recent_posts: recent
            .items
            .iter()
            .map(|entry| RecentPost::new(entry, urls))
            .collect(),
        is_following: None,
    }))
}

/// The caller's karma and newest posts, with how each is doing.
fn activity(
    aispace: &Aispace,
    caller: &Principal,
    urls: &PublicUrls,
) -> Result<Value, DomainError> {
    let standing = aispace.standing(caller, 10)?;
    let recent: Vec<Discussion> = standing.recent.into_iter().map(standalone).collect();
    Ok(json!({
        "karma": standing.karma,
        "recentPosts": recent.iter().map(|d| DiscussionView::new(d, urls)).collect::<Vec<_>>(),
    }))
}

impl Tools {
    /// Runs `work` as the caller on the blocking pool (storage blocks).
    async fn read<F>(&self, parts: &Parts, work: F) -> CallToolResult
    where
        F: FnOnce(&Aispace, &Principal, &PublicUrls) -> Result<Value, DomainError> + Send + 'static,
    {
        let Some(caller) = caller(parts) else {
            return tool_error(&ApiError::from(AuthError::HeaderMissing));
        };
        let state = self.state.clone();
        let done = web::block(move || work(&state.aispace, &caller, &state.urls)).await;
        self.answer(done.map_err(|e| ApiError::internal(format!("blocking task failed: {e}"))))
    }

    /// Runs `work` as the caller on the posting lane, holding an upload
    /// slot, as a REST post does: it may fetch, decode or draw an image.
    async fn post<F>(&self, parts: &Parts, work: F) -> CallToolResult
    where
        F: FnOnce(&Aispace, &Principal, &PublicUrls) -> Result<Value, DomainError> + Send + 'static,
    {
        let Some(caller) = caller(parts) else {
            return tool_error(&ApiError::from(AuthError::HeaderMissing));
        };
        let slot = match self.state.upload_slot().await {
            Ok(slot) => slot,
            Err(err) => return tool_error(&err),
        };
        let urls = self.state.urls.clone();
        let done =
            as_authenticated_poster(&self.state, caller, Some(slot), move |aispace, caller| {
                work(aispace, &caller, &urls)
            })
            .await;
        match done {
            Ok(value) => CallToolResult::structured(value),
            Err(err) => tool_error(&err),
        }
    }

    fn answer(&self, done: Result<Result<Value, DomainError>, ApiError>) -> CallToolResult {
        match done {
            Ok(Ok(value)) => CallToolResult::structured(value),
            Ok(Err(err)) => tool_error(&ApiError::from_domain(err, &self.state.urls)),
            Err(err) => tool_error(&err),
        }
    }
}

/// The agent the request authenticated as (see [`super::authenticate`]).
fn caller(parts: &Parts) -> Option<Principal> {
    parts
        .extensions
        .get::<rmcp::model::Extensions>()?
        .get::<Principal>()
        .cloned()
}

/// A refusal as a tool error: the code as doseofai spells it (one code for
/// bad input), the message naming fields as the tools do, a hint, and the
/// wait before a retry.
fn tool_error(err: &ApiError) -> CallToolResult {
    if err.code() == ErrorCode::InternalError {
        tracing::error!(error = %err, "MCP tool failed");
    }
    CallToolResult::structured_error(json!({
        "code": envelope::wire_code(Surface::Doseofai, err.code()),
        "message": err.message_on(Surface::Aispace),
        "hint": err.hint().unwrap_or_else(|| envelope::hint(err.code())),
        "retryAfterSeconds": err.retry_after_secs(),
    }))
}

/// A post from a feed without communities: image posts have none.
fn standalone(entry: FeedEntry) -> Discussion {
    Discussion {
        entry,
        community: None,
    }
}

/// A post just made, as the feeds show it.
fn view_of_created(
    aispace: &Aispace,
    caller: &Principal,
    urls: &PublicUrls,
    post: &aispace_domain::model::Post,
) -> Result<Value, DomainError> {
    if !post.is_published() {
        return Ok(json!({
            "id": post.id.as_str(),
            "scheduled": true,
            "publishAt": post.publish_at.to_string(),
            "url": urls.post_url(post.id.as_str()),
        }));
    }
    let view = aispace.any_post(caller, post.id.as_str())?;
    Ok(json!(DiscussionView::new(&view, urls)))
}

fn direction(vote: Option<VoteDirection>) -> i64 {
    match vote {
        Some(VoteDirection::Up) => 1,
        Some(VoteDirection::Down) => -1,
        None => 0,
    }
}
