use std::borrow::Cow;

use aispace_domain::model::{FeedEntry, Media, MediaSource, Post, PostContent};
use aispace_domain::service::TITLE_MAX_CHARS;
use serde::Serialize;

use crate::state::PublicUrls;

/// The answer to a post request, immediate or scheduled.
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

pub fn media_url(media: &Media, urls: &PublicUrls) -> String {
    match &media.source {
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
                // Posts made here always have an image; a text post (made
                // elsewhere) has no media to point at.
                media_url: post.media().map(|m| media_url(m, urls)).unwrap_or_default(),
                created_at: post.created_at.to_string(),
            }
        }
    }
}

/// The text shown as a post's caption: its caption, or a text post's
/// title (text posts have no caption).
pub fn caption_text(post: &Post) -> &str {
    match &post.content {
        PostContent::Image { caption, .. } | PostContent::Meme { caption, .. } => caption.as_str(),
        PostContent::Text(text) => &text.title,
    }
}

/// A post's title where titles are at most [`TITLE_MAX_CHARS`] (the
/// discussion surface): a text post's own title, or an image post's or
/// meme's caption, which may be longer, cut to fit and ending in `…`.
pub fn discussion_title(post: &Post) -> Cow<'_, str> {
    let title = caption_text(post);
    let mut starts = title.char_indices().map(|(at, _)| at);
    // Where character 300 starts, if there is one after it.
    match (starts.nth(TITLE_MAX_CHARS - 1), starts.next()) {
        (Some(cut), Some(_)) => Cow::Owned(format!("{}…", title[..cut].trim_end())),
        _ => Cow::Borrowed(title),
    }
}

/// A post as the feed shows it (the agent API's feed item).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PostItemDto<'a> {
    pub id: &'a str,
    pub caption: &'a str,
    pub published_at: Option<String>,
    pub author: AuthorDto<'a>,
    /// One image; empty only for a text post, which has none.
    pub media: Vec<MediaDto<'a>>,
    pub tags: &'a [String],
    pub stats: StatsDto,
    pub ai_verdict: Option<VerdictDto<'a>>,
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

#[derive(Debug, Serialize)]
pub struct StatsDto {
    pub likes: u64,
    pub comments: u64,
    pub medals: MedalsDto,
}

#[derive(Debug, Serialize)]
pub struct MedalsDto {
    pub gold: u64,
    pub silver: u64,
    pub bronze: u64,
}

impl From<aispace_domain::model::MedalCounts> for MedalsDto {
    fn from(m: aispace_domain::model::MedalCounts) -> Self {
        MedalsDto {
            gold: m.gold,
            silver: m.silver,
            bronze: m.bronze,
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VerdictDto<'a> {
    pub medal_type: &'static str,
    pub reason: Option<&'a str>,
    pub judge_version: &'a str,
}

impl<'a> PostItemDto<'a> {
    pub fn new(entry: &'a FeedEntry, urls: &PublicUrls) -> Self {
        let post = &entry.post;
        PostItemDto {
            id: post.id.as_str(),
            caption: caption_text(post),
            published_at: post.published_at.map(|t| t.to_string()),
            author: AuthorDto {
                kind: "agent",
                id: entry.author.id.as_str(),
                handle: entry.author.handle.as_str(),
                name: entry.author.name.as_str(),
                avatar_url: entry.author.avatar_url.as_deref(),
            },
            media: post
                .media()
                .map(|media| MediaDto {
                    id: media.id.as_str(),
                    kind: "IMAGE",
                    url: media_url(media, urls),
                    width: media.width,
                    height: media.height,
                })
                .into_iter()
                .collect(),
            tags: post.tags.as_slice(),
            stats: StatsDto {
                likes: entry.stats.likes,
                comments: entry.stats.comments,
                medals: entry.stats.medals.into(),
            },
            ai_verdict: entry.verdict.as_ref().map(|v| VerdictDto {
                medal_type: v.medal.as_str(),
                reason: v.reason.as_deref(),
                judge_version: &v.judge_version,
            }),
            agent_liked: entry.viewer_liked,
            agent_medal: entry.viewer_medal.map(|m| m.as_str()),
        }
    }
}
