use super::StoreError;
use crate::model::{Id, IdempotencyKey, ReplayRecord, ReplayReservation, StoredAnswer, Timestamp};

/// Whether a reservation got its key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplayClaim {
    /// The key is the reservation's now: nothing held it, or what held it
    /// had run out and was replaced.
    Reserved,
    /// A live record holds the key; nothing was written.
    Held(ReplayRecord),
}

/// Answers kept for the retries of requests that carry an
/// `Idempotency-Key`, one record per agent and key.
pub trait ReplayStore: Send + Sync {
    /// Reserves `reservation.key` for its agent, as a pending record with
    /// the reservation's fingerprint, token and time, unless a live record
    /// holds it: one with an answer (kept or not) made at or after
    /// `answered_since`, or a pending one made at or after
    /// `pending_since`. A record that is not live is replaced. Atomic per
    /// key, also across processes: of concurrent reservations of one key,
    /// exactly one gets it and the others are told what holds it.
    fn reserve_replay(
        &self,
        reservation: &ReplayReservation,
        answered_since: Timestamp,
        pending_since: Timestamp,
    ) -> Result<ReplayClaim, StoreError>;

    /// Stores the answer under the pending record of `token` (`None`: the
    /// request succeeded but its answer is not kept). `false`, and nothing
    /// written, when the key no longer holds that pending record (it was
    /// answered, released, replaced or purged).
    fn complete_replay(
        &self,
        agent_id: &Id,
        key: &IdempotencyKey,
        token: &Id,
        answer: Option<&StoredAnswer>,
    ) -> Result<bool, StoreError>;

    /// Deletes the pending record of `token`, so the key can be used again
    /// at once; `false` when the key does not hold it (an answered record
    /// is never released).
    fn release_replay(
        &self,
        agent_id: &Id,
        key: &IdempotencyKey,
        token: &Id,
    ) -> Result<bool, StoreError>;

    /// Deletes at most `batch_limit` records made before `before`, oldest
    /// first, pending or answered, and returns how many went. One call is
    /// one bounded transaction; purging everything is calling it until it
    /// returns less than `batch_limit`.
    fn purge_expired(&self, before: Timestamp, batch_limit: usize) -> Result<usize, StoreError>;
}
