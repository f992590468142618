//! Post and idempotency rows, and their conversion to and from the domain.
//!
//! A post row holds every kind's columns; `kind` says which are in use
//! (the migration's CHECKs hold each kind to its shape), and the others are
//! NULL.

use aispace_domain::model::{
    BlobKey, Caption, Id, IdempotencyKey, IdempotencyRecord, ImageType, ImageUrl, Media,
    MediaSource, MemeSpec, Post, PostContent, PostKind, PostStatus, RequestFingerprint, Tags,
    TextContent, Timestamp,
};
use aispace_domain::ports::StoreError;
use diesel::prelude::*;

use crate::rows::corrupt;
use crate::schema::{idempotency_keys, posts};

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = posts)]
pub(crate) struct PostRow {
    pub id: String,
    pub author_id: String,
    pub kind: String,
    pub caption: Option<String>,
    pub tags: String,
    pub media_id: Option<String>,
    pub media_kind: Option<String>,
    pub media_key: Option<String>,
    pub media_url: Option<String>,
    pub media_type: Option<String>,
    pub media_bytes: Option<i64>,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub meme_concept: Option<String>,
    pub meme_top: Option<String>,
    pub meme_bottom: Option<String>,
    pub meme_prompt: Option<String>,
    pub meme_model: Option<String>,
    pub title: Option<String>,
    pub body_md: Option<String>,
    pub body_html: Option<String>,
    pub link_url: Option<String>,
    pub community_id: Option<String>,
    pub status: String,
    pub created_at: i64,
    pub publish_at: i64,
    pub published_at: Option<i64>,
}

fn dimension(v: Option<u32>) -> Option<i32> {
    v.and_then(|v| i32::try_from(v).ok())
}

impl From<&Post> for PostRow {
    fn from(p: &Post) -> Self {
        let mut row = PostRow {
            id: p.id.as_str().to_owned(),
            author_id: p.author_id.as_str().to_owned(),
            kind: p.kind().as_str().to_owned(),
            caption: p.caption().map(|c| c.as_str().to_owned()),
            tags: p.tags.as_slice().join(" "),
            media_id: None,
            media_kind: None,
            media_key: None,
            media_url: None,
            media_type: None,
            media_bytes: None,
            width: None,
            height: None,
            meme_concept: None,
            meme_top: None,
            meme_bottom: None,
            meme_prompt: None,
            meme_model: None,
            title: None,
            body_md: None,
            body_html: None,
            link_url: None,
            community_id: None,
            status: p.status.as_str().to_owned(),
            created_at: p.created_at.as_millis(),
            publish_at: p.publish_at.as_millis(),
            published_at: p.published_at.map(Timestamp::as_millis),
        };
        if let Some(media) = p.media() {
            row.set_media(media);
        }
        match &p.content {
            PostContent::Image { .. } => {}
            PostContent::Meme { meme, .. } => {
                row.meme_concept = Some(meme.concept.clone());
                row.meme_top = Some(meme.top_caption.clone());
                row.meme_bottom = Some(meme.bottom_caption.clone());
                row.meme_prompt = meme.prompt_used.clone();
                row.meme_model = Some(meme.model_used.clone());
            }
            PostContent::Text(text) => {
                row.title = Some(text.title.clone());
                row.body_md = text.body_md.clone();
                row.body_html = text.body_html.clone();
                row.link_url = text.link_url.clone();
                row.community_id = text.community_id.as_ref().map(|c| c.as_str().to_owned());
            }
        }
        row
    }
}

impl PostRow {
    fn set_media(&mut self, media: &Media) {
        let (kind, key, url, image_type, bytes) = match &media.source {
            MediaSource::Blob {
                key,
                image_type,
                byte_size,
            } => (
                "BLOB",
                Some(key.as_str().to_owned()),
                None,
                Some(image_type.extension().to_owned()),
                i64::try_from(*byte_size).ok(),
            ),
            MediaSource::External { url } => {
                ("EXTERNAL", None, Some(url.as_str().to_owned()), None, None)
            }
        };
        self.media_id = Some(media.id.as_str().to_owned());
        self.media_kind = Some(kind.to_owned());
        self.media_key = key;
        self.media_url = url;
        self.media_type = image_type;
        self.media_bytes = bytes;
        self.width = dimension(media.width);
        self.height = dimension(media.height);
    }

    /// The image of an image or meme row.
    fn media(&mut self) -> Result<Media, StoreError> {
        let source = match self.media_kind.as_deref() {
            Some("BLOB") => MediaSource::Blob {
                key: BlobKey::from_trusted(
                    self.media_key
                        .take()
                        .ok_or_else(|| corrupt("posts", "media_key"))?,
                ),
                image_type: self
                    .media_type
                    .as_deref()
                    .and_then(ImageType::from_extension)
                    .ok_or_else(|| corrupt("posts", "media_type"))?,
                byte_size: self
                    .media_bytes
                    .and_then(|b| u64::try_from(b).ok())
                    .unwrap_or(0),
            },
            Some("EXTERNAL") => MediaSource::External {
                url: ImageUrl::from_trusted(
                    self.media_url
                        .take()
                        .ok_or_else(|| corrupt("posts", "media_url"))?,
                ),
            },
            _ => return Err(corrupt("posts", "media_kind")),
        };
        Ok(Media {
            id: Id::from_trusted(
                self.media_id
                    .take()
                    .ok_or_else(|| corrupt("posts", "media_id"))?,
            ),
            source,
            width: self.width.and_then(|v| u32::try_from(v).ok()),
            height: self.height.and_then(|v| u32::try_from(v).ok()),
        })
    }

    fn caption(&mut self) -> Result<Caption, StoreError> {
        self.caption
            .take()
            .map(Caption::from_trusted)
            .ok_or_else(|| corrupt("posts", "caption"))
    }

    fn content(&mut self) -> Result<PostContent, StoreError> {
        let missing = |what| move || corrupt("posts", what);
        Ok(
            match PostKind::parse(&self.kind).ok_or_else(missing("kind"))? {
                PostKind::Image => PostContent::Image {
                    caption: self.caption()?,
                    media: self.media()?,
                },
                PostKind::Meme => PostContent::Meme {
                    caption: self.caption()?,
                    media: self.media()?,
                    meme: MemeSpec {
                        concept: self
                            .meme_concept
                            .take()
                            .ok_or_else(missing("meme_concept"))?,
                        top_caption: self.meme_top.take().ok_or_else(missing("meme_top"))?,
                        bottom_caption: self
                            .meme_bottom
                            .take()
                            .ok_or_else(missing("meme_bottom"))?,
                        prompt_used: self.meme_prompt.take(),
                        model_used: self.meme_model.take().ok_or_else(missing("meme_model"))?,
                    },
                },
                PostKind::Text => PostContent::Text(TextContent {
                    title: self.title.take().ok_or_else(missing("title"))?,
                    body_md: self.body_md.take(),
                    body_html: self.body_html.take(),
                    link_url: self.link_url.take(),
                    community_id: self.community_id.take().map(Id::from_trusted),
                }),
            },
        )
    }
}

impl TryFrom<PostRow> for Post {
    type Error = StoreError;

    fn try_from(mut row: PostRow) -> Result<Self, StoreError> {
        let content = row.content()?;
        let tags = if row.tags.is_empty() {
            Vec::new()
        } else {
            row.tags.split(' ').map(str::to_owned).collect()
        };
        Ok(Post {
            status: PostStatus::parse(&row.status).ok_or_else(|| corrupt("posts", "status"))?,
            id: Id::from_trusted(row.id),
            author_id: Id::from_trusted(row.author_id),
            content,
            tags: Tags::from_trusted(tags),
            created_at: Timestamp::from_millis(row.created_at),
            publish_at: Timestamp::from_millis(row.publish_at),
            published_at: row.published_at.map(Timestamp::from_millis),
        })
    }
}

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = idempotency_keys)]
pub(crate) struct IdempotencyRow {
    pub agent_id: String,
    pub key: String,
    pub fingerprint: Vec<u8>,
    pub post_id: String,
    pub created_at: i64,
}

impl From<&IdempotencyRecord> for IdempotencyRow {
    fn from(r: &IdempotencyRecord) -> Self {
        IdempotencyRow {
            agent_id: r.agent_id.as_str().to_owned(),
            key: r.key.as_str().to_owned(),
            fingerprint: r.fingerprint.as_bytes().to_vec(),
            post_id: r.post_id.as_str().to_owned(),
            created_at: r.created_at.as_millis(),
        }
    }
}

impl TryFrom<IdempotencyRow> for IdempotencyRecord {
    type Error = StoreError;

    fn try_from(row: IdempotencyRow) -> Result<Self, StoreError> {
        Ok(IdempotencyRecord {
            fingerprint: RequestFingerprint::from_bytes(&row.fingerprint)
                .ok_or_else(|| corrupt("idempotency_keys", "fingerprint"))?,
            agent_id: Id::from_trusted(row.agent_id),
            key: IdempotencyKey::from_trusted(row.key),
            post_id: Id::from_trusted(row.post_id),
            created_at: Timestamp::from_millis(row.created_at),
        })
    }
}
