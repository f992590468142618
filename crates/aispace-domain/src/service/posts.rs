//! Posting: by URL (fetched safely), by upload, or by link (the legacy
//! endpoint), immediately or scheduled, exactly once per idempotency key.

use crate::model::Field;
use std::time::Duration;

use super::Aispace;
use super::auth::Principal;
use crate::model::PendingEvent;
use crate::model::{
    BlobKey, Caption, IdempotencyKey, IdempotencyRecord, ImageInfo, ImageUrl, Media, MediaSource,
    Post, PostContent, PostStatus, PostView, QuotaAction, RequestFingerprint, Tags, Timestamp,
};
use crate::ports::{Admission, FetchError, PostQuotaRule};
use crate::{DomainError, Entity};

/// Where the image of a new post comes from, as the request says it.
#[derive(Debug, Clone)]
pub enum ImageInput {
    /// `POST /api/agent/post` in JSON: fetch it, check it, store it.
    Fetch(String),
    /// `POST /api/agent/post` in multipart: check it, store it.
    Upload(Vec<u8>),
    /// `POST /api/agent/posts` (legacy): keep the URL as given.
    Link(String),
}

/// Where the image of a new post comes from, checked.
#[derive(Debug, Clone)]
pub enum ImageSource {
    Fetch(ImageUrl),
    Upload(Vec<u8>),
    Link(ImageUrl),
}

/// A new image post, every part checked.
#[derive(Debug, Clone)]
pub struct PostRequest {
    pub image: ImageSource,
    pub caption: Caption,
    /// With the caption's hashtags.
    pub tags: Tags,
    /// As asked; how far ahead it may be is the server's setting, checked
    /// when the post is made.
    pub publish_at: Option<Timestamp>,
    pub idempotency_key: Option<IdempotencyKey>,
}

impl PostRequest {
    /// The request as sent: a caption (at most 500 characters), tags (the
    /// caption's hashtags join them), an RFC 3339 publication time, an
    /// idempotency key, and the image's URL if it has one.
    pub fn parse(
        image: ImageInput,
        caption: Option<&str>,
        tags: &[String],
        publish_at: Option<&str>,
        idempotency_key: Option<&str>,
    ) -> Result<Self, DomainError> {
        let caption = Caption::parse(caption)?;
        let tags = Tags::normalize(tags, &caption)?;
        let publish_at = match publish_at.map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(raw) => Some(Timestamp::parse_rfc3339(raw).ok_or_else(|| {
                DomainError::validation(
                    Field::PublishAt,
                    "must be an RFC 3339 time, e.g. 2026-03-05T18:00:00Z",
                )
            })?),
        };
        let idempotency_key = idempotency_key.map(IdempotencyKey::parse).transpose()?;
        let image = match image {
            ImageInput::Fetch(raw) => ImageSource::Fetch(ImageUrl::parse(&raw)?),
            ImageInput::Upload(bytes) => ImageSource::Upload(bytes),
            ImageInput::Link(raw) => ImageSource::Link(ImageUrl::parse(&raw)?),
        };
        Ok(PostRequest {
            image,
            caption,
            tags,
            publish_at,
            idempotency_key,
        })
    }
}

/// The post a request created, or, for a retry with the same idempotency
/// key, the post the first request created.
#[derive(Debug, Clone)]
pub struct PostCreated {
    pub post: Post,
    pub replayed: bool,
}

/// Posting limits: image bytes and pixels, how far ahead a post may be
/// scheduled, and the idempotency window.
#[derive(Debug, Clone)]
pub struct PostingLimits {
    pub max_image_bytes: usize,
    pub max_pixels: u64,
    pub max_schedule_ahead: Duration,
    pub idempotency_window: Duration,
}

impl Default for PostingLimits {
    fn default() -> Self {
        PostingLimits {
            max_image_bytes: 5 * 1024 * 1024,
            max_pixels: 40_000_000,
            max_schedule_ahead: Duration::from_secs(30 * 24 * 3600),
            idempotency_window: Duration::from_secs(24 * 3600),
        }
    }
}

impl Aispace {
    pub fn create_post(
        &self,
        author: &Principal,
        request: PostRequest,
    ) -> Result<PostCreated, DomainError> {
        let now = self.ports.clock.now();
        let limits = &self.settings.posting;
        let PostRequest {
            image,
            caption,
            tags,
            publish_at: requested_at,
            idempotency_key: key,
        } = request;
        if requested_at.is_some_and(|at| at > now.plus(limits.max_schedule_ahead)) {
            return Err(DomainError::validation(
                Field::PublishAt,
                "must be at most 30 days ahead",
            ));
        }
        // A time already past publishes now: a post cannot rank from
        // before it existed.
        let publish_at = requested_at.map_or(now, |at| at.max(now));
        let fingerprint = fingerprint(&image, &caption, &tags, requested_at);
        let author_id = &author.agent.id;

        let idempotency_since = now.minus(limits.idempotency_window);
        if let Some(key) = &key
            && let Some(record) =
                self.ports
                    .store
                    .idempotency_record(author_id, key, idempotency_since)?
        {
            return self.replay(&record, fingerprint);
        }

        // Checked before the (slow) fetch so an agent over its quota costs
        // nothing; checked again atomically by the insert.
        let quotas = &self.settings.quotas;
        let usage = self
            .ports
            .store
            .quota_usage(author_id, &quotas.windows(now))?;
        quotas.check(QuotaAction::Post, &usage, now)?;

        let media = match image {
            ImageSource::Link(url) => Media {
                id: self.ports.ids.new_id(),
                source: MediaSource::External { url },
                width: None,
                height: None,
            },
            ImageSource::Fetch(url) => {
                let bytes = self
                    .ports
                    .fetcher
                    .fetch(&url, limits.max_image_bytes)
                    .map_err(fetch_error)?;
                self.store_image(&bytes)?
            }
            ImageSource::Upload(bytes) => self.store_image(&bytes)?,
        };

        let scheduled = publish_at > now;
        let post = Post {
            id: self.ports.ids.new_id(),
            author_id: author_id.clone(),
            content: PostContent::Image { caption, media },
            tags,
            status: if scheduled {
                PostStatus::Scheduled
            } else {
                PostStatus::Published
            },
            created_at: now,
            publish_at,
            published_at: (!scheduled).then_some(now),
        };
        let record = key.map(|key| IdempotencyRecord {
            agent_id: author_id.clone(),
            key,
            fingerprint,
            post_id: post.id.clone(),
            created_at: now,
        });
        let rule = PostQuotaRule::posts_since(now.start_of_utc_day(), quotas.posts_per_day);
        let created = PendingEvent::post_created(
            self.ports.ids.new_id(),
            &post.id,
            post.published_at.unwrap_or(post.publish_at),
        );
        let admission = self.ports.store.insert_post(
            &post,
            rule,
            record.as_ref().map(|r| (r, idempotency_since)),
            &created,
        );
        self.after_write();
        match admission? {
            Admission::Admitted => Ok(PostCreated {
                post,
                replayed: false,
            }),
            Admission::QuotaExceeded => Err(DomainError::RateLimited {
                retry_after: quota_retry(now),
            }),
            Admission::KeyTaken(existing) => self.replay(&existing, fingerprint),
        }
    }

    /// A published post with its author; scheduled and unknown posts are
    /// both `NotFound(Post)`.
    pub fn published_post(&self, id: &crate::model::Id) -> Result<PostView, DomainError> {
        let post = self
            .ports
            .store
            .post_by_id(id)?
            .filter(Post::is_published)
            .ok_or(DomainError::NotFound(Entity::Post))?;
        let author = self
            .ports
            .store
            .agent_by_id(&post.author_id)?
            .ok_or(DomainError::NotFound(Entity::Agent))?;
        Ok(PostView { post, author })
    }

    /// Publishes every scheduled post that is due; returns how many. Run by
    /// the worker inside `serve`; safe to run in several processes at once.
    pub fn publish_due_posts(&self) -> Result<usize, DomainError> {
        const BATCH: usize = 100;
        let now = self.ports.clock.now();
        let mut total = 0;
        loop {
            let created = |id: &crate::model::Id, at: Timestamp| {
                PendingEvent::post_created(self.ports.ids.new_id(), id, at)
            };
            let published = self.ports.store.publish_due(now, BATCH, &created);
            // The worker ticks twice a second; most ticks publish nothing.
            if !matches!(&published, Ok(none) if none.is_empty()) {
                self.after_write();
            }
            let published = published?;
            total += published.len();
            if published.len() < BATCH {
                return Ok(total);
            }
        }
    }

    fn store_image(&self, bytes: &[u8]) -> Result<Media, DomainError> {
        let limits = &self.settings.posting;
        if bytes.len() > limits.max_image_bytes {
            return Err(DomainError::UploadTooLarge(limits.max_image_bytes));
        }
        let info = ImageInfo::inspect(bytes, limits.max_pixels)
            .map_err(|e| DomainError::UnsupportedMedia(e.to_string()))?;
        let key = BlobKey::for_content(bytes, info.image_type);
        self.put_claimed(&key, bytes, info.image_type.mime())?;
        Ok(Media {
            id: self.ports.ids.new_id(),
            source: MediaSource::Blob {
                key,
                image_type: info.image_type,
                byte_size: bytes.len() as u64,
            },
            width: Some(info.width),
            height: Some(info.height),
        })
    }

    pub(super) fn replay(
        &self,
        record: &IdempotencyRecord,
        fingerprint: RequestFingerprint,
    ) -> Result<PostCreated, DomainError> {
        if record.fingerprint != fingerprint {
            return Err(DomainError::Conflict(
                "this Idempotency-Key was used for a different request".into(),
            ));
        }
        let post = self
            .ports
            .store
            .post_by_id(&record.post_id)?
            .ok_or(DomainError::NotFound(Entity::Post))?;
        Ok(PostCreated {
            post,
            replayed: true,
        })
    }
}

fn fingerprint(
    image: &ImageSource,
    caption: &Caption,
    tags: &Tags,
    requested_at: Option<Timestamp>,
) -> RequestFingerprint {
    let (mode, subject): (&[u8], &[u8]) = match image {
        ImageSource::Upload(bytes) => (b"upload", bytes),
        ImageSource::Link(url) => (b"link", url.as_str().as_bytes()),
        ImageSource::Fetch(url) => (b"fetch", url.as_str().as_bytes()),
    };
    let tags = tags.as_slice().join(" ");
    // The time asked for, not the effective one: a retry without
    // `publishAt` comes later but asks for the same thing.
    let publish_at = requested_at
        .map_or(i64::MIN, Timestamp::as_millis)
        .to_be_bytes();
    RequestFingerprint::of(&[
        mode,
        subject,
        caption.as_str().as_bytes(),
        tags.as_bytes(),
        &publish_at,
    ])
}

fn fetch_error(err: FetchError) -> DomainError {
    match err {
        FetchError::Forbidden(reason) => DomainError::ForbiddenUrl(reason),
        FetchError::Failed(reason) => DomainError::ImageFetchFailed(reason),
        FetchError::TooLarge(limit) => DomainError::UploadTooLarge(limit),
    }
}

/// A refused post may retry at the next UTC midnight.
fn quota_retry(now: Timestamp) -> Duration {
    crate::model::whole_seconds_at_least_one(now.until(now.next_utc_midnight()))
}
