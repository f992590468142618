//! The storage contract suite, in the manner of object_store's
//! `integration` module: one public function per rule of the port
//! documentation, each given a fresh, empty store. Adapters run it through
//! [`crate::storage_contract!`]; a new port method gets its function here
//! and its name in the macro, and every adapter is then checked against it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicU64, Ordering};

use aispace_domain::Entity;
use aispace_domain::model::{
    Agent, AgentName, AgentStatus, Bio, EventType, Handle, Id, JudgeSpecialty, KeyPrefix,
    KeyRecord, PendingEvent, QuotaAction, QuotaWindows, SecretHash, Timestamp,
};
use aispace_domain::ports::{Conflict, Storage, StoreError};

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

// ---------------------------------------------------------------- posts

use aispace_domain::model::{
    BlobKey, Caption, IdempotencyKey, IdempotencyRecord, ImageType, ImageUrl, Media, MediaSource,
    Post, PostStatus, RequestFingerprint, Tags,
};
use aispace_domain::ports::{Admission, PostQuotaRule};

pub(crate) fn post(n: u64, author: &Agent, created_ms: i64, publish_ms: Option<i64>) -> Post {
    let created = at(created_ms);
    let publish_at = publish_ms.map_or(created, at);
    let scheduled = publish_at > created;
    Post {
        id: id(1_000 + n),
        author_id: author.id.clone(),
        caption: Caption::parse(Some(&format!("post {n} #tagged"))).unwrap(),
        tags: Tags::from_trusted(vec!["aiart".into(), "tagged".into()]),
        media: Media {
            id: id(2_000 + n),
            source: MediaSource::Blob {
                key: BlobKey::for_content(&n.to_be_bytes(), ImageType::Png),
                image_type: ImageType::Png,
                byte_size: 1234,
            },
            width: Some(1024),
            height: Some(768),
        },
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

pub(crate) fn rule(limit: u32) -> PostQuotaRule {
    PostQuotaRule {
        day_start: Timestamp::from_millis(T0).start_of_utc_day(),
        limit,
    }
}

pub(crate) fn with_author(store: &dyn Storage) -> Agent {
    let a = agent(1, "poster");
    store
        .insert_agent_with_key(&a, &key("asp_poster11", &a, 1))
        .unwrap();
    a
}

fn record(
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
    external.media.source = MediaSource::External {
        url: ImageUrl::parse("https://example.com/a.png").unwrap(),
    };
    external.media.width = None;
    external.media.height = None;
    external.tags = Tags::default();
    external.caption = Caption::default();

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
        day_start: rule(2).day_start,
        medal_window_start: at(-60_000),
    };
    assert_eq!(
        store.quota_usage(&author.id, &windows).unwrap().posts_today,
        2
    );
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
        day_start: rule(50).day_start,
        medal_window_start: at(-60_000),
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

use aispace_domain::model::{Comment, CommentBody, MedalCounts, MedalType};
use aispace_domain::ports::{
    CommentOutcome, FeedFilter, JudgeNote, LikeToggle, MedalVote, VoteOutcome, WindowRule,
};

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
            assert_eq!(
                store
                    .insert_post(&p, rule(1_000), None, &pending(EventType::PostCreated))
                    .unwrap(),
                Admission::Admitted
            );
            p
        })
        .collect();
    (author, reactor, other, posts)
}

pub(crate) fn vote(post: &Post, voter: &Agent, medal: MedalType, at_ms: i64) -> MedalVote {
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
    }
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

pub fn medals_are_one_per_agent_and_quota_limited(store: &dyn Storage) {
    let (author, reactor, other, posts) = social(store, 3);
    assert_eq!(
        store
            .vote(&vote(&posts[0], &author, MedalType::Gold, 1), no_limit())
            .unwrap(),
        VoteOutcome::OwnPost
    );
    assert_eq!(
        store
            .vote(&vote(&posts[0], &reactor, MedalType::Gold, 2), no_limit())
            .unwrap(),
        VoteOutcome::Counted(MedalCounts {
            gold: 1,
            silver: 0,
            bronze: 0
        })
    );
    assert_eq!(
        store
            .vote(&vote(&posts[0], &other, MedalType::Gold, 3), no_limit())
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
            .vote(&vote(&posts[0], &reactor, MedalType::Silver, 4), no_limit())
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
        .vote(&vote(&posts[1], &other, MedalType::Bronze, 200), two)
        .unwrap();
    store
        .vote(&vote(&posts[2], &other, MedalType::Bronze, 300), two)
        .unwrap();
    assert_eq!(
        store
            .vote(&vote(&posts[1], &other, MedalType::Gold, 400), two)
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
            .vote(&vote(&posts[1], &other, MedalType::Gold, 400), later)
            .unwrap(),
        VoteOutcome::Counted(_)
    ));

    let err = store
        .vote(
            &vote(&post(77, &author, 0, None), &other, MedalType::Gold, 1),
            no_limit(),
        )
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound(Entity::Post)), "{err:?}");
}

pub fn a_judge_medal_is_the_verdict(store: &dyn Storage) {
    let (_, reactor, other, posts) = social(store, 1);
    store
        .vote(&vote(&posts[0], &other, MedalType::Bronze, 1), no_limit())
        .unwrap();
    assert_eq!(
        store
            .entries(std::slice::from_ref(&posts[0].id), &other.id)
            .unwrap()[0]
            .verdict,
        None
    );
    let mut judged = vote(&posts[0], &reactor, MedalType::Gold, 2);
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
                at(-10_000),
                &pending(EventType::PostCommented)
            )
            .unwrap(),
        CommentOutcome::Added
    );
    assert_eq!(
        store
            .add_comment(
                &comment(2, p, &reactor, 5_000),
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
                at(-5_000),
                &pending(EventType::PostCommented)
            )
            .unwrap(),
        CommentOutcome::Added
    );
    assert_eq!(
        store
            .add_comment(
                &comment(4, p, &reactor, 11_000),
                at(1_000),
                &pending(EventType::PostCommented)
            )
            .unwrap(),
        CommentOutcome::Added
    );

    let all = store.comments(&p.id, None, 10).unwrap();
    let bodies: Vec<&str> = all.iter().map(|c| c.comment.body.as_str()).collect();
    assert_eq!(bodies, ["comment 1", "comment 3", "comment 4"]);
    assert_eq!(all[1].author.handle.as_str(), "other");
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
            .vote(&vote(&posts[2], &reactor, medal, t), no_limit())
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
            &vote(&posts[3], &reactor, MedalType::Silver, 10_001),
            no_limit(),
        )
        .unwrap();

    let ids = |entries: &[aispace_domain::model::FeedEntry]| {
        entries
            .iter()
            .map(|e| e.post.id.clone())
            .collect::<Vec<_>>()
    };
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
        author: None,
    };
    assert_eq!(
        ids(&store.latest(&odd, None, 10, &reactor.id).unwrap()),
        [posts[3].id.clone(), posts[1].id.clone()]
    );
    let by_reactor = FeedFilter {
        tag: None,
        author: Some(reactor.id.clone()),
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

pub fn engagement_is_counted_as_of_an_instant(store: &dyn Storage) {
    let (_, reactor, other, posts) = social(store, 2);
    let p = &posts[0];
    store
        .toggle_like(
            &p.id,
            &reactor.id,
            at(10_000),
            &pending(EventType::PostLiked),
        )
        .unwrap();
    store
        .vote(&vote(p, &other, MedalType::Gold, 11_000), no_limit())
        .unwrap();
    store
        .add_comment(
            &comment(1, p, &other, 12_000),
            at(0),
            &pending(EventType::PostCommented),
        )
        .unwrap();
    // After the snapshot instant (20 s): a like removed, a medal changed,
    // a new like and a new comment. None of it may change the snapshot.
    let snapshot = at(20_000);
    store
        .toggle_like(
            &p.id,
            &reactor.id,
            at(30_000),
            &pending(EventType::PostLiked),
        )
        .unwrap();
    store
        .vote(&vote(p, &other, MedalType::Bronze, 31_000), no_limit())
        .unwrap();
    store
        .toggle_like(&p.id, &other.id, at(32_000), &pending(EventType::PostLiked))
        .unwrap();
    store
        .add_comment(
            &comment(2, p, &reactor, 33_000),
            at(0),
            &pending(EventType::PostCommented),
        )
        .unwrap();

    let rows = store
        .engagement(&FeedFilter::default(), at(-1), snapshot)
        .unwrap();
    let (_, published, stats) = rows.iter().find(|(id, _, _)| id == &p.id).unwrap();
    assert_eq!(*published, at(0));
    assert_eq!(stats.likes, 1);
    assert_eq!(stats.comments, 1);
    assert_eq!(
        stats.medals,
        MedalCounts {
            gold: 1,
            silver: 0,
            bronze: 0
        }
    );
    // Posts published after the snapshot, or at/before `since`, are out.
    let rows = store
        .engagement(&FeedFilter::default(), at(0), at(500))
        .unwrap();
    assert!(rows.is_empty(), "{rows:?}");
}

pub fn counters_stay_exact_under_concurrent_toggles(store: &dyn Storage) {
    let (_, _, _, posts) = social(store, 1);
    let p = &posts[0];
    let agents: Vec<Agent> = (10..18u64)
        .map(|n| {
            let a = agent(n, &format!("liker{n}"));
            store
                .insert_agent_with_key(&a, &key(&format!("asp_liker{n:03}"), &a, 1))
                .unwrap();
            a
        })
        .collect();
    std::thread::scope(|s| {
        for (i, a) in agents.iter().enumerate() {
            s.spawn(move || {
                for round in 0..(5 + i) {
                    store
                        .toggle_like(
                            &p.id,
                            &a.id,
                            at(round as i64),
                            &pending(EventType::PostLiked),
                        )
                        .unwrap();
                    let medal = [MedalType::Gold, MedalType::Silver, MedalType::Bronze][round % 3];
                    store
                        .vote(&vote(p, a, medal, round as i64), no_limit())
                        .unwrap();
                }
            });
        }
    });
    // Agent i toggled 5 + i times: it likes the post iff that is odd.
    let expected_likes = (0..agents.len()).filter(|i| (5 + i) % 2 == 1).count() as u64;
    let entry = &store
        .entries(std::slice::from_ref(&p.id), &agents[0].id)
        .unwrap()[0];
    assert_eq!(entry.stats.likes, expected_likes);
    let m = entry.stats.medals;
    assert_eq!(
        m.gold + m.silver + m.bronze,
        agents.len() as u64,
        "one medal per agent"
    );
    let asof = store
        .engagement(&FeedFilter::default(), at(-100_000), at(1_000_000))
        .unwrap();
    let (_, _, stats) = asof.iter().find(|(id, _, _)| id == &p.id).unwrap();
    assert_eq!(
        (stats.likes, stats.medals),
        (entry.stats.likes, entry.stats.medals),
        "counters match the rows"
    );
}
