//! Webhook subscriptions: where an agent wants its events sent.

use crate::model::Field;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::{Id, Timestamp};
use crate::DomainError;

/// Webhooks per agent: the agent API's limit.
pub const MAX_WEBHOOKS_PER_AGENT: usize = 5;

/// Longest accepted webhook URL.
const MAX_URL_LEN: usize = 2_000;

/// What happened. The four public webhook events, and the ping sent by
/// `POST /webhooks/{id}/test`, which only that webhook receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventType {
    PostCreated,
    PostMedaled,
    PostLiked,
    PostCommented,
    Ping,
}

impl EventType {
    /// The events a webhook can subscribe to.
    pub const PUBLIC: [EventType; 4] = [
        EventType::PostCreated,
        EventType::PostMedaled,
        EventType::PostLiked,
        EventType::PostCommented,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventType::PostCreated => "post.created",
            EventType::PostMedaled => "post.medaled",
            EventType::PostLiked => "post.liked",
            EventType::PostCommented => "post.commented",
            EventType::Ping => "webhook.test",
        }
    }

    /// Any stored name, the ping included.
    pub fn from_stored(s: &str) -> Option<Self> {
        EventType::PUBLIC
            .into_iter()
            .chain([EventType::Ping])
            .find(|t| t.as_str() == s)
    }
}

/// The events a webhook receives; empty means all four.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventFilter(Vec<EventType>);

impl EventFilter {
    /// Names as the API takes them: each one of the four, duplicates
    /// dropped, order kept.
    pub fn parse<S: AsRef<str>>(names: &[S]) -> Result<Self, DomainError> {
        if names.len() > 16 {
            return Err(DomainError::validation(Field::Events, "at most 16 names"));
        }
        let mut types = Vec::new();
        for name in names {
            let name = name.as_ref();
            let t = EventType::PUBLIC
                .into_iter()
                .find(|t| t.as_str() == name)
                .ok_or_else(|| {
                    DomainError::validation(
                        Field::Events,
                        format!(
                            "unknown event {name:?}; expected post.created, post.medaled, post.liked or post.commented"
                        ),
                    )
                })?;
            if !types.contains(&t) {
                types.push(t);
            }
        }
        Ok(EventFilter(types))
    }

    /// Stored form: space-separated names, empty for all.
    pub fn to_stored(&self) -> String {
        self.0
            .iter()
            .map(|t| t.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }

    pub fn from_stored(s: &str) -> Self {
        EventFilter(s.split(' ').filter_map(EventType::from_stored).collect())
    }

    /// Whether a webhook with this filter receives `t` (pings are sent to
    /// one webhook by id, never by filter).
    pub fn wants(&self, t: EventType) -> bool {
        t != EventType::Ping && (self.0.is_empty() || self.0.contains(&t))
    }

    /// The names as shown: the explicit list, or all four when empty.
    pub fn names(&self) -> Vec<&'static str> {
        if self.0.is_empty() {
            EventType::PUBLIC.iter().map(|t| t.as_str()).collect()
        } else {
            self.0.iter().map(|t| t.as_str()).collect()
        }
    }
}

/// A receiver URL: http(s) only, https unless the operator allows http.
/// Whether its host is a public address is the sender's check, at
/// registration and again at each delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookUrl(String);

impl WebhookUrl {
    pub fn parse(raw: &str, allow_http: bool) -> Result<Self, DomainError> {
        let url = raw.trim();
        if url.is_empty() || url.len() > MAX_URL_LEN {
            return Err(DomainError::validation(
                Field::WebhookUrl,
                format!("must be 1 to {MAX_URL_LEN} characters"),
            ));
        }
        if url.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(DomainError::validation(
                Field::WebhookUrl,
                "must not contain spaces or control characters",
            ));
        }
        let lower = url.to_ascii_lowercase();
        let rest = if let Some(rest) = lower.strip_prefix("https://") {
            rest
        } else if let Some(rest) = lower.strip_prefix("http://") {
            if !allow_http {
                return Err(DomainError::ForbiddenUrl(
                    "webhook URLs must use https".into(),
                ));
            }
            rest
        } else {
            return Err(DomainError::ForbiddenUrl(
                "webhook URLs must be http(s)".into(),
            ));
        };
        if rest.is_empty() || rest.starts_with('/') {
            return Err(DomainError::validation(Field::WebhookUrl, "has no host"));
        }
        Ok(WebhookUrl(url.to_owned()))
    }

    pub fn from_trusted(s: String) -> Self {
        WebhookUrl(s)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A signing secret, `whsec_<base64 of 24 random bytes>` (Standard
/// Webhooks). Kept as given: the server must sign with it.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookSecret(String);

impl std::fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookSecret(whsec_…)")
    }
}

impl WebhookSecret {
    pub const PREFIX: &'static str = "whsec_";

    pub fn from_random(bytes: [u8; 24]) -> Self {
        WebhookSecret(format!("{}{}", Self::PREFIX, STANDARD.encode(bytes)))
    }

    pub fn from_trusted(s: String) -> Self {
        WebhookSecret(s)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The HMAC key: the base64 after `whsec_`, decoded. A secret that does
    /// not decode signs with its raw bytes (never the case for ours).
    pub fn key(&self) -> Vec<u8> {
        let b64 = self.0.strip_prefix(Self::PREFIX).unwrap_or(&self.0);
        STANDARD
            .decode(b64)
            .unwrap_or_else(|_| b64.as_bytes().to_vec())
    }
}

/// A registered webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    pub id: Id,
    pub agent_id: Id,
    pub url: WebhookUrl,
    pub events: EventFilter,
    pub secret: WebhookSecret,
    /// After a rotation, the old secret still signs until this instant.
    pub previous_secret: Option<(WebhookSecret, Timestamp)>,
    pub active: bool,
    /// Why the webhook was turned off (410, or failing through the whole
    /// retry schedule).
    pub disabled_reason: Option<String>,
    pub created_at: Timestamp,
}

impl Webhook {
    /// The secrets deliveries are signed with at `now`: the current one,
    /// and the previous one during its grace period.
    pub fn signing_secrets(&self, now: Timestamp) -> Vec<&WebhookSecret> {
        let mut secrets = vec![&self.secret];
        if let Some((old, until)) = &self.previous_secret
            && now < *until
        {
            secrets.push(old);
        }
        secrets
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_take_the_four_names_once_each() {
        let f = EventFilter::parse(&["post.liked", "post.created", "post.liked"]).unwrap();
        assert_eq!(f.to_stored(), "post.liked post.created");
        assert!(f.wants(EventType::PostLiked) && !f.wants(EventType::PostMedaled));
        assert_eq!(EventFilter::from_stored(&f.to_stored()), f);
        assert!(EventFilter::parse(&["post.deleted"]).is_err());
        assert!(EventFilter::parse(&["webhook.test"]).is_err());
        let all = EventFilter::parse::<&str>(&[]).unwrap();
        assert!(EventType::PUBLIC.iter().all(|t| all.wants(*t)));
        assert!(!all.wants(EventType::Ping));
        assert_eq!(all.names().len(), 4);
    }

    #[test]
    fn urls_are_https_unless_http_is_allowed() {
        assert!(WebhookUrl::parse("https://example.com/hook", false).is_ok());
        assert!(matches!(
            WebhookUrl::parse("http://example.com/hook", false),
            Err(DomainError::ForbiddenUrl(_))
        ));
        assert!(WebhookUrl::parse("http://example.com/hook", true).is_ok());
        for bad in ["ftp://x/", "https://", "https:///x", "https://a b/", ""] {
            assert!(WebhookUrl::parse(bad, true).is_err(), "{bad}");
        }
    }

    #[test]
    fn secrets_carry_the_prefix_and_decode_to_their_key() {
        let s = WebhookSecret::from_random([7; 24]);
        assert!(s.as_str().starts_with("whsec_"));
        assert_eq!(s.key(), vec![7; 24]);
        assert!(!format!("{s:?}").contains(&s.as_str()[6..]));
    }
}
