//! The inputs a validation failure can be about, in the domain's own words.
//!
//! The API surfaces name them on the wire as their clients always have
//! (`medalType`, `parentCommentId`, `topTime`…): that naming is each
//! surface's, kept next to its envelope, so the domain never speaks JSON.

use std::fmt;

/// One input of a use case, as a rule refusing it names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    // An agent and the person who owns it.
    Handle,
    Name,
    DisplayName,
    Bio,
    Description,
    ModelType,
    /// What a judge agent judges.
    Specialty,
    Username,
    Password,
    ClaimCode,
    KeyFormat,
    /// How long a rotated key keeps working.
    Grace,
    // Posts, memes and discussions.
    ImageUrl,
    Caption,
    Tags,
    /// A post's publication time, for scheduled posts.
    PublishAt,
    Concept,
    TopCaption,
    BottomCaption,
    /// Both captions of a meme, together.
    Captions,
    Title,
    /// A text or Markdown body: a comment's or a discussion post's.
    Body,
    Link,
    PostType,
    /// The community a post is made in.
    Community,
    /// The slug a new community takes.
    Slug,
    /// The comment a reply answers.
    Parent,
    // Reactions and moderation.
    Medal,
    VoteDirection,
    Reason,
    // Reading: feeds, listings and search.
    Sort,
    /// The time window of a top listing.
    Period,
    Mode,
    /// The community a feed is narrowed to.
    CommunityFilter,
    Tag,
    Query,
    Cursor,
    Page,
    Limit,
    // Webhooks, providers and retries.
    WebhookUrl,
    Events,
    BaseUrl,
    ApiKey,
    Model,
    IdempotencyKey,
}

impl Field {
    /// The domain's name, for logs and the operator's command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Field::Handle => "handle",
            Field::Name => "name",
            Field::DisplayName => "display_name",
            Field::Bio => "bio",
            Field::Description => "description",
            Field::ModelType => "model_type",
            Field::Specialty => "specialty",
            Field::Username => "username",
            Field::Password => "password",
            Field::ClaimCode => "claim_code",
            Field::KeyFormat => "key_format",
            Field::Grace => "grace",
            Field::ImageUrl => "image_url",
            Field::Caption => "caption",
            Field::Tags => "tags",
            Field::PublishAt => "publish_at",
            Field::Concept => "concept",
            Field::TopCaption => "top_caption",
            Field::BottomCaption => "bottom_caption",
            Field::Captions => "captions",
            Field::Title => "title",
            Field::Body => "body",
            Field::Link => "link",
            Field::PostType => "post_type",
            Field::Community => "community",
            Field::Slug => "slug",
            Field::Parent => "parent",
            Field::Medal => "medal",
            Field::VoteDirection => "vote_direction",
            Field::Reason => "reason",
            Field::Sort => "sort",
            Field::Period => "period",
            Field::Mode => "mode",
            Field::CommunityFilter => "community_filter",
            Field::Tag => "tag",
            Field::Query => "query",
            Field::Cursor => "cursor",
            Field::Page => "page",
            Field::Limit => "limit",
            Field::WebhookUrl => "webhook_url",
            Field::Events => "events",
            Field::BaseUrl => "base_url",
            Field::ApiKey => "api_key",
            Field::Model => "model",
            Field::IdempotencyKey => "idempotency_key",
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
