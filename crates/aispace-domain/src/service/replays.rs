//! Retries of requests that create or change something: the first request
//! with an agent's `Idempotency-Key` reserves it, runs, and leaves its
//! success to be answered again to every retry of the same request within
//! the window; a different request with the key is refused. Whoever
//! drives a request (the HTTP layer) decides what "the same request" is,
//! as a [`RequestFingerprint`].

use std::time::Duration;

use super::Aispace;
use super::auth::Principal;
use crate::DomainError;
use crate::model::{
    Id, IdempotencyKey, MAX_REPLAY_BODY, ReplayReservation, ReplayState, RequestFingerprint,
    StoredAnswer,
};
use crate::ports::ReplayClaim;

/// How long a reservation holds while its request runs. Far longer than
/// any request it covers takes (storage work, a lookup of a webhook's
/// host), so a retry is refused while the first is still running; and
/// short, so the key of a request whose process died becomes usable again
/// soon after.
pub const REPLAY_LEASE: Duration = Duration::from_secs(60);

/// What a request with an `Idempotency-Key` does next.
#[derive(Debug)]
pub enum ReplayStart {
    /// Run it, then [`Aispace::keep_answer`] or
    /// [`Aispace::release_replay`] with the ticket.
    Run(ReplayTicket),
    /// Answer this, the first request's answer, and do nothing else.
    Replay(StoredAnswer),
}

/// A held reservation.
#[derive(Debug, Clone)]
pub struct ReplayTicket {
    agent_id: Id,
    key: IdempotencyKey,
    token: Id,
}

impl Aispace {
    /// Reserves `key` for the caller's request `fingerprint`, or answers
    /// why not: the first answer to replay, `Conflict` when the key was
    /// used for a different request (the words the posts path uses) or
    /// its first request is still running. A key that is not 1–255 visible
    /// ASCII characters is a validation error.
    pub fn reserve_replay(
        &self,
        caller: &Principal,
        key: &str,
        fingerprint: RequestFingerprint,
    ) -> Result<ReplayStart, DomainError> {
        let key = IdempotencyKey::parse(key)?;
        let now = self.ports.clock.now();
        let reservation = ReplayReservation {
            agent_id: caller.agent.id.clone(),
            key,
            fingerprint,
            token: self.ports.ids.new_id(),
            at: now,
        };
        let claim = self.ports.store.reserve_replay(
            &reservation,
            now.minus(self.settings.posting.idempotency_window),
            now.minus(REPLAY_LEASE),
        )?;
        let record = match claim {
            ReplayClaim::Reserved => {
                return Ok(ReplayStart::Run(ReplayTicket {
                    agent_id: reservation.agent_id,
                    key: reservation.key,
                    token: reservation.token,
                }));
            }
            ReplayClaim::Held(record) => record,
        };
        if record.fingerprint != fingerprint {
            return Err(DomainError::Conflict(
                "this Idempotency-Key was used for a different request".into(),
            ));
        }
        match record.state {
            ReplayState::Answered(answer) => Ok(ReplayStart::Replay(answer)),
            ReplayState::Pending => Err(DomainError::Conflict(
                "the first request with this Idempotency-Key is still being answered; \
                 retry shortly"
                    .into(),
            )),
            ReplayState::Unkept => Err(DomainError::Conflict(
                "the request with this Idempotency-Key succeeded, but its answer was too \
                 large to keep; read the result instead"
                    .into(),
            )),
        }
    }

    /// Keeps the success of a reserved request for its retries. `None`
    /// (an answer its driver could not hold) and an answer over
    /// [`MAX_REPLAY_BODY`] are remembered as done without their bytes.
    /// `Ok(false)` when the reservation had run out and was taken over.
    pub fn keep_answer(
        &self,
        ticket: &ReplayTicket,
        answer: Option<StoredAnswer>,
    ) -> Result<bool, DomainError> {
        let kept = answer
            .as_ref()
            .filter(|answer| answer.body.len() <= MAX_REPLAY_BODY);
        Ok(self
            .ports
            .store
            .complete_replay(&ticket.agent_id, &ticket.key, &ticket.token, kept)?)
    }

    /// Lets a reserved request's key go after a failure, so a retry runs
    /// the request again.
    pub fn release_replay(&self, ticket: &ReplayTicket) -> Result<bool, DomainError> {
        Ok(self
            .ports
            .store
            .release_replay(&ticket.agent_id, &ticket.key, &ticket.token)?)
    }

    /// Deletes at most `batch_limit` records older than the window (24 h,
    /// as for posts), oldest first; returns how many went.
    pub fn purge_expired_replays(&self, batch_limit: usize) -> Result<usize, DomainError> {
        let before = self
            .ports
            .clock
            .now()
            .minus(self.settings.posting.idempotency_window);
        Ok(self.ports.store.purge_expired(before, batch_limit)?)
    }
}
