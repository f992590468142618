//! Answers kept for retries. A request that creates or changes something
//! and carries an `Idempotency-Key` reserves the key for its agent while it
//! runs; a success leaves its answer under the key, so a retry of the same
//! request within the window gets that answer again instead of acting
//! twice. (Posts and memes keep their key with the post instead, see
//! [`super::IdempotencyRecord`].)

use super::{Id, IdempotencyKey, RequestFingerprint, Timestamp};

/// The largest answer kept, in bytes: the answers in question are an
/// object or two, and a store of retries must not grow by whatever a
/// handler writes. A success over it is remembered as done, without its
/// answer.
pub const MAX_REPLAY_BODY: usize = 256 * 1024;

/// A success as it went out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAnswer {
    pub status: u16,
    pub content_type: String,
    pub body: Vec<u8>,
}

/// A request's hold on its agent's key while it runs. `token` is this
/// hold's own id: only its holder may store an answer under it or let it
/// go, so a request that outlived its hold (and was taken over by a
/// retry) cannot overwrite the retry's record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplayReservation {
    pub agent_id: Id,
    pub key: IdempotencyKey,
    pub fingerprint: RequestFingerprint,
    pub token: Id,
    pub at: Timestamp,
}

/// What an agent's key holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplayRecord {
    pub fingerprint: RequestFingerprint,
    /// When the request holding it was reserved; the window counts from
    /// here.
    pub created_at: Timestamp,
    pub state: ReplayState,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplayState {
    /// The request is still running (or died, until its hold runs out).
    Pending,
    /// It succeeded with this answer.
    Answered(StoredAnswer),
    /// It succeeded with an answer over [`MAX_REPLAY_BODY`]: done, but
    /// there is nothing to answer a retry with.
    Unkept,
}
