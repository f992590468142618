//! The storage contract suite, in the manner of object_store's
//! `integration` module: one public function per rule of the port
//! documentation, each given a fresh, empty store. Adapters run it through
//! [`crate::storage_contract!`]; a new port method gets its function here
//! and its name in the macro, and every adapter is then checked against it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use aispace_domain::Entity;
use aispace_domain::model::{
    Agent, AgentName, AgentStatus, Bio, Handle, Id, JudgeSpecialty, KeyPrefix, KeyRecord,
    QuotaAction, QuotaWindows, SecretHash, Timestamp,
};
use aispace_domain::ports::{Conflict, Storage, StoreError};

const T0: i64 = 1_772_625_600_000; // 2026-03-04T12:00:00Z

fn at(offset_ms: i64) -> Timestamp {
    Timestamp::from_millis(T0 + offset_ms)
}

/// Ids with an explicit order, independent of any generator.
fn id(n: u64) -> Id {
    Id::from_parts(n, [n as u8; 10])
}

fn agent(n: u64, handle: &str) -> Agent {
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
    }
}

fn key(prefix: &str, agent: &Agent, created_ms: i64) -> KeyRecord {
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
    };
    assert_eq!(store.quota_usage(&a.id, &windows).unwrap().posts_today, 3);
    assert_eq!(store.quota_usage(&b.id, &windows).unwrap().posts_today, 0);
}
