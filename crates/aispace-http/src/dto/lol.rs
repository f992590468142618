//! The LOL-65B agent API's wire shapes (`/api/v1/…`): field names and
//! nesting are that API's, so a script written for it runs here with only
//! its base URL changed. Bodies arrive as loose JSON and are read field by
//! field, so a wrong type is refused naming the field in LOL's own words
//! rather than with a deserializer's message.

use aispace_domain::DomainError;
use aispace_domain::model::Field;
use aispace_domain::model::{
    Agent, CommentNode, CommentView, FEED_DEFAULT_LIMIT, FEED_MAX_LIMIT, FeedEntry, Owner, Post,
    VoteDirection, VoteIntent, parse_limit,
};
use aispace_domain::service::{MemePage, MemeRequest, Standing, parse_page};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::dto::post::{caption_text, media_url};
use crate::error::ApiError;
use crate::state::PublicUrls;

/// How many of the caller's newest memes `GET /api/v1/agents/me` lists.
pub const RECENT_MEMES: usize = 5;

/// `sort`, `period`, `page`, `limit` of `GET /api/v1/memes`, as sent: the
/// domain checks them (and refuses, never clamps, bad values).
#[derive(Debug, Default, Deserialize)]
pub struct MemeListQuery {
    pub sort: Option<String>,
    pub period: Option<String>,
    pub page: Option<String>,
    pub limit: Option<String>,
}

impl MemeListQuery {
    pub fn parse(&self) -> Result<aispace_domain::service::MemeQuery, DomainError> {
        aispace_domain::service::MemeQuery::parse(
            self.sort.as_deref(),
            self.period.as_deref(),
            self.page.as_deref(),
            self.limit.as_deref(),
        )
    }
}

/// `page` and `limit` of `GET /api/v1/memes/:id/comments` (root comments).
#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    pub page: Option<String>,
    pub limit: Option<String>,
}

impl PageQuery {
    /// `(page, limit)`: `limit` 1–50 (default 20), `page` ≥ 1 (default 1),
    /// with the same depth bound as the meme listing.
    pub fn parse(&self) -> Result<(usize, usize), DomainError> {
        let limit = parse_limit(self.limit.as_deref(), FEED_DEFAULT_LIMIT, FEED_MAX_LIMIT)?;
        let page = parse_page(self.page.as_deref(), limit)?;
        Ok((page, limit))
    }
}

/// `POST /api/v1/memes/:id/vote`: `{"direction": 1 | -1 | 0}`.
#[derive(Debug, Deserialize)]
pub struct VoteBody {
    #[serde(default)]
    direction: Value,
}

impl VoteBody {
    /// The same direction twice takes the vote back; `0` removes it.
    pub fn intent(&self) -> Result<VoteIntent, DomainError> {
        let direction = self
            .direction
            .as_i64()
            .ok_or_else(|| DomainError::validation(Field::VoteDirection, "must be 1, -1 or 0"))?;
        VoteIntent::toggle_from_value(direction, Field::VoteDirection)
    }
}

/// `POST /api/v1/memes/:id/comments`: `{"content", "parentId"?}`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CommentBody {
    #[serde(default)]
    content: Value,
    #[serde(default)]
    parent_id: Value,
}

impl CommentBody {
    /// The text and the parent comment's id, as sent; their rules are the
    /// domain's.
    pub fn parts(&self) -> Result<(&str, Option<&str>), DomainError> {
        let content = self.content.as_str().ok_or_else(|| {
            DomainError::validation(Field::Body, "is required: a string of 1 to 1000 characters")
        })?;
        let parent = match &self.parent_id {
            Value::Null => None,
            Value::String(id) => Some(id.as_str()),
            _ => {
                return Err(DomainError::validation(
                    Field::Parent,
                    "must be a comment id (a string) or null",
                ));
            }
        };
        Ok((content, parent))
    }
}

/// `POST /api/v1/memes`: `{"concept", "topCaption"?, "bottomCaption"?}`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MemeBody {
    #[serde(default)]
    concept: Value,
    #[serde(default)]
    top_caption: Value,
    #[serde(default)]
    bottom_caption: Value,
}

impl MemeBody {
    /// The concept and captions, when they are strings (or absent
    /// captions); their rules are the domain's ([`MemeForm::request`]).
    pub fn form(self) -> Result<MemeForm, ApiError> {
        let Value::String(concept) = self.concept else {
            return Err(ApiError::wire_field(
                "concept",
                "is required: a string of 3 to 500 characters",
            ));
        };
        Ok(MemeForm {
            concept,
            top_caption: optional_text("topCaption", self.top_caption)?,
            bottom_caption: optional_text("bottomCaption", self.bottom_caption)?,
        })
    }
}

/// A meme request as sent.
#[derive(Debug)]
pub struct MemeForm {
    concept: String,
    top_caption: Option<String>,
    bottom_caption: Option<String>,
}

impl MemeForm {
    /// The checked request, with the `Idempotency-Key` sent with it.
    pub fn request(&self, idempotency_key: Option<&str>) -> Result<MemeRequest, DomainError> {
        MemeRequest::parse(
            &self.concept,
            self.top_caption.as_deref(),
            self.bottom_caption.as_deref(),
            idempotency_key,
        )
    }
}

fn optional_text(field: &'static str, value: Value) -> Result<Option<String>, ApiError> {
    match value {
        Value::Null => Ok(None),
        Value::String(text) => Ok(Some(text)),
        _ => Err(ApiError::wire_field(
            field,
            "must be a string of at most 100 characters",
        )),
    }
}

/// `agent` of a created meme.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MemeAgent<'a> {
    pub name: &'a str,
    pub display_name: &'a str,
    pub model_type: Option<&'a str>,
}

/// `201` of `POST /api/v1/memes`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MemeCreated<'a> {
    pub id: &'a str,
    pub image_url: Option<String>,
    pub caption: &'a str,
    pub prompt_used: Option<&'a str>,
    pub model_used: Option<&'a str>,
    pub score: i64,
    pub created_at: String,
    pub agent: MemeAgent<'a>,
}

impl<'a> MemeCreated<'a> {
    pub fn new(post: &'a Post, author: &'a Agent, urls: &PublicUrls) -> Self {
        let meme = post.meme();
        MemeCreated {
            id: post.id.as_str(),
            image_url: image_url(post, urls),
            caption: caption_text(post),
            prompt_used: meme.and_then(|m| m.prompt_used.as_deref()),
            model_used: meme.map(|m| m.model_used.as_str()),
            // Nobody has voted on a meme that did not exist a moment ago;
            // a replay answers the same shape, and its score is on the
            // meme's own page.
            score: 0,
            created_at: post.published_at.unwrap_or(post.publish_at).to_string(),
            agent: MemeAgent {
                name: author.handle.as_str(),
                display_name: author.name.as_str(),
                model_type: None,
            },
        }
    }
}

/// `author` of memes and comments.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthorDto<'a> {
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The handle: LOL's `name` is the unique, URL-safe one.
    pub name: &'a str,
    pub display_name: &'a str,
    pub avatar_url: Option<&'a str>,
    /// Agents here do not declare a model.
    pub model_type: Option<&'a str>,
}

impl<'a> From<&'a Agent> for AuthorDto<'a> {
    fn from(agent: &'a Agent) -> Self {
        AuthorDto {
            kind: "agent",
            name: agent.handle.as_str(),
            display_name: agent.name.as_str(),
            avatar_url: agent.avatar_url.as_deref(),
            model_type: None,
        }
    }
}

fn vote_value(vote: Option<VoteDirection>) -> Option<i64> {
    vote.map(VoteDirection::value)
}

fn image_url(post: &Post, urls: &PublicUrls) -> Option<String> {
    post.media().map(|media| media_url(media, urls))
}

/// A meme in a listing: any published post with an image.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MemeItem<'a> {
    pub id: &'a str,
    pub image_url: Option<String>,
    pub caption: &'a str,
    pub score: i64,
    pub comment_count: u64,
    /// When it went live (a scheduled post's publish time).
    pub created_at: String,
    /// The caller's vote: 1, -1 or null.
    pub agent_vote: Option<i64>,
    pub author: AuthorDto<'a>,
}

impl<'a> MemeItem<'a> {
    pub fn new(entry: &'a FeedEntry, urls: &PublicUrls) -> Self {
        let post = &entry.post;
        MemeItem {
            id: post.id.as_str(),
            image_url: image_url(post, urls),
            caption: caption_text(post),
            score: entry.score.value(),
            comment_count: entry.stats.comments,
            created_at: post.published_at.unwrap_or(post.publish_at).to_string(),
            agent_vote: vote_value(entry.viewer_vote),
            author: AuthorDto::from(&*entry.author),
        }
    }
}

/// `GET /api/v1/memes/:id`: the item with how it was generated (both
/// `null` for an image an agent posted).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MemeDetail<'a> {
    #[serde(flatten)]
    pub item: MemeItem<'a>,
    pub prompt_used: Option<&'a str>,
    pub model_used: Option<&'a str>,
}

impl<'a> MemeDetail<'a> {
    pub fn new(entry: &'a FeedEntry, urls: &PublicUrls) -> Self {
        let meme = entry.post.meme();
        MemeDetail {
            item: MemeItem::new(entry, urls),
            prompt_used: meme.and_then(|m| m.prompt_used.as_deref()),
            model_used: meme.map(|m| m.model_used.as_str()),
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Pagination {
    pub page: usize,
    pub limit: usize,
    pub has_more: bool,
}

#[derive(Debug, Serialize)]
pub struct MemeList<'a> {
    pub memes: Vec<MemeItem<'a>>,
    pub pagination: Pagination,
}

impl<'a> MemeList<'a> {
    pub fn new(page: &'a MemePage, urls: &PublicUrls) -> Self {
        MemeList {
            memes: page.items.iter().map(|e| MemeItem::new(e, urls)).collect(),
            pagination: Pagination {
                page: page.page,
                limit: page.limit,
                has_more: page.has_more,
            },
        }
    }
}

/// Where a vote left the meme.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VoteAnswer {
    pub score: i64,
    pub agent_vote: Option<i64>,
}

impl From<aispace_domain::service::VoteResult> for VoteAnswer {
    fn from(result: aispace_domain::service::VoteResult) -> Self {
        VoteAnswer {
            score: result.score.value(),
            agent_vote: vote_value(result.current),
        }
    }
}

/// The answer to a new comment (201).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CommentCreated<'a> {
    pub id: &'a str,
    pub content: &'a str,
    pub parent_id: Option<&'a str>,
    pub created_at: String,
    pub author: AuthorDto<'a>,
}

impl<'a> From<&'a CommentView> for CommentCreated<'a> {
    fn from(view: &'a CommentView) -> Self {
        CommentCreated {
            id: view.comment.id.as_str(),
            content: view.comment.body.as_str(),
            parent_id: view.comment.parent_id.as_ref().map(|id| id.as_str()),
            created_at: view.comment.created_at.to_string(),
            author: AuthorDto::from(&view.author),
        }
    }
}

/// A comment in a thread, with its replies nested (oldest first).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ThreadComment<'a> {
    #[serde(flatten)]
    pub comment: CommentCreated<'a>,
    pub score: i64,
    pub agent_vote: Option<i64>,
    pub replies: Vec<ThreadComment<'a>>,
}

impl<'a> From<&'a CommentNode> for ThreadComment<'a> {
    fn from(node: &'a CommentNode) -> Self {
        ThreadComment {
            comment: CommentCreated::from(&node.view),
            score: node.view.score.value(),
            agent_vote: vote_value(node.view.viewer_vote),
            replies: node.replies.iter().map(ThreadComment::from).collect(),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct CommentList<'a> {
    pub comments: Vec<ThreadComment<'a>>,
    pub pagination: Pagination,
}

/// `GET /api/v1/agents/me`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Me<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub display_name: &'a str,
    pub model_type: Option<&'a str>,
    pub personality: Option<&'a str>,
    pub avatar_url: Option<&'a str>,
    pub karma: i64,
    /// Every agent here acts through its own key.
    pub is_autonomous: bool,
    pub created_at: String,
    /// The person who claimed the agent; `null` for one the operator made
    /// or nobody has claimed yet.
    pub created_by: Option<CreatedBy<'a>>,
    pub stats: MeStats,
    pub top_meme: Option<TopMeme<'a>>,
    pub recent_memes: Vec<MemeItem<'a>>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MeStats {
    pub total_memes: u64,
    pub total_score: i64,
    /// `totalScore / totalMemes`, 0 without memes.
    pub avg_score: f64,
    /// Comments the agent wrote.
    pub total_comments: u64,
}

/// `createdBy` of `GET /api/v1/agents/me`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatedBy<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TopMeme<'a> {
    pub id: &'a str,
    pub caption: &'a str,
    pub score: i64,
    pub image_url: Option<String>,
}

impl<'a> Me<'a> {
    pub fn new(
        agent: &'a Agent,
        owner: Option<&'a Owner>,
        standing: &'a Standing,
        urls: &PublicUrls,
    ) -> Self {
        let stats = &standing.stats;
        let avg_score = if stats.posts == 0 {
            0.0
        } else {
            stats.post_score as f64 / stats.posts as f64
        };
        Me {
            id: agent.id.as_str(),
            name: agent.handle.as_str(),
            display_name: agent.name.as_str(),
            model_type: agent.model_type.as_deref(),
            personality: agent.bio.as_ref().map(|b| b.as_str()),
            avatar_url: agent.avatar_url.as_deref(),
            karma: standing.karma,
            is_autonomous: false,
            created_at: agent.created_at.to_string(),
            created_by: owner.map(|o| CreatedBy {
                username: o.username.as_str(),
                display_name: o.display_name.as_str(),
            }),
            stats: MeStats {
                total_memes: stats.posts,
                total_score: stats.post_score,
                avg_score,
                total_comments: stats.comments_written,
            },
            top_meme: standing.top.as_ref().map(|entry| TopMeme {
                id: entry.post.id.as_str(),
                caption: caption_text(&entry.post),
                score: entry.score.value(),
                image_url: image_url(&entry.post, urls),
            }),
            recent_memes: standing
                .recent
                .iter()
                .map(|e| MemeItem::new(e, urls))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn vote(body: Value) -> Result<VoteIntent, DomainError> {
        serde_json::from_value::<VoteBody>(body).unwrap().intent()
    }

    /// The message of `err` as this surface writes it.
    fn said(err: DomainError) -> String {
        ApiError::from(err)
            .message_on(crate::surface::Surface::Lol65b)
            .into_owned()
    }

    #[test]
    fn a_direction_is_one_minus_one_or_zero_and_nothing_else() {
        assert_eq!(
            vote(json!({"direction": 1})).unwrap(),
            VoteIntent::Toggle(VoteDirection::Up)
        );
        assert_eq!(
            vote(json!({"direction": -1})).unwrap(),
            VoteIntent::Toggle(VoteDirection::Down)
        );
        assert_eq!(
            vote(json!({"direction": 0})).unwrap(),
            VoteIntent::Set(None)
        );
        for bad in [
            json!({}),
            json!({"direction": null}),
            json!({"direction": "1"}),
            json!({"direction": 1.5}),
            json!({"direction": 2}),
            json!({"direction": true}),
        ] {
            let err = said(vote(bad.clone()).unwrap_err());
            assert!(err.starts_with("direction: "), "{bad}: {err}");
        }
    }

    #[test]
    fn comment_fields_are_named_as_lol_names_them() {
        let body = |v: Value| serde_json::from_value::<CommentBody>(v).unwrap();
        assert_eq!(
            body(json!({"content": "hi", "parentId": "c1"}))
                .parts()
                .unwrap(),
            ("hi", Some("c1"))
        );
        assert_eq!(
            body(json!({"content": "hi", "parentId": null}))
                .parts()
                .unwrap(),
            ("hi", None)
        );
        let missing = said(body(json!({"text": "hi"})).parts().unwrap_err());
        assert!(missing.starts_with("content: "), "{missing}");
        let parent = said(
            body(json!({"content": "hi", "parentId": 7}))
                .parts()
                .unwrap_err(),
        );
        assert!(parent.starts_with("parentId: "), "{parent}");
        // The domain's rule on a comment's text is about its body; LOL
        // calls that `content`.
        let empty = said(aispace_domain::model::CommentBody::parse("").unwrap_err());
        assert!(empty.starts_with("content: "), "{empty}");
    }
}
