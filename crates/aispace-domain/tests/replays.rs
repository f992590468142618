//! The replay use cases over the memory store with a fixed clock: what a
//! key holds decides between running, replaying and refusing, and an
//! answer too large to keep still stops the request from running twice.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

use std::sync::Arc;
use std::time::Duration;

use aispace_domain::model::{Field, MAX_REPLAY_BODY, RequestFingerprint, StoredAnswer};
use aispace_domain::service::{Principal, REPLAY_LEASE, ReplayStart, ReplayTicket};
use aispace_domain::{Aispace, DomainError};
use aispace_testkit::fakes::FixedClock;
use aispace_testkit::world::TestWorld;

fn world() -> (Aispace, Arc<FixedClock>, Principal) {
    let (world, caller) = TestWorld::init().with_agent("retrier");
    (world.aispace, world.clock, caller.principal)
}

fn print(what: &str) -> RequestFingerprint {
    RequestFingerprint::of(&[what.as_bytes()])
}

fn answer(bytes: usize) -> StoredAnswer {
    StoredAnswer {
        status: 201,
        content_type: "application/json".into(),
        body: vec![b'x'; bytes],
    }
}

fn run(aispace: &Aispace, caller: &Principal, key: &str, what: &str) -> ReplayTicket {
    match aispace.reserve_replay(caller, key, print(what)).unwrap() {
        ReplayStart::Run(ticket) => ticket,
        ReplayStart::Replay(answer) => panic!("replayed {answer:?}"),
    }
}

fn conflict(result: Result<ReplayStart, DomainError>) -> String {
    match result {
        Err(DomainError::Conflict(message)) => message,
        other => panic!("not a conflict: {other:?}"),
    }
}

#[test]
fn an_answer_up_to_the_bound_is_replayed_and_a_larger_one_still_holds_the_key() {
    let (aispace, _, caller) = world();
    let kept = run(&aispace, &caller, "fits", "POST /a");
    assert!(
        aispace
            .keep_answer(&kept, Some(answer(MAX_REPLAY_BODY)))
            .unwrap()
    );
    match aispace
        .reserve_replay(&caller, "fits", print("POST /a"))
        .unwrap()
    {
        ReplayStart::Replay(replayed) => assert_eq!(replayed, answer(MAX_REPLAY_BODY)),
        ReplayStart::Run(_) => panic!("ran twice"),
    }

    let large = run(&aispace, &caller, "large", "POST /b");
    assert!(
        aispace
            .keep_answer(&large, Some(answer(MAX_REPLAY_BODY + 1)))
            .unwrap()
    );
    let unkept = run(&aispace, &caller, "unkept", "POST /c");
    assert!(aispace.keep_answer(&unkept, None).unwrap());
    for key in ["large", "unkept"] {
        let what = if key == "large" { "POST /b" } else { "POST /c" };
        let message = conflict(aispace.reserve_replay(&caller, key, print(what)));
        assert!(message.contains("too large to keep"), "{key}: {message}");
    }
}

#[test]
fn the_key_refuses_another_request_and_a_retry_while_the_first_runs() {
    let (aispace, clock, caller) = world();
    let first = run(&aispace, &caller, "k", "POST /like");
    let message = conflict(aispace.reserve_replay(&caller, "k", print("POST /like")));
    assert!(message.contains("still being answered"), "{message}");
    let message = conflict(aispace.reserve_replay(&caller, "k", print("POST /other")));
    assert_eq!(
        message,
        "this Idempotency-Key was used for a different request"
    );

    // A hold outlived by its request is taken over, and the late first
    // request keeps nothing.
    clock.advance(REPLAY_LEASE + Duration::from_millis(1));
    let retry = run(&aispace, &caller, "k", "POST /like");
    assert!(!aispace.keep_answer(&first, Some(answer(2))).unwrap());
    assert!(aispace.keep_answer(&retry, Some(answer(3))).unwrap());

    // Released after a failure, the key runs the request again at once.
    let failing = run(&aispace, &caller, "f", "POST /vote");
    assert!(aispace.release_replay(&failing).unwrap());
    run(&aispace, &caller, "f", "POST /vote");
}

#[test]
fn a_malformed_key_is_a_validation_error() {
    let (aispace, _, caller) = world();
    for bad in ["", "has space", &"k".repeat(256), "ünï"] {
        assert!(
            matches!(
                aispace.reserve_replay(&caller, bad, print("POST /x")),
                Err(DomainError::Validation {
                    field: Field::IdempotencyKey,
                    ..
                })
            ),
            "{bad:?}"
        );
    }
}

#[test]
fn purging_removes_what_is_older_than_a_day_in_batches() {
    let (aispace, clock, caller) = world();
    for n in 0..3 {
        let ticket = run(&aispace, &caller, &format!("k{n}"), "POST /p");
        assert!(aispace.keep_answer(&ticket, Some(answer(1))).unwrap());
    }
    assert_eq!(aispace.purge_expired_replays(10).unwrap(), 0);
    clock.advance(Duration::from_secs(24 * 3600) + Duration::from_millis(1));
    assert_eq!(aispace.purge_expired_replays(2).unwrap(), 2);
    assert_eq!(aispace.purge_expired_replays(2).unwrap(), 1);
    assert_eq!(aispace.purge_expired_replays(2).unwrap(), 0);
}
