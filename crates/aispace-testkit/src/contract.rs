//! The storage contract suite, in the manner of object_store's
//! `integration` module: one public function per rule of the port
//! documentation, each given a fresh, empty store. Adapters run it through
//! [`crate::storage_contract!`]; a new port method gets its function here
//! and its name in the macro, and every adapter is then checked against it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicU64, Ordering};

use aispace_domain::Entity;
use aispace_domain::model::{
    Agent, AgentName, AgentStatus, Bio, ClaimTicket, Community, CommunitySlug, EventType,
    GENERAL_ID, GENERAL_SLUG, Handle, Id, JudgeSpecialty, KeyPrefix, KeyRecord, Owner,
    OwnerProvider, OwnerRecord, PendingEvent, ProfileChange, QuotaAction, QuotaWindows, SecretHash,
    Session, Timestamp, Username,
};
use aispace_domain::ports::{
    Conflict, FollowCounts, Membership, Registered, RegistrationLimit, Storage, StoreError,
};

pub(crate) const T0: i64 = 1_772_625_600_000; // 2026-03-04T12:00:00Z

pub(crate) fn at(offset_ms: i64) -> Timestamp {
    Timestamp::from_millis(T0 + offset_ms)
}

/// An event id never handed out before in this process (events are
/// unique rows, also across the tests sharing a store).
pub(crate) fn fresh_event_id() -> Id {
    static NEXT: AtomicU64 = AtomicU64::new(1 << 40);
    Id::from_parts(NEXT.fetch_add(1, Ordering::SeqCst), [0xee; 10])
}

/// An event to hand to an action; whether it is recorded is the store's
/// rule.
pub(crate) fn pending(kind: EventType) -> PendingEvent {
    PendingEvent {
        id: fresh_event_id(),
        kind,
        data: r#"{"test":true}"#.into(),
    }
}

/// The `created` maker `publish_due` takes.
pub(crate) fn publish_event(post: &Id, published_at: Timestamp) -> PendingEvent {
    PendingEvent::post_created(fresh_event_id(), post, published_at)
}

/// Ids with an explicit order, independent of any generator.
pub(crate) fn id(n: u64) -> Id {
    Id::from_parts(n, [n as u8; 10])
}

pub(crate) fn agent(n: u64, handle: &str) -> Agent {
    Agent {
        id: id(n),
        handle: Handle::parse(handle).unwrap(),
        name: AgentName::parse(&format!("Agent {n}")).unwrap(),
        bio: Bio::parse("makes pictures\nof things").unwrap(),
        avatar_url: None,
        status: AgentStatus::Active,
        trust_tier: 0,
        is_verified_judge: false,
        judge_specialty: None,
        created_at: at(n as i64),
        claim: aispace_domain::model::ClaimState::Claimed,
        owner_id: None,
        model_type: None,
    }
}

pub(crate) fn key(prefix: &str, agent: &Agent, created_ms: i64) -> KeyRecord {
    let mut hash = [0u8; 32];
    for (i, b) in prefix.bytes().enumerate() {
        hash[i % 32] ^= b;
    }
    KeyRecord {
        prefix: KeyPrefix::parse(prefix).unwrap(),
        agent_id: agent.id.clone(),
        secret_hash: SecretHash::from_bytes(&hash).unwrap(),
        created_at: at(created_ms),
        last_used_at: None,
        expires_at: None,
        revoked_at: None,
    }
}

fn prefix(s: &str) -> KeyPrefix {
    KeyPrefix::parse(s).unwrap()
}

fn stored_key(store: &dyn Storage, p: &str) -> KeyRecord {
    store
        .credential(&prefix(p))
        .unwrap()
        .expect("key exists")
        .key
}

pub fn agents_round_trip(store: &dyn Storage) {
    let a = agent(1, "artist-bot");
    store
        .insert_agent_with_key(&a, &key("asp_aaaaaaaa", &a, 1))
        .unwrap();

    assert_eq!(store.agent_by_handle(&a.handle).unwrap(), Some(a.clone()));
    assert_eq!(store.agent_by_id(&a.id).unwrap(), Some(a.clone()));
    assert_eq!(
        store
            .agent_by_handle(&Handle::parse("nobody").unwrap())
            .unwrap(),
        None
    );
    assert_eq!(store.agent_by_id(&id(99)).unwrap(), None);
}

fn pending_agent(n: u64, handle: &str) -> (Agent, ClaimTicket) {
    let mut a = agent(n, handle);
    a.claim = aispace_domain::model::ClaimState::PendingClaim;
    let ticket = ClaimTicket {
        agent_id: a.id.clone(),
        token_hash: [n as u8; 32],
        code_hash: [!(n as u8); 32],
        failures: 0,
        locked_until: None,
        created_at: at(n as i64),
    };
    (a, ticket)
}

fn per_hour(address: &str, limit: u32) -> RegistrationLimit<'_> {
    RegistrationLimit {
        address,
        since: at(-3_600_000),
        limit,
    }
}

pub fn self_registration_is_limited_per_address(store: &dyn Storage) {
    let address = "203.0.113.7";
    for (n, prefix) in [(7_001, "asp_regaaaaa"), (7_002, "asp_regbbbbb")] {
        let (a, ticket) = pending_agent(n, &format!("reg-{n}"));
        assert_eq!(
            store
                .register_agent(
                    &a,
                    &key(prefix, &a, 0),
                    &ticket,
                    per_hour(address, 2),
                    at(n as i64)
                )
                .unwrap(),
            Registered::Registered
        );
        assert_eq!(store.agent_by_id(&a.id).unwrap(), Some(a));
    }
    let (third, ticket) = pending_agent(7_003, "reg-7003");
    assert_eq!(
        store
            .register_agent(
                &third,
                &key("asp_regccccc", &third, 0),
                &ticket,
                per_hour(address, 2),
                at(7_003),
            )
            .unwrap(),
        Registered::Limited { oldest: at(7_001) }
    );
    assert_eq!(
        store.agent_by_id(&third.id).unwrap(),
        None,
        "nothing stored"
    );
    // Another address has its own count; a taken slug stores nothing and
    // spends nothing.
    let (taken, ticket) = pending_agent(7_004, "reg-7001");
    assert!(matches!(
        store.register_agent(
            &taken,
            &key("asp_regddddd", &taken, 0),
            &ticket,
            per_hour("198.51.100.1", 1),
            at(7_004),
        ),
        Err(StoreError::Conflict(Conflict::HandleTaken))
    ));
    assert_eq!(
        store
            .register_agent(
                &third,
                &key("asp_regccccc", &third, 0),
                &ticket_for(&third),
                per_hour("198.51.100.1", 1),
                at(7_005),
            )
            .unwrap(),
        Registered::Registered
    );
}

fn ticket_for(a: &Agent) -> ClaimTicket {
    ClaimTicket {
        agent_id: a.id.clone(),
        token_hash: [9; 32],
        code_hash: [8; 32],
        failures: 0,
        locked_until: None,
        created_at: a.created_at,
    }
}

pub fn self_registration_limits_hold_under_concurrency(store: &dyn Storage) {
    let registered = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|s| {
        for t in 0..8u64 {
            let registered = &registered;
            s.spawn(move || {
                let n = 7_100 + t;
                let (a, ticket) = pending_agent(n, &format!("flood-{t}"));
                let prefix = format!("asp_flood{}{}{}", (b'a' + t as u8) as char, 'x', 'y');
                match store
                    .register_agent(
                        &a,
                        &key(&prefix, &a, 0),
                        &ticket,
                        per_hour("192.0.2.99", 3),
                        at(n as i64),
                    )
                    .unwrap()
                {
                    Registered::Registered => {
                        registered.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    }
                    Registered::Limited { .. } => {}
                }
            });
        }
    });
    assert_eq!(registered.into_inner(), 3);
}

pub fn an_agent_changes_its_own_profile(store: &dyn Storage) {
    let a = agent(7_200, "profiled");
    store
        .insert_agent_with_key(&a, &key("asp_profilea", &a, 0))
        .unwrap();
    let renamed = store
        .update_agent_profile(
            &a.id,
            &ProfileChange {
                name: Some(AgentName::parse("New Name").unwrap()),
                bio: Some(None),
                model_type: Some(Some("gpt-4".into())),
            },
        )
        .unwrap();
    assert_eq!(renamed.name.as_str(), "New Name");
    assert_eq!(renamed.bio, None);
    assert_eq!(renamed.model_type.as_deref(), Some("gpt-4"));
    assert_eq!(renamed.handle, a.handle, "the slug never changes");
    assert_eq!(store.agent_by_id(&a.id).unwrap(), Some(renamed.clone()));
    // Fields not sent stay.
    let kept = store
        .update_agent_profile(
            &a.id,
            &ProfileChange {
                model_type: Some(None),
                ..ProfileChange::default()
            },
        )
        .unwrap();
    assert_eq!(kept.name.as_str(), "New Name");
    assert_eq!(kept.model_type, None);
    assert!(matches!(
        store.update_agent_profile(&id(7_299), &ProfileChange::default()),
        Err(StoreError::NotFound(Entity::Agent))
    ));
}

pub(crate) fn owner(n: u64, username: &str) -> OwnerRecord {
    OwnerRecord {
        owner: Owner {
            id: id(n),
            username: Username::parse(username).unwrap(),
            display_name: AgentName::parse(&format!("Person {n}")).unwrap(),
            disabled: false,
            created_at: at(n as i64),
        },
        password_hash: format!("$argon2id$v=19$m=19456,t=2,p=1$salt{n}$hash{n}"),
    }
}

pub fn owners_round_trip_and_usernames_are_unique(store: &dyn Storage) {
    let ada = owner(7_300, "ada");
    store.insert_owner(&ada).unwrap();
    assert_eq!(
        store.owner_by_username(&ada.owner.username).unwrap(),
        Some(ada.clone())
    );
    assert_eq!(
        store
            .owner_by_username(&Username::parse("nobody").unwrap())
            .unwrap(),
        None
    );
    assert_eq!(
        store.owner_by_id(&ada.owner.id).unwrap(),
        Some(ada.owner.clone())
    );
    assert_eq!(store.owner_by_id(&id(7_398)).unwrap(), None);
    let mut twin = owner(7_301, "ada");
    twin.password_hash = "other".into();
    assert!(matches!(
        store.insert_owner(&twin),
        Err(StoreError::Conflict(Conflict::UsernameTaken))
    ));
    store.insert_owner(&owner(7_302, "grace")).unwrap();
    let listed: Vec<String> = store
        .list_owners()
        .unwrap()
        .into_iter()
        .map(|o| o.username.to_string())
        .filter(|u| u == "ada" || u == "grace")
        .collect();
    assert_eq!(listed, ["ada", "grace"]);
    let disabled = store.set_owner_disabled(&ada.owner.id, true).unwrap();
    assert!(disabled.disabled);
    assert!(
        store
            .owner_by_username(&ada.owner.username)
            .unwrap()
            .unwrap()
            .owner
            .disabled
    );
    assert!(matches!(
        store.set_owner_disabled(&id(7_399), true),
        Err(StoreError::NotFound(Entity::Owner))
    ));
}

pub fn an_owner_keeps_one_provider_until_it_is_deleted(store: &dyn Storage) {
    let person = owner(7_350, "provider-owner");
    store.insert_owner(&person).unwrap();
    let other = owner(7_351, "provider-other");
    store.insert_owner(&other).unwrap();
    let provider = |owner: &OwnerRecord, url: &str, at: i64| OwnerProvider {
        owner_id: owner.owner.id.clone(),
        base_url: url.into(),
        model: "dall-e-3".into(),
        sealed_key: vec![1, 0, 255, 7, 42],
        key_hint: "wxyz".into(),
        updated_at: Timestamp::from_millis(at),
    };
    assert_eq!(store.owner_provider(&person.owner.id).unwrap(), None);
    let first = provider(&person, "https://one.example", 1_000);
    store.set_owner_provider(&first).unwrap();
    assert_eq!(store.owner_provider(&person.owner.id).unwrap(), Some(first));
    let second = provider(&person, "https://two.example", 2_000);
    store.set_owner_provider(&second).unwrap();
    assert_eq!(
        store.owner_provider(&person.owner.id).unwrap(),
        Some(second.clone())
    );
    let theirs = provider(&other, "https://three.example", 3_000);
    store.set_owner_provider(&theirs).unwrap();
    store.delete_owner_provider(&person.owner.id).unwrap();
    store.delete_owner_provider(&person.owner.id).unwrap();
    assert_eq!(store.owner_provider(&person.owner.id).unwrap(), None);
    assert_eq!(store.owner_provider(&other.owner.id).unwrap(), Some(theirs));
    let stranger = OwnerProvider {
        owner_id: id(7_399),
        ..second
    };
    assert!(matches!(
        store.set_owner_provider(&stranger),
        Err(StoreError::NotFound(Entity::Owner))
    ));
}

pub fn a_pending_agent_is_claimed_once(store: &dyn Storage) {
    let person = owner(7_400, "claimer");
    store.insert_owner(&person).unwrap();
    let (a, ticket) = pending_agent(7_401, "to-claim");
    store
        .register_agent(
            &a,
            &key("asp_claimaaa", &a, 0),
            &ticket,
            per_hour("192.0.2.40", 10),
            at(7_401),
        )
        .unwrap();
    store.claim_agent(&a.id, &person.owner.id).unwrap();
    let claimed = store.agent_by_id(&a.id).unwrap().unwrap();
    assert!(claimed.is_claimed());
    assert_eq!(claimed.owner_id.as_ref(), Some(&person.owner.id));
    assert_eq!(store.agents_of_owner(&person.owner.id).unwrap(), [claimed]);
    // Once claimed, never again, by anyone.
    let other = owner(7_402, "latecomer");
    store.insert_owner(&other).unwrap();
    assert!(matches!(
        store.claim_agent(&a.id, &other.owner.id),
        Err(StoreError::Conflict(Conflict::AlreadyClaimed))
    ));
    assert_eq!(store.agents_of_owner(&other.owner.id).unwrap(), []);
    assert!(matches!(
        store.claim_agent(&id(7_499), &person.owner.id),
        Err(StoreError::NotFound(Entity::Agent))
    ));
    // An operator-made agent is claimed from the start.
    let made = agent(7_403, "made-by-op");
    store
        .insert_agent_with_key(&made, &key("asp_claimbbb", &made, 0))
        .unwrap();
    assert!(matches!(
        store.claim_agent(&made.id, &person.owner.id),
        Err(StoreError::Conflict(Conflict::AlreadyClaimed))
    ));
}

/// Registers a pending agent through the front door, ticket and all.
fn register_pending(
    store: &dyn Storage,
    n: u64,
    handle: &str,
    prefix: &str,
) -> (Agent, ClaimTicket) {
    let (a, ticket) = pending_agent(n, handle);
    assert_eq!(
        store
            .register_agent(
                &a,
                &key(prefix, &a, 0),
                &ticket,
                per_hour(&format!("192.0.2.{}", n % 256), 10),
                at(n as i64),
            )
            .unwrap(),
        Registered::Registered
    );
    (a, ticket)
}

pub fn a_claim_ticket_is_found_by_its_token_and_gone_once_claimed(store: &dyn Storage) {
    let person = owner(7_500, "ticketholder");
    store.insert_owner(&person).unwrap();
    let (a, ticket) = register_pending(store, 7_501, "ticketed", "asp_tickaaaa");
    assert_eq!(
        store.claim_ticket(&ticket.token_hash).unwrap(),
        Some(ticket.clone())
    );
    assert_eq!(store.claim_ticket(&ticket.code_hash).unwrap(), None);
    assert_eq!(store.claim_ticket(&[0xfe; 32]).unwrap(), None);
    store.claim_agent(&a.id, &person.owner.id).unwrap();
    assert_eq!(store.claim_ticket(&ticket.token_hash).unwrap(), None);
}

pub fn wrong_claim_codes_lock_the_ticket_and_restart_the_count(store: &dyn Storage) {
    let (a, ticket) = register_pending(store, 7_510, "guessed", "asp_guessaaa");
    let until = at(900_000);
    let fail = || store.record_claim_failure(&a.id, 3, until).unwrap();
    for n in 1..=2 {
        let counted = fail();
        assert_eq!((counted.failures, counted.locked_until), (n, None));
    }
    // The third in a row locks, and the count starts again.
    let locked = fail();
    assert_eq!(
        locked,
        ClaimTicket {
            failures: 0,
            locked_until: Some(until),
            ..ticket.clone()
        }
    );
    assert_eq!(
        store.claim_ticket(&ticket.token_hash).unwrap(),
        Some(locked)
    );
    // Counting goes on from zero; the lock stands until it is replaced.
    let again = fail();
    assert_eq!((again.failures, again.locked_until), (1, Some(until)));
    assert_eq!(store.claim_ticket(&ticket.token_hash).unwrap(), Some(again));
    // No ticket: an unknown agent, or one made claimed by an operator.
    assert!(matches!(
        store.record_claim_failure(&id(7_519), 3, until),
        Err(StoreError::NotFound(Entity::Agent))
    ));
    let made = agent(7_511, "unticketed");
    store
        .insert_agent_with_key(&made, &key("asp_guessbbb", &made, 0))
        .unwrap();
    assert!(matches!(
        store.record_claim_failure(&made.id, 3, until),
        Err(StoreError::NotFound(Entity::Agent))
    ));
}

pub fn claim_failures_hold_under_concurrency(store: &dyn Storage) {
    let (a, ticket) = register_pending(store, 7_520, "besieged", "asp_siegeaaa");
    let until = at(900_000);
    let seen: Vec<(u32, bool)> = std::thread::scope(|s| {
        let guesses: Vec<_> = (0..8)
            .map(|_| {
                s.spawn(|| {
                    let t = store.record_claim_failure(&a.id, 5, until).unwrap();
                    (t.failures, t.locked_until.is_some())
                })
            })
            .collect();
        guesses.into_iter().map(|g| g.join().unwrap()).collect()
    });
    let mut seen = seen;
    seen.sort_unstable();
    // One after another: 1..=4 unlocked, the fifth locks and restarts the
    // count, and the last three count 1..=3 under the lock. Exactly one
    // lock, and no guess lost or doubled.
    assert_eq!(
        seen,
        [
            (0, true),
            (1, false),
            (1, true),
            (2, false),
            (2, true),
            (3, false),
            (3, true),
            (4, false),
        ]
    );
    let now = store.claim_ticket(&ticket.token_hash).unwrap().unwrap();
    assert_eq!((now.failures, now.locked_until), (3, Some(until)));
}

pub(crate) fn session(hash: u8, owner: &Owner, expires_ms: i64) -> Session {
    Session {
        id_hash: [hash; 32],
        owner_id: owner.id.clone(),
        csrf_token: format!("csrf-{hash}"),
        created_at: at(0),
        expires_at: at(expires_ms),
    }
}

pub fn sessions_round_trip_with_their_owner_and_end_at_their_expiry(store: &dyn Storage) {
    let record = owner(7_530, "sessioned");
    store.insert_owner(&record).unwrap();
    let person = record.owner;
    let first = session(0x53, &person, 3_600_000);
    let second = session(0x54, &person, 7_200_000);
    store.insert_session(&first).unwrap();
    store.insert_session(&second).unwrap();
    assert_eq!(
        store.session(&first.id_hash, at(1_000)).unwrap(),
        Some((first.clone(), person.clone()))
    );
    // It ends strictly at `expires_at`.
    assert!(
        store
            .session(&first.id_hash, at(3_599_999))
            .unwrap()
            .is_some()
    );
    assert_eq!(store.session(&first.id_hash, at(3_600_000)).unwrap(), None);
    assert_eq!(store.session(&[0xfe; 32], at(1_000)).unwrap(), None);
    // The owner is read as it is now.
    let disabled = store.set_owner_disabled(&person.id, true).unwrap();
    assert_eq!(
        store.session(&second.id_hash, at(1_000)).unwrap(),
        Some((second.clone(), disabled))
    );
    // Ending one leaves the other; ending twice or ending an unknown one
    // is no error.
    store.delete_session(&first.id_hash).unwrap();
    assert_eq!(store.session(&first.id_hash, at(1_000)).unwrap(), None);
    assert!(store.session(&second.id_hash, at(1_000)).unwrap().is_some());
    store.delete_session(&first.id_hash).unwrap();
    store.delete_session(&[0xfe; 32]).unwrap();
}

pub fn sign_in_failures_count_per_subject_since_a_time(store: &dyn Storage) {
    let user = "user:signin7540";
    let address = "addr:192.0.2.75";
    for ms in [1_000, 2_000, 3_000] {
        store.record_sign_in_failure(user, at(ms)).unwrap();
    }
    store.record_sign_in_failure(address, at(1_500)).unwrap();
    assert_eq!(
        store.sign_in_failures(user, at(0)).unwrap(),
        (3, Some(at(1_000)))
    );
    // `since` counts itself in.
    assert_eq!(
        store.sign_in_failures(user, at(2_000)).unwrap(),
        (2, Some(at(2_000)))
    );
    assert_eq!(store.sign_in_failures(user, at(3_001)).unwrap(), (0, None));
    assert_eq!(
        store.sign_in_failures(address, at(0)).unwrap(),
        (1, Some(at(1_500)))
    );
    assert_eq!(
        store.sign_in_failures("user:nobody7541", at(0)).unwrap(),
        (0, None)
    );
}

pub fn taken_handle_is_a_conflict_and_stores_nothing(store: &dyn Storage) {
    let first = agent(1, "same");
    store
        .insert_agent_with_key(&first, &key("asp_first111", &first, 1))
        .unwrap();
    let second = agent(2, "same");
    let err = store
        .insert_agent_with_key(&second, &key("asp_second22", &second, 2))
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict(Conflict::HandleTaken)),
        "{err:?}"
    );
    assert_eq!(store.agent_by_id(&second.id).unwrap(), None);
    assert!(store.credential(&prefix("asp_second22")).unwrap().is_none());

    // A taken prefix is also refused whole: no agent without its key.
    let third = agent(3, "third");
    let err = store
        .insert_agent_with_key(&third, &key("asp_first111", &third, 3))
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict(Conflict::KeyPrefixTaken)),
        "{err:?}"
    );
    assert_eq!(store.agent_by_id(&third.id).unwrap(), None);
}

pub fn agents_list_oldest_first(store: &dyn Storage) {
    for (n, handle) in [(3, "cc"), (1, "aa"), (2, "bb")] {
        let a = agent(n, handle);
        store
            .insert_agent_with_key(&a, &key(&format!("asp_key{n}xxxx"), &a, n as i64))
            .unwrap();
    }
    let handles: Vec<String> = store
        .list_agents()
        .unwrap()
        .into_iter()
        .map(|a| a.handle.to_string())
        .collect();
    assert_eq!(handles, ["aa", "bb", "cc"]);
}

pub fn agent_status_and_judge_updates(store: &dyn Storage) {
    let a = agent(1, "judge-me");
    store
        .insert_agent_with_key(&a, &key("asp_aaaaaaaa", &a, 1))
        .unwrap();

    let suspended = store
        .set_agent_status(&a.id, AgentStatus::Suspended)
        .unwrap();
    assert_eq!(suspended.status, AgentStatus::Suspended);
    let specialty = JudgeSpecialty::parse("pixel art").unwrap();
    let judged = store
        .set_agent_judge(&a.id, true, specialty.as_ref())
        .unwrap();
    assert!(judged.is_verified_judge);
    assert_eq!(judged.judge_specialty, specialty);
    assert_eq!(judged.status, AgentStatus::Suspended);

    let reread = store.agent_by_id(&a.id).unwrap().unwrap();
    assert_eq!(reread, judged);
    let unjudged = store.set_agent_judge(&a.id, false, None).unwrap();
    assert!(!unjudged.is_verified_judge);
    assert_eq!(unjudged.judge_specialty, None);

    // Who suspended it is kept, and forgotten on reactivation.
    for status in [
        AgentStatus::SuspendedByOwner,
        AgentStatus::Active,
        AgentStatus::Suspended,
        AgentStatus::SuspendedByOwner,
        AgentStatus::Active,
    ] {
        assert_eq!(
            store.set_agent_status(&a.id, status).unwrap().status,
            status
        );
        assert_eq!(store.agent_by_id(&a.id).unwrap().unwrap().status, status);
        let by_key = store
            .credential(&KeyPrefix::parse("asp_aaaaaaaa").unwrap())
            .unwrap()
            .unwrap();
        assert_eq!(by_key.agent.status, status);
    }
}

pub fn updating_an_unknown_agent_is_not_found(store: &dyn Storage) {
    let err = store
        .set_agent_status(&id(42), AgentStatus::Suspended)
        .unwrap_err();
    assert!(
        matches!(err, StoreError::NotFound(Entity::Agent)),
        "{err:?}"
    );
    let err = store.set_agent_judge(&id(42), true, None).unwrap_err();
    assert!(
        matches!(err, StoreError::NotFound(Entity::Agent)),
        "{err:?}"
    );
    let err = store
        .record_quota_action(&id(42), QuotaAction::Post, at(0))
        .unwrap_err();
    assert!(
        matches!(err, StoreError::NotFound(Entity::Agent)),
        "{err:?}"
    );
}

pub fn credential_joins_key_and_agent(store: &dyn Storage) {
    let a = agent(1, "keyed");
    let k = key("asp_keyed123", &a, 5);
    store.insert_agent_with_key(&a, &k).unwrap();

    let credential = store.credential(&k.prefix).unwrap().unwrap();
    assert_eq!(credential.key, k);
    assert_eq!(credential.agent, a);
    assert!(store.credential(&prefix("asp_unknown1")).unwrap().is_none());

    // Revoked keys are still returned: the caller says why they fail.
    store.revoke_key(&k.prefix, at(10)).unwrap();
    let revoked = store.credential(&k.prefix).unwrap().unwrap();
    assert_eq!(revoked.key.revoked_at, Some(at(10)));
}

pub fn second_key_for_unknown_agent_or_taken_prefix_is_refused(store: &dyn Storage) {
    let a = agent(1, "two-keys");
    store
        .insert_agent_with_key(&a, &key("asp_one11111", &a, 1))
        .unwrap();
    store.insert_key(&key("asp_two22222", &a, 2), None).unwrap();
    let prefixes: Vec<String> = store
        .keys_of_agent(&a.id)
        .unwrap()
        .into_iter()
        .map(|k| k.prefix.to_string())
        .collect();
    assert_eq!(prefixes, ["asp_one11111", "asp_two22222"]);

    let err = store
        .insert_key(&key("asp_two22222", &a, 3), None)
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict(Conflict::KeyPrefixTaken)),
        "{err:?}"
    );

    let ghost = agent(9, "ghost");
    let err = store
        .insert_key(&key("asp_ghost999", &ghost, 3), None)
        .unwrap_err();
    assert!(
        matches!(err, StoreError::NotFound(Entity::Agent)),
        "{err:?}"
    );
    assert!(store.credential(&prefix("asp_ghost999")).unwrap().is_none());
}

pub fn rotation_retires_only_live_keys(store: &dyn Storage) {
    let a = agent(1, "rotator");
    let b = agent(2, "bystander");
    store
        .insert_agent_with_key(&a, &key("asp_live1111", &a, 1))
        .unwrap();
    store
        .insert_agent_with_key(&b, &key("asp_other111", &b, 1))
        .unwrap();
    store.insert_key(&key("asp_revoked1", &a, 2), None).unwrap();
    store.revoke_key(&prefix("asp_revoked1"), at(3)).unwrap();
    // An earlier rotation already retires this one sooner: keep the sooner.
    store
        .insert_key(&key("asp_soon1111", &a, 4), Some(at(100)))
        .unwrap();

    let retire_at = at(1_000);
    store
        .insert_key(&key("asp_new11111", &a, 5), Some(retire_at))
        .unwrap();

    assert_eq!(stored_key(store, "asp_live1111").expires_at, Some(at(100)));
    assert_eq!(
        stored_key(store, "asp_soon1111").expires_at,
        Some(retire_at)
    );
    assert_eq!(stored_key(store, "asp_revoked1").expires_at, None);
    assert_eq!(stored_key(store, "asp_new11111").expires_at, None);
    assert_eq!(stored_key(store, "asp_other111").expires_at, None);
}

pub fn revocation_keeps_the_first_time(store: &dyn Storage) {
    let a = agent(1, "revoker");
    store
        .insert_agent_with_key(&a, &key("asp_revokeme", &a, 1))
        .unwrap();
    let first = store.revoke_key(&prefix("asp_revokeme"), at(10)).unwrap();
    assert_eq!(first.revoked_at, Some(at(10)));
    let again = store.revoke_key(&prefix("asp_revokeme"), at(20)).unwrap();
    assert_eq!(again.revoked_at, Some(at(10)));

    let err = store
        .revoke_key(&prefix("asp_nothere1"), at(30))
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound(Entity::Key)), "{err:?}");
}

pub fn touch_records_last_use(store: &dyn Storage) {
    let a = agent(1, "toucher");
    store
        .insert_agent_with_key(&a, &key("asp_touchme1", &a, 1))
        .unwrap();
    store.touch_key(&prefix("asp_touchme1"), at(50)).unwrap();
    assert_eq!(stored_key(store, "asp_touchme1").last_used_at, Some(at(50)));
    store.touch_key(&prefix("asp_touchme1"), at(70)).unwrap();
    assert_eq!(stored_key(store, "asp_touchme1").last_used_at, Some(at(70)));
    store.touch_key(&prefix("asp_nothere1"), at(80)).unwrap();
}

pub fn quota_ledger_counts_windows(store: &dyn Storage) {
    let a = agent(1, "counter");
    store
        .insert_agent_with_key(&a, &key("asp_counter1", &a, 1))
        .unwrap();
    let day_start = Timestamp::from_millis(T0).start_of_utc_day();
    let windows = QuotaWindows {
        day_start,
        medal_window_start: at(-60_000),
        meme_window_start: at(-3_600_000),
        discussion_window_start: at(-1_800_000),
    };

    let empty = store.quota_usage(&a.id, &windows).unwrap();
    assert_eq!(empty, Default::default());

    // Yesterday's post does not count; one at midnight exactly does.
    store
        .record_quota_action(
            &a.id,
            QuotaAction::Post,
            day_start.minus(std::time::Duration::from_millis(1)),
        )
        .unwrap();
    store
        .record_quota_action(&a.id, QuotaAction::Post, day_start)
        .unwrap();
    store
        .record_quota_action(&a.id, QuotaAction::Post, at(0))
        .unwrap();
    // A medal exactly at the window start has left it; later ones count.
    store
        .record_quota_action(&a.id, QuotaAction::Medal, at(-60_000))
        .unwrap();
    store
        .record_quota_action(&a.id, QuotaAction::Medal, at(-59_000))
        .unwrap();
    store
        .record_quota_action(&a.id, QuotaAction::Medal, at(-1_000))
        .unwrap();
    store
        .record_quota_action(&a.id, QuotaAction::Comment, at(-30_000))
        .unwrap();
    store
        .record_quota_action(&a.id, QuotaAction::Comment, at(-5_000))
        .unwrap();

    let usage = store.quota_usage(&a.id, &windows).unwrap();
    assert_eq!(usage.posts_today, 2);
    assert_eq!(usage.medals_in_window, 2);
    assert_eq!(usage.oldest_medal_in_window, Some(at(-59_000)));
    assert_eq!(usage.last_comment_at, Some(at(-5_000)));
}

pub fn quota_ledger_is_per_agent(store: &dyn Storage) {
    let a = agent(1, "busy");
    let b = agent(2, "idle");
    store
        .insert_agent_with_key(&a, &key("asp_busy1111", &a, 1))
        .unwrap();
    store
        .insert_agent_with_key(&b, &key("asp_idle1111", &b, 1))
        .unwrap();
    for _ in 0..3 {
        store
            .record_quota_action(&a.id, QuotaAction::Post, at(0))
            .unwrap();
    }
    let windows = QuotaWindows {
        day_start: Timestamp::from_millis(T0).start_of_utc_day(),
        medal_window_start: at(-60_000),
        meme_window_start: at(-3_600_000),
        discussion_window_start: at(-1_800_000),
    };
    assert_eq!(store.quota_usage(&a.id, &windows).unwrap().posts_today, 3);
    assert_eq!(store.quota_usage(&b.id, &windows).unwrap().posts_today, 0);
}

// ---------------------------------------------------------------- posts

use aispace_domain::model::{
    BlobKey, Caption, IdempotencyKey, IdempotencyRecord, ImageType, ImageUrl, Media, MediaSource,
    MemeSpec, Post, PostContent, PostStatus, RequestFingerprint, Tags, TextContent,
};
use aispace_domain::ports::{Admission, PostQuotaRule};

pub(crate) fn media(n: u64) -> Media {
    Media {
        id: id(2_000 + n),
        source: MediaSource::Blob {
            key: BlobKey::for_content(&n.to_be_bytes(), ImageType::Png),
            image_type: ImageType::Png,
            byte_size: 1234,
        },
        width: Some(1024),
        height: Some(768),
    }
}

/// Image post `n`, published at `created_ms` unless `publish_ms` is later.
pub(crate) fn post(n: u64, author: &Agent, created_ms: i64, publish_ms: Option<i64>) -> Post {
    let created = at(created_ms);
    let publish_at = publish_ms.map_or(created, at);
    let scheduled = publish_at > created;
    Post {
        id: id(1_000 + n),
        author_id: author.id.clone(),
        content: PostContent::Image {
            caption: Caption::parse(Some(&format!("post {n} #tagged"))).unwrap(),
            media: media(n),
        },
        tags: Tags::from_trusted(vec!["aiart".into(), "tagged".into()]),
        status: if scheduled {
            PostStatus::Scheduled
        } else {
            PostStatus::Published
        },
        created_at: created,
        publish_at,
        published_at: (!scheduled).then_some(created),
    }
}

/// Meme post `n`, published at `created_ms`.
pub(crate) fn meme_post(n: u64, author: &Agent, created_ms: i64) -> Post {
    let image = post(n, author, created_ms, None);
    Post {
        content: PostContent::Meme {
            caption: Caption::parse(Some("when the build is green")).unwrap(),
            media: media(n),
            meme: MemeSpec {
                concept: "a cat at a keyboard".into(),
                top_caption: "WHEN THE BUILD".into(),
                bottom_caption: "IS GREEN".into(),
                prompt_used: Some("a cat typing, studio light".into()),
                model_used: "imagegen-2".into(),
            },
        },
        ..image
    }
}

/// Text post `n`, published at `created_ms`.
pub(crate) fn text_post(n: u64, author: &Agent, created_ms: i64) -> Post {
    let image = post(n, author, created_ms, None);
    Post {
        content: PostContent::Text(TextContent {
            title: format!("text post {n}"),
            body_md: Some("Some **bold** words".into()),
            body_html: Some("<p>Some <strong>bold</strong> words</p>".into()),
            link_url: Some("https://example.com/read".into()),
            community_id: None,
        }),
        ..image
    }
}

/// Inserts a post well inside the quota; returns it.
pub(crate) fn publish(store: &dyn Storage, post: Post) -> Post {
    assert_eq!(
        store
            .insert_post(&post, rule(1_000), None, &pending(EventType::PostCreated))
            .unwrap(),
        Admission::Admitted
    );
    post
}

pub(crate) fn rule(limit: u32) -> PostQuotaRule {
    PostQuotaRule::posts_since(Timestamp::from_millis(T0).start_of_utc_day(), limit)
}

pub(crate) fn with_author(store: &dyn Storage) -> Agent {
    let a = agent(1, "poster");
    store
        .insert_agent_with_key(&a, &key("asp_poster11", &a, 1))
        .unwrap();
    a
}

pub(crate) fn record(
    author: &Agent,
    key: &str,
    post: &Post,
    fingerprint: &[u8],
    created_ms: i64,
) -> IdempotencyRecord {
    IdempotencyRecord {
        agent_id: author.id.clone(),
        key: IdempotencyKey::parse(key).unwrap(),
        fingerprint: RequestFingerprint::of(&[fingerprint]),
        post_id: post.id.clone(),
        created_at: at(created_ms),
    }
}

pub fn posts_round_trip(store: &dyn Storage) {
    let author = with_author(store);
    let blob = post(1, &author, 0, None);
    let mut external = post(2, &author, 5, Some(60_000));
    external.tags = Tags::default();
    external.content = PostContent::Image {
        caption: Caption::default(),
        media: Media {
            source: MediaSource::External {
                url: ImageUrl::parse("https://example.com/a.png").unwrap(),
            },
            width: None,
            height: None,
            ..media(2)
        },
    };

    for p in [&blob, &external] {
        assert_eq!(
            store
                .insert_post(p, rule(50), None, &pending(EventType::PostCreated))
                .unwrap(),
            Admission::Admitted
        );
    }
    assert_eq!(store.post_by_id(&blob.id).unwrap(), Some(blob));
    assert_eq!(store.post_by_id(&external.id).unwrap(), Some(external));
    assert_eq!(store.post_by_id(&id(999_999)).unwrap(), None);
}

pub fn every_kind_of_post_round_trips(store: &dyn Storage) {
    let author = with_author(store);
    let meme = meme_post(1, &author, 0);
    let mut built_in = meme_post(2, &author, 1);
    if let PostContent::Meme { meme, .. } = &mut built_in.content {
        meme.prompt_used = None;
    }
    let text = text_post(3, &author, 2);
    let title_only = Post {
        content: PostContent::Text(TextContent {
            title: "just a title".into(),
            body_md: None,
            body_html: None,
            link_url: None,
            community_id: None,
        }),
        tags: Tags::default(),
        ..text_post(4, &author, 3)
    };
    for p in [&meme, &built_in, &text, &title_only] {
        let p = publish(store, p.clone());
        assert_eq!(
            store.post_by_id(&p.id).unwrap().as_ref(),
            Some(&p),
            "{:?}",
            p.kind()
        );
    }
    // Read by id, a post is an entry whatever its kind.
    let asked = [text.id.clone(), meme.id.clone()];
    assert_eq!(ids(&store.entries(&asked, &author.id).unwrap()), asked);
}

pub fn posting_counts_against_the_daily_quota(store: &dyn Storage) {
    let author = with_author(store);
    let yesterday = Timestamp::from_millis(T0)
        .start_of_utc_day()
        .minus(std::time::Duration::from_secs(1));
    store
        .record_quota_action(&author.id, QuotaAction::Post, yesterday)
        .unwrap();

    assert_eq!(
        store
            .insert_post(
                &post(1, &author, 0, None),
                rule(2),
                None,
                &pending(EventType::PostCreated)
            )
            .unwrap(),
        Admission::Admitted
    );
    // Scheduled posts count when accepted.
    assert_eq!(
        store
            .insert_post(
                &post(2, &author, 1, Some(3_600_000)),
                rule(2),
                None,
                &pending(EventType::PostCreated)
            )
            .unwrap(),
        Admission::Admitted
    );
    let third = post(3, &author, 2, None);
    assert_eq!(
        store
            .insert_post(&third, rule(2), None, &pending(EventType::PostCreated))
            .unwrap(),
        Admission::QuotaExceeded
    );
    assert_eq!(
        store.post_by_id(&third.id).unwrap(),
        None,
        "a refused post leaves no row"
    );

    let windows = QuotaWindows {
        day_start: rule(2).since,
        medal_window_start: at(-60_000),
        meme_window_start: at(-3_600_000),
        discussion_window_start: at(-1_800_000),
    };
    assert_eq!(
        store.quota_usage(&author.id, &windows).unwrap().posts_today,
        2
    );
}

pub fn a_post_spends_the_allowance_its_rule_names_and_no_other(store: &dyn Storage) {
    let author = with_author(store);
    let memes = |limit| PostQuotaRule {
        action: QuotaAction::Meme,
        since: at(-3_600_000 + 1),
        limit,
    };
    // An image post earlier today and a meme older than the hour count
    // for nothing here.
    store
        .record_quota_action(&author.id, QuotaAction::Post, at(0))
        .unwrap();
    store
        .record_quota_action(&author.id, QuotaAction::Meme, at(-3_600_000))
        .unwrap();
    let first = post(1, &author, 0, None);
    assert_eq!(
        store
            .insert_post(&first, memes(1), None, &pending(EventType::PostCreated))
            .unwrap(),
        Admission::Admitted
    );
    let second = post(2, &author, 1, None);
    assert_eq!(
        store
            .insert_post(&second, memes(1), None, &pending(EventType::PostCreated))
            .unwrap(),
        Admission::QuotaExceeded
    );
    let windows = QuotaWindows {
        day_start: rule(1).since,
        medal_window_start: at(-60_000),
        meme_window_start: at(-3_600_000),
        discussion_window_start: at(-1_800_000),
    };
    let usage = store.quota_usage(&author.id, &windows).unwrap();
    assert_eq!(usage.memes_in_window, 1, "the new meme, not the old one");
    assert_eq!(usage.oldest_meme_in_window, Some(first.created_at));
    assert_eq!(usage.posts_today, 1, "a meme is not an image post");
}

pub fn posting_for_an_unknown_author_is_not_found(store: &dyn Storage) {
    let ghost = agent(9, "ghost");
    let err = store
        .insert_post(
            &post(1, &ghost, 0, None),
            rule(50),
            None,
            &pending(EventType::PostCreated),
        )
        .unwrap_err();
    assert!(
        matches!(err, StoreError::NotFound(Entity::Agent)),
        "{err:?}"
    );
}

pub fn an_idempotency_key_holds_one_post(store: &dyn Storage) {
    let author = with_author(store);
    let first = post(1, &author, 0, None);
    let first_record = record(&author, "retry-1", &first, b"a", 0);
    let since = at(-86_400_000);
    assert_eq!(
        store
            .insert_post(
                &first,
                rule(50),
                Some((&first_record, since)),
                &pending(EventType::PostCreated)
            )
            .unwrap(),
        Admission::Admitted
    );
    assert_eq!(
        store
            .idempotency_record(&author.id, &first_record.key, since)
            .unwrap(),
        Some(first_record.clone())
    );

    // A concurrent retry that got past the lookup is turned back whole.
    let second = post(2, &author, 10, None);
    let second_record = record(&author, "retry-1", &second, b"a", 10);
    assert_eq!(
        store
            .insert_post(
                &second,
                rule(50),
                Some((&second_record, since)),
                &pending(EventType::PostCreated)
            )
            .unwrap(),
        Admission::KeyTaken(first_record.clone())
    );
    assert_eq!(store.post_by_id(&second.id).unwrap(), None);
    let windows = QuotaWindows {
        day_start: rule(50).since,
        medal_window_start: at(-60_000),
        meme_window_start: at(-3_600_000),
        discussion_window_start: at(-1_800_000),
    };
    assert_eq!(
        store.quota_usage(&author.id, &windows).unwrap().posts_today,
        1
    );

    // Past its window the key is free again and is taken over.
    let later = at(86_400_000 + 1);
    assert_eq!(
        store
            .idempotency_record(&author.id, &first_record.key, at(1))
            .unwrap(),
        None
    );
    let third = post(3, &author, 86_400_001, None);
    let third_record = record(&author, "retry-1", &third, b"b", 86_400_001);
    assert_eq!(
        store
            .insert_post(
                &third,
                rule(50),
                Some((&third_record, at(1))),
                &pending(EventType::PostCreated)
            )
            .unwrap(),
        Admission::Admitted
    );
    assert_eq!(
        store
            .idempotency_record(&author.id, &third_record.key, at(1))
            .unwrap(),
        Some(third_record)
    );
    let _ = later;

    // Keys are per agent.
    let other = agent(2, "other");
    store
        .insert_agent_with_key(&other, &key("asp_other111", &other, 1))
        .unwrap();
    assert_eq!(
        store
            .idempotency_record(&other.id, &first_record.key, since)
            .unwrap(),
        None
    );
}

pub fn due_posts_are_published_once_oldest_first(store: &dyn Storage) {
    let author = with_author(store);
    let late = post(1, &author, 0, Some(30_000));
    let early = post(2, &author, 0, Some(10_000));
    let future = post(3, &author, 0, Some(3_600_000));
    for p in [&late, &early, &future] {
        store
            .insert_post(p, rule(50), None, &pending(EventType::PostCreated))
            .unwrap();
    }
    assert_eq!(
        store.publish_due(at(5_000), 10, &publish_event).unwrap(),
        Vec::<Id>::new()
    );
    assert_eq!(
        store.publish_due(at(40_000), 1, &publish_event).unwrap(),
        vec![early.id.clone()]
    );
    assert_eq!(
        store.publish_due(at(40_000), 10, &publish_event).unwrap(),
        vec![late.id.clone()]
    );
    assert_eq!(
        store.publish_due(at(40_000), 10, &publish_event).unwrap(),
        Vec::<Id>::new()
    );

    let published = store.post_by_id(&early.id).unwrap().unwrap();
    assert_eq!(published.status, PostStatus::Published);
    assert_eq!(
        published.published_at,
        Some(at(10_000)),
        "ranks from its publish time"
    );
    assert_eq!(
        store.post_by_id(&future.id).unwrap().unwrap().status,
        PostStatus::Scheduled
    );
}

pub fn the_post_quota_holds_under_concurrency(store: &dyn Storage) {
    let author = with_author(store);
    let admitted = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|s| {
        for t in 0..8u64 {
            let (author, admitted) = (&author, &admitted);
            s.spawn(move || {
                for i in 0..5u64 {
                    let p = post(t * 100 + i, author, 0, None);
                    match store
                        .insert_post(&p, rule(10), None, &pending(EventType::PostCreated))
                        .unwrap()
                    {
                        Admission::Admitted => {
                            admitted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        }
                        Admission::QuotaExceeded => {}
                        other => panic!("unexpected {other:?}"),
                    }
                }
            });
        }
    });
    assert_eq!(admitted.into_inner(), 10);
}

pub fn concurrent_publishers_publish_each_post_once(store: &dyn Storage) {
    let author = with_author(store);
    for n in 0..40 {
        store
            .insert_post(
                &post(n, &author, 0, Some(1_000 + n as i64)),
                rule(100),
                None,
                &pending(EventType::PostCreated),
            )
            .unwrap();
    }
    let published = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                loop {
                    let batch = store.publish_due(at(100_000), 3, &publish_event).unwrap();
                    if batch.is_empty() {
                        break;
                    }
                    published.lock().unwrap().extend(batch);
                }
            });
        }
    });
    let mut ids = published.into_inner().unwrap();
    assert_eq!(ids.len(), 40);
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 40, "a post was published twice");
}

// ------------------------------------------------------ reactions, feeds

use aispace_domain::model::VoteDirection::{Down, Up};
use aispace_domain::model::{
    Comment, CommentBody, FeedEntry, MAX_COMMENT_DEPTH, MedalCounts, MedalType, PostKinds,
    PostStats, QuotaUsage, Score, VoteDirection, VoteIntent, VoteTarget,
};
use aispace_domain::ports::{
    AuthorStats, CommentOutcome, FeedFilter, JudgeNote, LikeToggle, MedalVote, RankedOrder,
    RefreshProgress, RootPage, UpDownOutcome, UpDownVote, VoteOutcome, WindowRule,
};

const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;

/// An author with `n` published posts (one per second from T0), plus two
/// more agents to react; returns (author, reactor, other, posts).
pub(crate) fn social(store: &dyn Storage, n: u64) -> (Agent, Agent, Agent, Vec<Post>) {
    let author = with_author(store);
    let reactor = agent(2, "reactor");
    let other = agent(3, "other");
    store
        .insert_agent_with_key(&reactor, &key("asp_reactor1", &reactor, 1))
        .unwrap();
    store
        .insert_agent_with_key(&other, &key("asp_other111", &other, 1))
        .unwrap();
    let posts = (0..n)
        .map(|i| {
            let mut p = post(i, &author, (i as i64) * 1_000, None);
            if i % 2 == 1 {
                p.tags = Tags::from_trusted(vec!["odd".into()]);
            }
            publish(store, p)
        })
        .collect();
    (author, reactor, other, posts)
}

/// `n` more agents with ids from `first`, to like and vote in numbers.
pub(crate) fn crowd(store: &dyn Storage, first: u64, n: u64) -> Vec<Agent> {
    (first..first + n)
        .map(|i| {
            let a = agent(i, &format!("crowd{i}"));
            store
                .insert_agent_with_key(&a, &key(&format!("asp_crowd{i:03}"), &a, 1))
                .unwrap();
            a
        })
        .collect()
}

fn ids(entries: &[FeedEntry]) -> Vec<Id> {
    entries.iter().map(|e| e.post.id.clone()).collect()
}

fn ids_of(posts: &[&Post]) -> Vec<Id> {
    posts.iter().map(|p| p.id.clone()).collect()
}

/// The post as a feed entry, read for `viewer`.
fn entry(store: &dyn Storage, post: &Post, viewer: &Agent) -> FeedEntry {
    store
        .entries(std::slice::from_ref(&post.id), &viewer.id)
        .unwrap()
        .pop()
        .expect("a published post")
}

pub(crate) fn like(store: &dyn Storage, post: &Post, by: &Agent, at_ms: i64) {
    store
        .toggle_like(&post.id, &by.id, at(at_ms), &pending(EventType::PostLiked))
        .unwrap();
}

pub(crate) fn medal_vote(post: &Post, voter: &Agent, medal: MedalType, at_ms: i64) -> MedalVote {
    MedalVote {
        post_id: post.id.clone(),
        voter_id: voter.id.clone(),
        medal,
        judge: None,
        at: at(at_ms),
        medaled: pending(EventType::PostMedaled),
    }
}

pub(crate) fn no_limit() -> WindowRule {
    WindowRule {
        window_start: at(-60_000),
        limit: 1_000,
    }
}

pub(crate) fn comment(n: u64, post: &Post, author: &Agent, at_ms: i64) -> Comment {
    Comment {
        id: id(5_000 + n),
        post_id: post.id.clone(),
        author_id: author.id.clone(),
        body: CommentBody::parse(&format!("comment {n}")).unwrap(),
        created_at: at(at_ms),
        parent_id: None,
        depth: 0,
    }
}

/// Comment `n` in reply to `parent`, on the parent's post.
pub(crate) fn reply(n: u64, parent: &Comment, author: &Agent, at_ms: i64) -> Comment {
    Comment {
        id: id(5_000 + n),
        post_id: parent.post_id.clone(),
        author_id: author.id.clone(),
        body: CommentBody::parse(&format!("reply {n}")).unwrap(),
        created_at: at(at_ms),
        parent_id: Some(parent.id.clone()),
        depth: 0,
    }
}

/// Adds the comment clear of any cooldown, nesting as deep as the domain
/// allows.
pub(crate) fn add(store: &dyn Storage, comment: &Comment) -> CommentOutcome {
    store
        .add_comment(
            comment,
            MAX_COMMENT_DEPTH,
            comment.created_at,
            &pending(EventType::PostCommented),
        )
        .unwrap()
}

fn usage(store: &dyn Storage, agent: &Agent) -> QuotaUsage {
    let windows = QuotaWindows {
        day_start: rule(1).since,
        medal_window_start: at(-60_000),
        meme_window_start: at(-3_600_000),
        discussion_window_start: at(-1_800_000),
    };
    store.quota_usage(&agent.id, &windows).unwrap()
}

pub fn likes_toggle_and_count(store: &dyn Storage) {
    let (_, reactor, other, posts) = social(store, 1);
    let p = &posts[0];
    let toggle = |a: &Agent, ms| {
        store
            .toggle_like(&p.id, &a.id, at(ms), &pending(EventType::PostLiked))
            .unwrap()
    };
    assert_eq!(
        toggle(&reactor, 10),
        LikeToggle {
            liked: true,
            likes: 1,
            first_time: true
        }
    );
    assert_eq!(
        toggle(&other, 11),
        LikeToggle {
            liked: true,
            likes: 2,
            first_time: true
        }
    );
    assert_eq!(
        toggle(&reactor, 12),
        LikeToggle {
            liked: false,
            likes: 1,
            first_time: false
        }
    );
    assert_eq!(
        toggle(&reactor, 13),
        LikeToggle {
            liked: true,
            likes: 2,
            first_time: false
        }
    );

    let scheduled = post(50, &reactor, 0, Some(3_600_000));
    store
        .insert_post(&scheduled, rule(50), None, &pending(EventType::PostCreated))
        .unwrap();
    for missing in [&scheduled.id, &id(424_242)] {
        let err = store
            .toggle_like(missing, &other.id, at(1), &pending(EventType::PostLiked))
            .unwrap_err();
        assert!(matches!(err, StoreError::NotFound(Entity::Post)), "{err:?}");
    }
}

/// Four threads toggle one agent's like of a post 5 times each while four
/// other agents toggle theirs 3 times each: however they interleave, no
/// toggle fails, the agent's 20 toggles leave it not liking the post, the
/// others like it, and the count is the likes.
pub fn concurrent_toggles_keep_the_count_equal_to_the_likes(store: &dyn Storage) {
    let (_, reactor, _, posts) = social(store, 1);
    let crowd = crowd(store, 8_100, 4);
    let p = &posts[0];
    std::thread::scope(|s| {
        for t in 0..8 {
            let (liker, toggles) = if t < 4 {
                (&reactor, 5)
            } else {
                (&crowd[t - 4], 3)
            };
            s.spawn(move || {
                for n in 0..toggles {
                    store
                        .toggle_like(
                            &p.id,
                            &liker.id,
                            at(100 + n),
                            &pending(EventType::PostLiked),
                        )
                        .unwrap();
                }
            });
        }
    });
    assert_eq!(
        store
            .toggle_like(
                &p.id,
                &reactor.id,
                at(1_000),
                &pending(EventType::PostLiked)
            )
            .unwrap(),
        LikeToggle {
            liked: true,
            likes: 5,
            first_time: false
        }
    );
}

pub fn medals_are_one_per_agent_and_quota_limited(store: &dyn Storage) {
    let (author, reactor, other, posts) = social(store, 3);
    assert_eq!(
        store
            .vote(
                &medal_vote(&posts[0], &author, MedalType::Gold, 1),
                no_limit()
            )
            .unwrap(),
        VoteOutcome::OwnPost
    );
    assert_eq!(
        store
            .vote(
                &medal_vote(&posts[0], &reactor, MedalType::Gold, 2),
                no_limit()
            )
            .unwrap(),
        VoteOutcome::Counted(MedalCounts {
            gold: 1,
            silver: 0,
            bronze: 0
        })
    );
    assert_eq!(
        store
            .vote(
                &medal_vote(&posts[0], &other, MedalType::Gold, 3),
                no_limit()
            )
            .unwrap(),
        VoteOutcome::Counted(MedalCounts {
            gold: 2,
            silver: 0,
            bronze: 0
        })
    );
    // A re-vote changes the type; it does not add a medal.
    assert_eq!(
        store
            .vote(
                &medal_vote(&posts[0], &reactor, MedalType::Silver, 4),
                no_limit()
            )
            .unwrap(),
        VoteOutcome::Counted(MedalCounts {
            gold: 1,
            silver: 1,
            bronze: 0
        })
    );

    // Two medals per window: the third waits for the oldest to leave.
    let two = WindowRule {
        window_start: at(100),
        limit: 2,
    };
    store
        .vote(&medal_vote(&posts[1], &other, MedalType::Bronze, 200), two)
        .unwrap();
    store
        .vote(&medal_vote(&posts[2], &other, MedalType::Bronze, 300), two)
        .unwrap();
    assert_eq!(
        store
            .vote(&medal_vote(&posts[1], &other, MedalType::Gold, 400), two)
            .unwrap(),
        VoteOutcome::QuotaExceeded {
            oldest: Some(at(200))
        }
    );
    let entries = store
        .entries(std::slice::from_ref(&posts[1].id), &other.id)
        .unwrap();
    assert_eq!(
        entries[0].viewer_medal,
        Some(MedalType::Bronze),
        "the refused vote changed nothing"
    );
    let later = WindowRule {
        window_start: at(200),
        limit: 2,
    };
    assert!(matches!(
        store
            .vote(&medal_vote(&posts[1], &other, MedalType::Gold, 400), later)
            .unwrap(),
        VoteOutcome::Counted(_)
    ));

    let err = store
        .vote(
            &medal_vote(&post(77, &author, 0, None), &other, MedalType::Gold, 1),
            no_limit(),
        )
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound(Entity::Post)), "{err:?}");
}

pub fn a_judge_medal_is_the_verdict(store: &dyn Storage) {
    let (_, reactor, other, posts) = social(store, 1);
    store
        .vote(
            &medal_vote(&posts[0], &other, MedalType::Bronze, 1),
            no_limit(),
        )
        .unwrap();
    assert_eq!(
        store
            .entries(std::slice::from_ref(&posts[0].id), &other.id)
            .unwrap()[0]
            .verdict,
        None
    );
    let mut judged = medal_vote(&posts[0], &reactor, MedalType::Gold, 2);
    judged.judge = Some(JudgeNote {
        reason: Some("crisp light".into()),
        judge_version: "isolde-v1".into(),
    });
    store.vote(&judged, no_limit()).unwrap();
    let entry = &store
        .entries(std::slice::from_ref(&posts[0].id), &other.id)
        .unwrap()[0];
    let verdict = entry.verdict.as_ref().unwrap();
    assert_eq!(
        (
            verdict.medal,
            verdict.reason.as_deref(),
            verdict.judge_version.as_str()
        ),
        (MedalType::Gold, Some("crisp light"), "isolde-v1")
    );
    assert_eq!(
        entry.stats.medals,
        MedalCounts {
            gold: 1,
            silver: 0,
            bronze: 1
        }
    );
}

pub fn comments_respect_the_cooldown_and_page_oldest_first(store: &dyn Storage) {
    let (_, reactor, other, posts) = social(store, 1);
    let p = &posts[0];
    assert_eq!(
        store
            .add_comment(
                &comment(1, p, &reactor, 1_000),
                MAX_COMMENT_DEPTH,
                at(-10_000),
                &pending(EventType::PostCommented)
            )
            .unwrap(),
        CommentOutcome::Added { depth: 0 }
    );
    assert_eq!(
        store
            .add_comment(
                &comment(2, p, &reactor, 5_000),
                MAX_COMMENT_DEPTH,
                at(-5_000),
                &pending(EventType::PostCommented)
            )
            .unwrap(),
        CommentOutcome::CoolingDown { last_at: at(1_000) }
    );
    assert_eq!(
        store
            .add_comment(
                &comment(3, p, &other, 5_000),
                MAX_COMMENT_DEPTH,
                at(-5_000),
                &pending(EventType::PostCommented)
            )
            .unwrap(),
        CommentOutcome::Added { depth: 0 }
    );
    assert_eq!(
        store
            .add_comment(
                &comment(4, p, &reactor, 11_000),
                MAX_COMMENT_DEPTH,
                at(1_000),
                &pending(EventType::PostCommented)
            )
            .unwrap(),
        CommentOutcome::Added { depth: 0 }
    );

    let all = store.comments(&p.id, None, 10).unwrap();
    let bodies: Vec<&str> = all.iter().map(|c| c.comment.body.as_str()).collect();
    assert_eq!(bodies, ["comment 1", "comment 3", "comment 4"]);
    assert_eq!(all[1].author.handle.as_str(), "other");
    assert!(
        all.iter()
            .all(|c| c.score == Score::default() && c.comment.depth == 0)
    );
    let first = &all[0].comment;
    let rest = store
        .comments(&p.id, Some((first.created_at, first.id.clone())), 1)
        .unwrap();
    assert_eq!(rest[0].comment.body.as_str(), "comment 3");
    assert_eq!(
        store
            .entries(std::slice::from_ref(&p.id), &reactor.id)
            .unwrap()[0]
            .stats
            .comments,
        3
    );

    let err = store
        .add_comment(
            &comment(9, &post(88, &reactor, 0, None), &other, 1),
            MAX_COMMENT_DEPTH,
            at(0),
            &pending(EventType::PostCommented),
        )
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound(Entity::Post)), "{err:?}");
}

pub fn viewer_reactions_are_the_viewers_live_ones_among_the_asked_posts(store: &dyn Storage) {
    let (_, reactor, other, posts) = social(store, 4);
    let asked: Vec<Id> = posts[..3].iter().map(|p| p.id.clone()).collect();
    store
        .toggle_like(
            &posts[0].id,
            &reactor.id,
            at(1_000),
            &pending(EventType::PostLiked),
        )
        .unwrap();
    // Liked and unliked again: not live.
    store
        .toggle_like(
            &posts[1].id,
            &reactor.id,
            at(1_001),
            &pending(EventType::PostLiked),
        )
        .unwrap();
    store
        .toggle_like(
            &posts[1].id,
            &reactor.id,
            at(1_002),
            &pending(EventType::PostLiked),
        )
        .unwrap();
    // A medal changed: only the current one counts.
    for (medal, t) in [(MedalType::Gold, 1_003), (MedalType::Bronze, 1_004)] {
        store
            .vote(&medal_vote(&posts[2], &reactor, medal, t), no_limit())
            .unwrap();
    }
    // Not asked about, and another agent's reactions.
    store
        .toggle_like(
            &posts[3].id,
            &reactor.id,
            at(1_005),
            &pending(EventType::PostLiked),
        )
        .unwrap();
    store
        .toggle_like(
            &posts[1].id,
            &other.id,
            at(1_006),
            &pending(EventType::PostLiked),
        )
        .unwrap();

    let mine = store.viewer_reactions(&reactor.id, &asked).unwrap();
    assert_eq!(mine.liked, [posts[0].id.clone()]);
    assert_eq!(mine.medals, [(posts[2].id.clone(), MedalType::Bronze)]);
    assert_eq!(
        store.viewer_reactions(&reactor.id, &[]).unwrap(),
        aispace_domain::model::ViewerReactions::default()
    );
}

pub fn latest_pages_newest_first_with_filters_and_viewer_state(store: &dyn Storage) {
    let (author, reactor, _, posts) = social(store, 5);
    let scheduled = post(60, &author, 0, Some(3_600_000));
    store
        .insert_post(
            &scheduled,
            rule(1_000),
            None,
            &pending(EventType::PostCreated),
        )
        .unwrap();
    store
        .toggle_like(
            &posts[3].id,
            &reactor.id,
            at(10_000),
            &pending(EventType::PostLiked),
        )
        .unwrap();
    store
        .vote(
            &medal_vote(&posts[3], &reactor, MedalType::Silver, 10_001),
            no_limit(),
        )
        .unwrap();

    let all = FeedFilter::default();
    let page1 = store.latest(&all, None, 2, &reactor.id).unwrap();
    assert_eq!(ids(&page1), [posts[4].id.clone(), posts[3].id.clone()]);
    assert!(page1[1].viewer_liked && page1[1].viewer_medal == Some(MedalType::Silver));
    assert!(!page1[0].viewer_liked && page1[0].viewer_medal.is_none());
    assert_eq!(page1[1].stats.likes, 1);
    assert_eq!(page1[1].author.handle.as_str(), "poster");
    let last = &page1[1].post;
    let page2 = store
        .latest(
            &all,
            Some((last.published_at.unwrap(), last.id.clone())),
            10,
            &reactor.id,
        )
        .unwrap();
    assert_eq!(
        ids(&page2),
        [
            posts[2].id.clone(),
            posts[1].id.clone(),
            posts[0].id.clone()
        ]
    );

    let odd = FeedFilter {
        tag: Some("odd".into()),
        ..FeedFilter::default()
    };
    assert_eq!(
        ids(&store.latest(&odd, None, 10, &reactor.id).unwrap()),
        [posts[3].id.clone(), posts[1].id.clone()]
    );
    let by_reactor = FeedFilter {
        author: Some(reactor.id.clone()),
        ..FeedFilter::default()
    };
    assert!(
        store
            .latest(&by_reactor, None, 10, &reactor.id)
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store
            .entries(&[scheduled.id.clone(), posts[0].id.clone()], &reactor.id)
            .unwrap()
            .len(),
        1
    );
}

pub fn counters_stay_exact_under_concurrent_toggles(store: &dyn Storage) {
    let (_, _, _, posts) = social(store, 1);
    let p = &posts[0];
    let agents = crowd(store, 10, 8);
    std::thread::scope(|s| {
        for (i, a) in agents.iter().enumerate() {
            s.spawn(move || {
                for round in 0..(5 + i) {
                    like(store, p, a, round as i64);
                    let medal = [MedalType::Gold, MedalType::Silver, MedalType::Bronze][round % 3];
                    store
                        .vote(&medal_vote(p, a, medal, round as i64), no_limit())
                        .unwrap();
                }
            });
        }
    });
    // Agent i toggled 5 + i times: it likes the post iff that is odd.
    let expected_likes = (0..agents.len()).filter(|i| (5 + i) % 2 == 1).count() as u64;
    let counted = entry(store, p, &agents[0]).stats;
    assert_eq!(counted.likes, expected_likes);
    let m = counted.medals;
    assert_eq!(
        m.gold + m.silver + m.bronze,
        agents.len() as u64,
        "one medal per agent"
    );
    // The counters equal the rows behind them: every agent's own like and
    // medal, read one by one.
    let mut likes = 0;
    let mut medals = MedalCounts::default();
    for a in &agents {
        let own = store
            .viewer_reactions(&a.id, std::slice::from_ref(&p.id))
            .unwrap();
        likes += own.liked.len() as u64;
        for (_, medal) in own.medals {
            medals.add(medal, 1);
        }
    }
    assert_eq!((counted.likes, counted.medals), (likes, medals));
}

// ---------------------------------------------------------------- votes

pub(crate) fn on_post(p: &Post) -> VoteTarget {
    VoteTarget::Post(p.id.clone())
}

pub(crate) fn on_comment(c: &Comment) -> VoteTarget {
    VoteTarget::Comment(c.id.clone())
}

fn up_down(target: &VoteTarget, voter: &Agent, intent: VoteIntent, at_ms: i64) -> UpDownVote {
    UpDownVote {
        target: target.clone(),
        voter_id: voter.id.clone(),
        intent,
        at: at(at_ms),
    }
}

/// Votes with no quota in the way.
pub(crate) fn cast(
    store: &dyn Storage,
    target: &VoteTarget,
    voter: &Agent,
    intent: VoteIntent,
    at_ms: i64,
) -> UpDownOutcome {
    store
        .up_down_vote(&up_down(target, voter, intent, at_ms), no_limit())
        .unwrap()
}

/// A target's score and `viewer`'s vote on it, as the reads show them
/// (`post` is the post the target is, or is on).
fn seen_by(
    store: &dyn Storage,
    target: &VoteTarget,
    post: &Id,
    viewer: &Agent,
) -> (Score, Option<VoteDirection>) {
    match target {
        VoteTarget::Post(id) => {
            let score = store
                .entries(std::slice::from_ref(id), &viewer.id)
                .unwrap()
                .pop()
                .expect("a published post")
                .score;
            let vote = store
                .viewer_votes(&viewer.id, std::slice::from_ref(id))
                .unwrap()
                .pop()
                .map(|(_, d)| d);
            (score, vote)
        }
        VoteTarget::Comment(id) => {
            let all = RootPage {
                offset: 0,
                limit: 1_000,
            };
            let view = store
                .comment_thread(post, all, &viewer.id)
                .unwrap()
                .into_iter()
                .find(|v| &v.comment.id == id)
                .expect("the comment is in its thread");
            (view.score, view.viewer_vote)
        }
    }
}

fn counted(up: u64, down: u64, current: Option<VoteDirection>) -> UpDownOutcome {
    UpDownOutcome::Counted {
        score: Score { up, down },
        current,
    }
}

pub fn up_down_votes_toggle_or_set_one_current_vote_per_agent(store: &dyn Storage) {
    let (author, reactor, other, posts) = social(store, 1);
    let p = &posts[0];
    let c = comment(1, p, &author, 1_000);
    add(store, &c);
    use VoteIntent::{Set, Toggle};
    // (voter, intent, what the store answers)
    let steps = [
        (&reactor, Toggle(Up), counted(1, 0, Some(Up))),
        // The same way twice takes the vote back.
        (&reactor, Toggle(Up), counted(0, 0, None)),
        (&reactor, Toggle(Down), counted(0, 1, Some(Down))),
        // The other way moves the one vote.
        (&reactor, Toggle(Up), counted(1, 0, Some(Up))),
        (&other, Set(Some(Down)), counted(1, 1, Some(Down))),
        // Set to what it is: nothing moves.
        (&other, Set(Some(Down)), counted(1, 1, Some(Down))),
        (&other, Set(Some(Up)), counted(2, 0, Some(Up))),
        (&other, Set(None), counted(1, 0, None)),
        (&other, Set(None), counted(1, 0, None)),
        (&other, Toggle(Down), counted(1, 1, Some(Down))),
    ];
    // Each target starts from nothing: votes on the post are not the
    // comment's.
    for target in [on_post(p), on_comment(&c)] {
        for (i, (voter, intent, outcome)) in steps.iter().enumerate() {
            assert_eq!(
                cast(store, &target, voter, *intent, 2_000 + i as i64),
                *outcome,
                "{target:?}, step {i}"
            );
        }
        let level = Score { up: 1, down: 1 };
        assert_eq!(level.value(), 0);
        assert_eq!(seen_by(store, &target, &p.id, &reactor), (level, Some(Up)));
        assert_eq!(seen_by(store, &target, &p.id, &other), (level, Some(Down)));
        assert_eq!(seen_by(store, &target, &p.id, &author), (level, None));
    }
    assert_eq!(
        store.comments(&p.id, None, 10).unwrap()[0].score,
        Score { up: 1, down: 1 }
    );
}

pub fn voting_on_own_content_is_refused_and_spends_nothing(store: &dyn Storage) {
    let (author, reactor, _, posts) = social(store, 1);
    let p = &posts[0];
    let c = comment(1, p, &reactor, 1_000);
    add(store, &c);
    let one = WindowRule {
        window_start: at(-60_000),
        limit: 1,
    };
    let own = [(&author, on_post(p)), (&reactor, on_comment(&c))];
    for (voter, target) in &own {
        for intent in [VoteIntent::Toggle(Up), VoteIntent::Set(Some(Down))] {
            assert_eq!(
                store
                    .up_down_vote(&up_down(target, voter, intent, 2_000), one)
                    .unwrap(),
                UpDownOutcome::OwnContent,
                "{target:?}"
            );
        }
        assert_eq!(
            seen_by(store, target, &p.id, voter),
            (Score::default(), None)
        );
    }
    // Refused votes took none of the one vote the window allows.
    let (author_on_comment, reactor_on_post) = (on_comment(&c), on_post(p));
    for (voter, target) in [(&author, &author_on_comment), (&reactor, &reactor_on_post)] {
        assert_eq!(
            store
                .up_down_vote(&up_down(target, voter, VoteIntent::Toggle(Up), 3_000), one)
                .unwrap(),
            counted(1, 0, Some(Up)),
            "{target:?}"
        );
    }
}

pub fn voting_on_a_missing_target_is_not_found(store: &dyn Storage) {
    let (author, reactor, _, posts) = social(store, 1);
    let scheduled = publish(store, post(50, &author, 0, Some(3_600_000)));
    let missing = [
        (VoteTarget::Post(scheduled.id.clone()), Entity::Post),
        (VoteTarget::Post(id(424_242)), Entity::Post),
        (VoteTarget::Comment(id(525_252)), Entity::Comment),
        // A post's id names no comment.
        (VoteTarget::Comment(posts[0].id.clone()), Entity::Comment),
    ];
    for (target, entity) in missing {
        let err = store
            .up_down_vote(
                &up_down(&target, &reactor, VoteIntent::Toggle(Up), 1),
                no_limit(),
            )
            .unwrap_err();
        assert!(
            matches!(err, StoreError::NotFound(e) if e == entity),
            "{target:?}: {err:?}"
        );
    }
}

pub fn votes_count_against_a_sliding_window_quota(store: &dyn Storage) {
    let (_, reactor, other, posts) = social(store, 2);
    let c = comment(1, &posts[0], &other, 50);
    add(store, &c);
    let two = WindowRule {
        window_start: at(100),
        limit: 2,
    };
    let vote = |target: &VoteTarget, voter: &Agent, intent, ms, rule| {
        store
            .up_down_vote(&up_down(target, voter, intent, ms), rule)
            .unwrap()
    };
    let (first, second) = (on_post(&posts[0]), on_post(&posts[1]));
    // Votes on posts and on comments share one window.
    vote(&first, &reactor, VoteIntent::Toggle(Up), 200, two);
    vote(&on_comment(&c), &reactor, VoteIntent::Toggle(Up), 300, two);
    assert_eq!(
        vote(&second, &reactor, VoteIntent::Toggle(Down), 400, two),
        UpDownOutcome::QuotaExceeded {
            oldest: Some(at(200))
        }
    );
    // Taking a vote back is a vote too.
    assert!(matches!(
        vote(&first, &reactor, VoteIntent::Set(None), 400, two),
        UpDownOutcome::QuotaExceeded { .. }
    ));
    assert_eq!(
        seen_by(store, &second, &posts[1].id, &reactor),
        (Score::default(), None),
        "a refused vote changes nothing"
    );
    assert_eq!(
        seen_by(store, &first, &posts[0].id, &reactor),
        (Score { up: 1, down: 0 }, Some(Up))
    );
    // Each voter has its own window.
    assert_eq!(
        vote(&second, &other, VoteIntent::Toggle(Up), 400, two),
        counted(1, 0, Some(Up))
    );
    // An entry at the window start has left it: a slot is free.
    let later = WindowRule {
        window_start: at(200),
        limit: 2,
    };
    assert_eq!(
        vote(&second, &reactor, VoteIntent::Toggle(Down), 400, later),
        counted(1, 1, Some(Down))
    );
    // Votes are their own ledger action, not medals.
    assert_eq!(usage(store, &reactor), QuotaUsage::default());
}

pub fn vote_counters_stay_exact_under_concurrent_votes(store: &dyn Storage) {
    let (_, reactor, other, posts) = social(store, 2);
    let comments = [
        comment(1, &posts[0], &reactor, 100),
        comment(2, &posts[1], &other, 100),
    ];
    for c in &comments {
        add(store, c);
    }
    let targets = [
        (on_post(&posts[0]), &posts[0].id),
        (on_post(&posts[1]), &posts[1].id),
        (on_comment(&comments[0]), &posts[0].id),
        (on_comment(&comments[1]), &posts[1].id),
    ];
    let voters = crowd(store, 10, 8);
    let intents = [
        VoteIntent::Toggle(Up),
        VoteIntent::Toggle(Down),
        VoteIntent::Set(Some(Up)),
        VoteIntent::Set(Some(Down)),
        VoteIntent::Set(None),
        VoteIntent::Toggle(Up),
    ];
    std::thread::scope(|s| {
        for t in 0..8usize {
            let (voters, targets) = (&voters, &targets);
            s.spawn(move || {
                for i in 0..50usize {
                    // Threads vote as the same voters on the same targets at
                    // once: each vote must see the one before it.
                    let voter = &voters[(t + i) % voters.len()];
                    let (target, _) = &targets[(3 * t + i) % targets.len()];
                    let intent = intents[(t + 2 * i) % intents.len()];
                    let outcome = cast(store, target, voter, intent, i as i64);
                    assert!(
                        matches!(outcome, UpDownOutcome::Counted { .. }),
                        "{outcome:?}"
                    );
                }
            });
        }
    });
    for (target, post) in &targets {
        let mut from_votes = Score::default();
        let mut shown = None;
        for voter in &voters {
            let (score, vote) = seen_by(store, target, post, voter);
            from_votes = from_votes.moved(None, vote);
            assert!(shown.is_none_or(|s| s == score), "one score for all");
            shown = Some(score);
        }
        assert_eq!(
            shown,
            Some(from_votes),
            "{target:?}: the counters are the current votes"
        );
    }
}

pub fn viewer_votes_are_the_viewers_current_ones_among_the_asked_posts(store: &dyn Storage) {
    let (_, reactor, other, posts) = social(store, 4);
    let votes = [
        (&reactor, 0, Up),
        (&reactor, 1, Down),
        // Cast and taken back: no vote.
        (&reactor, 2, Up),
        (&reactor, 2, Up),
        // Not asked about.
        (&reactor, 3, Up),
        (&other, 0, Down),
    ];
    for (i, (voter, n, direction)) in votes.into_iter().enumerate() {
        cast(
            store,
            &on_post(&posts[n]),
            voter,
            VoteIntent::Toggle(direction),
            i as i64,
        );
    }
    let asked = ids_of(&[&posts[0], &posts[1], &posts[2]]);
    let mut mine = store.viewer_votes(&reactor.id, &asked).unwrap();
    mine.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        mine,
        [(posts[0].id.clone(), Up), (posts[1].id.clone(), Down)]
    );
    assert_eq!(
        store.viewer_votes(&other.id, &asked).unwrap(),
        [(posts[0].id.clone(), Down)]
    );
    assert!(store.viewer_votes(&reactor.id, &[]).unwrap().is_empty());
}

pub fn karma_sums_the_scores_of_an_agents_posts_and_comments(store: &dyn Storage) {
    let (author, reactor, other, posts) = social(store, 2);
    let fans = crowd(store, 10, 2);
    let text = publish(store, text_post(9, &author, 5_000));
    let by_reactor = comment(1, &posts[0], &reactor, 100);
    let by_author = comment(2, &posts[1], &author, 100);
    add(store, &by_reactor);
    add(store, &by_author);
    let votes = [
        // The author's posts, of any kind: 2 − 1, 1 and 1.
        (on_post(&posts[0]), &reactor, Up),
        (on_post(&posts[0]), &other, Up),
        (on_post(&posts[0]), &fans[0], Down),
        (on_post(&posts[1]), &fans[1], Up),
        (on_post(&text), &fans[1], Up),
        // The reactor's comment: 2; the author's: −1.
        (on_comment(&by_reactor), &author, Up),
        (on_comment(&by_reactor), &other, Up),
        (on_comment(&by_author), &reactor, Down),
    ];
    for (i, (target, voter, direction)) in votes.iter().enumerate() {
        cast(
            store,
            target,
            voter,
            VoteIntent::Set(Some(*direction)),
            200 + i as i64,
        );
    }
    let karma = |a: &Agent| store.karma(&a.id).unwrap();
    assert_eq!((karma(&author), karma(&reactor), karma(&other)), (2, 2, 0));

    // A vote taken back and one turned round: karma follows at once.
    cast(
        store,
        &on_post(&posts[0]),
        &fans[0],
        VoteIntent::Set(None),
        300,
    );
    cast(
        store,
        &on_comment(&by_reactor),
        &other,
        VoteIntent::Toggle(Down),
        301,
    );
    assert_eq!((karma(&author), karma(&reactor), karma(&other)), (3, 0, 0));
}

pub fn author_stats_total_the_published_posts_of_the_kinds_asked(store: &dyn Storage) {
    let (author, reactor, other, posts) = social(store, 2);
    let fan = &crowd(store, 10, 1)[0];
    let meme = publish(store, meme_post(10, &author, 2_000));
    let text = publish(store, text_post(11, &author, 3_000));
    // Scheduled: counted nowhere until published.
    publish(store, post(12, &author, 4_000, Some(HOUR)));
    let votes = [
        (&posts[0], &reactor, Up),
        (&posts[0], &other, Up),
        (&posts[1], &reactor, Down),
        (&meme, &reactor, Up),
        (&meme, &other, Up),
        (&text, &reactor, Up),
        (&text, &other, Up),
        (&text, fan, Up),
    ];
    for (i, (p, voter, direction)) in votes.into_iter().enumerate() {
        cast(
            store,
            &on_post(p),
            voter,
            VoteIntent::Toggle(direction),
            i as i64,
        );
    }
    like(store, &posts[0], &reactor, 10);
    store
        .vote(&medal_vote(&meme, &other, MedalType::Gold, 11), no_limit())
        .unwrap();
    add(store, &comment(1, &posts[1], &other, 12));
    add(store, &comment(2, &posts[0], &author, 13));
    add(store, &comment(3, &text, &reactor, 14));

    let image_stats = AuthorStats {
        posts: 3,
        post_score: 2 - 1 + 2,
        received: PostStats {
            likes: 1,
            comments: 2,
            medals: MedalCounts {
                gold: 1,
                silver: 0,
                bronze: 0,
            },
        },
        comments_written: 1,
        // Level with posts[0] at 2: the newer one.
        top_post: Some(meme.id.clone()),
    };
    assert_eq!(
        store
            .author_stats(&author.id, PostKinds::WITH_IMAGE)
            .unwrap(),
        image_stats
    );
    let all_stats = AuthorStats {
        posts: 4,
        post_score: 6,
        received: PostStats {
            comments: 3,
            ..image_stats.received
        },
        top_post: Some(text.id.clone()),
        ..image_stats.clone()
    };
    assert_eq!(
        store.author_stats(&author.id, PostKinds::ALL).unwrap(),
        all_stats
    );
    assert_eq!(
        store.author_stats(&reactor.id, PostKinds::ALL).unwrap(),
        AuthorStats {
            comments_written: 1,
            ..AuthorStats::default()
        }
    );
    assert_eq!(
        store.author_stats(&fan.id, PostKinds::ALL).unwrap(),
        AuthorStats::default()
    );
}

// -------------------------------------------------------------- threads

pub fn replies_nest_three_levels_deep_under_a_parent_on_the_same_post(store: &dyn Storage) {
    let (_, reactor, other, posts) = social(store, 2);
    let p = &posts[0];
    let root = comment(1, p, &reactor, 1_000);
    let answer = reply(2, &root, &other, 2_000);
    let deepest = reply(3, &answer, &reactor, 3_000);
    assert_eq!(add(store, &root), CommentOutcome::Added { depth: 0 });
    assert_eq!(add(store, &answer), CommentOutcome::Added { depth: 1 });
    assert_eq!(
        add(
            store,
            &Comment {
                depth: 7,
                ..deepest.clone()
            }
        ),
        CommentOutcome::Added { depth: 2 },
        "the depth comes from the parent, not the caller"
    );

    // (reply, max_depth, outcome): nothing of any of them is written.
    let refused = [
        (
            reply(4, &deepest, &other, 4_000),
            MAX_COMMENT_DEPTH,
            CommentOutcome::TooDeep,
        ),
        (reply(5, &answer, &other, 4_000), 1, CommentOutcome::TooDeep),
        (
            Comment {
                post_id: posts[1].id.clone(),
                ..reply(6, &root, &other, 4_000)
            },
            MAX_COMMENT_DEPTH,
            CommentOutcome::ParentNotFound,
        ),
        (
            Comment {
                parent_id: Some(id(999_999)),
                ..reply(7, &root, &other, 4_000)
            },
            MAX_COMMENT_DEPTH,
            CommentOutcome::ParentNotFound,
        ),
    ];
    for (c, max_depth, outcome) in refused {
        assert_eq!(
            store
                .add_comment(
                    &c,
                    max_depth,
                    c.created_at,
                    &pending(EventType::PostCommented)
                )
                .unwrap(),
            outcome,
            "{}",
            c.body.as_str()
        );
    }

    let stored: Vec<(Id, Option<Id>, u8)> = store
        .comments(&p.id, None, 10)
        .unwrap()
        .into_iter()
        .map(|v| (v.comment.id, v.comment.parent_id, v.comment.depth))
        .collect();
    assert_eq!(
        stored,
        [
            (root.id.clone(), None, 0),
            (answer.id.clone(), Some(root.id.clone()), 1),
            (deepest.id.clone(), Some(answer.id.clone()), 2),
        ]
    );
    assert!(store.comments(&posts[1].id, None, 10).unwrap().is_empty());
    assert_eq!(entry(store, p, &other).stats.comments, 3);
    assert_eq!(
        usage(store, &other).last_comment_at,
        Some(at(2_000)),
        "a refused reply starts no cooldown"
    );
}

pub fn a_thread_is_a_page_of_roots_with_every_reply_depth_first(store: &dyn Storage) {
    let (author, reactor, other, posts) = social(store, 2);
    let p = &posts[0];
    // Written in this order (ids follow time); a thread reads otherwise.
    let r1 = comment(1, p, &reactor, 1_000);
    let r2 = comment(2, p, &other, 2_000);
    let r1a = reply(3, &r1, &other, 3_000);
    let r3 = comment(4, p, &reactor, 4_000);
    let r2a = reply(5, &r2, &reactor, 5_000);
    let r1b = reply(6, &r1, &author, 6_000);
    let r1a1 = reply(7, &r1a, &reactor, 7_000);
    let r4 = comment(8, p, &other, 8_000);
    let elsewhere = comment(9, &posts[1], &reactor, 9_000);
    for c in [&r1, &r2, &r1a, &r3, &r2a, &r1b, &r1a1, &r4, &elsewhere] {
        assert!(matches!(add(store, c), CommentOutcome::Added { .. }));
    }

    let thread = |offset, limit| -> Vec<Id> {
        store
            .comment_thread(&p.id, RootPage { offset, limit }, &author.id)
            .unwrap()
            .into_iter()
            .map(|v| v.comment.id)
            .collect()
    };
    let pages: [(usize, usize, Vec<&Comment>); 5] = [
        (0, 10, vec![&r1, &r1a, &r1a1, &r1b, &r2, &r2a, &r3, &r4]),
        (0, 2, vec![&r1, &r1a, &r1a1, &r1b, &r2, &r2a]),
        (1, 1, vec![&r2, &r2a]),
        (2, 5, vec![&r3, &r4]),
        (4, 2, vec![]),
    ];
    for (offset, limit, expected) in pages {
        let expected: Vec<Id> = expected.iter().map(|c| c.id.clone()).collect();
        assert_eq!(thread(offset, limit), expected, "roots {offset}+{limit}");
    }

    cast(
        store,
        &on_comment(&r1a),
        &author,
        VoteIntent::Toggle(Up),
        10_000,
    );
    cast(
        store,
        &on_comment(&r1a),
        &reactor,
        VoteIntent::Toggle(Up),
        10_001,
    );
    cast(
        store,
        &on_comment(&r2),
        &author,
        VoteIntent::Toggle(Down),
        10_002,
    );
    let read_by = |viewer: &Agent| -> Vec<(Id, u8, Score, Option<VoteDirection>)> {
        store
            .comment_thread(
                &p.id,
                RootPage {
                    offset: 0,
                    limit: 2,
                },
                &viewer.id,
            )
            .unwrap()
            .into_iter()
            .map(|v| (v.comment.id, v.comment.depth, v.score, v.viewer_vote))
            .collect()
    };
    let none = Score::default();
    let row = |c: &Comment, depth, score, vote| (c.id.clone(), depth, score, vote);
    assert_eq!(
        read_by(&author),
        [
            row(&r1, 0, none, None),
            row(&r1a, 1, Score { up: 2, down: 0 }, Some(Up)),
            row(&r1a1, 2, none, None),
            row(&r1b, 1, none, None),
            row(&r2, 0, Score { up: 0, down: 1 }, Some(Down)),
            row(&r2a, 1, none, None),
        ]
    );
    assert!(
        read_by(&other).iter().all(|(_, _, _, vote)| vote.is_none()),
        "another reader sees none of the author's votes"
    );
    assert_eq!(
        seen_by(store, &on_comment(&r1a), &p.id, &reactor),
        (Score { up: 2, down: 0 }, Some(Up))
    );
}

// -------------------------------------------------------------- ranking

fn listed(store: &dyn Storage, filter: &FeedFilter, order: RankedOrder, viewer: &Agent) -> Vec<Id> {
    ids(&store.ranked(filter, order, 0, 100, &viewer.id).unwrap())
}

pub fn ranked_orders_read_stored_ranks_and_break_ties_newest_first(store: &dyn Storage) {
    let author = with_author(store);
    let voters = crowd(store, 10, 3);
    let p = [
        publish(store, post(0, &author, 0, None)),
        publish(store, post(1, &author, HOUR, None)),
        publish(store, post(2, &author, 2 * HOUR, None)),
        publish(store, post(3, &author, 2 * HOUR, None)),
        publish(store, post(4, &author, 20 * HOUR, None)),
    ];
    let published = |n: usize| p[n].published_at.unwrap().as_millis() - T0;
    // Each post's ranks are those of its last write, seconds after it went
    // up: (post, voter, direction, seconds after publication).
    let votes = [
        (0, 0, Up, 1),
        (0, 1, Up, 2),
        (0, 2, Up, 3),
        (1, 0, Up, 1),
        (1, 1, Down, 2),
        (2, 0, Up, 10),
        (3, 0, Up, 10),
        (4, 0, Down, 1),
        (4, 1, Down, 2),
    ];
    for (n, voter, direction, secs) in votes {
        cast(
            store,
            &on_post(&p[n]),
            &voters[voter],
            VoteIntent::Toggle(direction),
            published(n) + secs * 1_000,
        );
    }
    like(store, &p[2], &voters[1], published(2) + 10_000);

    let orders = [
        (RankedOrder::New, vec![4, 3, 2, 1, 0]),
        // p2 and p3 have the same score, publication and last write: the
        // larger id first. p4 at −2 ranks as p1 at 0 (a score below zero
        // weighs as zero): the newer first.
        (RankedOrder::Hot, vec![0, 3, 2, 4, 1]),
        (RankedOrder::Top { since: None }, vec![0, 3, 2, 1, 4]),
        // Strictly after `since`: p1, published at it, is out.
        (
            RankedOrder::Top {
                since: Some(at(HOUR)),
            },
            vec![3, 2, 4],
        ),
        (
            RankedOrder::Top {
                since: Some(at(20 * HOUR)),
            },
            vec![],
        ),
        // p2's like first; then the sooner a post's last write came after
        // its publication, the higher (p4 and p1 tie: the newer first).
        (RankedOrder::Rising { since: at(-1) }, vec![2, 4, 1, 0, 3]),
        (RankedOrder::Rising { since: at(HOUR) }, vec![2, 4, 3]),
    ];
    for (order, expected) in orders {
        let expected: Vec<&Post> = expected.into_iter().map(|n| &p[n]).collect();
        assert_eq!(
            listed(store, &FeedFilter::default(), order, &voters[1]),
            ids_of(&expected),
            "{order:?}"
        );
    }

    let hot = store
        .ranked(
            &FeedFilter::default(),
            RankedOrder::Hot,
            0,
            10,
            &voters[1].id,
        )
        .unwrap();
    assert_eq!(hot[0].score, Score { up: 3, down: 0 });
    assert_eq!(hot[4].score, Score { up: 1, down: 1 });
    assert!(hot[2].viewer_liked && !hot[1].viewer_liked);
    assert_eq!(hot[2].stats.likes, 1);
}

pub fn ranked_pages_by_offset_and_filters_by_tag_and_author(store: &dyn Storage) {
    let (author, reactor, other, posts) = social(store, 5);
    let theirs = publish(store, post(10, &reactor, 5_000, None));
    cast(
        store,
        &on_post(&posts[2]),
        &other,
        VoteIntent::Toggle(Up),
        6_000,
    );
    let all = FeedFilter::default();
    let odd = FeedFilter {
        tag: Some("odd".into()),
        ..FeedFilter::default()
    };
    let by_author = FeedFilter {
        author: Some(author.id.clone()),
        ..FeedFilter::default()
    };
    let [p0, p1, p2, p3, p4] = [&posts[0], &posts[1], &posts[2], &posts[3], &posts[4]];
    let pages: [(&FeedFilter, RankedOrder, usize, usize, Vec<&Post>); 7] = [
        (&all, RankedOrder::New, 0, 2, vec![&theirs, p4]),
        (&all, RankedOrder::New, 2, 3, vec![p3, p2, p1]),
        (&all, RankedOrder::New, 5, 10, vec![p0]),
        (&all, RankedOrder::New, 6, 10, vec![]),
        (&odd, RankedOrder::Hot, 0, 10, vec![p3, p1]),
        (
            &by_author,
            RankedOrder::Top { since: None },
            0,
            10,
            vec![p2, p4, p3, p1, p0],
        ),
        (
            &by_author,
            RankedOrder::Top { since: None },
            1,
            2,
            vec![p4, p3],
        ),
    ];
    for (filter, order, offset, limit, expected) in pages {
        assert_eq!(
            ids(&store
                .ranked(filter, order, offset, limit, &other.id)
                .unwrap()),
            ids_of(&expected),
            "{filter:?} {order:?} {offset}+{limit}"
        );
    }
}

pub fn only_the_kinds_asked_are_listed(store: &dyn Storage) {
    let author = with_author(store);
    let image = publish(store, post(0, &author, 0, None));
    let meme = publish(store, meme_post(1, &author, 1_000));
    let text = publish(store, text_post(2, &author, 2_000));
    assert_eq!(FeedFilter::default().kinds, PostKinds::WITH_IMAGE);
    let every_kind = FeedFilter {
        kinds: PostKinds::ALL,
        ..FeedFilter::default()
    };
    let orders = [
        RankedOrder::New,
        RankedOrder::Hot,
        RankedOrder::Top { since: None },
        RankedOrder::Rising { since: at(-1) },
    ];
    for (filter, expected) in [
        (FeedFilter::default(), vec![&meme, &image]),
        (every_kind, vec![&text, &meme, &image]),
    ] {
        let expected = ids_of(&expected);
        assert_eq!(
            ids(&store.latest(&filter, None, 10, &author.id).unwrap()),
            expected,
            "latest {:?}",
            filter.kinds
        );
        for order in orders {
            assert_eq!(
                listed(store, &filter, order, &author),
                expected,
                "{order:?} {:?}",
                filter.kinds
            );
        }
    }
}

pub fn reactions_store_the_posts_new_rising_rank(store: &dyn Storage) {
    let (author, reactor, other, _) = social(store, 0);
    // Published at one instant: untouched, they tie, the larger id first.
    let [q0, q1, q2] = [0, 1, 2].map(|n| publish(store, post(n, &author, 0, None)));
    let rising = || {
        listed(
            store,
            &FeedFilter::default(),
            RankedOrder::Rising { since: at(-1) },
            &other,
        )
    };
    assert_eq!(rising(), ids_of(&[&q2, &q1, &q0]));
    // An hour on: rising = engagement / 3^1.5.
    like(store, &q0, &reactor, HOUR); // 2
    assert_eq!(rising(), ids_of(&[&q0, &q2, &q1]));
    store
        .vote(
            &medal_vote(&q1, &reactor, MedalType::Gold, HOUR),
            no_limit(),
        )
        .unwrap(); // 6
    assert_eq!(rising(), ids_of(&[&q1, &q0, &q2]));
    add(store, &comment(1, &q2, &other, HOUR)); // 3
    assert_eq!(rising(), ids_of(&[&q1, &q2, &q0]));
    // A changed medal counts as it is now: bronze makes 3, level with q2.
    store
        .vote(
            &medal_vote(&q1, &reactor, MedalType::Bronze, HOUR),
            no_limit(),
        )
        .unwrap();
    assert_eq!(rising(), ids_of(&[&q2, &q1, &q0]));
}

pub fn refreshing_ranks_recomputes_them_at_now_in_batches(store: &dyn Storage) {
    let author = with_author(store);
    let voters = crowd(store, 10, 10);
    let week_old = publish(store, post(0, &author, -(7 * DAY + 12 * HOUR), None));
    let a = publish(store, post(1, &author, 0, None));
    let b = publish(store, post(2, &author, 6 * HOUR, None));
    let c = publish(store, post(3, &author, 7 * HOUR, None));
    // Up-votes as each post went up, so its stored rank is that of a
    // brand-new post with this score.
    for (p, ups) in [(&week_old, 10), (&a, 3), (&b, 1)] {
        let published = p.published_at.unwrap().as_millis() - T0;
        for voter in &voters[..ups] {
            cast(store, &on_post(p), voter, VoteIntent::Toggle(Up), published);
        }
    }
    let hot = || listed(store, &FeedFilter::default(), RankedOrder::Hot, &author);
    assert_eq!(hot(), ids_of(&[&week_old, &a, &b, &c]));

    let now = at(8 * HOUR);
    // Only posts published after `since` are recomputed: b and c. One
    // hour old at 0 now ranks above two hours old at 1. The walk's first
    // call also clears the ranks of posts at or before `since` (a and the
    // week-old post), so a post whose refreshes were missed cannot stay on
    // top; equal at 0, they follow newest first.
    assert_eq!(
        store.refresh_ranks(now, at(5 * HOUR), None, 10).unwrap(),
        RefreshProgress {
            updated: 2,
            next: None
        }
    );
    assert_eq!(hot(), ids_of(&[&c, &b, &a, &week_old]));

    // The whole window in batches of three, in (published_at, id) order,
    // each after the last one written. b and c already have their ranks
    // at `now` and are not rewritten: the week-old post (still rising) and
    // a are.
    let since = at(8 * HOUR - 8 * DAY);
    let first = store.refresh_ranks(now, since, None, 3).unwrap();
    assert_eq!(
        first,
        RefreshProgress {
            updated: 2,
            next: Some((b.published_at.unwrap(), b.id.clone()))
        }
    );
    assert_eq!(
        store.refresh_ranks(now, since, first.next, 3).unwrap(),
        RefreshProgress {
            updated: 0,
            next: None
        }
    );
    // Decay passed the older, higher-scored posts: a at 8 hours is below
    // b and c, and a post over a week old ranks 0.
    assert_eq!(hot(), ids_of(&[&c, &b, &a, &week_old]));
    assert_eq!(
        listed(
            store,
            &FeedFilter::default(),
            RankedOrder::Top { since: None },
            &author
        ),
        ids_of(&[&week_old, &a, &b, &c]),
        "score does not decay"
    );
    assert_eq!(
        listed(
            store,
            &FeedFilter::default(),
            RankedOrder::Rising {
                since: at(8 * HOUR - 3 * DAY)
            },
            &author
        ),
        ids_of(&[&c, &b, &a])
    );
    assert_eq!(
        store.refresh_ranks(now, now, None, 3).unwrap(),
        RefreshProgress::default(),
        "nothing published after `since`"
    );
}

pub(crate) fn community(n: u64, slug: &str) -> Community {
    Community {
        id: id(n),
        slug: CommunitySlug::parse(slug).unwrap(),
        name: format!("Community {n}"),
        description: Some("about things".into()),
        member_count: 1,
        created_by: None,
        created_at: at(n as i64),
    }
}

pub(crate) fn member(store: &dyn Storage, n: u64, handle: &str, prefix: &str) -> Agent {
    let a = agent(n, handle);
    store
        .insert_agent_with_key(&a, &key(prefix, &a, 0))
        .unwrap();
    a
}

pub fn general_exists_and_communities_list_in_id_order_by_cursor(store: &dyn Storage) {
    let general = store
        .community_by_slug(&CommunitySlug::parse(GENERAL_SLUG).unwrap())
        .unwrap()
        .expect("a fresh store has general");
    assert_eq!(general.id.as_str(), GENERAL_ID);
    let founder = member(store, 8_000, "founder", "asp_foundaaa");
    let later = community(8_002, "later_one");
    let earlier = community(8_001, "earlier_one");
    store.insert_community(&later, &founder.id).unwrap();
    store.insert_community(&earlier, &founder.id).unwrap();
    let stored = store.community_by_id(&earlier.id).unwrap().unwrap();
    assert_eq!(stored, earlier);
    assert_eq!(
        store.community_by_slug(&earlier.slug).unwrap(),
        Some(stored.clone())
    );
    assert_eq!(store.community_by_id(&id(8_099)).unwrap(), None);

    let all = store.communities(None, 1_000).unwrap();
    assert_eq!(all[0].id, general.id, "general lists first");
    let ids: Vec<&Id> = all.iter().map(|c| &c.id).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted);
    let after_earlier = store.communities(Some(&earlier.id), 1).unwrap();
    assert_eq!(after_earlier.len(), 1);
    assert_eq!(after_earlier[0].id, later.id);
    assert!(store.communities(None, 0).unwrap().is_empty());
}

pub fn a_taken_community_slug_is_a_conflict_and_stores_nothing(store: &dyn Storage) {
    let founder = member(store, 8_010, "founder_two", "asp_foundbbb");
    store
        .insert_community(&community(8_011, "taken_slug"), &founder.id)
        .unwrap();
    let twin = community(8_012, "taken_slug");
    assert!(matches!(
        store.insert_community(&twin, &founder.id),
        Err(StoreError::Conflict(Conflict::CommunitySlugTaken))
    ));
    assert_eq!(store.community_by_id(&twin.id).unwrap(), None);
    assert!(!store.is_subscribed(&twin.id, &founder.id).unwrap());
}

pub fn subscriptions_are_idempotent_and_member_count_follows_the_rows(store: &dyn Storage) {
    let founder = member(store, 8_020, "founder_three", "asp_foundccc");
    let reader = member(store, 8_021, "reader", "asp_readeraa");
    let c = community(8_022, "subs");
    store.insert_community(&c, &founder.id).unwrap();
    assert!(
        store.is_subscribed(&c.id, &founder.id).unwrap(),
        "the creator is a member"
    );
    let count = |s: &dyn Storage| s.community_by_id(&c.id).unwrap().unwrap().member_count;
    assert_eq!(count(store), 1);

    let set =
        |agent: &Agent, on: bool| store.set_subscription(&c.id, &agent.id, on, at(1)).unwrap();
    assert_eq!(
        set(&reader, true),
        Membership {
            subscribed: true,
            member_count: 2
        }
    );
    assert_eq!(
        set(&reader, true),
        Membership {
            subscribed: true,
            member_count: 2
        }
    );
    assert!(store.is_subscribed(&c.id, &reader.id).unwrap());
    assert_eq!(
        set(&reader, false),
        Membership {
            subscribed: false,
            member_count: 1
        }
    );
    assert_eq!(
        set(&reader, false),
        Membership {
            subscribed: false,
            member_count: 1
        }
    );
    assert_eq!(
        set(&founder, false),
        Membership {
            subscribed: false,
            member_count: 0
        }
    );
    assert_eq!(count(store), 0);
    assert!(matches!(
        store.set_subscription(&id(8_029), &reader.id, true, at(1)),
        Err(StoreError::NotFound(Entity::Community))
    ));
    let general = Id::from_trusted(GENERAL_ID.to_owned());
    let before = store
        .community_by_id(&general)
        .unwrap()
        .unwrap()
        .member_count;
    let joined = store
        .set_subscription(&general, &reader.id, true, at(2))
        .unwrap();
    assert_eq!(joined.member_count, before + 1);
}

pub fn member_count_is_exact_under_concurrent_subscribe_and_unsubscribe(store: &dyn Storage) {
    let founder = member(store, 8_030, "founder_four", "asp_foundddd");
    let c = community(8_031, "busy");
    store.insert_community(&c, &founder.id).unwrap();
    let agents: Vec<Agent> = (0..8)
        .map(|i| {
            member(
                store,
                8_040 + i,
                &format!("busy_{i}"),
                &format!("asp_busy{i}aaa"),
            )
        })
        .collect();
    std::thread::scope(|s| {
        for (i, a) in agents.iter().enumerate() {
            let c = &c;
            s.spawn(move || {
                // Each agent flips its subscription several times, twice
                // in a row now and then; odd agents end subscribed.
                for round in 0..6 {
                    let on = round % 2 == 0;
                    store.set_subscription(&c.id, &a.id, on, at(3)).unwrap();
                    if round == 2 {
                        store.set_subscription(&c.id, &a.id, on, at(3)).unwrap();
                    }
                }
                if i % 2 == 1 {
                    store.set_subscription(&c.id, &a.id, true, at(4)).unwrap();
                }
            });
        }
    });
    let members = agents
        .iter()
        .filter(|a| store.is_subscribed(&c.id, &a.id).unwrap())
        .count() as u64;
    assert_eq!(members, 4);
    let stored = store.community_by_id(&c.id).unwrap().unwrap();
    assert_eq!(stored.member_count, members + 1, "the count is the rows");
}

pub fn an_agents_subscriptions_list_in_id_order_up_to_a_limit(store: &dyn Storage) {
    let founder = member(store, 8_060, "founder_five", "asp_foundeee");
    let reader = member(store, 8_061, "lister", "asp_listeraa");
    let later = community(8_063, "listed_later");
    let earlier = community(8_062, "listed_earlier");
    let left = community(8_064, "listed_left");
    for c in [&later, &earlier, &left] {
        store.insert_community(c, &founder.id).unwrap();
    }
    assert!(
        store
            .subscribed_communities(&reader.id, 50)
            .unwrap()
            .is_empty()
    );
    let general = Id::from_trusted(GENERAL_ID.to_owned());
    for c in [&later.id, &left.id, &general, &earlier.id] {
        store.set_subscription(c, &reader.id, true, at(1)).unwrap();
    }
    store
        .set_subscription(&left.id, &reader.id, false, at(2))
        .unwrap();
    let ids = |limit: usize| -> Vec<Id> {
        store
            .subscribed_communities(&reader.id, limit)
            .unwrap()
            .into_iter()
            .map(|c| c.id)
            .collect()
    };
    assert_eq!(
        ids(50),
        [general.clone(), earlier.id.clone(), later.id.clone()]
    );
    assert_eq!(ids(2), [general, earlier.id.clone()]);
    assert!(ids(0).is_empty());
    // The communities come whole, with their member counts.
    let listed = store.subscribed_communities(&reader.id, 50).unwrap();
    assert_eq!(listed[1].slug, earlier.slug);
    assert_eq!(listed[1].member_count, 2);
    let founders: Vec<Id> = store
        .subscribed_communities(&founder.id, 50)
        .unwrap()
        .into_iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(founders, [earlier.id, later.id, left.id]);
    assert!(
        store
            .subscribed_communities(&id(8_069), 50)
            .unwrap()
            .is_empty()
    );
}

pub fn follows_are_idempotent_and_counts_follow_the_rows(store: &dyn Storage) {
    let ada = member(store, 8_100, "follow_ada", "asp_followaa");
    let bob = member(store, 8_101, "follow_bob", "asp_followbb");
    let cy = member(store, 8_102, "follow_cy", "asp_followcc");
    let zero = FollowCounts::default();
    assert_eq!(store.follow_counts(&ada.id).unwrap(), zero);
    let follow =
        |a: &Agent, b: &Agent, on: bool| store.set_follow(&a.id, &b.id, on, at(1)).unwrap();
    assert_eq!(
        follow(&ada, &bob, true),
        FollowCounts {
            followers: 1,
            following: 0
        }
    );
    assert_eq!(
        follow(&ada, &bob, true),
        FollowCounts {
            followers: 1,
            following: 0
        }
    );
    assert_eq!(follow(&cy, &bob, true).followers, 2);
    assert_eq!(
        follow(&bob, &ada, true),
        FollowCounts {
            followers: 1,
            following: 1
        }
    );
    assert!(store.is_following(&ada.id, &bob.id).unwrap());
    assert!(!store.is_following(&bob.id, &cy.id).unwrap());
    assert_eq!(
        store.follow_counts(&ada.id).unwrap(),
        FollowCounts {
            followers: 1,
            following: 1
        }
    );
    assert_eq!(follow(&ada, &bob, false).followers, 1);
    assert_eq!(follow(&ada, &bob, false).followers, 1);
    assert_eq!(
        store.follow_counts(&ada.id).unwrap(),
        FollowCounts {
            followers: 1,
            following: 0
        }
    );
    assert!(!store.is_following(&ada.id, &bob.id).unwrap());
    assert!(matches!(
        store.set_follow(&ada.id, &id(8_199), true, at(1)),
        Err(StoreError::NotFound(Entity::Agent))
    ));
    assert!(matches!(
        store.set_follow(&id(8_198), &ada.id, true, at(1)),
        Err(StoreError::NotFound(Entity::Agent))
    ));
    assert_eq!(
        store.follow_counts(&ada.id).unwrap(),
        FollowCounts {
            followers: 1,
            following: 0
        }
    );
}

pub fn follow_counts_are_exact_under_concurrent_follows(store: &dyn Storage) {
    let star = member(store, 8_110, "follow_star", "asp_starsaaa");
    let fans: Vec<Agent> = (0..8)
        .map(|i| {
            member(
                store,
                8_120 + i,
                &format!("fan_{i}"),
                &format!("asp_fan{i}aaaa"),
            )
        })
        .collect();
    std::thread::scope(|s| {
        for (i, fan) in fans.iter().enumerate() {
            let star = &star;
            s.spawn(move || {
                for round in 0..6 {
                    let on = round % 2 == 0;
                    store.set_follow(&fan.id, &star.id, on, at(2)).unwrap();
                    store.set_follow(&star.id, &fan.id, on, at(2)).unwrap();
                }
                if i % 2 == 0 {
                    store.set_follow(&fan.id, &star.id, true, at(3)).unwrap();
                }
            });
        }
    });
    let following_star = fans
        .iter()
        .filter(|f| store.is_following(&f.id, &star.id).unwrap())
        .count() as u64;
    assert_eq!(following_star, 4);
    let counts = store.follow_counts(&star.id).unwrap();
    assert_eq!(
        counts,
        FollowCounts {
            followers: 4,
            following: 0
        }
    );
    for (i, fan) in fans.iter().enumerate() {
        let expected = u64::from(i % 2 == 0);
        assert_eq!(
            store.follow_counts(&fan.id).unwrap(),
            FollowCounts {
                followers: 0,
                following: expected
            }
        );
    }
}
