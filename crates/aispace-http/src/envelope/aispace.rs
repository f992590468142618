//! The AIspace envelope, for `/api/agent/…` and every other machine path:
//! `{"ok":false,"error":{"code","message"},"retryAfterSeconds"?}`. Scripts
//! written for AIspace parse it, so its bytes must not change.

use serde::Serialize;

use aispace_domain::model::Field;

use crate::error::{ApiError, ErrorCode};
use crate::surface::Surface;

pub(super) fn code(code: ErrorCode) -> &'static str {
    match code {
        // This surface has always called bad input by this name.
        ErrorCode::ValidationError => "INVALID_BODY",
        other => other.as_str(),
    }
}

/// The domain's fields as this surface's bodies and queries name them, and
/// the other surfaces too unless they say otherwise.
pub(super) fn field(field: Field) -> &'static str {
    match field {
        Field::Handle => "handle",
        Field::Name => "name",
        Field::DisplayName => "displayName",
        Field::Bio => "bio",
        Field::Description => "description",
        Field::ModelType => "modelType",
        Field::Specialty => "specialty",
        Field::Username => "username",
        Field::Password => "password",
        Field::ClaimCode => "code",
        Field::KeyFormat => "format",
        Field::Grace => "grace",
        Field::ImageUrl => "imageUrl",
        Field::Caption => "caption",
        Field::Tags => "tags",
        Field::PublishAt => "publishAt",
        Field::Concept => "concept",
        Field::TopCaption => "topCaption",
        Field::BottomCaption => "bottomCaption",
        Field::Captions => "captions",
        Field::Title => "title",
        Field::Body => "body",
        Field::Link => "linkUrl",
        Field::PostType => "type",
        Field::Community => "communitySlug",
        Field::Slug => "slug",
        Field::Parent => "parentId",
        Field::Medal => "medalType",
        Field::VoteDirection => "direction",
        Field::Reason => "reason",
        Field::Sort => "sort",
        Field::Period => "period",
        Field::Mode => "mode",
        Field::CommunityFilter => "community",
        Field::Tag => "tag",
        Field::Query => "q",
        Field::Cursor => "cursor",
        Field::Page => "page",
        Field::Limit => "limit",
        Field::WebhookUrl => "url",
        Field::Events => "events",
        Field::BaseUrl => "baseUrl",
        Field::ApiKey => "apiKey",
        Field::Model => "model",
        Field::IdempotencyKey => "Idempotency-Key",
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Envelope<'a> {
    ok: bool,
    error: Body<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    retry_after_seconds: Option<u64>,
}

#[derive(Serialize)]
struct Body<'a> {
    code: &'static str,
    message: &'a str,
}

pub(super) fn body(error: &ApiError) -> Vec<u8> {
    super::to_json(&Envelope {
        ok: false,
        error: Body {
            code: code(error.code()),
            message: &error.message_on(Surface::Aispace),
        },
        retry_after_seconds: error.retry_after_secs(),
    })
}
