//! Answers kept for retries (`request_replays`): one row per agent and
//! `Idempotency-Key`, pending while its request runs.
//!
//! A reservation first reads the key's row: a live one (a retry's usual
//! case) is the answer, without a write. Otherwise it is an `INSERT … ON
//! CONFLICT DO NOTHING` (the write its transaction starts with, see
//! `DieselStore`), then, when a row was there, a conditional UPDATE that
//! takes it over only if it has run out, then a read of the row that holds
//! the key. Concurrent reservations of one key queue on the row
//! (PostgreSQL waits for the first insert to commit; on SQLite the write
//! lock), so exactly one gets it.

use aispace_domain::Entity;
use aispace_domain::model::{
    Id, IdempotencyKey, ReplayRecord, ReplayReservation, ReplayState, RequestFingerprint,
    StoredAnswer, Timestamp,
};
use aispace_domain::ports::{ReplayClaim, ReplayStore, StoreError};
use diesel::prelude::*;

use crate::DieselStore;
use crate::connection::per_backend;
use crate::errors::{WriteRules, unavailable, write_error};
use crate::rows::corrupt;
use crate::schema::request_replays;

#[derive(Debug, Insertable)]
#[diesel(table_name = request_replays)]
struct NewReplayRow<'a> {
    agent_id: &'a str,
    key: &'a str,
    fingerprint: &'a [u8],
    token: &'a str,
    created_at: i64,
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = request_replays)]
struct ReplayRow {
    fingerprint: Vec<u8>,
    created_at: i64,
    status: Option<i32>,
    content_type: Option<String>,
    body: Option<Vec<u8>>,
}

impl TryFrom<ReplayRow> for ReplayRecord {
    type Error = StoreError;

    fn try_from(row: ReplayRow) -> Result<Self, StoreError> {
        let fingerprint = RequestFingerprint::from_bytes(&row.fingerprint)
            .ok_or_else(|| corrupt("request_replays", "fingerprint"))?;
        let state = match (row.status, row.body) {
            (None, _) => ReplayState::Pending,
            (Some(_), None) => ReplayState::Unkept,
            (Some(status), Some(body)) => ReplayState::Answered(StoredAnswer {
                status: u16::try_from(status).map_err(|_| corrupt("request_replays", "status"))?,
                content_type: row.content_type.unwrap_or_default(),
                body,
            }),
        };
        Ok(ReplayRecord {
            fingerprint,
            created_at: Timestamp::from_millis(row.created_at),
            state,
        })
    }
}

impl ReplayStore for DieselStore {
    fn reserve_replay(
        &self,
        reservation: &ReplayReservation,
        answered_since: Timestamp,
        pending_since: Timestamp,
    ) -> Result<ReplayClaim, StoreError> {
        let mut conn = self.writer()?;
        let (agent, key) = (reservation.agent_id.as_str(), reservation.key.as_str());
        let fingerprint = reservation.fingerprint.as_bytes().as_slice();
        let at = reservation.at.as_millis();
        // Most reservations of a held key are retries: a read answers them
        // without taking the write lock.
        let held = request_replays::table
            .find((agent, key))
            .select(ReplayRow::as_select())
            .first(&mut *conn)
            .optional()
            .map_err(unavailable)?;
        if let Some(row) = held {
            let since = match row.status {
                None => pending_since,
                Some(_) => answered_since,
            };
            if row.created_at >= since.as_millis() {
                return ReplayRecord::try_from(row).map(ReplayClaim::Held);
            }
        }
        let claimed = conn.transaction::<_, diesel::result::Error, _>(|conn| {
            let row = NewReplayRow {
                agent_id: agent,
                key,
                fingerprint,
                token: reservation.token.as_str(),
                created_at: at,
            };
            let inserted =
                per_backend!(&mut *conn, |c| diesel::insert_into(request_replays::table)
                    .values(&row)
                    .on_conflict_do_nothing()
                    .execute(c))?;
            if inserted == 1 {
                return Ok(None);
            }
            // What has run out gives way: an answer older than the window,
            // or a reservation whose request did not finish within its
            // hold (its process died, most likely).
            let taken = diesel::update(
                request_replays::table.find((agent, key)).filter(
                    request_replays::created_at
                        .lt(answered_since.as_millis())
                        .or(request_replays::status
                            .is_null()
                            .and(request_replays::created_at.lt(pending_since.as_millis()))),
                ),
            )
            .set((
                request_replays::fingerprint.eq(fingerprint),
                request_replays::token.eq(reservation.token.as_str()),
                request_replays::created_at.eq(at),
                request_replays::status.eq(None::<i32>),
                request_replays::content_type.eq(None::<String>),
                request_replays::body.eq(None::<Vec<u8>>),
            ))
            .execute(conn)?;
            if taken == 1 {
                return Ok(None);
            }
            request_replays::table
                .find((agent, key))
                .select(ReplayRow::as_select())
                .first(conn)
                .map(Some)
        });
        match claimed {
            Ok(None) => Ok(ReplayClaim::Reserved),
            Ok(Some(row)) => ReplayRecord::try_from(row).map(ReplayClaim::Held),
            Err(err) => Err(write_error(
                err,
                WriteRules {
                    unique: None,
                    parent: Some(Entity::Agent),
                },
            )),
        }
    }

    fn complete_replay(
        &self,
        agent_id: &Id,
        key: &IdempotencyKey,
        token: &Id,
        answer: Option<&StoredAnswer>,
    ) -> Result<bool, StoreError> {
        let mut conn = self.writer()?;
        // A kept answer is a success by the table's CHECK; one not kept is
        // recorded as a bare 200, which only says "done".
        let status = answer.map_or(200, |a| i32::from(a.status));
        let changed = diesel::update(
            request_replays::table
                .find((agent_id.as_str(), key.as_str()))
                .filter(request_replays::token.eq(token.as_str()))
                .filter(request_replays::status.is_null()),
        )
        .set((
            request_replays::status.eq(Some(status)),
            request_replays::content_type.eq(answer.map(|a| a.content_type.as_str())),
            request_replays::body.eq(answer.map(|a| a.body.as_slice())),
        ))
        .execute(&mut *conn)
        .map_err(unavailable)?;
        Ok(changed == 1)
    }

    fn release_replay(
        &self,
        agent_id: &Id,
        key: &IdempotencyKey,
        token: &Id,
    ) -> Result<bool, StoreError> {
        let mut conn = self.writer()?;
        let deleted = diesel::delete(
            request_replays::table
                .find((agent_id.as_str(), key.as_str()))
                .filter(request_replays::token.eq(token.as_str()))
                .filter(request_replays::status.is_null()),
        )
        .execute(&mut *conn)
        .map_err(unavailable)?;
        Ok(deleted == 1)
    }

    fn purge_expired(&self, before: Timestamp, batch_limit: usize) -> Result<usize, StoreError> {
        if batch_limit == 0 {
            return Ok(0);
        }
        let mut conn = self.writer()?;
        let before = before.as_millis();
        // The oldest batch by the age index, then one DELETE of those rows
        // that are still expired: a row reserved anew in between has a new
        // token and a new time, and stays.
        let batch: Vec<String> = request_replays::table
            .filter(request_replays::created_at.lt(before))
            .order(request_replays::created_at)
            .limit(i64::try_from(batch_limit).unwrap_or(i64::MAX))
            .select(request_replays::token)
            .load(&mut *conn)
            .map_err(unavailable)?;
        if batch.is_empty() {
            return Ok(0);
        }
        diesel::delete(
            request_replays::table
                .filter(request_replays::token.eq_any(&batch))
                .filter(request_replays::created_at.lt(before)),
        )
        .execute(&mut *conn)
        .map_err(unavailable)
    }
}
