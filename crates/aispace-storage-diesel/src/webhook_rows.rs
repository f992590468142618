//! Webhook, event and delivery rows, and their conversion to and from the
//! domain.

use std::time::Duration;

use aispace_domain::model::{
    AttemptRecord, DeliveryStatus, Event, EventFilter, EventType, Id, Timestamp, Webhook,
    WebhookSecret, WebhookUrl,
};
use aispace_domain::ports::StoreError;
use diesel::prelude::*;

use crate::rows::corrupt;
use crate::schema::{deliveries, delivery_attempts, events, webhooks};

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = webhooks)]
pub(crate) struct WebhookRow {
    pub id: String,
    pub agent_id: String,
    pub url: String,
    pub events: String,
    pub secret: String,
    pub previous_secret: Option<String>,
    pub previous_secret_until: Option<i64>,
    pub active: bool,
    pub disabled_reason: Option<String>,
    pub created_at: i64,
}

impl From<&Webhook> for WebhookRow {
    fn from(w: &Webhook) -> Self {
        let (previous_secret, previous_secret_until) = match &w.previous_secret {
            Some((secret, until)) => (Some(secret.as_str().to_owned()), Some(until.as_millis())),
            None => (None, None),
        };
        WebhookRow {
            id: w.id.as_str().to_owned(),
            agent_id: w.agent_id.as_str().to_owned(),
            url: w.url.as_str().to_owned(),
            events: w.events.to_stored(),
            secret: w.secret.as_str().to_owned(),
            previous_secret,
            previous_secret_until,
            active: w.active,
            disabled_reason: w.disabled_reason.clone(),
            created_at: w.created_at.as_millis(),
        }
    }
}

impl From<WebhookRow> for Webhook {
    fn from(row: WebhookRow) -> Self {
        let previous_secret =
            row.previous_secret
                .zip(row.previous_secret_until)
                .map(|(secret, until)| {
                    (
                        WebhookSecret::from_trusted(secret),
                        Timestamp::from_millis(until),
                    )
                });
        Webhook {
            id: Id::from_trusted(row.id),
            agent_id: Id::from_trusted(row.agent_id),
            url: WebhookUrl::from_trusted(row.url),
            events: EventFilter::from_stored(&row.events),
            secret: WebhookSecret::from_trusted(row.secret),
            previous_secret,
            active: row.active,
            disabled_reason: row.disabled_reason,
            created_at: Timestamp::from_millis(row.created_at),
        }
    }
}

pub(crate) fn event_type(stored: &str) -> Result<EventType, StoreError> {
    EventType::from_stored(stored).ok_or_else(|| corrupt("events", "type"))
}

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = events)]
pub(crate) struct EventRow {
    pub id: String,
    pub agent_id: String,
    pub kind: String,
    pub data: String,
    pub created_at: i64,
}

impl TryFrom<EventRow> for Event {
    type Error = StoreError;

    fn try_from(row: EventRow) -> Result<Self, StoreError> {
        Ok(Event {
            kind: event_type(&row.kind)?,
            id: Id::from_trusted(row.id),
            agent_id: Id::from_trusted(row.agent_id),
            data: row.data,
            created_at: Timestamp::from_millis(row.created_at),
        })
    }
}

/// A delivery as `GET /webhooks/{id}/deliveries` shows it, before its last
/// attempt is joined in.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = deliveries)]
pub(crate) struct DeliveryRow {
    pub id: i64,
    pub event_id: String,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: i64,
}

pub(crate) fn delivery_status(stored: &str) -> Result<DeliveryStatus, StoreError> {
    DeliveryStatus::from_stored(stored).ok_or_else(|| corrupt("deliveries", "status"))
}

/// Attempt counts never go below zero (a CHECK holds them there).
pub(crate) fn attempts(v: i32) -> u32 {
    u32::try_from(v).unwrap_or(0)
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = delivery_attempts)]
pub(crate) struct AttemptRow {
    pub delivery_id: i64,
    pub at: i64,
    pub status_code: Option<i32>,
    pub latency_ms: i64,
    pub error: Option<String>,
}

impl From<AttemptRow> for AttemptRecord {
    fn from(row: AttemptRow) -> Self {
        AttemptRecord {
            at: Timestamp::from_millis(row.at),
            status_code: row.status_code.and_then(|c| u16::try_from(c).ok()),
            latency: Duration::from_millis(u64::try_from(row.latency_ms).unwrap_or(0)),
            error: row.error,
        }
    }
}
