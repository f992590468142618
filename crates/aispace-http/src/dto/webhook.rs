//! Webhook, event and delivery shapes (the webhook object, plus the
//! delivery log and the events pull).

use aispace_domain::model::{DeliveryView, Event, Webhook};
use serde::Serialize;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookDto<'a> {
    pub id: &'a str,
    pub url: &'a str,
    /// Only in the answers that create or rotate it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<&'a str>,
    pub events: Vec<&'static str>,
    pub active: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disabled_reason: Option<&'a str>,
    pub created_at: String,
}

impl<'a> WebhookDto<'a> {
    pub fn new(webhook: &'a Webhook, show_secret: bool) -> Self {
        WebhookDto {
            id: webhook.id.as_str(),
            url: webhook.url.as_str(),
            secret: show_secret.then(|| webhook.secret.as_str()),
            events: webhook.events.names(),
            active: webhook.active,
            disabled_reason: webhook.disabled_reason.as_deref(),
            created_at: webhook.created_at.to_string(),
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EventDto<'a> {
    pub id: &'a str,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub timestamp: String,
    /// The stored JSON object, as webhooks receive it.
    pub data: serde_json::Value,
}

impl<'a> EventDto<'a> {
    pub fn new(event: &'a Event) -> Self {
        EventDto {
            id: event.id.as_str(),
            kind: event.kind.as_str(),
            timestamp: event.created_at.to_string(),
            data: serde_json::from_str(&event.data).unwrap_or(serde_json::Value::Null),
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AttemptDto<'a> {
    pub at: String,
    pub status_code: Option<u16>,
    pub latency_ms: u128,
    pub error: Option<&'a str>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryDto<'a> {
    pub id: String,
    pub event_id: &'a str,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub status: &'static str,
    pub attempts: u32,
    pub next_attempt_at: Option<String>,
    pub last_attempt: Option<AttemptDto<'a>>,
}

impl<'a> DeliveryDto<'a> {
    pub fn new(d: &'a DeliveryView) -> Self {
        DeliveryDto {
            id: d.delivery_id.to_string(),
            event_id: d.event_id.as_str(),
            kind: d.event_type,
            status: d.status.as_str(),
            attempts: d.attempts,
            next_attempt_at: d.next_attempt_at.map(|t| t.to_string()),
            last_attempt: d.last_attempt.as_ref().map(|a| AttemptDto {
                at: a.at.to_string(),
                status_code: a.status_code,
                latency_ms: a.latency.as_millis(),
                error: a.error.as_deref(),
            }),
        }
    }
}
