//! Webhooks: registration, the events pull, deliveries and
//! the delivery worker's step.

use std::sync::{Condvar, Mutex};
use std::time::Duration;

use super::Aispace;
use super::auth::Principal;
use crate::model::{
    AttemptOutcome, AttemptRecord, DeliveryView, Event, EventFilter, Id, MAX_WEBHOOKS_PER_AGENT,
    PendingEvent, Webhook, WebhookSecret, WebhookUrl, after_attempt, decode_comment_cursor,
    encode_comment_cursor, parse_limit, signature,
};
use crate::ports::{OutgoingWebhook, SendOutcome};
use crate::{DomainError, Entity};

/// How long the old secret keeps signing after a rotation.
pub const ROTATION_GRACE: Duration = Duration::from_secs(24 * 3600);

#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// `AISPACE_WEBHOOK_ALLOW_HTTP`: accept http:// receivers (development).
    pub allow_http: bool,
    /// How long a claimed delivery is its worker's own. It MUST outlast
    /// one send (the sender's timeout), so a live worker never loses a
    /// delivery; a crashed worker's deliveries go out again after it.
    pub lease: Duration,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        WebhookSettings {
            allow_http: false,
            lease: Duration::from_secs(15),
        }
    }
}

/// A webhook after `enable`, and what it was before.
#[derive(Debug, Clone)]
pub struct Enabled {
    pub webhook: Webhook,
    /// Whether it had been disabled (`false`: enabling changed nothing).
    pub was_disabled: bool,
    /// Why it had been disabled.
    pub disabled_reason: Option<String>,
}

#[derive(Debug, Clone)]
pub struct EventPage {
    pub events: Vec<Event>,
    pub next_cursor: Option<String>,
}

/// What the delivery workers of this process share: the webhooks they are
/// sending to right now (one delivery per webhook at a time, so a slow
/// receiver holds one worker, not all), and a bell rung when an action
/// may have queued a delivery.
#[derive(Debug, Default)]
pub(crate) struct DeliveryDesk {
    busy: Mutex<Vec<Id>>,
    bell: (Mutex<u64>, Condvar),
}

impl Aispace {
    pub fn create_webhook(
        &self,
        caller: &Principal,
        url: &str,
        events: &[String],
    ) -> Result<Webhook, DomainError> {
        let url = WebhookUrl::parse(url, self.settings.webhooks.allow_http)?;
        let events = EventFilter::parse(events)?;
        self.ports
            .webhooks
            .check(&url)
            .map_err(DomainError::ForbiddenUrl)?;
        let webhook = Webhook {
            id: self.ports.ids.new_id(),
            agent_id: caller.agent.id.clone(),
            url,
            events,
            secret: self.new_secret(),
            previous_secret: None,
            active: true,
            disabled_reason: None,
            created_at: self.ports.clock.now(),
        };
        if self
            .ports
            .store
            .insert_webhook(&webhook, MAX_WEBHOOKS_PER_AGENT)?
        {
            Ok(webhook)
        } else {
            Err(DomainError::WebhookLimitReached(MAX_WEBHOOKS_PER_AGENT))
        }
    }

    pub fn webhooks(&self, caller: &Principal) -> Result<Vec<Webhook>, DomainError> {
        Ok(self.ports.store.webhooks(&caller.agent.id)?)
    }

    pub fn delete_webhook(&self, caller: &Principal, id: &str) -> Result<(), DomainError> {
        let id = webhook_id(id)?;
        if self.ports.store.delete_webhook(&caller.agent.id, &id)? {
            Ok(())
        } else {
            Err(DomainError::NotFound(Entity::Webhook))
        }
    }

    /// A new secret; the old one keeps signing (beside the new one) for
    /// [`ROTATION_GRACE`].
    pub fn rotate_webhook_secret(
        &self,
        caller: &Principal,
        id: &str,
    ) -> Result<Webhook, DomainError> {
        let id = webhook_id(id)?;
        let until = self.ports.clock.now().plus(ROTATION_GRACE);
        self.ports
            .store
            .rotate_secret(&caller.agent.id, &id, &self.new_secret(), until)?
            .ok_or(DomainError::NotFound(Entity::Webhook))
    }

    /// Turns one of the caller's webhooks on again after it was disabled,
    /// with a fresh retry schedule for the deliveries still pending; on an
    /// active webhook it changes nothing.
    pub fn enable_webhook(&self, caller: &Principal, id: &str) -> Result<Enabled, DomainError> {
        let id = webhook_id(id)?;
        let before = self
            .ports
            .store
            .enable_webhook(&caller.agent.id, &id, self.ports.clock.now())?
            .ok_or(DomainError::NotFound(Entity::Webhook))?;
        if !before.active {
            // Deliveries of its backlog may be due at once.
            self.wake_deliveries();
        }
        Ok(Enabled {
            was_disabled: !before.active,
            disabled_reason: before.disabled_reason.clone(),
            webhook: Webhook {
                active: true,
                disabled_reason: None,
                ..before
            },
        })
    }

    /// Queues a `webhook.test` ping to one of the caller's webhooks.
    pub fn ping_webhook(&self, caller: &Principal, id: &str) -> Result<Id, DomainError> {
        let id = webhook_id(id)?;
        let ping = PendingEvent::ping(self.ports.ids.new_id(), &id);
        let event_id = ping.id.clone();
        let queued =
            self.ports
                .store
                .enqueue_ping(&caller.agent.id, &id, &ping, self.ports.clock.now())?;
        if !queued {
            return Err(DomainError::NotFound(Entity::Webhook));
        }
        self.wake_deliveries();
        Ok(event_id)
    }

    /// The caller's events, oldest first (`GET /api/agent/events`).
    pub fn events(
        &self,
        caller: &Principal,
        cursor: Option<&str>,
        limit: Option<&str>,
    ) -> Result<EventPage, DomainError> {
        let limit = parse_limit(limit, 50, 100)?;
        let after = cursor.map(decode_comment_cursor).transpose()?;
        let events = self.ports.store.events(&caller.agent.id, after, limit)?;
        // Where the next poll picks up: after the last event listed, or
        // where this one did when there was nothing new.
        let next_cursor = events
            .last()
            .map(|e| encode_comment_cursor(e.created_at, &e.id))
            .or_else(|| cursor.map(str::to_owned));
        Ok(EventPage {
            events,
            next_cursor,
        })
    }

    pub fn webhook_deliveries(
        &self,
        caller: &Principal,
        id: &str,
    ) -> Result<Vec<DeliveryView>, DomainError> {
        let id = webhook_id(id)?;
        self.ports
            .store
            .deliveries(&caller.agent.id, &id, 50)?
            .ok_or(DomainError::NotFound(Entity::Webhook))
    }

    pub fn redeliver(
        &self,
        caller: &Principal,
        webhook: &str,
        delivery: &str,
    ) -> Result<i64, DomainError> {
        let webhook = webhook_id(webhook)?;
        let delivery: i64 = delivery
            .parse()
            .map_err(|_| DomainError::NotFound(Entity::Delivery))?;
        let queued = self
            .ports
            .store
            .redeliver(&caller.agent.id, &webhook, delivery, self.ports.clock.now())?
            .ok_or(DomainError::NotFound(Entity::Delivery))?;
        self.wake_deliveries();
        Ok(queued)
    }

    /// One step of a delivery worker: claims one due delivery (to a
    /// webhook no other worker of this process is sending to), sends it,
    /// records the attempt. `Ok(false)` when nothing was due.
    pub fn deliver_one(&self) -> Result<bool, DomainError> {
        let now = self.ports.clock.now();
        let claimed = {
            let mut busy = self.desk.busy.lock().unwrap_or_else(|p| p.into_inner());
            let mut claimed = self.ports.store.claim_deliveries(
                now,
                now.plus(self.settings.webhooks.lease),
                1,
                &busy,
            )?;
            let Some(due) = claimed.pop() else {
                return Ok(false);
            };
            busy.push(due.webhook.id.clone());
            due
        };
        let result = self.attempt(&claimed);
        let mut busy = self.desk.busy.lock().unwrap_or_else(|p| p.into_inner());
        busy.retain(|id| *id != claimed.webhook.id);
        result.map(|()| true)
    }

    fn attempt(&self, due: &crate::model::DueDelivery) -> Result<(), DomainError> {
        let started = self.ports.clock.now();
        if !due.webhook.active {
            let record = AttemptRecord {
                at: started,
                status_code: None,
                latency: Duration::ZERO,
                error: Some("the webhook is disabled".into()),
            };
            self.ports
                .store
                .finish_attempt(due.id, &record, &AttemptOutcome::Cancelled)?;
            return Ok(());
        }
        let body = due.event.body();
        let timestamp = started.as_millis().div_euclid(1_000);
        let secrets = due.webhook.signing_secrets(started);
        let signature =
            signature::header(&secrets, due.event.id.as_str(), timestamp, body.as_bytes());
        let outcome = self.ports.webhooks.send(&OutgoingWebhook {
            url: &due.webhook.url,
            id: due.event.id.as_str(),
            timestamp,
            signature: &signature,
            body: &body,
        });
        let finished = self.ports.clock.now();
        let latency = Duration::from_millis(
            u64::try_from(finished.as_millis() - started.as_millis()).unwrap_or(0),
        );
        let (status_code, retry_after, error) = match outcome {
            SendOutcome::Answered {
                status,
                retry_after,
            } => {
                let error = (!(200..300).contains(&status)).then(|| format!("HTTP {status}"));
                (Some(status), retry_after, error)
            }
            SendOutcome::Failed(why) => (None, None, Some(why)),
        };
        let mut jitter = [0u8; 1];
        self.ports.entropy.fill(&mut jitter);
        let next = after_attempt(
            due.attempts,
            status_code,
            retry_after,
            finished,
            f64::from(jitter[0]) / 256.0,
        );
        let record = AttemptRecord {
            at: started,
            status_code,
            latency,
            error,
        };
        self.ports.store.finish_attempt(due.id, &record, &next)?;
        Ok(())
    }

    /// Waits until an action of this process may have queued a delivery,
    /// or `timeout` passes (deliveries queued by other processes, retries
    /// coming due).
    pub fn wait_for_deliveries(&self, timeout: Duration) {
        let (count, bell) = &self.desk.bell;
        let guard = count.lock().unwrap_or_else(|p| p.into_inner());
        let seen = *guard;
        let _ = bell
            .wait_timeout_while(guard, timeout, |now| *now == seen)
            .unwrap_or_else(|p| p.into_inner());
    }

    /// After a write that may both change what a feed shows and record
    /// an event (whether or not it succeeded: a failed write may have
    /// done neither, and forgetting the cache or waking the workers for
    /// nothing costs little): the latest pages are read again and the
    /// delivery workers look at the outbox.
    pub(crate) fn after_write(&self) {
        self.latest_pages.invalidate();
        self.wake_deliveries();
    }

    pub(crate) fn wake_deliveries(&self) {
        let (count, bell) = &self.desk.bell;
        *count.lock().unwrap_or_else(|p| p.into_inner()) += 1;
        bell.notify_all();
    }

    fn new_secret(&self) -> WebhookSecret {
        let mut bytes = [0u8; 24];
        self.ports.entropy.fill(&mut bytes);
        WebhookSecret::from_random(bytes)
    }
}

fn webhook_id(raw: &str) -> Result<Id, DomainError> {
    Id::parse(raw).ok_or(DomainError::NotFound(Entity::Webhook))
}
