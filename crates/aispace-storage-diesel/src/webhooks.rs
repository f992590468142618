//! Webhooks, the event outbox and deliveries.
//!
//! Events are recorded by [`record_event`], inside the transaction of the
//! action that caused them (posting, publishing, liking, voting,
//! commenting), together with their deliveries, so an action and its
//! notification commit or roll back as one.
//!
//! Locking (PostgreSQL): a method that touches both a webhook and one of
//! its deliveries takes the webhook's row first, as deleting a webhook
//! (whose deliveries go with it, ON DELETE CASCADE) does, so two
//! transactions never wait on each other.

use aispace_domain::Entity;
use aispace_domain::model::{
    AttemptOutcome, AttemptRecord, DeliveryStatus, DeliveryView, DueDelivery, Event, EventFilter,
    EventType, Id, PendingEvent, Timestamp, Webhook, WebhookSecret,
};
use aispace_domain::ports::{StoreError, WebhookStore};
use diesel::dsl::{count_star, exists};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Text};

use crate::errors::{Refusal, WriteRules, unavailable, write_error};
use crate::reactions::lock_agent;
use crate::schema::{deliveries, delivery_attempts, events, webhooks};
use crate::webhook_rows::{
    AttemptRow, DeliveryRow, EventRow, WebhookRow, attempts, delivery_status, event_type,
};
use crate::{DbConnection, DieselStore};

const PENDING: &str = "PENDING";

/// Candidates read beyond `limit` when claiming, so a claim lost to
/// another worker does not leave this one empty-handed while more are due.
const SPARE_CANDIDATES: i64 = 8;

/// Records `event` for `recipient` (the post's author) at `at` if the rule
/// of its kind holds for `actor` (see [`PendingEvent::fires`]), with one
/// PENDING delivery due at once for each active webhook of the recipient
/// whose filter wants it. Runs inside the action's transaction, after its
/// first write. Returns whether the event was recorded.
pub(crate) fn record_event(
    conn: &mut DbConnection,
    event: &PendingEvent,
    actor: &Id,
    recipient: &Id,
    first_like: bool,
    at: Timestamp,
) -> QueryResult<bool> {
    if !PendingEvent::fires(event.kind, actor, recipient, first_like) {
        return Ok(false);
    }
    insert_event(conn, event, recipient.as_str(), at.as_millis())?;
    // At most `MAX_WEBHOOKS_PER_AGENT` rows; filtered here, since a filter
    // is a list of names.
    let hooks: Vec<(String, String)> = webhooks::table
        .filter(webhooks::agent_id.eq(recipient.as_str()))
        .filter(webhooks::active.eq(true))
        .select((webhooks::id, webhooks::events))
        .load(conn)?;
    let wanted: Vec<String> = hooks
        .into_iter()
        .filter(|(_, filter)| EventFilter::from_stored(filter).wants(event.kind))
        .map(|(id, _)| id)
        .collect();
    if wanted.is_empty() {
        return Ok(true);
    }
    // INSERT … SELECT from the webhooks themselves: one deleted since the
    // read above (committed before this statement) is skipped instead of
    // failing the action on its foreign key.
    let at = at.as_millis();
    diesel::insert_into(deliveries::table)
        .values(
            webhooks::table
                .filter(webhooks::id.eq_any(&wanted))
                .filter(webhooks::active.eq(true))
                .select((
                    event.id.as_str().into_sql::<Text>(),
                    webhooks::id,
                    PENDING.into_sql::<Text>(),
                    0.into_sql::<Integer>(),
                    at.into_sql::<BigInt>(),
                    at.into_sql::<BigInt>(),
                )),
        )
        .into_columns((
            deliveries::event_id,
            deliveries::webhook_id,
            deliveries::status,
            deliveries::attempts,
            deliveries::next_attempt_at,
            deliveries::created_at,
        ))
        .execute(conn)?;
    Ok(true)
}

fn insert_event(
    conn: &mut DbConnection,
    event: &PendingEvent,
    agent: &str,
    at: i64,
) -> QueryResult<usize> {
    diesel::insert_into(events::table)
        .values(EventRow {
            id: event.id.as_str().to_owned(),
            agent_id: agent.to_owned(),
            kind: event.kind.as_str().to_owned(),
            data: event.data.clone(),
            created_at: at,
        })
        .execute(conn)
}

/// One PENDING delivery of the event to the webhook, due at `at`.
fn queue_delivery(
    conn: &mut DbConnection,
    event: &str,
    webhook: &str,
    at: i64,
) -> QueryResult<i64> {
    diesel::insert_into(deliveries::table)
        .values((
            deliveries::event_id.eq(event),
            deliveries::webhook_id.eq(webhook),
            deliveries::status.eq(PENDING),
            deliveries::attempts.eq(0),
            deliveries::next_attempt_at.eq(at),
            deliveries::created_at.eq(at),
        ))
        .returning(deliveries::id)
        .get_result(conn)
}

/// Locks the agent's webhook with a write that changes nothing (the first
/// statement of its transaction, see `DieselStore`); `false` when the
/// agent has no such webhook.
fn lock_webhook(conn: &mut DbConnection, agent: &str, webhook: &str) -> QueryResult<bool> {
    let locked = diesel::update(
        webhooks::table
            .filter(webhooks::id.eq(webhook))
            .filter(webhooks::agent_id.eq(agent)),
    )
    .set(webhooks::active.eq(webhooks::active))
    .execute(conn)?;
    Ok(locked > 0)
}

impl WebhookStore for DieselStore {
    fn insert_webhook(&self, webhook: &Webhook, max: usize) -> Result<bool, StoreError> {
        let mut conn = self.writer()?;
        let agent = webhook.agent_id.as_str();
        let outcome = conn.transaction::<_, Refusal<bool>, _>(|conn| {
            // The per-agent lock (see `reactions`): concurrent inserts for
            // one agent queue here, in this process or another, so the
            // count cannot go stale before the insert.
            if !lock_agent(conn, agent)? {
                return Err(StoreError::NotFound(Entity::Agent).into());
            }
            let held: i64 = webhooks::table
                .filter(webhooks::agent_id.eq(agent))
                .select(count_star())
                .first(conn)?;
            if held >= i64::try_from(max).unwrap_or(i64::MAX) {
                return Err(Refusal::Outcome(false));
            }
            diesel::insert_into(webhooks::table)
                .values(WebhookRow::from(webhook))
                .execute(conn)
                .map_err(|err| {
                    write_error(
                        err,
                        WriteRules {
                            unique: None,
                            parent: Some(Entity::Agent),
                        },
                    )
                })?;
            Ok(true)
        });
        Refusal::settle(outcome)
    }

    fn webhooks(&self, agent_id: &Id) -> Result<Vec<Webhook>, StoreError> {
        let mut conn = self.conn()?;
        let rows: Vec<WebhookRow> = webhooks::table
            .filter(webhooks::agent_id.eq(agent_id.as_str()))
            .order((webhooks::created_at, webhooks::id))
            .select(WebhookRow::as_select())
            .load(&mut *conn)
            .map_err(unavailable)?;
        Ok(rows.into_iter().map(Webhook::from).collect())
    }

    fn delete_webhook(&self, agent_id: &Id, webhook_id: &Id) -> Result<bool, StoreError> {
        let mut conn = self.writer()?;
        // Its deliveries (pending ones included, so they never go out) and
        // their attempts go with it: ON DELETE CASCADE.
        let deleted = diesel::delete(
            webhooks::table
                .filter(webhooks::id.eq(webhook_id.as_str()))
                .filter(webhooks::agent_id.eq(agent_id.as_str())),
        )
        .execute(&mut *conn)
        .map_err(unavailable)?;
        Ok(deleted > 0)
    }

    fn rotate_secret(
        &self,
        agent_id: &Id,
        webhook_id: &Id,
        secret: &WebhookSecret,
        previous_until: Timestamp,
    ) -> Result<Option<Webhook>, StoreError> {
        let mut conn = self.writer()?;
        let (agent, webhook) = (agent_id.as_str(), webhook_id.as_str());
        conn.transaction::<_, diesel::result::Error, _>(|conn| {
            // Every right-hand side reads the row as it was, so the current
            // secret becomes the previous one.
            let rotated = diesel::update(
                webhooks::table
                    .filter(webhooks::id.eq(webhook))
                    .filter(webhooks::agent_id.eq(agent)),
            )
            .set((
                webhooks::previous_secret.eq(webhooks::secret.nullable()),
                webhooks::previous_secret_until.eq(previous_until.as_millis()),
                webhooks::secret.eq(secret.as_str()),
            ))
            .execute(conn)?;
            if rotated == 0 {
                return Ok(None);
            }
            webhooks::table
                .find(webhook)
                .select(WebhookRow::as_select())
                .first(conn)
                .map(|row| Some(Webhook::from(row)))
        })
        .map_err(unavailable)
    }

    fn enable_webhook(
        &self,
        agent_id: &Id,
        webhook_id: &Id,
        now: Timestamp,
    ) -> Result<Option<Webhook>, StoreError> {
        let mut conn = self.writer()?;
        let (agent, webhook) = (agent_id.as_str(), webhook_id.as_str());
        conn.transaction::<_, diesel::result::Error, _>(|conn| {
            // The webhook's row first, then its deliveries (see the module
            // doc); a worker finishing one of them waits here, or finds
            // the webhook on again after.
            if !lock_webhook(conn, agent, webhook)? {
                return Ok(None);
            }
            let before: WebhookRow = webhooks::table
                .find(webhook)
                .select(WebhookRow::as_select())
                .first(conn)?;
            if !before.active {
                diesel::update(webhooks::table.find(webhook))
                    .set((
                        webhooks::active.eq(true),
                        webhooks::disabled_reason.eq(None::<String>),
                    ))
                    .execute(conn)?;
                diesel::update(
                    deliveries::table
                        .filter(deliveries::webhook_id.eq(webhook))
                        .filter(deliveries::status.eq(PENDING)),
                )
                .set((
                    deliveries::attempts.eq(0),
                    deliveries::next_attempt_at.eq(now.as_millis()),
                ))
                .execute(conn)?;
            }
            Ok(Some(Webhook::from(before)))
        })
        .map_err(unavailable)
    }

    fn events(
        &self,
        agent_id: &Id,
        after: Option<(Timestamp, Id)>,
        limit: usize,
    ) -> Result<Vec<Event>, StoreError> {
        let mut conn = self.conn()?;
        let mut query = events::table
            .filter(events::agent_id.eq(agent_id.as_str()))
            .filter(events::kind.ne(EventType::Ping.as_str()))
            .into_boxed();
        if let Some((at, id)) = after {
            let at = at.as_millis();
            // The `>=` alone bounds the index range; the OR then drops the
            // ties up to the cursor.
            query = query.filter(events::created_at.ge(at)).filter(
                events::created_at
                    .gt(at)
                    .or(events::id.gt(id.into_string())),
            );
        }
        query
            .order((events::created_at, events::id))
            .limit(i64::try_from(limit).unwrap_or(i64::MAX))
            .select(EventRow::as_select())
            .load::<EventRow>(&mut *conn)
            .map_err(unavailable)?
            .into_iter()
            .map(Event::try_from)
            .collect()
    }

    fn enqueue_ping(
        &self,
        agent_id: &Id,
        webhook_id: &Id,
        ping: &PendingEvent,
        at: Timestamp,
    ) -> Result<bool, StoreError> {
        let mut conn = self.writer()?;
        let (agent, webhook, at) = (agent_id.as_str(), webhook_id.as_str(), at.as_millis());
        conn.transaction::<_, diesel::result::Error, _>(|conn| {
            if !lock_webhook(conn, agent, webhook)? {
                return Ok(false);
            }
            insert_event(conn, ping, agent, at)?;
            queue_delivery(conn, ping.id.as_str(), webhook, at)?;
            Ok(true)
        })
        .map_err(unavailable)
    }

    fn claim_deliveries(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: usize,
        busy: &[Id],
    ) -> Result<Vec<DueDelivery>, StoreError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let mut conn = self.writer()?;
        let conn = &mut *conn;
        let (now, lease_until) = (now.as_millis(), lease_until.as_millis());
        // A lease runs out at its instant (as a rotated secret stops
        // signing at its `until`).
        let mut query = deliveries::table
            .filter(deliveries::status.eq(PENDING))
            .filter(deliveries::next_attempt_at.le(now))
            .filter(
                deliveries::lease_until
                    .is_null()
                    .or(deliveries::lease_until.le(now)),
            )
            .into_boxed();
        if !busy.is_empty() {
            query = query.filter(deliveries::webhook_id.ne_all(busy.iter().map(Id::as_str)));
        }
        let wanted = i64::try_from(limit).unwrap_or(i64::MAX);
        let candidates: Vec<i64> = query
            .order((deliveries::next_attempt_at, deliveries::id))
            .limit(wanted.saturating_add(SPARE_CANDIDATES))
            .select(deliveries::id)
            .load(conn)
            .map_err(unavailable)?;
        // Each claim is one statement whose WHERE re-checks the candidate
        // under the row (PostgreSQL) or database (SQLite) write lock: of
        // two workers racing for a delivery, in this process or another,
        // only one changes the row, and each keeps only what it changed.
        let mut claimed = Vec::new();
        for id in candidates {
            if claimed.len() == limit {
                break;
            }
            let changed = diesel::update(
                deliveries::table
                    .find(id)
                    .filter(deliveries::status.eq(PENDING))
                    .filter(deliveries::next_attempt_at.le(now))
                    .filter(
                        deliveries::lease_until
                            .is_null()
                            .or(deliveries::lease_until.le(now)),
                    ),
            )
            .set(deliveries::lease_until.eq(lease_until))
            .execute(conn)
            .map_err(unavailable)?;
            if changed == 1 {
                claimed.push(id);
            }
        }
        if claimed.is_empty() {
            return Ok(Vec::new());
        }
        // A delivery whose webhook was deleted meanwhile is gone with it,
        // and missing here.
        let mut rows: Vec<(i64, i32, EventRow, WebhookRow)> = deliveries::table
            .inner_join(events::table)
            .inner_join(webhooks::table)
            .filter(deliveries::id.eq_any(&claimed))
            .select((
                deliveries::id,
                deliveries::attempts,
                EventRow::as_select(),
                WebhookRow::as_select(),
            ))
            .load(conn)
            .map_err(unavailable)?;
        rows.sort_by_key(|(id, ..)| claimed.iter().position(|c| c == id));
        rows.into_iter()
            .map(|(id, made, event, webhook)| {
                Ok(DueDelivery {
                    id,
                    attempts: attempts(made),
                    event: Event::try_from(event)?,
                    webhook: Webhook::from(webhook),
                })
            })
            .collect()
    }

    fn finish_attempt(
        &self,
        delivery_id: i64,
        attempt: &AttemptRecord,
        outcome: &AttemptOutcome,
    ) -> Result<(), StoreError> {
        let mut conn = self.writer()?;
        conn.transaction::<_, diesel::result::Error, _>(|conn| {
            let pending = || {
                deliveries::table
                    .find(delivery_id)
                    .filter(deliveries::status.eq(PENDING))
            };
            // The webhook first (see the module doc); a write either way,
            // so the transaction begins with one.
            if let AttemptOutcome::Failed {
                disable: Some(reason),
            } = outcome
            {
                diesel::update(
                    webhooks::table
                        .filter(webhooks::id.eq_any(pending().select(deliveries::webhook_id))),
                )
                .set((
                    webhooks::active.eq(false),
                    webhooks::disabled_reason.eq(reason),
                ))
                .execute(conn)?;
            }
            let changed = match outcome {
                AttemptOutcome::RetryAt(next) => diesel::update(pending())
                    .set((
                        deliveries::attempts.eq(deliveries::attempts + 1),
                        deliveries::next_attempt_at.eq(next.as_millis()),
                        deliveries::lease_until.eq(None::<i64>),
                    ))
                    .execute(conn)?,
                other => {
                    // A cancellation records why, but made no attempt.
                    let (status, made) = match other {
                        AttemptOutcome::Delivered => (DeliveryStatus::Delivered, 1),
                        AttemptOutcome::Failed { .. } => (DeliveryStatus::Failed, 1),
                        _ => (DeliveryStatus::Cancelled, 0),
                    };
                    diesel::update(pending())
                        .set((
                            deliveries::status.eq(status.as_str()),
                            deliveries::attempts.eq(deliveries::attempts + made),
                            deliveries::lease_until.eq(None::<i64>),
                        ))
                        .execute(conn)?
                }
            };
            // Gone with its webhook, or already settled by another worker
            // whose lease this one outlived: nothing to record.
            if changed == 0 {
                return Ok(());
            }
            diesel::insert_into(delivery_attempts::table)
                .values((
                    delivery_attempts::delivery_id.eq(delivery_id),
                    delivery_attempts::at.eq(attempt.at.as_millis()),
                    delivery_attempts::status_code.eq(attempt.status_code.map(i32::from)),
                    delivery_attempts::latency_ms
                        .eq(i64::try_from(attempt.latency.as_millis()).unwrap_or(i64::MAX)),
                    delivery_attempts::error.eq(attempt.error.as_deref()),
                ))
                .execute(conn)?;
            Ok(())
        })
        .map_err(unavailable)
    }

    fn deliveries(
        &self,
        agent_id: &Id,
        webhook_id: &Id,
        limit: usize,
    ) -> Result<Option<Vec<DeliveryView>>, StoreError> {
        let mut conn = self.conn()?;
        let (agent, webhook) = (agent_id.as_str(), webhook_id.as_str());
        let loaded = conn.transaction::<_, diesel::result::Error, _>(|conn| {
            let owned: bool = diesel::select(exists(
                webhooks::table
                    .filter(webhooks::id.eq(webhook))
                    .filter(webhooks::agent_id.eq(agent)),
            ))
            .get_result(conn)?;
            if !owned {
                return Ok(None);
            }
            let rows: Vec<(DeliveryRow, String)> = deliveries::table
                .inner_join(events::table)
                .filter(deliveries::webhook_id.eq(webhook))
                .order(deliveries::id.desc())
                .limit(i64::try_from(limit).unwrap_or(i64::MAX))
                .select((DeliveryRow::as_select(), events::kind))
                .load(conn)?;
            if rows.is_empty() {
                return Ok(Some((rows, Vec::new())));
            }
            let ids: Vec<i64> = rows.iter().map(|(d, _)| d.id).collect();
            // A delivery has at most a schedule's worth of attempts.
            let tried: Vec<AttemptRow> = delivery_attempts::table
                .filter(delivery_attempts::delivery_id.eq_any(&ids))
                .order((delivery_attempts::delivery_id, delivery_attempts::id.desc()))
                .select(AttemptRow::as_select())
                .load(conn)?;
            Ok(Some((rows, tried)))
        });
        let Some((rows, tried)) = loaded.map_err(unavailable)? else {
            return Ok(None);
        };
        // Newest attempt first within each delivery: keep the first seen.
        let mut last = std::collections::HashMap::new();
        for a in tried {
            last.entry(a.delivery_id).or_insert(a);
        }
        rows.into_iter()
            .map(|(d, kind)| {
                let status = delivery_status(&d.status)?;
                let last_attempt = last.remove(&d.id).map(AttemptRecord::from);
                Ok(DeliveryView {
                    delivery_id: d.id,
                    event_id: Id::from_trusted(d.event_id),
                    event_type: event_type(&kind)?.as_str(),
                    next_attempt_at: (status == DeliveryStatus::Pending)
                        .then(|| Timestamp::from_millis(d.next_attempt_at)),
                    status,
                    attempts: attempts(d.attempts),
                    last_attempt,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()
            .map(Some)
    }

    fn redeliver(
        &self,
        agent_id: &Id,
        webhook_id: &Id,
        delivery_id: i64,
        now: Timestamp,
    ) -> Result<Option<i64>, StoreError> {
        let mut conn = self.writer()?;
        let (agent, webhook) = (agent_id.as_str(), webhook_id.as_str());
        conn.transaction::<_, diesel::result::Error, _>(|conn| {
            if !lock_webhook(conn, agent, webhook)? {
                return Ok(None);
            }
            let event: Option<String> = deliveries::table
                .find(delivery_id)
                .filter(deliveries::webhook_id.eq(webhook))
                .select(deliveries::event_id)
                .first(conn)
                .optional()?;
            let Some(event) = event else {
                return Ok(None);
            };
            queue_delivery(conn, &event, webhook, now.as_millis()).map(Some)
        })
        .map_err(unavailable)
    }
}
