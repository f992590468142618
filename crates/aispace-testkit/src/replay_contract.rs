//! The contract of `ReplayStore`: answers kept for the retries of
//! requests that carry an `Idempotency-Key`. One public function per rule,
//! each given a fresh, empty store, run by [`crate::storage_contract!`]
//! like [`crate::contract`].

#![allow(clippy::unwrap_used, clippy::expect_used)]

use aispace_domain::model::{
    Agent, IdempotencyKey, ReplayRecord, ReplayReservation, ReplayState, RequestFingerprint,
    StoredAnswer, Timestamp,
};
use aispace_domain::ports::{ReplayClaim, Storage};

use crate::contract::{agent, at, id, key};

/// The window of answers and the hold of pending reservations, as the
/// tests below pass them.
const WINDOW_MS: i64 = 24 * 3600 * 1000;
const LEASE_MS: i64 = 60_000;

fn stored_agent(store: &dyn Storage, n: u64, handle: &str) -> Agent {
    let a = agent(n, handle);
    store
        .insert_agent_with_key(&a, &key(&format!("asp_replay{n:03}"), &a, 1))
        .unwrap();
    a
}

fn idem(k: &str) -> IdempotencyKey {
    IdempotencyKey::parse(k).unwrap()
}

fn print(what: &str) -> RequestFingerprint {
    RequestFingerprint::of(&[what.as_bytes()])
}

fn answer(body: &str) -> StoredAnswer {
    StoredAnswer {
        status: 201,
        content_type: "application/json".into(),
        body: body.as_bytes().to_vec(),
    }
}

fn reservation(by: &Agent, k: &str, what: &str, token: u64, ms: i64) -> ReplayReservation {
    ReplayReservation {
        agent_id: by.id.clone(),
        key: idem(k),
        fingerprint: print(what),
        token: id(9_000 + token),
        at: at(ms),
    }
}

/// Reserves at `ms` with the window and hold counted back from there.
fn reserve(store: &dyn Storage, r: &ReplayReservation, ms: i64) -> ReplayClaim {
    store
        .reserve_replay(r, at(ms - WINDOW_MS), at(ms - LEASE_MS))
        .unwrap()
}

fn held(state: ReplayState, what: &str, since: Timestamp) -> ReplayClaim {
    ReplayClaim::Held(ReplayRecord {
        fingerprint: print(what),
        created_at: since,
        state,
    })
}

pub fn a_key_is_reserved_once_and_then_holds_its_answer(store: &dyn Storage) {
    let a = stored_agent(store, 1, "retrier");
    let first = reservation(&a, "k-1", "POST /like", 1, 100);
    assert_eq!(reserve(store, &first, 100), ReplayClaim::Reserved);
    // A retry while the first runs learns what holds the key, and takes
    // nothing: the same request or another.
    let retry = reservation(&a, "k-1", "POST /like", 2, 200);
    assert_eq!(
        reserve(store, &retry, 200),
        held(ReplayState::Pending, "POST /like", at(100))
    );
    let other = reservation(&a, "k-1", "POST /comment", 3, 300);
    assert_eq!(
        reserve(store, &other, 300),
        held(ReplayState::Pending, "POST /like", at(100))
    );
    // Only the reservation's own token answers it.
    let ok = answer(r#"{"liked":true}"#);
    assert!(
        !store
            .complete_replay(&a.id, &first.key, &retry.token, Some(&ok))
            .unwrap()
    );
    assert!(
        store
            .complete_replay(&a.id, &first.key, &first.token, Some(&ok))
            .unwrap()
    );
    assert_eq!(
        reserve(store, &retry, 400),
        held(ReplayState::Answered(ok.clone()), "POST /like", at(100))
    );
    // An answer is final: neither answered again nor released.
    let later = answer(r#"{"liked":false}"#);
    assert!(
        !store
            .complete_replay(&a.id, &first.key, &first.token, Some(&later))
            .unwrap()
    );
    assert!(
        !store
            .release_replay(&a.id, &first.key, &first.token)
            .unwrap()
    );
    assert_eq!(
        reserve(store, &retry, 500),
        held(ReplayState::Answered(ok), "POST /like", at(100))
    );
}

pub fn keys_are_per_agent(store: &dyn Storage) {
    let a = stored_agent(store, 1, "one");
    let b = stored_agent(store, 2, "two");
    let mine = reservation(&a, "shared", "POST /x", 1, 100);
    assert_eq!(reserve(store, &mine, 100), ReplayClaim::Reserved);
    let theirs = reservation(&b, "shared", "POST /x", 2, 100);
    assert_eq!(reserve(store, &theirs, 100), ReplayClaim::Reserved);
    assert!(
        store
            .complete_replay(&b.id, &theirs.key, &theirs.token, Some(&answer("b")))
            .unwrap()
    );
    // The other agent's answer is not this one's.
    assert_eq!(
        reserve(store, &reservation(&a, "shared", "POST /x", 3, 200), 200),
        held(ReplayState::Pending, "POST /x", at(100))
    );
}

pub fn a_released_key_is_free_at_once(store: &dyn Storage) {
    let a = stored_agent(store, 1, "failer");
    let first = reservation(&a, "k", "POST /vote", 1, 100);
    assert_eq!(reserve(store, &first, 100), ReplayClaim::Reserved);
    assert!(!store.release_replay(&a.id, &first.key, &id(1)).unwrap());
    assert!(
        store
            .release_replay(&a.id, &first.key, &first.token)
            .unwrap()
    );
    assert!(
        !store
            .release_replay(&a.id, &first.key, &first.token)
            .unwrap(),
        "released once"
    );
    // The key is free for any request now, the same or another.
    let next = reservation(&a, "k", "POST /other", 2, 150);
    assert_eq!(reserve(store, &next, 150), ReplayClaim::Reserved);
    assert!(
        !store
            .complete_replay(&a.id, &first.key, &first.token, Some(&answer("late")))
            .unwrap(),
        "the released reservation answers nothing"
    );
}

pub fn a_pending_hold_past_its_time_and_an_answer_past_the_window_give_way(store: &dyn Storage) {
    let a = stored_agent(store, 1, "patient");
    let first = reservation(&a, "k", "POST /a", 1, 0);
    assert_eq!(reserve(store, &first, 0), ReplayClaim::Reserved);
    let retry = reservation(&a, "k", "POST /a", 2, LEASE_MS);
    // Held up to its last instant, taken over after.
    assert_eq!(
        reserve(store, &retry, LEASE_MS),
        held(ReplayState::Pending, "POST /a", at(0))
    );
    let retry = reservation(&a, "k", "POST /a", 3, LEASE_MS + 1);
    assert_eq!(reserve(store, &retry, LEASE_MS + 1), ReplayClaim::Reserved);
    // The first request, finishing late, no longer holds the key.
    assert!(
        !store
            .complete_replay(&a.id, &first.key, &first.token, Some(&answer("first")))
            .unwrap()
    );
    assert!(
        !store
            .release_replay(&a.id, &first.key, &first.token)
            .unwrap()
    );
    let kept = answer("retry");
    assert!(
        store
            .complete_replay(&a.id, &retry.key, &retry.token, Some(&kept))
            .unwrap()
    );
    // An answer is held for the window from its reservation, then the key
    // is anyone's again: the same request runs anew.
    let end = LEASE_MS + 1 + WINDOW_MS;
    let again = reservation(&a, "k", "POST /b", 4, end);
    assert_eq!(
        reserve(store, &again, end),
        held(ReplayState::Answered(kept), "POST /a", at(LEASE_MS + 1))
    );
    let again = reservation(&a, "k", "POST /b", 5, end + 1);
    assert_eq!(reserve(store, &again, end + 1), ReplayClaim::Reserved);
    assert_eq!(
        reserve(store, &reservation(&a, "k", "POST /b", 6, end + 2), end + 2),
        held(ReplayState::Pending, "POST /b", at(end + 1))
    );
}

pub fn a_success_whose_answer_is_not_kept_still_holds_the_key(store: &dyn Storage) {
    let a = stored_agent(store, 1, "verbose");
    let first = reservation(&a, "k", "POST /big", 1, 100);
    assert_eq!(reserve(store, &first, 100), ReplayClaim::Reserved);
    assert!(
        store
            .complete_replay(&a.id, &first.key, &first.token, None)
            .unwrap()
    );
    assert_eq!(
        reserve(store, &reservation(&a, "k", "POST /big", 2, 200), 200),
        held(ReplayState::Unkept, "POST /big", at(100))
    );
    assert!(
        !store
            .release_replay(&a.id, &first.key, &first.token)
            .unwrap()
    );
}

pub fn purging_deletes_records_made_before_a_time_oldest_first_in_batches(store: &dyn Storage) {
    let a = stored_agent(store, 1, "busy");
    // Five records, made at 100, 200, … 500; two answered, the rest
    // pending.
    for n in 1..=5u64 {
        let r = reservation(&a, &format!("k{n}"), "POST /p", n, n as i64 * 100);
        assert_eq!(reserve(store, &r, n as i64 * 100), ReplayClaim::Reserved);
        if n % 2 == 0 {
            assert!(
                store
                    .complete_replay(&a.id, &r.key, &r.token, Some(&answer("ok")))
                    .unwrap()
            );
        }
    }
    let live = |n: u64| {
        let probe = reservation(&a, &format!("k{n}"), "POST /p", 100 + n, 600);
        // The probe never takes a key it finds held (nothing has run out
        // at 600); a key it does get was gone, and is given back.
        match reserve(store, &probe, 600) {
            ReplayClaim::Held(_) => true,
            ReplayClaim::Reserved => {
                assert!(
                    store
                        .release_replay(&a.id, &probe.key, &probe.token)
                        .unwrap()
                );
                false
            }
        }
    };
    assert_eq!(store.purge_expired(at(0), 10).unwrap(), 0);
    assert_eq!(store.purge_expired(at(300), 1).unwrap(), 1);
    assert_eq!(store.purge_expired(at(300), 5).unwrap(), 1);
    assert_eq!(store.purge_expired(at(300), 5).unwrap(), 0);
    assert_eq!(
        (1..=5).map(live).collect::<Vec<_>>(),
        [false, false, true, true, true],
        "oldest first; made at the time itself: kept"
    );
    assert_eq!(store.purge_expired(at(450), 5).unwrap(), 2);
    assert_eq!(
        (1..=5).map(live).collect::<Vec<_>>(),
        [false, false, false, false, true]
    );
    assert_eq!(store.purge_expired(at(10_000), 0).unwrap(), 0);
    assert_eq!(store.purge_expired(at(10_000), 10).unwrap(), 1);
}

pub fn concurrent_reservations_of_one_key_grant_it_once(store: &dyn Storage) {
    let a = stored_agent(store, 1, "racer");
    let granted: Vec<bool> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8u64)
            .map(|n| {
                let r = reservation(&a, "race", "POST /r", n, 100);
                s.spawn(move || reserve(store, &r, 100) == ReplayClaim::Reserved)
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(granted.iter().filter(|g| **g).count(), 1, "{granted:?}");
}
