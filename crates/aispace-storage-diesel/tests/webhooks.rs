//! Webhooks in this adapter: events and deliveries written with the action
//! that causes them, claims that hand a delivery to one worker only (two
//! connections racing), attempts and what follows them, and the per-agent
//! limit under concurrency. On SQLite always, on PostgreSQL when
//! `AISPACE_TEST_DATABASE_URL` is set.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

use std::sync::Barrier;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use aispace_domain::model::{
    Agent, AttemptOutcome, AttemptRecord, DeliveryStatus, EventFilter, EventType, Id,
    MAX_COMMENT_DEPTH, PendingEvent, Post, PostStatus, Tags, Webhook, WebhookSecret, WebhookUrl,
};
use aispace_domain::ports::{PostQuotaRule, Storage};

use common::{agent, at, id};

fn event_id() -> Id {
    static NEXT: AtomicU64 = AtomicU64::new(1 << 40);
    Id::from_parts(NEXT.fetch_add(1, Ordering::SeqCst), [0xee; 10])
}

fn pending(kind: EventType) -> PendingEvent {
    PendingEvent {
        id: event_id(),
        kind,
        data: r#"{"test":true}"#.into(),
    }
}

/// A post published at once.
fn post(store: &dyn Storage, n: u64, author: &Agent) -> Post {
    let p = Post {
        id: id(1_000_000 + n),
        author_id: author.id.clone(),
        content: common::image(n),
        tags: Tags::from_trusted(Vec::new()),
        status: PostStatus::Published,
        created_at: at(n as i64),
        publish_at: at(n as i64),
        published_at: Some(at(n as i64)),
    };
    let quota = PostQuotaRule::posts_since(at(-1_000_000), 1_000_000);
    store
        .insert_post(&p, quota, None, &pending(EventType::PostCreated))
        .unwrap();
    p
}

fn webhook(store: &dyn Storage, n: u64, owner: &Agent, events: &[&str], active: bool) -> Webhook {
    let w = Webhook {
        id: id(3_000_000 + n),
        agent_id: owner.id.clone(),
        url: WebhookUrl::parse(&format!("https://example.com/hook/{n}"), false).unwrap(),
        events: EventFilter::parse(events).unwrap(),
        secret: WebhookSecret::from_random([n as u8; 24]),
        previous_secret: None,
        active,
        disabled_reason: None,
        created_at: at(n as i64),
    };
    assert!(store.insert_webhook(&w, 5).unwrap());
    w
}

fn attempt(ms: i64, status: Option<u16>) -> AttemptRecord {
    AttemptRecord {
        at: at(ms),
        status_code: status,
        latency: Duration::from_millis(12),
        error: status.is_none().then(|| "connection refused".to_owned()),
    }
}

fn a_like_records_its_event_and_deliveries_in_its_transaction(store: &dyn Storage) {
    let author = agent(store, 1);
    let reactor = agent(store, 2);
    let all = webhook(store, 1, &author, &[], true);
    let comments_only = webhook(store, 2, &author, &["post.commented"], true);
    let off = webhook(store, 3, &author, &[], false);
    let p = post(store, 1, &author);

    let events = store.events(&author.id, None, 10).unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind, EventType::PostCreated);

    let liked = pending(EventType::PostLiked);
    assert!(
        store
            .toggle_like(&p.id, &reactor.id, at(10), &liked)
            .unwrap()
            .liked
    );
    let events = store.events(&author.id, None, 10).unwrap();
    assert_eq!(events.len(), 2);
    let event = &events[1];
    assert_eq!(
        (&event.id, event.kind, &event.agent_id, event.created_at),
        (&liked.id, EventType::PostLiked, &author.id, at(10))
    );
    assert_eq!(event.data, liked.data);
    assert!(store.events(&reactor.id, None, 10).unwrap().is_empty());

    let views = store.deliveries(&author.id, &all.id, 10).unwrap().unwrap();
    assert_eq!(
        views
            .iter()
            .map(|v| (v.event_type, v.status, v.attempts, v.next_attempt_at))
            .collect::<Vec<_>>(),
        vec![
            ("post.liked", DeliveryStatus::Pending, 0, Some(at(10))),
            ("post.created", DeliveryStatus::Pending, 0, Some(at(1))),
        ],
        "newest first, due at once"
    );
    assert_eq!(views[0].event_id, liked.id);
    for quiet in [&comments_only, &off] {
        assert!(
            store
                .deliveries(&author.id, &quiet.id, 10)
                .unwrap()
                .unwrap()
                .is_empty()
        );
    }
    assert_eq!(store.deliveries(&reactor.id, &all.id, 10).unwrap(), None);

    // Own likes, and liking again after unliking, notify nobody.
    store
        .toggle_like(&p.id, &author.id, at(11), &pending(EventType::PostLiked))
        .unwrap();
    store
        .toggle_like(&p.id, &reactor.id, at(12), &pending(EventType::PostLiked))
        .unwrap();
    let again = store
        .toggle_like(&p.id, &reactor.id, at(13), &pending(EventType::PostLiked))
        .unwrap();
    assert!(again.liked && !again.first_time);
    assert_eq!(store.events(&author.id, None, 10).unwrap().len(), 2);
    assert_eq!(
        store
            .deliveries(&author.id, &all.id, 10)
            .unwrap()
            .unwrap()
            .len(),
        2
    );
}

fn a_refused_action_records_nothing(store: &dyn Storage) {
    let author = agent(store, 1);
    let reactor = agent(store, 2);
    let hook = webhook(store, 1, &author, &[], true);
    let p = post(store, 1, &author);
    let comment = |n: u64, ms: i64| aispace_domain::model::Comment {
        id: id(4_000_000 + n),
        post_id: p.id.clone(),
        author_id: reactor.id.clone(),
        body: aispace_domain::model::CommentBody::parse("nice").unwrap(),
        created_at: at(ms),
        parent_id: None,
        depth: 0,
    };
    let first = pending(EventType::PostCommented);
    store
        .add_comment(&comment(1, 100), MAX_COMMENT_DEPTH, at(0), &first)
        .unwrap();
    // Cooling down: refused, rolled back, event and all.
    let second = pending(EventType::PostCommented);
    let outcome = store
        .add_comment(&comment(2, 101), MAX_COMMENT_DEPTH, at(50), &second)
        .unwrap();
    assert!(matches!(
        outcome,
        aispace_domain::ports::CommentOutcome::CoolingDown { .. }
    ));
    let kinds: Vec<Id> = store
        .events(&author.id, None, 10)
        .unwrap()
        .into_iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(kinds.len(), 2);
    assert_eq!(kinds[1], first.id);
    assert_eq!(
        store
            .deliveries(&author.id, &hook.id, 10)
            .unwrap()
            .unwrap()
            .len(),
        2
    );
}

fn one_of_two_racing_claimers_gets_a_delivery(store: &dyn Storage) {
    let author = agent(store, 1);
    let hook = webhook(store, 1, &author, &[], true);
    let rounds = 12u64;
    for n in 0..rounds {
        post(store, n + 1, &author);
        let won = AtomicUsize::new(0);
        let barrier = Barrier::new(2);
        std::thread::scope(|s| {
            for _ in 0..2 {
                s.spawn(|| {
                    barrier.wait();
                    let claimed = store.claim_deliveries(at(100), at(60_100), 1, &[]).unwrap();
                    assert!(claimed.len() <= 1);
                    if let Some(due) = claimed.first() {
                        assert_eq!(due.webhook.id, hook.id);
                        assert_eq!(due.attempts, 0);
                        won.fetch_add(1, Ordering::SeqCst);
                    }
                });
            }
        });
        assert_eq!(won.load(Ordering::SeqCst), 1, "round {n}");
    }
    // Every delivery is leased now; none is handed out again before its
    // lease runs out, each one is after (a worker that died).
    assert!(
        store
            .claim_deliveries(at(60_000), at(120_000), 100, &[])
            .unwrap()
            .is_empty()
    );
    let again = store
        .claim_deliveries(at(60_100), at(120_100), 100, &[])
        .unwrap();
    assert_eq!(again.len() as u64, rounds);
    // Oldest due first.
    for w in again.windows(2) {
        assert!(w[0].event.created_at <= w[1].event.created_at);
    }
}

fn busy_webhooks_are_skipped(store: &dyn Storage) {
    let author = agent(store, 1);
    let first = webhook(store, 1, &author, &[], true);
    let second = webhook(store, 2, &author, &[], true);
    post(store, 1, &author);
    let claimed = store
        .claim_deliveries(at(100), at(200), 10, std::slice::from_ref(&first.id))
        .unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].webhook.id, second.id);
    let claimed = store.claim_deliveries(at(100), at(200), 10, &[]).unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].webhook.id, first.id);
    assert_eq!(claimed[0].event.kind, EventType::PostCreated);
}

fn attempts_retry_then_disable_the_webhook(store: &dyn Storage) {
    let author = agent(store, 1);
    let reactor = agent(store, 2);
    let hook = webhook(store, 1, &author, &["post.liked"], true);
    let p = post(store, 1, &author);
    store
        .toggle_like(&p.id, &reactor.id, at(10), &pending(EventType::PostLiked))
        .unwrap();

    let due = store.claim_deliveries(at(10), at(70), 5, &[]).unwrap();
    assert_eq!(due.len(), 1);
    let delivery = due[0].id;
    store
        .finish_attempt(
            delivery,
            &attempt(10, Some(503)),
            &AttemptOutcome::RetryAt(at(5_010)),
        )
        .unwrap();
    let view = &store.deliveries(&author.id, &hook.id, 10).unwrap().unwrap()[0];
    assert_eq!(view.status, DeliveryStatus::Pending);
    assert_eq!(view.attempts, 1);
    assert_eq!(view.next_attempt_at, Some(at(5_010)));
    assert_eq!(view.last_attempt, Some(attempt(10, Some(503))));

    assert!(
        store
            .claim_deliveries(at(5_009), at(6_000), 5, &[])
            .unwrap()
            .is_empty(),
        "not due before its retry time, though its lease was cleared"
    );
    let due = store
        .claim_deliveries(at(5_010), at(6_000), 5, &[])
        .unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].attempts, 1);
    store
        .finish_attempt(
            delivery,
            &attempt(5_010, None),
            &AttemptOutcome::Failed {
                disable: Some("the receiver answered 410 Gone".into()),
            },
        )
        .unwrap();
    let view = &store.deliveries(&author.id, &hook.id, 10).unwrap().unwrap()[0];
    assert_eq!(view.status, DeliveryStatus::Failed);
    assert_eq!(view.attempts, 2);
    assert_eq!(view.next_attempt_at, None);
    assert_eq!(view.last_attempt, Some(attempt(5_010, None)));
    let hooks = store.webhooks(&author.id).unwrap();
    assert!(!hooks[0].active);
    assert_eq!(
        hooks[0].disabled_reason.as_deref(),
        Some("the receiver answered 410 Gone")
    );
    assert!(
        store
            .claim_deliveries(at(100_000), at(200_000), 5, &[])
            .unwrap()
            .is_empty()
    );

    // A disabled webhook receives no new events.
    let other = post(store, 2, &author);
    store
        .toggle_like(
            &other.id,
            &reactor.id,
            at(20),
            &pending(EventType::PostLiked),
        )
        .unwrap();
    assert_eq!(
        store
            .deliveries(&author.id, &hook.id, 10)
            .unwrap()
            .unwrap()
            .len(),
        1
    );
    // A finished delivery is not changed by a late finish.
    store
        .finish_attempt(
            delivery,
            &attempt(9_000, Some(200)),
            &AttemptOutcome::Delivered,
        )
        .unwrap();
    let view = &store.deliveries(&author.id, &hook.id, 10).unwrap().unwrap()[0];
    assert_eq!(view.status, DeliveryStatus::Failed);
}

fn pings_redeliveries_rotation_and_deletion(store: &dyn Storage) {
    let author = agent(store, 1);
    let stranger = agent(store, 2);
    let hook = webhook(store, 1, &author, &["post.medaled"], true);
    let ping = PendingEvent::ping(event_id(), &hook.id);
    assert!(
        !store
            .enqueue_ping(&stranger.id, &hook.id, &ping, at(5))
            .unwrap()
    );
    assert!(
        store
            .enqueue_ping(&author.id, &hook.id, &ping, at(5))
            .unwrap()
    );
    assert!(
        store.events(&author.id, None, 10).unwrap().is_empty(),
        "pings are not listed"
    );
    let due = store.claim_deliveries(at(5), at(65), 5, &[]).unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].event.kind, EventType::Ping);
    store
        .finish_attempt(
            due[0].id,
            &attempt(5, Some(204)),
            &AttemptOutcome::Delivered,
        )
        .unwrap();
    assert_eq!(
        store
            .redeliver(&stranger.id, &hook.id, due[0].id, at(7))
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .redeliver(&author.id, &hook.id, due[0].id + 1_000, at(7))
            .unwrap(),
        None
    );
    let again = store
        .redeliver(&author.id, &hook.id, due[0].id, at(7))
        .unwrap()
        .unwrap();
    let views = store.deliveries(&author.id, &hook.id, 10).unwrap().unwrap();
    assert_eq!(views.len(), 2);
    assert_eq!(views[0].delivery_id, again);
    assert_eq!(views[0].event_id, ping.id);
    assert_eq!(views[0].status, DeliveryStatus::Pending);
    assert_eq!(views[1].status, DeliveryStatus::Delivered);

    let new_secret = WebhookSecret::from_random([99; 24]);
    assert_eq!(
        store
            .rotate_secret(&stranger.id, &hook.id, &new_secret, at(100))
            .unwrap(),
        None
    );
    let rotated = store
        .rotate_secret(&author.id, &hook.id, &new_secret, at(100))
        .unwrap()
        .unwrap();
    assert_eq!(rotated.secret, new_secret);
    assert_eq!(
        rotated.previous_secret,
        Some((hook.secret.clone(), at(100)))
    );
    assert_eq!(store.webhooks(&author.id).unwrap(), vec![rotated]);

    // Deleting cancels what is pending: claimed (in flight) or not.
    let in_flight = store.claim_deliveries(at(7), at(67), 5, &[]).unwrap();
    assert_eq!(in_flight.len(), 1);
    assert!(!store.delete_webhook(&stranger.id, &hook.id).unwrap());
    assert!(store.delete_webhook(&author.id, &hook.id).unwrap());
    assert!(!store.delete_webhook(&author.id, &hook.id).unwrap());
    store
        .finish_attempt(
            in_flight[0].id,
            &attempt(8, Some(200)),
            &AttemptOutcome::Delivered,
        )
        .unwrap();
    assert_eq!(store.deliveries(&author.id, &hook.id, 10).unwrap(), None);
    assert!(store.webhooks(&author.id).unwrap().is_empty());
    assert!(
        store
            .claim_deliveries(at(1_000_000), at(2_000_000), 5, &[])
            .unwrap()
            .is_empty()
    );
}

fn the_webhook_limit_holds_under_concurrency(store: &dyn Storage) {
    let owner = agent(store, 1);
    let added = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for t in 0..4u64 {
            let (owner, added) = (&owner, &added);
            s.spawn(move || {
                for i in 0..3u64 {
                    let n = t * 10 + i;
                    let w = Webhook {
                        id: id(3_000_000 + n),
                        agent_id: owner.id.clone(),
                        url: WebhookUrl::from_trusted(format!("https://example.com/{n}")),
                        events: EventFilter::default(),
                        secret: WebhookSecret::from_random([1; 24]),
                        previous_secret: None,
                        active: true,
                        disabled_reason: None,
                        created_at: at(n as i64),
                    };
                    if store.insert_webhook(&w, 5).unwrap() {
                        added.fetch_add(1, Ordering::SeqCst);
                    }
                }
            });
        }
    });
    assert_eq!(added.load(Ordering::SeqCst), 5);
    let hooks = store.webhooks(&owner.id).unwrap();
    assert_eq!(hooks.len(), 5);
    for w in hooks.windows(2) {
        assert!((w[0].created_at, &w[0].id) < (w[1].created_at, &w[1].id));
    }
}

fn events_page_by_cursor(store: &dyn Storage) {
    let author = agent(store, 1);
    let reactor = agent(store, 2);
    // Three likes at one instant: the cursor must break ties by id.
    let posts: Vec<Post> = (1..=3).map(|n| post(store, n, &author)).collect();
    for p in &posts {
        store
            .toggle_like(&p.id, &reactor.id, at(50), &pending(EventType::PostLiked))
            .unwrap();
    }
    let all = store.events(&author.id, None, 100).unwrap();
    assert_eq!(all.len(), 6);
    let mut paged = Vec::new();
    let mut after = None;
    loop {
        let page = store.events(&author.id, after.clone(), 2).unwrap();
        let Some(last) = page.last() else { break };
        after = Some((last.created_at, last.id.clone()));
        paged.extend(page);
    }
    assert_eq!(paged, all);
}

macro_rules! tests {
    ($make:expr) => {
        tests!(@each $make;
            a_like_records_its_event_and_deliveries_in_its_transaction,
            a_refused_action_records_nothing,
            one_of_two_racing_claimers_gets_a_delivery,
            busy_webhooks_are_skipped,
            attempts_retry_then_disable_the_webhook,
            pings_redeliveries_rotation_and_deletion,
            the_webhook_limit_holds_under_concurrency,
            events_page_by_cursor,
        );
    };
    (@each $make:expr; $($name:ident,)*) => {
        $(
            #[test]
            fn $name() {
                if let Some(f) = $make {
                    super::$name(&f.0);
                }
            }
        )*
    };
}

mod common;

mod sqlite {
    tests!(super::common::fresh_sqlite());
}

mod postgres {
    tests!(super::common::fresh_postgres(4));
}
