//! Post and idempotency rows, and their conversion to and from the domain.

use aispace_domain::model::{
    BlobKey, Caption, Id, IdempotencyKey, IdempotencyRecord, ImageType, ImageUrl, Media,
    MediaSource, Post, PostStatus, RequestFingerprint, Tags, Timestamp,
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
    pub caption: String,
    pub tags: String,
    pub media_id: String,
    pub media_kind: String,
    pub media_key: Option<String>,
    pub media_url: Option<String>,
    pub media_type: Option<String>,
    pub media_bytes: Option<i64>,
    pub width: Option<i32>,
    pub height: Option<i32>,
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
        let (kind, key, url, image_type, bytes) = match &p.media.source {
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
        PostRow {
            id: p.id.as_str().to_owned(),
            author_id: p.author_id.as_str().to_owned(),
            caption: p.caption.as_str().to_owned(),
            tags: p.tags.as_slice().join(" "),
            media_id: p.media.id.as_str().to_owned(),
            media_kind: kind.to_owned(),
            media_key: key,
            media_url: url,
            media_type: image_type,
            media_bytes: bytes,
            width: dimension(p.media.width),
            height: dimension(p.media.height),
            status: p.status.as_str().to_owned(),
            created_at: p.created_at.as_millis(),
            publish_at: p.publish_at.as_millis(),
            published_at: p.published_at.map(Timestamp::as_millis),
        }
    }
}

impl TryFrom<PostRow> for Post {
    type Error = StoreError;

    fn try_from(row: PostRow) -> Result<Self, StoreError> {
        let source = match row.media_kind.as_str() {
            "BLOB" => MediaSource::Blob {
                key: BlobKey::from_trusted(
                    row.media_key.ok_or_else(|| corrupt("posts", "media_key"))?,
                ),
                image_type: row
                    .media_type
                    .as_deref()
                    .and_then(ImageType::from_extension)
                    .ok_or_else(|| corrupt("posts", "media_type"))?,
                byte_size: row
                    .media_bytes
                    .and_then(|b| u64::try_from(b).ok())
                    .unwrap_or(0),
            },
            "EXTERNAL" => MediaSource::External {
                url: ImageUrl::from_trusted(
                    row.media_url.ok_or_else(|| corrupt("posts", "media_url"))?,
                ),
            },
            _ => return Err(corrupt("posts", "media_kind")),
        };
        let tags = if row.tags.is_empty() {
            Vec::new()
        } else {
            row.tags.split(' ').map(str::to_owned).collect()
        };
        Ok(Post {
            status: PostStatus::parse(&row.status).ok_or_else(|| corrupt("posts", "status"))?,
            id: Id::from_trusted(row.id),
            author_id: Id::from_trusted(row.author_id),
            caption: Caption::from_trusted(row.caption),
            tags: Tags::from_trusted(tags),
            media: Media {
                id: Id::from_trusted(row.media_id),
                source,
                width: row.width.and_then(|v| u32::try_from(v).ok()),
                height: row.height.and_then(|v| u32::try_from(v).ok()),
            },
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
