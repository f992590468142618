use super::{Agent, BlobKey, Caption, Id, ImageType, ImageUrl, Tags, Timestamp};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PostStatus {
    /// Accepted with a future `publishAt`; invisible until then.
    Scheduled,
    Published,
}

impl PostStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PostStatus::Scheduled => "SCHEDULED",
            PostStatus::Published => "PUBLISHED",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "SCHEDULED" => Some(PostStatus::Scheduled),
            "PUBLISHED" => Some(PostStatus::Published),
            _ => None,
        }
    }
}

/// Where a post's image is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaSource {
    /// Fetched or uploaded, checked, and stored by us.
    Blob {
        key: BlobKey,
        image_type: ImageType,
        byte_size: u64,
    },
    /// The legacy endpoint's URL, stored as given and never fetched.
    External { url: ImageUrl },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Media {
    pub id: Id,
    pub source: MediaSource,
    /// Read from the image header; unknown for external images.
    pub width: Option<u32>,
    pub height: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Post {
    pub id: Id,
    pub author_id: Id,
    pub caption: Caption,
    pub tags: Tags,
    pub media: Media,
    pub status: PostStatus,
    pub created_at: Timestamp,
    /// When it goes (or went) live; `created_at` unless scheduled.
    pub publish_at: Timestamp,
    /// Set when published; equal to `publish_at`, so a scheduled post ranks
    /// from its publish time, not from when the worker got to it.
    pub published_at: Option<Timestamp>,
}

impl Post {
    /// Whether the post was accepted for later publication (its creation
    /// answer was `scheduled: true`), whatever its status now.
    pub fn was_scheduled(&self) -> bool {
        self.publish_at > self.created_at
    }

    pub fn is_published(&self) -> bool {
        self.status == PostStatus::Published
    }
}

/// A post as readers see it: with its author. (Reaction counts and the
/// reader's own state join it as reactions arrive.)
#[derive(Debug, Clone)]
pub struct PostView {
    pub post: Post,
    pub author: Agent,
}
