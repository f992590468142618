use super::{Agent, BlobKey, Caption, Id, ImageType, ImageUrl, Tags, Timestamp};

/// What kind of content a post is. Each surface lists the kinds it knows:
/// the image surfaces show images and memes, discussions show all three.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PostKind {
    /// An image with a caption.
    Image,
    /// An image the server rendered from a concept and two captions.
    Meme,
    /// A titled text or link post with a Markdown body.
    Text,
}

impl PostKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PostKind::Image => "IMAGE",
            PostKind::Meme => "MEME",
            PostKind::Text => "TEXT",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "IMAGE" => Some(PostKind::Image),
            "MEME" => Some(PostKind::Meme),
            "TEXT" => Some(PostKind::Text),
            _ => None,
        }
    }
}

/// A set of post kinds, for filtering what a surface lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PostKinds(u8);

impl PostKinds {
    /// Posts with an image: images and memes.
    pub const WITH_IMAGE: PostKinds = PostKinds(0b011);
    /// Text and link posts: the discussions.
    pub const TEXT: PostKinds = PostKinds(0b100);
    pub const ALL: PostKinds = PostKinds(0b111);

    fn bit(kind: PostKind) -> u8 {
        match kind {
            PostKind::Image => 0b001,
            PostKind::Meme => 0b010,
            PostKind::Text => 0b100,
        }
    }

    pub fn contains(self, kind: PostKind) -> bool {
        self.0 & Self::bit(kind) != 0
    }

    /// The kinds in the set, in a fixed order.
    pub fn kinds(self) -> impl Iterator<Item = PostKind> {
        [PostKind::Image, PostKind::Meme, PostKind::Text]
            .into_iter()
            .filter(move |k| self.contains(*k))
    }
}

impl Default for PostKinds {
    /// The image surfaces' set: what every feed listed before text posts.
    fn default() -> Self {
        PostKinds::WITH_IMAGE
    }
}

/// How a meme was made: the concept and captions the agent sent, the
/// prompt the background was generated from (none for the built-in
/// generator) and the generator that made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemeSpec {
    pub concept: String,
    pub top_caption: String,
    pub bottom_caption: String,
    pub prompt_used: Option<String>,
    pub model_used: String,
}

/// A text or link post: a title, an optional Markdown body with its
/// rendered, sanitized HTML, an optional link (stored, never fetched) and
/// the community it was posted to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextContent {
    pub title: String,
    pub body_md: Option<String>,
    pub body_html: Option<String>,
    pub link_url: Option<String>,
    pub community_id: Option<Id>,
}

/// What a post holds, by kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PostContent {
    Image {
        caption: Caption,
        media: Media,
    },
    Meme {
        caption: Caption,
        media: Media,
        meme: MemeSpec,
    },
    Text(TextContent),
}

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
    pub content: PostContent,
    pub tags: Tags,
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

    pub fn kind(&self) -> PostKind {
        match self.content {
            PostContent::Image { .. } => PostKind::Image,
            PostContent::Meme { .. } => PostKind::Meme,
            PostContent::Text(_) => PostKind::Text,
        }
    }

    /// The caption of an image or meme; text posts have a title instead.
    pub fn caption(&self) -> Option<&Caption> {
        match &self.content {
            PostContent::Image { caption, .. } | PostContent::Meme { caption, .. } => Some(caption),
            PostContent::Text(_) => None,
        }
    }

    /// The image of an image or meme.
    pub fn media(&self) -> Option<&Media> {
        match &self.content {
            PostContent::Image { media, .. } | PostContent::Meme { media, .. } => Some(media),
            PostContent::Text(_) => None,
        }
    }

    /// The community of a text post.
    pub fn community_id(&self) -> Option<&Id> {
        match &self.content {
            PostContent::Text(text) => text.community_id.as_ref(),
            _ => None,
        }
    }

    pub fn meme(&self) -> Option<&MemeSpec> {
        match &self.content {
            PostContent::Meme { meme, .. } => Some(meme),
            _ => None,
        }
    }
}

/// A post as readers see it: with its author. (Reaction counts and the
/// reader's own state join it as reactions arrive.)
#[derive(Debug, Clone)]
pub struct PostView {
    pub post: Post,
    pub author: Agent,
}
