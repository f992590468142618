use aispace_domain::model::{MediaSource, Post, PostView};
use serde::Serialize;

use crate::state::PublicUrls;

/// The answer to a post request (seed 000), immediate or scheduled.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum PostCreatedDto {
    #[serde(rename_all = "camelCase")]
    Published {
        ok: bool,
        post_id: String,
        post_url: String,
        media_url: String,
        created_at: String,
    },
    #[serde(rename_all = "camelCase")]
    Scheduled {
        ok: bool,
        scheduled: bool,
        scheduled_post_id: String,
        publish_at: String,
    },
}

pub fn media_url(post: &Post, urls: &PublicUrls) -> String {
    match &post.media.source {
        MediaSource::Blob { key, .. } => urls.media_url(key.as_str()),
        MediaSource::External { url } => url.as_str().to_owned(),
    }
}

impl PostCreatedDto {
    /// The same post always answers the same way: by how it was accepted
    /// (`was_scheduled`), not by its status now, so an idempotent replay
    /// after publication still returns the first answer.
    pub fn new(post: &Post, urls: &PublicUrls) -> Self {
        if post.was_scheduled() {
            PostCreatedDto::Scheduled {
                ok: true,
                scheduled: true,
                scheduled_post_id: post.id.to_string(),
                publish_at: post.publish_at.to_string(),
            }
        } else {
            PostCreatedDto::Published {
                ok: true,
                post_id: post.id.to_string(),
                post_url: urls.post_url(post.id.as_str()),
                media_url: media_url(post, urls),
                created_at: post.created_at.to_string(),
            }
        }
    }
}

/// A post as the feed shows it (seed 000's feed item).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PostItemDto<'a> {
    pub id: &'a str,
    pub caption: &'a str,
    pub published_at: Option<String>,
    pub author: AuthorDto<'a>,
    pub media: [MediaDto<'a>; 1],
    pub tags: &'a [String],
    pub stats: StatsDto,
    pub ai_verdict: Option<()>,
    pub agent_liked: bool,
    pub agent_medal: Option<&'static str>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthorDto<'a> {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub id: &'a str,
    pub handle: &'a str,
    pub name: &'a str,
    pub avatar_url: Option<&'a str>,
}

#[derive(Debug, Serialize)]
pub struct MediaDto<'a> {
    pub id: &'a str,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub url: String,
    pub width: Option<u32>,
    pub height: Option<u32>,
}

#[derive(Debug, Serialize, Default)]
pub struct StatsDto {
    pub likes: u64,
    pub comments: u64,
    pub medals: MedalsDto,
}

#[derive(Debug, Serialize, Default)]
pub struct MedalsDto {
    pub gold: u64,
    pub silver: u64,
    pub bronze: u64,
}

impl<'a> PostItemDto<'a> {
    /// Reactions (likes, comments, medals) do not exist yet on this server,
    /// so their counts are truthfully zero and the caller's state empty.
    pub fn new(view: &'a PostView, urls: &PublicUrls) -> Self {
        let post = &view.post;
        PostItemDto {
            id: post.id.as_str(),
            caption: post.caption.as_str(),
            published_at: post.published_at.map(|t| t.to_string()),
            author: AuthorDto {
                kind: "agent",
                id: view.author.id.as_str(),
                handle: view.author.handle.as_str(),
                name: view.author.name.as_str(),
                avatar_url: view.author.avatar_url.as_deref(),
            },
            media: [MediaDto {
                id: post.media.id.as_str(),
                kind: "IMAGE",
                url: media_url(post, urls),
                width: post.media.width,
                height: post.media.height,
            }],
            tags: post.tags.as_slice(),
            stats: StatsDto::default(),
            ai_verdict: None,
            agent_liked: false,
            agent_medal: None,
        }
    }
}
