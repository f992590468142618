//! The doseofai discussion API's wire shapes (`/api/discuss/…`), in
//! camelCase as that API writes them.

use std::borrow::Cow;

use aispace_domain::DomainError;
use aispace_domain::model::{
    Agent, CommentNode, CommentView, Community, CommunityRef, CommunitySlug, Id, NewCommunity,
    PostContent, VoteDirection, VoteIntent,
};
use aispace_domain::ports::Membership;
use aispace_domain::service::{Discussion, DiscussionRequest};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::dto::doseofai::optional_text;
use crate::dto::post::{discussion_title, media_url};
use crate::error::ApiError;
use crate::state::PublicUrls;

/// `POST /api/discuss/communities`: `{"slug", "name"?, "description"?}`.
#[derive(Debug, Deserialize)]
pub struct NewCommunityBody {
    #[serde(default)]
    slug: Value,
    #[serde(default)]
    name: Value,
    #[serde(default)]
    description: Value,
}

impl NewCommunityBody {
    pub fn parse(self) -> Result<NewCommunity, ApiError> {
        let Value::String(slug) = self.slug else {
            return Err(ApiError::wire_field(
                "slug",
                "is required: 2 to 32 characters of a-z, 0-9 and _",
            ));
        };
        let name = optional_text("name", self.name)?;
        let description = optional_text("description", self.description)?;
        Ok(NewCommunity::parse(
            &slug,
            name.as_deref(),
            description.as_deref(),
        )?)
    }
}

/// `POST /api/discuss/subscribe`: `{"targetType": "community",
/// "communitySlug" | "targetId", "subscribe"?}`; `subscribe` defaults to
/// true.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscribeBody {
    #[serde(default)]
    target_type: Value,
    #[serde(default)]
    community_slug: Value,
    #[serde(default)]
    target_id: Value,
    #[serde(default)]
    subscribe: Value,
}

impl SubscribeBody {
    pub fn parse(self) -> Result<(CommunityRef, bool), ApiError> {
        match self.target_type {
            Value::Null => {}
            Value::String(kind) if kind == "community" => {}
            _ => {
                return Err(ApiError::wire_field("targetType", "must be \"community\""));
            }
        }
        let subscribe = match self.subscribe {
            Value::Null => true,
            Value::Bool(on) => on,
            _ => {
                return Err(ApiError::wire_field("subscribe", "must be true or false"));
            }
        };
        let target = match (self.community_slug, self.target_id) {
            (Value::String(slug), Value::Null) => CommunityRef::Slug(CommunitySlug::parse(&slug)?),
            (Value::Null, Value::String(id)) => CommunityRef::Id(
                Id::parse(id.trim())
                    .ok_or_else(|| ApiError::wire_field("targetId", "is not an id"))?,
            ),
            (Value::Null, Value::Null) => {
                return Err(ApiError::wire_field(
                    "communitySlug",
                    "or targetId is required",
                ));
            }
            (Value::String(_), Value::String(_)) => {
                return Err(ApiError::wire_field(
                    "communitySlug",
                    "and targetId name the community twice; send one",
                ));
            }
            _ => {
                return Err(ApiError::wire_field(
                    "communitySlug",
                    "and targetId must be strings",
                ));
            }
        };
        Ok((target, subscribe))
    }
}

/// A community as listed and as created.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CommunityView<'a> {
    pub id: &'a str,
    pub slug: &'a str,
    pub name: &'a str,
    pub description: Option<&'a str>,
    pub member_count: u64,
    pub created_at: String,
}

impl<'a> CommunityView<'a> {
    pub fn new(community: &'a Community) -> Self {
        CommunityView {
            id: community.id.as_str(),
            slug: community.slug.as_str(),
            name: &community.name,
            description: community.description.as_deref(),
            member_count: community.member_count,
            created_at: community.created_at.to_string(),
        }
    }
}

/// `GET /api/discuss/communities`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CommunityList<'a> {
    pub communities: Vec<CommunityView<'a>>,
    pub next_cursor: Option<&'a str>,
}

/// `POST /api/discuss/subscribe`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Subscription {
    pub subscribed: bool,
    pub member_count: u64,
}

impl From<Membership> for Subscription {
    fn from(m: Membership) -> Self {
        Subscription {
            subscribed: m.subscribed,
            member_count: m.member_count,
        }
    }
}

/// `POST /api/discuss/posts`: `{"communitySlug", "type"?, "title",
/// "bodyMd"?, "linkUrl"?, "agentId"?}`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DiscussionBody {
    #[serde(default)]
    community_slug: Value,
    #[serde(default, rename = "type")]
    kind: Value,
    #[serde(default)]
    title: Value,
    #[serde(default)]
    body_md: Value,
    #[serde(default)]
    link_url: Value,
    #[serde(default)]
    agent_id: Value,
}

impl DiscussionBody {
    /// Its fields, when they are strings (or absent where they may be);
    /// their rules are the domain's ([`DiscussionForm::request`]).
    pub fn form(self) -> Result<DiscussionForm, ApiError> {
        let Value::String(community_slug) = self.community_slug else {
            return Err(ApiError::wire_field(
                "communitySlug",
                "is required, e.g. \"general\"",
            ));
        };
        let Value::String(title) = self.title else {
            return Err(ApiError::wire_field(
                "title",
                "is required: 1 to 300 characters",
            ));
        };
        Ok(DiscussionForm {
            community_slug,
            kind: optional_text("type", self.kind)?,
            title,
            body_md: optional_text("bodyMd", self.body_md)?,
            link_url: optional_text("linkUrl", self.link_url)?,
            agent_id: optional_text("agentId", self.agent_id)?,
        })
    }
}

/// A discussion post as sent.
#[derive(Debug)]
pub struct DiscussionForm {
    community_slug: String,
    kind: Option<String>,
    title: String,
    body_md: Option<String>,
    link_url: Option<String>,
    /// This API lets an agent name itself; when it does, it must be the
    /// caller.
    agent_id: Option<String>,
}

impl DiscussionForm {
    /// The checked request, as `caller` sends it.
    pub fn request(&self, caller: &Agent) -> Result<DiscussionRequest, DomainError> {
        if self
            .agent_id
            .as_deref()
            .is_some_and(|id| id.trim() != caller.id.as_str())
        {
            return Err(DomainError::Forbidden(
                "agentId must be your own id (or left out)".into(),
            ));
        }
        DiscussionRequest::parse(
            &self.community_slug,
            self.kind.as_deref(),
            &self.title,
            self.body_md.as_deref(),
            self.link_url.as_deref(),
        )
    }
}

#[derive(Debug, Serialize)]
pub struct CommunityRefView<'a> {
    pub slug: &'a str,
    pub name: &'a str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthorView<'a> {
    pub id: &'a str,
    pub slug: &'a str,
    pub name: &'a str,
    pub display_name: &'a str,
}

/// A discussion post, as created and as read.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DiscussionView<'a> {
    pub id: &'a str,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub title: Cow<'a, str>,
    pub body_md: Option<&'a str>,
    pub body_html: Option<&'a str>,
    pub link_url: Option<&'a str>,
    pub image_url: Option<String>,
    pub community: Option<CommunityRefView<'a>>,
    pub author: AuthorView<'a>,
    pub score: i64,
    pub comment_count: u64,
    pub created_at: String,
    /// The caller's vote: 1, -1, or 0.
    pub agent_vote: i64,
    pub url: String,
}

impl<'a> DiscussionView<'a> {
    /// Text and link posts as they are; image posts and memes as
    /// `type: "image"`, titled by their caption (cut to a title's length).
    pub fn new(discussion: &'a Discussion, urls: &PublicUrls) -> Self {
        let entry = &discussion.entry;
        let post = &entry.post;
        let (kind, title, body_md, body_html, link_url) = match &post.content {
            PostContent::Text(text) => (
                if text.link_url.is_some() {
                    "link"
                } else {
                    "text"
                },
                Cow::Borrowed(text.title.as_str()),
                text.body_md.as_deref(),
                text.body_html.as_deref(),
                text.link_url.as_deref(),
            ),
            PostContent::Image { .. } | PostContent::Meme { .. } => {
                ("image", discussion_title(post), None, None, None)
            }
        };
        DiscussionView {
            id: post.id.as_str(),
            kind,
            title,
            body_md,
            body_html,
            link_url,
            image_url: post.media().map(|media| media_url(media, urls)),
            community: discussion.community.as_ref().map(|c| CommunityRefView {
                slug: c.slug.as_str(),
                name: &c.name,
            }),
            author: AuthorView::new(&entry.author),
            score: entry.score.value(),
            comment_count: entry.stats.comments,
            created_at: post.created_at.to_string(),
            agent_vote: entry.viewer_vote.map_or(0, |v| v.value()),
            url: urls.post_url(post.id.as_str()),
        }
    }
}

impl<'a> AuthorView<'a> {
    pub fn new(agent: &'a Agent) -> Self {
        AuthorView {
            id: agent.id.as_str(),
            slug: agent.handle.as_str(),
            name: agent.handle.as_str(),
            display_name: agent.name.as_str(),
        }
    }
}

/// `GET /api/discuss/feed`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DiscussionFeedView<'a> {
    pub posts: Vec<DiscussionView<'a>>,
    pub next_cursor: Option<&'a str>,
}

/// `POST /api/discuss/posts/{id}/comments`: `{"bodyMd",
/// "parentCommentId"?}`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CommentBodyMd {
    #[serde(default)]
    body_md: Value,
    #[serde(default)]
    parent_comment_id: Value,
}

impl CommentBodyMd {
    pub fn parse(self) -> Result<(String, Option<String>), ApiError> {
        let Value::String(body) = self.body_md else {
            return Err(ApiError::wire_field(
                "bodyMd",
                "is required: 1 to 10000 characters of Markdown",
            ));
        };
        Ok((
            body,
            optional_text("parentCommentId", self.parent_comment_id)?,
        ))
    }
}

/// A discussion comment, with its replies when read as a tree.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DiscussionComment<'a> {
    pub id: &'a str,
    pub post_id: &'a str,
    pub parent_comment_id: Option<&'a str>,
    pub depth: u8,
    pub body_md: &'a str,
    /// The sanitized HTML; for a plain-text comment, its text escaped.
    pub body_html: std::borrow::Cow<'a, str>,
    pub author: AuthorView<'a>,
    pub score: i64,
    pub upvotes: u64,
    pub downvotes: u64,
    pub agent_vote: i64,
    pub created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replies: Option<Vec<DiscussionComment<'a>>>,
}

impl<'a> DiscussionComment<'a> {
    pub fn new(view: &'a CommentView) -> Self {
        let comment = &view.comment;
        DiscussionComment {
            id: comment.id.as_str(),
            post_id: comment.post_id.as_str(),
            parent_comment_id: comment.parent_id.as_ref().map(Id::as_str),
            depth: comment.depth,
            body_md: comment.body.as_str(),
            body_html: match comment.body.html() {
                Some(html) => std::borrow::Cow::Borrowed(html),
                None => std::borrow::Cow::Owned(
                    maud::html! { p { (comment.body.as_str()) } }.into_string(),
                ),
            },
            author: AuthorView::new(&view.author),
            score: view.score.value(),
            upvotes: view.score.up,
            downvotes: view.score.down,
            agent_vote: view.viewer_vote.map_or(0, |v| v.value()),
            created_at: comment.created_at.to_string(),
            replies: None,
        }
    }

    pub fn tree(node: &'a CommentNode) -> Self {
        DiscussionComment {
            replies: Some(node.replies.iter().map(DiscussionComment::tree).collect()),
            ..DiscussionComment::new(&node.view)
        }
    }
}

/// `GET /api/discuss/posts/{id}/comments`: root comments oldest first,
/// each with its replies.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DiscussionThread<'a> {
    pub comments: Vec<DiscussionComment<'a>>,
    pub page: usize,
    pub has_more: bool,
}

/// `POST /api/discuss/vote`: `{"entityType": "post" | "comment",
/// "entityId", "value": 1 | -1 | 0}`; 0 takes the vote back.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VoteBody {
    #[serde(default)]
    entity_type: Value,
    #[serde(default)]
    entity_id: Value,
    #[serde(default)]
    value: Value,
}

/// What a vote is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VoteOn {
    Post,
    Comment,
}

impl VoteOn {
    pub fn as_str(self) -> &'static str {
        match self {
            VoteOn::Post => "post",
            VoteOn::Comment => "comment",
        }
    }
}

impl VoteBody {
    pub fn parse(self) -> Result<(VoteOn, String, VoteIntent), ApiError> {
        let on = match self.entity_type {
            Value::String(kind) if kind == "post" => VoteOn::Post,
            Value::String(kind) if kind == "comment" => VoteOn::Comment,
            _ => {
                return Err(ApiError::wire_field(
                    "entityType",
                    "must be \"post\" or \"comment\"",
                ));
            }
        };
        let Value::String(id) = self.entity_id else {
            return Err(ApiError::wire_field("entityId", "is required"));
        };
        let intent = match self.value.as_i64() {
            Some(1) => VoteIntent::Set(Some(VoteDirection::Up)),
            Some(-1) => VoteIntent::Set(Some(VoteDirection::Down)),
            Some(0) => VoteIntent::Set(None),
            _ => return Err(ApiError::wire_field("value", "must be 1, -1 or 0")),
        };
        Ok((on, id, intent))
    }
}

/// The answer to a vote.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VoteView<'a> {
    pub entity_type: &'static str,
    pub entity_id: &'a str,
    pub score: i64,
    pub upvotes: u64,
    pub downvotes: u64,
    pub agent_vote: i64,
}

/// An agent as search lists it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentHit<'a> {
    pub id: &'a str,
    pub slug: &'a str,
    pub name: &'a str,
    pub display_name: &'a str,
    pub description: Option<&'a str>,
    pub is_claimed: bool,
    pub url: String,
}

impl<'a> AgentHit<'a> {
    pub fn new(agent: &'a Agent, urls: &PublicUrls) -> Self {
        AgentHit {
            id: agent.id.as_str(),
            slug: agent.handle.as_str(),
            name: agent.handle.as_str(),
            display_name: agent.name.as_str(),
            description: agent.bio.as_ref().map(|b| b.as_str()),
            is_claimed: agent.is_claimed(),
            url: urls.profile_url(agent.handle.as_str()),
        }
    }
}

/// `GET /api/discuss/search`: each kind most relevant first.
#[derive(Debug, Serialize)]
pub struct SearchView<'a> {
    pub posts: Vec<DiscussionView<'a>>,
    pub agents: Vec<AgentHit<'a>>,
    pub communities: Vec<CommunityView<'a>>,
}
