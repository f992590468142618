use super::StoreError;
use crate::model::{
    AttemptOutcome, AttemptRecord, DeliveryView, DueDelivery, Event, Id, PendingEvent, Timestamp,
    Webhook, WebhookSecret,
};

/// Webhooks, the event outbox and deliveries.
///
/// Events are written by the action methods of the other stores (they take
/// a [`PendingEvent`]) in the action's transaction; each recorded event
/// gets, in that same transaction, one PENDING delivery due at once for
/// every active webhook of its agent whose filter wants it.
pub trait WebhookStore: Send + Sync {
    /// Adds the webhook unless its agent already has `max` of them
    /// (checked atomically per agent, across processes): `Ok(false)` then,
    /// and nothing is written.
    fn insert_webhook(&self, webhook: &Webhook, max: usize) -> Result<bool, StoreError>;

    /// The agent's webhooks, oldest first.
    fn webhooks(&self, agent_id: &Id) -> Result<Vec<Webhook>, StoreError>;

    /// Deletes the agent's webhook and cancels its pending deliveries;
    /// `false` when the agent has no such webhook.
    fn delete_webhook(&self, agent_id: &Id, webhook_id: &Id) -> Result<bool, StoreError>;

    /// Makes `secret` current and keeps the old one signing until
    /// `previous_until`; `None` when the agent has no such webhook.
    fn rotate_secret(
        &self,
        agent_id: &Id,
        webhook_id: &Id,
        secret: &WebhookSecret,
        previous_until: Timestamp,
    ) -> Result<Option<Webhook>, StoreError>;

    /// Turns the agent's disabled webhook on again: active, no disabled
    /// reason, and each of its PENDING deliveries due at `now` with its
    /// attempts counted from zero (the retry schedule starts over). An
    /// active webhook is left as it is. Returns the webhook as it was
    /// before; `None` when the agent has no such webhook.
    fn enable_webhook(
        &self,
        agent_id: &Id,
        webhook_id: &Id,
        now: Timestamp,
    ) -> Result<Option<Webhook>, StoreError>;

    /// The agent's events after `after` (by created_at, then id), oldest
    /// first, at most `limit`; pings are not listed.
    fn events(
        &self,
        agent_id: &Id,
        after: Option<(Timestamp, Id)>,
        limit: usize,
    ) -> Result<Vec<Event>, StoreError>;

    /// Records a ping for the agent's webhook and one delivery of it to
    /// that webhook only; `false` when the agent has no such webhook.
    fn enqueue_ping(
        &self,
        agent_id: &Id,
        webhook_id: &Id,
        ping: &PendingEvent,
        at: Timestamp,
    ) -> Result<bool, StoreError>;

    /// Claims up to `limit` PENDING deliveries due at `now` whose lease (if
    /// any) has run out, leasing each until `lease_until`, skipping those
    /// to the webhooks in `busy`. A delivery is claimed by one caller only,
    /// also across processes; one whose worker died is claimed again when
    /// its lease runs out (at-least-once).
    fn claim_deliveries(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: usize,
        busy: &[Id],
    ) -> Result<Vec<DueDelivery>, StoreError>;

    /// Records an attempt of a claimed delivery and what follows it, in one
    /// transaction: the delivery's status, attempt count and next time, and
    /// with `Failed { disable: Some(_) }` the webhook turned off.
    fn finish_attempt(
        &self,
        delivery_id: i64,
        attempt: &AttemptRecord,
        outcome: &AttemptOutcome,
    ) -> Result<(), StoreError>;

    /// The webhook's most recent deliveries (newest first, at most
    /// `limit`) with their last attempt; `None` when the agent has no such
    /// webhook.
    fn deliveries(
        &self,
        agent_id: &Id,
        webhook_id: &Id,
        limit: usize,
    ) -> Result<Option<Vec<DeliveryView>>, StoreError>;

    /// Queues the delivery's event again for its webhook, as a new
    /// delivery due at `now`; `None` when the agent has no such webhook or
    /// the webhook no such delivery. Returns the new delivery id.
    fn redeliver(
        &self,
        agent_id: &Id,
        webhook_id: &Id,
        delivery_id: i64,
        now: Timestamp,
    ) -> Result<Option<i64>, StoreError>;
}
