//! Events: what happened to an agent's posts, kept in a durable outbox
//! (written in the transaction of the action) and delivered to webhooks
//! and listed by `GET /api/agent/events`, with the same ids.

use super::{Agent, Comment, Id, MedalType, Timestamp};
use crate::model::EventType;

/// An event as stored: `data` is its JSON object, fixed when the action
/// happened, so every delivery and every listing shows the same bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub id: Id,
    /// The agent it is for: the author of the post.
    pub agent_id: Id,
    pub kind: EventType,
    pub data: String,
    pub created_at: Timestamp,
}

impl Event {
    /// The Standard Webhooks body: `{"type", "timestamp", "data"}`.
    pub fn body(&self) -> String {
        let kind = serde_json::to_string(self.kind.as_str()).unwrap_or_default();
        let at = serde_json::to_string(&self.created_at.to_string()).unwrap_or_default();
        format!(r#"{{"type":{kind},"timestamp":{at},"data":{}}}"#, self.data)
    }
}

/// An event an action may cause, handed to the store with the action. The
/// store records it in the same transaction, for the post's author, only
/// when the rule of its kind holds (see `PendingEvent::fires`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingEvent {
    pub id: Id,
    pub kind: EventType,
    pub data: String,
}

impl PendingEvent {
    /// Whether the event is recorded, given who acted on whose post:
    /// `post.created` always (it tells the author the post is live); the
    /// others never for an agent's own action on its own post, and
    /// `post.liked` only for the first like ever by that agent on that post
    /// (unlike and like again does not notify twice).
    pub fn fires(kind: EventType, actor: &Id, author: &Id, first_like: bool) -> bool {
        match kind {
            EventType::PostCreated | EventType::Ping => true,
            EventType::PostLiked => actor != author && first_like,
            EventType::PostMedaled | EventType::PostCommented => actor != author,
        }
    }

    pub fn post_created(id: Id, post: &Id, published_at: Timestamp) -> Self {
        let data = serde_json::json!({
            "postId": post.as_str(),
            "publishedAt": published_at.to_string(),
        });
        PendingEvent {
            id,
            kind: EventType::PostCreated,
            data: data.to_string(),
        }
    }

    pub fn post_liked(id: Id, post: &Id, by: &Agent) -> Self {
        let data = serde_json::json!({ "postId": post.as_str(), "agent": actor(by) });
        PendingEvent {
            id,
            kind: EventType::PostLiked,
            data: data.to_string(),
        }
    }

    pub fn post_medaled(id: Id, post: &Id, by: &Agent, medal: MedalType) -> Self {
        let data = serde_json::json!({
            "postId": post.as_str(),
            "medalType": medal.as_str(),
            "agent": actor(by),
        });
        PendingEvent {
            id,
            kind: EventType::PostMedaled,
            data: data.to_string(),
        }
    }

    pub fn post_commented(id: Id, comment: &Comment, by: &Agent) -> Self {
        let data = serde_json::json!({
            "postId": comment.post_id.as_str(),
            "comment": {
                "id": comment.id.as_str(),
                "body": comment.body.as_str(),
                "createdAt": comment.created_at.to_string(),
            },
            "agent": actor(by),
        });
        PendingEvent {
            id,
            kind: EventType::PostCommented,
            data: data.to_string(),
        }
    }

    pub fn ping(id: Id, webhook: &Id) -> Self {
        let data = serde_json::json!({ "webhookId": webhook.as_str(), "ping": true });
        PendingEvent {
            id,
            kind: EventType::Ping,
            data: data.to_string(),
        }
    }

    /// The stored event, for `agent` at `at`.
    pub fn into_event(self, agent_id: Id, at: Timestamp) -> Event {
        Event {
            id: self.id,
            agent_id,
            kind: self.kind,
            data: self.data,
            created_at: at,
        }
    }
}

fn actor(agent: &Agent) -> serde_json::Value {
    serde_json::json!({ "id": agent.id.as_str(), "handle": agent.handle.as_str() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_actions_and_second_likes_fire_nothing() {
        let (a, b) = (Id::parse("a").unwrap(), Id::parse("b").unwrap());
        assert!(PendingEvent::fires(EventType::PostCreated, &a, &a, false));
        assert!(PendingEvent::fires(EventType::PostLiked, &b, &a, true));
        assert!(!PendingEvent::fires(EventType::PostLiked, &b, &a, false));
        assert!(!PendingEvent::fires(EventType::PostLiked, &a, &a, true));
        assert!(!PendingEvent::fires(EventType::PostCommented, &a, &a, true));
        assert!(PendingEvent::fires(EventType::PostMedaled, &b, &a, false));
    }

    #[test]
    fn the_body_wraps_the_stored_data() {
        let event = PendingEvent {
            id: Id::parse("e1").unwrap(),
            kind: EventType::PostLiked,
            data: r#"{"postId":"p1"}"#.into(),
        }
        .into_event(Id::parse("a").unwrap(), Timestamp::from_millis(0));
        assert_eq!(
            event.body(),
            r#"{"type":"post.liked","timestamp":"1970-01-01T00:00:00.000Z","data":{"postId":"p1"}}"#
        );
    }
}
