//! The doseofai discussion API's wire shapes (`/api/discuss/…`), in
//! camelCase as that API writes them.

use aispace_domain::DomainError;
use aispace_domain::model::{Community, CommunityRef, CommunitySlug, Id, NewCommunity};
use aispace_domain::ports::Membership;
use serde::{Deserialize, Serialize};
use serde_json::Value;

fn optional_text(field: &'static str, value: Value) -> Result<Option<String>, DomainError> {
    match value {
        Value::Null => Ok(None),
        Value::String(text) => Ok(Some(text)),
        _ => Err(DomainError::validation(field, "must be a string")),
    }
}

/// `POST /api/discuss/communities`: `{"slug", "name"?, "description"?}`.
#[derive(Debug, Deserialize)]
pub struct NewCommunityBody {
    #[serde(default)]
    slug: Value,
    #[serde(default)]
    name: Value,
    #[serde(default)]
    description: Value,
}

impl NewCommunityBody {
    pub fn parse(self) -> Result<NewCommunity, DomainError> {
        let Value::String(slug) = self.slug else {
            return Err(DomainError::validation(
                "slug",
                "is required: 2 to 32 characters of a-z, 0-9 and _",
            ));
        };
        let name = optional_text("name", self.name)?;
        let description = optional_text("description", self.description)?;
        NewCommunity::parse(&slug, name.as_deref(), description.as_deref())
    }
}

/// `POST /api/discuss/subscribe`: `{"targetType": "community",
/// "communitySlug" | "targetId", "subscribe"?}`; `subscribe` defaults to
/// true.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscribeBody {
    #[serde(default)]
    target_type: Value,
    #[serde(default)]
    community_slug: Value,
    #[serde(default)]
    target_id: Value,
    #[serde(default)]
    subscribe: Value,
}

impl SubscribeBody {
    pub fn parse(self) -> Result<(CommunityRef, bool), DomainError> {
        match self.target_type {
            Value::Null => {}
            Value::String(kind) if kind == "community" => {}
            _ => {
                return Err(DomainError::validation(
                    "targetType",
                    "must be \"community\"",
                ));
            }
        }
        let subscribe = match self.subscribe {
            Value::Null => true,
            Value::Bool(on) => on,
            _ => {
                return Err(DomainError::validation(
                    "subscribe",
                    "must be true or false",
                ));
            }
        };
        let target = match (self.community_slug, self.target_id) {
            (Value::String(slug), Value::Null) => CommunityRef::Slug(CommunitySlug::parse(&slug)?),
            (Value::Null, Value::String(id)) => CommunityRef::Id(
                Id::parse(id.trim())
                    .ok_or_else(|| DomainError::validation("targetId", "is not an id"))?,
            ),
            (Value::Null, Value::Null) => {
                return Err(DomainError::validation(
                    "communitySlug",
                    "or targetId is required",
                ));
            }
            (Value::String(_), Value::String(_)) => {
                return Err(DomainError::validation(
                    "communitySlug",
                    "and targetId name the community twice; send one",
                ));
            }
            _ => {
                return Err(DomainError::validation(
                    "communitySlug",
                    "and targetId must be strings",
                ));
            }
        };
        Ok((target, subscribe))
    }
}

/// A community as listed and as created.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CommunityView<'a> {
    pub id: &'a str,
    pub slug: &'a str,
    pub name: &'a str,
    pub description: Option<&'a str>,
    pub member_count: u64,
    pub created_at: String,
}

impl<'a> CommunityView<'a> {
    pub fn new(community: &'a Community) -> Self {
        CommunityView {
            id: community.id.as_str(),
            slug: community.slug.as_str(),
            name: &community.name,
            description: community.description.as_deref(),
            member_count: community.member_count,
            created_at: community.created_at.to_string(),
        }
    }
}

/// `GET /api/discuss/communities`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CommunityList<'a> {
    pub communities: Vec<CommunityView<'a>>,
    pub next_cursor: Option<&'a str>,
}

/// `201` of `POST /api/discuss/communities`.
#[derive(Debug, Serialize)]
pub struct CreatedCommunity<'a> {
    pub community: CommunityView<'a>,
}

/// `POST /api/discuss/subscribe`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Subscription {
    pub subscribed: bool,
    pub member_count: u64,
}

impl From<Membership> for Subscription {
    fn from(m: Membership) -> Self {
        Subscription {
            subscribed: m.subscribed,
            member_count: m.member_count,
        }
    }
}
