//! Answers kept for retries, as the Diesel adapter keeps
//! `request_replays`.

use aispace_domain::model::{
    Id, IdempotencyKey, ReplayRecord, ReplayReservation, ReplayState, StoredAnswer, Timestamp,
};
use aispace_domain::ports::{ReplayClaim, ReplayStore, StoreError};

use super::MemoryStore;

/// One agent's key: the record and the token of the reservation that made
/// it.
#[derive(Debug)]
pub(super) struct Replay {
    record: ReplayRecord,
    token: Id,
}

impl ReplayStore for MemoryStore {
    fn reserve_replay(
        &self,
        reservation: &ReplayReservation,
        answered_since: Timestamp,
        pending_since: Timestamp,
    ) -> Result<ReplayClaim, StoreError> {
        let mut state = self.state();
        let slot = (reservation.agent_id.clone(), reservation.key.clone());
        if let Some(held) = state.replays.get(&slot) {
            let record = &held.record;
            let live = match record.state {
                ReplayState::Pending => record.created_at >= pending_since,
                ReplayState::Answered(_) | ReplayState::Unkept => {
                    record.created_at >= answered_since
                }
            };
            if live {
                return Ok(ReplayClaim::Held(record.clone()));
            }
        }
        state.replays.insert(
            slot,
            Replay {
                record: ReplayRecord {
                    fingerprint: reservation.fingerprint,
                    created_at: reservation.at,
                    state: ReplayState::Pending,
                },
                token: reservation.token.clone(),
            },
        );
        Ok(ReplayClaim::Reserved)
    }

    fn complete_replay(
        &self,
        agent_id: &Id,
        key: &IdempotencyKey,
        token: &Id,
        answer: Option<&StoredAnswer>,
    ) -> Result<bool, StoreError> {
        let mut state = self.state();
        let Some(held) = state.replays.get_mut(&(agent_id.clone(), key.clone())) else {
            return Ok(false);
        };
        if &held.token != token || held.record.state != ReplayState::Pending {
            return Ok(false);
        }
        held.record.state =
            answer.map_or(ReplayState::Unkept, |a| ReplayState::Answered(a.clone()));
        Ok(true)
    }

    fn release_replay(
        &self,
        agent_id: &Id,
        key: &IdempotencyKey,
        token: &Id,
    ) -> Result<bool, StoreError> {
        let mut state = self.state();
        let slot = (agent_id.clone(), key.clone());
        let held = state
            .replays
            .get(&slot)
            .is_some_and(|h| &h.token == token && h.record.state == ReplayState::Pending);
        if held {
            state.replays.remove(&slot);
        }
        Ok(held)
    }

    fn purge_expired(&self, before: Timestamp, batch_limit: usize) -> Result<usize, StoreError> {
        let mut state = self.state();
        let mut expired: Vec<(Timestamp, (Id, IdempotencyKey))> = state
            .replays
            .iter()
            .filter(|(_, held)| held.record.created_at < before)
            .map(|(slot, held)| (held.record.created_at, slot.clone()))
            .collect();
        expired.sort_by_key(|(at, _)| *at);
        expired.truncate(batch_limit);
        for (_, slot) in &expired {
            state.replays.remove(slot);
        }
        Ok(expired.len())
    }
}
