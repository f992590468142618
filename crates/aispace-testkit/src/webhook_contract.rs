//! The contract of `WebhookStore`, and of the events the action methods of
//! the other stores record: one public function per rule, each given a
//! fresh, empty store, run by [`crate::storage_contract!`] like
//! [`crate::contract`].

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Mutex;
use std::time::Duration;

use aispace_domain::model::{
    Agent, AttemptOutcome, AttemptRecord, Comment, CommentBody, DeliveryStatus, DueDelivery, Event,
    EventFilter, EventType, Id, MAX_COMMENT_DEPTH, MedalType, PendingEvent, Post, Timestamp,
    Webhook, WebhookSecret, WebhookUrl,
};
use aispace_domain::ports::{
    Admission, CommentOutcome, MedalVote, Storage, VoteOutcome, WindowRule,
};

use crate::contract::{agent, at, id, key, no_limit, post, rule, social, with_author};

/// Leases long enough never to run out by accident within a test.
const LEASE_MS: i64 = 60_000;

fn webhook(n: u64, owner: &Agent, created_ms: i64, events: &[&str]) -> Webhook {
    Webhook {
        id: id(3_000 + n),
        agent_id: owner.id.clone(),
        url: WebhookUrl::parse(&format!("https://hooks.example/{n}"), false).unwrap(),
        events: EventFilter::parse(events).unwrap(),
        secret: WebhookSecret::from_random([n as u8; 24]),
        previous_secret: None,
        active: true,
        disabled_reason: None,
        created_at: at(created_ms),
    }
}

/// Registers webhook `n` of `owner` (all events unless `events` says).
fn hook(store: &dyn Storage, n: u64, owner: &Agent, events: &[&str]) -> Webhook {
    let w = webhook(n, owner, n as i64, events);
    assert!(store.insert_webhook(&w, 5).unwrap());
    w
}

/// An event with a chosen id, so tests can order and find it.
fn event(n: u64, kind: EventType) -> PendingEvent {
    PendingEvent {
        id: id(7_000 + n),
        kind,
        data: format!(r#"{{"n":{n}}}"#),
    }
}

fn like(store: &dyn Storage, p: &Post, by: &Agent, ms: i64, e: &PendingEvent) {
    store.toggle_like(&p.id, &by.id, at(ms), e).unwrap();
}

fn medal(p: &Post, by: &Agent, ms: i64, e: &PendingEvent) -> MedalVote {
    MedalVote {
        post_id: p.id.clone(),
        voter_id: by.id.clone(),
        medal: MedalType::Gold,
        judge: None,
        at: at(ms),
        medaled: e.clone(),
    }
}

fn comment_on(n: u64, p: &Post, by: &Agent, ms: i64) -> Comment {
    Comment {
        id: id(6_000 + n),
        post_id: p.id.clone(),
        author_id: by.id.clone(),
        body: CommentBody::parse(&format!("nice {n}")).unwrap(),
        created_at: at(ms),
        parent_id: None,
        depth: 0,
    }
}

fn all_events(store: &dyn Storage, of: &Agent) -> Vec<Event> {
    store.events(&of.id, None, 1_000).unwrap()
}

fn claim(store: &dyn Storage, now_ms: i64, limit: usize, busy: &[Id]) -> Vec<DueDelivery> {
    store
        .claim_deliveries(at(now_ms), at(now_ms + LEASE_MS), limit, busy)
        .unwrap()
}

fn attempt(ms: i64, status: Option<u16>) -> AttemptRecord {
    AttemptRecord {
        at: at(ms),
        status_code: status,
        latency: Duration::from_millis(12),
        error: status
            .filter(|s| !(200..300).contains(s))
            .map(|s| format!("HTTP {s}")),
    }
}

/// (event id, webhook id) of claimed deliveries, in claim order.
fn targets(claimed: &[DueDelivery]) -> Vec<(Id, Id)> {
    claimed
        .iter()
        .map(|d| (d.event.id.clone(), d.webhook.id.clone()))
        .collect()
}

pub fn webhooks_are_at_most_max_per_agent_and_listed_oldest_first(store: &dyn Storage) {
    let owner = with_author(store);
    let other = agent(2, "other");
    store
        .insert_agent_with_key(&other, &key("asp_other111", &other, 1))
        .unwrap();
    // Inserted newest first: the listing still starts with the oldest.
    let mut made: Vec<Webhook> = (1..=5u64)
        .rev()
        .map(|n| {
            let w = webhook(n, &owner, n as i64 * 10, &["post.liked", "post.created"]);
            assert!(store.insert_webhook(&w, 5).unwrap());
            w
        })
        .collect();
    made.reverse();
    assert_eq!(store.webhooks(&owner.id).unwrap(), made);

    let sixth = webhook(6, &owner, 100, &[]);
    assert!(!store.insert_webhook(&sixth, 5).unwrap());
    assert_eq!(
        store.webhooks(&owner.id).unwrap(),
        made,
        "a refused webhook leaves no row"
    );
    // Per agent: the other agent still has room.
    let theirs = webhook(7, &other, 5, &[]);
    assert!(store.insert_webhook(&theirs, 5).unwrap());
    assert_eq!(store.webhooks(&other.id).unwrap(), [theirs]);
}

pub fn deleting_a_webhook_is_per_agent_and_cancels_its_pending_deliveries(store: &dyn Storage) {
    let (author, reactor, _, posts) = social(store, 1);
    let w1 = hook(store, 1, &author, &[]);
    let w2 = hook(store, 2, &author, &[]);
    let liked = event(1, EventType::PostLiked);
    like(store, &posts[0], &reactor, 10, &liked);

    // Only the owner can delete it.
    assert!(!store.delete_webhook(&reactor.id, &w1.id).unwrap());
    assert_eq!(store.webhooks(&author.id).unwrap().len(), 2);

    assert!(store.delete_webhook(&author.id, &w1.id).unwrap());
    assert_eq!(store.webhooks(&author.id).unwrap(), vec![w2.clone()]);
    assert!(!store.delete_webhook(&author.id, &w1.id).unwrap());
    assert_eq!(store.deliveries(&author.id, &w1.id, 10).unwrap(), None);
    assert_eq!(
        targets(&claim(store, 100, 10, &[])),
        [(liked.id.clone(), w2.id.clone())],
        "the deleted webhook's delivery is cancelled, the other one stays"
    );
}

pub fn actions_record_events_for_the_post_author_only_when_their_rule_holds(store: &dyn Storage) {
    let author = with_author(store);
    let reactor = agent(2, "reactor");
    let other = agent(3, "other");
    for (a, k) in [(&reactor, "asp_reactor1"), (&other, "asp_other111")] {
        store.insert_agent_with_key(a, &key(k, a, 1)).unwrap();
    }
    let mut expected = Vec::new();
    let mut expect =
        |e: &PendingEvent, ms: i64| expected.push(e.clone().into_event(author.id.clone(), at(ms)));

    // Published at once: post.created at its creation.
    let p = post(1, &author, 0, None);
    let created = event(1, EventType::PostCreated);
    assert_eq!(
        store.insert_post(&p, rule(50), None, &created).unwrap(),
        Admission::Admitted
    );
    expect(&created, 0);
    // Scheduled: nothing yet; refused by the quota: nothing at all.
    let scheduled = post(2, &author, 1, Some(60_000));
    store
        .insert_post(
            &scheduled,
            rule(50),
            None,
            &event(2, EventType::PostCreated),
        )
        .unwrap();
    assert_eq!(
        store
            .insert_post(
                &post(3, &author, 2, None),
                rule(2),
                None,
                &event(3, EventType::PostCreated)
            )
            .unwrap(),
        Admission::QuotaExceeded
    );

    // Likes: the first by another agent only.
    let first_like = event(10, EventType::PostLiked);
    like(store, &p, &reactor, 10, &first_like);
    expect(&first_like, 10);
    like(store, &p, &author, 11, &event(11, EventType::PostLiked));
    like(store, &p, &reactor, 12, &event(12, EventType::PostLiked)); // unlike
    like(store, &p, &reactor, 13, &event(13, EventType::PostLiked)); // like again
    let other_like = event(14, EventType::PostLiked);
    like(store, &p, &other, 14, &other_like);
    expect(&other_like, 14);

    // Medals: every vote that counts, none on one's own post or over quota.
    assert_eq!(
        store
            .vote(
                &medal(&p, &author, 20, &event(20, EventType::PostMedaled)),
                no_limit()
            )
            .unwrap(),
        VoteOutcome::OwnPost
    );
    let vote = event(21, EventType::PostMedaled);
    store
        .vote(&medal(&p, &reactor, 21, &vote), no_limit())
        .unwrap();
    expect(&vote, 21);
    let revote = event(22, EventType::PostMedaled);
    store
        .vote(&medal(&p, &reactor, 22, &revote), no_limit())
        .unwrap();
    expect(&revote, 22);
    let spent = WindowRule {
        window_start: at(0),
        limit: 0,
    };
    assert!(matches!(
        store
            .vote(
                &medal(&p, &other, 23, &event(23, EventType::PostMedaled)),
                spent
            )
            .unwrap(),
        VoteOutcome::QuotaExceeded { .. }
    ));

    // Comments: by others only, and not when cooling down.
    store
        .add_comment(
            &comment_on(1, &p, &author, 30),
            MAX_COMMENT_DEPTH,
            at(-10_000),
            &event(30, EventType::PostCommented),
        )
        .unwrap();
    let commented = event(31, EventType::PostCommented);
    store
        .add_comment(
            &comment_on(2, &p, &reactor, 31),
            MAX_COMMENT_DEPTH,
            at(-10_000),
            &commented,
        )
        .unwrap();
    expect(&commented, 31);
    assert!(matches!(
        store
            .add_comment(
                &comment_on(3, &p, &reactor, 32),
                MAX_COMMENT_DEPTH,
                at(0),
                &event(32, EventType::PostCommented)
            )
            .unwrap(),
        CommentOutcome::CoolingDown { .. }
    ));

    // Publishing a scheduled post: post.created when it is published, with
    // the maker given the post and its publish time.
    let asked = Mutex::new(Vec::new());
    let published = event(40, EventType::PostCreated);
    let make = |post_id: &Id, published_at: Timestamp| {
        asked.lock().unwrap().push((post_id.clone(), published_at));
        published.clone()
    };
    assert_eq!(
        store.publish_due(at(70_000), 10, &make).unwrap(),
        vec![scheduled.id.clone()]
    );
    assert_eq!(
        asked.into_inner().unwrap(),
        [(scheduled.id.clone(), at(60_000))]
    );
    expect(&published, 70_000);

    assert_eq!(all_events(store, &author), expected);
    assert!(all_events(store, &reactor).is_empty());
    assert!(all_events(store, &other).is_empty());
}

pub fn events_fan_out_to_the_recipients_active_webhooks_that_want_them(store: &dyn Storage) {
    let (author, reactor, other, posts) = social(store, 1);
    let p = &posts[0];
    let all = hook(store, 1, &author, &[]);
    let likes = hook(store, 2, &author, &["post.liked"]);
    let comments = hook(store, 3, &author, &["post.commented"]);
    let mut off = webhook(4, &author, 4, &[]);
    off.active = false;
    off.disabled_reason = Some("the receiver answered 410 Gone".into());
    assert!(store.insert_webhook(&off, 5).unwrap());
    let reactors = hook(store, 5, &reactor, &[]);

    let liked = event(1, EventType::PostLiked);
    like(store, p, &reactor, 100, &liked);
    let commented = event(2, EventType::PostCommented);
    store
        .add_comment(
            &comment_on(1, p, &other, 200),
            MAX_COMMENT_DEPTH,
            at(0),
            &commented,
        )
        .unwrap();

    let listed = |w: &Webhook| {
        store
            .deliveries(&w.agent_id, &w.id, 10)
            .unwrap()
            .unwrap()
            .into_iter()
            .map(|d| (d.event_id, d.event_type))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        listed(&all),
        [
            (commented.id.clone(), "post.commented"),
            (liked.id.clone(), "post.liked")
        ]
    );
    assert_eq!(listed(&likes), [(liked.id.clone(), "post.liked")]);
    assert_eq!(
        listed(&comments),
        [(commented.id.clone(), "post.commented")]
    );
    assert!(listed(&off).is_empty(), "inactive webhooks get nothing");
    assert!(
        listed(&reactors).is_empty(),
        "nor do other agents' webhooks"
    );

    let fresh = store
        .deliveries(&author.id, &likes.id, 10)
        .unwrap()
        .unwrap();
    assert_eq!(fresh[0].status, DeliveryStatus::Pending);
    assert_eq!(fresh[0].attempts, 0);
    assert_eq!(fresh[0].next_attempt_at, Some(at(100)), "due at once");
    assert_eq!(fresh[0].last_attempt, None);

    // What a worker gets: the stored event and the webhook.
    let claimed = claim(store, 1_000, 10, &[]);
    assert_eq!(claimed.len(), 4);
    let d = claimed.iter().find(|d| d.webhook.id == likes.id).unwrap();
    assert_eq!(
        d.event,
        liked.clone().into_event(author.id.clone(), at(100))
    );
    assert_eq!(d.webhook, likes);
    assert_eq!(d.attempts, 0);
}

pub fn claims_lease_deliveries_in_due_order_and_skip_busy_webhooks(store: &dyn Storage) {
    let (author, reactor, other, posts) = social(store, 1);
    let p = &posts[0];
    let w1 = hook(store, 1, &author, &[]);
    let w2 = hook(store, 2, &author, &[]);
    let liked = event(1, EventType::PostLiked);
    like(store, p, &reactor, 100, &liked);
    let commented = event(2, EventType::PostCommented);
    store
        .add_comment(
            &comment_on(1, p, &other, 200),
            MAX_COMMENT_DEPTH,
            at(0),
            &commented,
        )
        .unwrap();

    assert!(claim(store, 99, 10, &[]).is_empty(), "nothing is due yet");
    assert_eq!(
        targets(&claim(store, 150, 10, std::slice::from_ref(&w1.id))),
        [(liked.id.clone(), w2.id.clone())],
        "only what is due, and not to busy webhooks"
    );
    assert_eq!(
        targets(&claim(store, 1_000, 10, std::slice::from_ref(&w1.id))),
        [(commented.id.clone(), w2.id.clone())],
        "a leased delivery is not claimed again"
    );
    assert_eq!(
        targets(&claim(store, 1_000, 10, &[])),
        [
            (liked.id.clone(), w1.id.clone()),
            (commented.id.clone(), w1.id.clone())
        ],
        "oldest due first"
    );
    assert!(claim(store, 150 + LEASE_MS - 1, 10, &[]).is_empty());

    // The lease of the first claim (at 150) runs out first: its worker
    // died, and the delivery goes out again.
    let again = claim(store, 150 + LEASE_MS + 1, 1, &[]);
    assert_eq!(targets(&again), [(liked.id.clone(), w2.id.clone())]);
    assert_eq!(again[0].attempts, 0);
}

pub fn concurrent_claims_hand_out_each_delivery_once(store: &dyn Storage) {
    let owner = with_author(store);
    let w = hook(store, 1, &owner, &[]);
    for n in 0..30u64 {
        assert!(
            store
                .enqueue_ping(&owner.id, &w.id, &event(n, EventType::Ping), at(n as i64))
                .unwrap()
        );
    }
    // Bounded, so a store that hands deliveries out again fails the rule
    // instead of looping forever.
    let claimed = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                for _ in 0..30 {
                    let batch = claim(store, 1_000, 3, &[]);
                    if batch.is_empty() {
                        break;
                    }
                    claimed
                        .lock()
                        .unwrap()
                        .extend(batch.into_iter().map(|d| d.id));
                }
            });
        }
    });
    let mut ids = claimed.into_inner().unwrap();
    assert_eq!(ids.len(), 30);
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 30, "a delivery was claimed twice");
}

pub fn finishing_an_attempt_delivers_reschedules_or_gives_up(store: &dyn Storage) {
    let (author, reactor, other, posts) = social(store, 1);
    let p = &posts[0];
    let w1 = hook(store, 1, &author, &[]);
    let w2 = hook(store, 2, &author, &[]);
    let w3 = hook(store, 3, &author, &[]);
    like(store, p, &reactor, 100, &event(1, EventType::PostLiked));
    let claimed = claim(store, 100, 10, &[]);
    let delivery_to = |w: &Webhook| claimed.iter().find(|d| d.webhook.id == w.id).unwrap().id;
    let view = |w: &Webhook| store.deliveries(&author.id, &w.id, 10).unwrap().unwrap()[0].clone();

    // A failure with a retry time: pending again, due then.
    let failed = attempt(100, Some(500));
    store
        .finish_attempt(
            delivery_to(&w1),
            &failed,
            &AttemptOutcome::RetryAt(at(5_100)),
        )
        .unwrap();
    let v = view(&w1);
    assert_eq!(
        (v.status, v.attempts, v.next_attempt_at, v.last_attempt),
        (DeliveryStatus::Pending, 1, Some(at(5_100)), Some(failed))
    );
    assert!(
        !claim(store, 5_099, 10, &[])
            .iter()
            .any(|d| d.webhook.id == w1.id),
        "not before its time"
    );
    let retry = claim(store, 5_100, 10, &[]);
    assert_eq!(retry.len(), 1);
    assert_eq!(retry[0].webhook.id, w1.id);
    assert_eq!(retry[0].attempts, 1);
    let ok = attempt(5_100, Some(204));
    store
        .finish_attempt(retry[0].id, &ok, &AttemptOutcome::Delivered)
        .unwrap();
    let v = view(&w1);
    assert_eq!(
        (v.status, v.attempts, v.next_attempt_at, v.last_attempt),
        (DeliveryStatus::Delivered, 2, None, Some(ok))
    );

    // Given up and disabled: the webhook is off, with the reason.
    store
        .finish_attempt(
            delivery_to(&w2),
            &attempt(100, Some(410)),
            &AttemptOutcome::Failed {
                disable: Some("the receiver answered 410 Gone".into()),
            },
        )
        .unwrap();
    assert_eq!(view(&w2).status, DeliveryStatus::Failed);
    assert_eq!(view(&w2).next_attempt_at, None);
    // Given up without disabling: the webhook stays on.
    store
        .finish_attempt(
            delivery_to(&w3),
            &attempt(100, None),
            &AttemptOutcome::Failed { disable: None },
        )
        .unwrap();
    assert_eq!(view(&w3).status, DeliveryStatus::Failed);
    let hooks = store.webhooks(&author.id).unwrap();
    let state = |w: &Webhook| {
        let h = hooks.iter().find(|h| h.id == w.id).unwrap();
        (h.active, h.disabled_reason.clone())
    };
    assert_eq!(state(&w1), (true, None));
    assert_eq!(
        state(&w2),
        (false, Some("the receiver answered 410 Gone".into()))
    );
    assert_eq!(state(&w3), (true, None));

    // The disabled webhook gets no more deliveries; a cancelled one is
    // settled and never claimed again.
    let next = event(2, EventType::PostLiked);
    like(store, p, &other, 6_000, &next);
    let claimed = claim(store, 6_000, 10, &[]);
    let mut got: Vec<Id> = claimed.iter().map(|d| d.webhook.id.clone()).collect();
    got.sort();
    assert_eq!(got, [w1.id.clone(), w3.id.clone()]);
    let to_w3 = claimed.iter().find(|d| d.webhook.id == w3.id).unwrap();
    store
        .finish_attempt(to_w3.id, &attempt(6_000, None), &AttemptOutcome::Cancelled)
        .unwrap();
    let v = view(&w3);
    assert_eq!(
        (v.event_id, v.status, v.next_attempt_at),
        (next.id, DeliveryStatus::Cancelled, None)
    );
    assert!(
        claim(store, 6_000 + 2 * LEASE_MS, 10, &[])
            .iter()
            .all(|d| d.webhook.id != w3.id)
    );
}

pub fn deliveries_list_newest_first_and_redelivery_queues_the_event_again(store: &dyn Storage) {
    let (author, reactor, other, posts) = social(store, 1);
    let p = &posts[0];
    let w1 = hook(store, 1, &author, &[]);
    let w2 = hook(store, 2, &author, &[]);
    let liked = event(1, EventType::PostLiked);
    like(store, p, &reactor, 100, &liked);
    let medaled = event(2, EventType::PostMedaled);
    store
        .vote(&medal(p, &other, 200, &medaled), no_limit())
        .unwrap();
    let commented = event(3, EventType::PostCommented);
    store
        .add_comment(
            &comment_on(1, p, &other, 300),
            MAX_COMMENT_DEPTH,
            at(0),
            &commented,
        )
        .unwrap();

    let page = store.deliveries(&author.id, &w1.id, 2).unwrap().unwrap();
    let shown: Vec<(Id, &str)> = page
        .iter()
        .map(|d| (d.event_id.clone(), d.event_type))
        .collect();
    assert_eq!(
        shown,
        [
            (commented.id.clone(), "post.commented"),
            (medaled.id.clone(), "post.medaled")
        ]
    );
    assert!(page[0].delivery_id > page[1].delivery_id, "ids increase");
    assert_eq!(store.deliveries(&reactor.id, &w1.id, 10).unwrap(), None);
    assert_eq!(
        store.deliveries(&author.id, &id(424_242), 10).unwrap(),
        None
    );

    // Deliver the like to w1, then ask for it again.
    let all = store.deliveries(&author.id, &w1.id, 10).unwrap().unwrap();
    let first = all.last().unwrap().delivery_id;
    let claimed = claim(store, 400, 10, std::slice::from_ref(&w2.id));
    for d in &claimed {
        store
            .finish_attempt(d.id, &attempt(400, Some(200)), &AttemptOutcome::Delivered)
            .unwrap();
    }
    let again = store
        .redeliver(&author.id, &w1.id, first, at(500))
        .unwrap()
        .unwrap();
    let newest = store.deliveries(&author.id, &w1.id, 10).unwrap().unwrap();
    assert!(newest.iter().skip(1).all(|d| d.delivery_id < again));
    let v = &newest[0];
    assert_eq!(
        (
            v.delivery_id,
            &v.event_id,
            v.status,
            v.attempts,
            v.next_attempt_at,
            &v.last_attempt
        ),
        (
            again,
            &liked.id,
            DeliveryStatus::Pending,
            0,
            Some(at(500)),
            &None
        )
    );
    assert_eq!(
        newest.last().unwrap().status,
        DeliveryStatus::Delivered,
        "the first delivery is kept as it was"
    );
    assert_eq!(
        targets(&claim(store, 500, 10, std::slice::from_ref(&w2.id))),
        [(liked.id.clone(), w1.id.clone())]
    );

    // Not someone else's webhook, not another webhook's delivery, not an
    // unknown one.
    assert_eq!(
        store
            .redeliver(&reactor.id, &w1.id, first, at(500))
            .unwrap(),
        None
    );
    let of_w2 = store.deliveries(&author.id, &w2.id, 10).unwrap().unwrap()[0].delivery_id;
    assert_eq!(
        store.redeliver(&author.id, &w1.id, of_w2, at(500)).unwrap(),
        None
    );
    assert_eq!(
        store
            .redeliver(&author.id, &w1.id, 987_654, at(500))
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .redeliver(&author.id, &id(424_242), first, at(500))
            .unwrap(),
        None
    );
}

pub fn enabling_a_disabled_webhook_turns_it_on_with_a_fresh_schedule(store: &dyn Storage) {
    let (author, reactor, other, posts) = social(store, 1);
    let p = &posts[0];
    let w = hook(store, 1, &author, &[]);
    let kept = hook(store, 2, &author, &[]);
    like(store, p, &reactor, 100, &event(1, EventType::PostLiked));
    like(store, p, &other, 100, &event(2, EventType::PostLiked));
    let to_w: Vec<i64> = claim(store, 100, 10, std::slice::from_ref(&kept.id))
        .iter()
        .map(|d| d.id)
        .collect();
    assert_eq!(to_w.len(), 2);
    // One delivery is well into its schedule, the other gives up and
    // turns the webhook off.
    for _ in 0..3 {
        store
            .finish_attempt(
                to_w[0],
                &attempt(100, Some(500)),
                &AttemptOutcome::RetryAt(at(100)),
            )
            .unwrap();
        claim(store, 100, 10, std::slice::from_ref(&kept.id));
    }
    store
        .finish_attempt(
            to_w[0],
            &attempt(100, Some(500)),
            &AttemptOutcome::RetryAt(at(90_000_000)),
        )
        .unwrap();
    let reason = "failed through the whole retry schedule (10 attempts)";
    store
        .finish_attempt(
            to_w[1],
            &attempt(100, Some(500)),
            &AttemptOutcome::Failed {
                disable: Some(reason.into()),
            },
        )
        .unwrap();
    let pending = |ms_now: i64| {
        let log = store.deliveries(&author.id, &w.id, 10).unwrap().unwrap();
        let d = log.iter().find(|d| d.delivery_id == to_w[0]).unwrap();
        assert_eq!(d.status, DeliveryStatus::Pending, "at {ms_now}");
        (d.attempts, d.next_attempt_at)
    };
    assert_eq!(pending(100), (4, Some(at(90_000_000))));

    // Someone else's webhook, or none: nothing happens.
    assert_eq!(
        store.enable_webhook(&reactor.id, &w.id, at(200)).unwrap(),
        None
    );
    assert_eq!(
        store
            .enable_webhook(&author.id, &id(424_242), at(200))
            .unwrap(),
        None
    );
    assert!(!store.webhooks(&author.id).unwrap()[0].active);

    // The answer is the webhook as it was, reason and all.
    let before = store
        .enable_webhook(&author.id, &w.id, at(200))
        .unwrap()
        .unwrap();
    assert_eq!(
        (before.id.clone(), before.active, before.disabled_reason),
        (w.id.clone(), false, Some(reason.into()))
    );
    let now = store.webhooks(&author.id).unwrap();
    assert_eq!(
        now.iter()
            .map(|h| (h.id.clone(), h.active, h.disabled_reason.clone()))
            .collect::<Vec<_>>(),
        [(w.id.clone(), true, None), (kept.id.clone(), true, None)]
    );
    assert_eq!(
        pending(200),
        (0, Some(at(200))),
        "the schedule starts over, due now"
    );
    let due = claim(store, 200, 10, std::slice::from_ref(&kept.id));
    assert_eq!(due.iter().map(|d| d.id).collect::<Vec<_>>(), [to_w[0]]);
    assert_eq!(due[0].attempts, 0);
    assert!(due[0].webhook.active);
    store
        .finish_attempt(
            to_w[0],
            &attempt(200, Some(500)),
            &AttemptOutcome::RetryAt(at(5_200)),
        )
        .unwrap();

    // Enabling an active webhook changes nothing.
    let again = store
        .enable_webhook(&author.id, &w.id, at(300))
        .unwrap()
        .unwrap();
    assert!(again.active && again.disabled_reason.is_none());
    assert_eq!(pending(300), (1, Some(at(5_200))));
}

pub fn rotating_a_secret_keeps_the_previous_one_until_its_time(store: &dyn Storage) {
    let owner = with_author(store);
    let stranger = agent(2, "stranger");
    store
        .insert_agent_with_key(&stranger, &key("asp_strange1", &stranger, 1))
        .unwrap();
    let w = hook(store, 1, &owner, &["post.liked"]);
    let s2 = WebhookSecret::from_random([2; 24]);
    let rotated = store
        .rotate_secret(&owner.id, &w.id, &s2, at(100))
        .unwrap()
        .unwrap();
    assert_eq!(rotated.secret, s2);
    assert_eq!(rotated.previous_secret, Some((w.secret.clone(), at(100))));
    assert_eq!(
        (
            &rotated.url,
            &rotated.events,
            rotated.active,
            rotated.created_at
        ),
        (&w.url, &w.events, w.active, w.created_at)
    );
    assert_eq!(store.webhooks(&owner.id).unwrap(), [rotated]);

    let s3 = WebhookSecret::from_random([3; 24]);
    let again = store
        .rotate_secret(&owner.id, &w.id, &s3, at(200))
        .unwrap()
        .unwrap();
    assert_eq!(
        (again.secret, again.previous_secret),
        (s3.clone(), Some((s2, at(200))))
    );

    assert_eq!(
        store
            .rotate_secret(&stranger.id, &w.id, &s3, at(300))
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .rotate_secret(&owner.id, &id(424_242), &s3, at(300))
            .unwrap(),
        None
    );
    assert_eq!(
        store.webhooks(&owner.id).unwrap()[0]
            .previous_secret
            .as_ref()
            .map(|p| p.1),
        Some(at(200)),
        "refused rotations change nothing"
    );
}

pub fn events_page_oldest_first_after_a_cursor_without_pings(store: &dyn Storage) {
    let author = with_author(store);
    let reactor = agent(2, "reactor");
    store
        .insert_agent_with_key(&reactor, &key("asp_reactor1", &reactor, 1))
        .unwrap();
    let p = post(1, &author, 0, None);
    let created = event(50, EventType::PostCreated);
    store.insert_post(&p, rule(50), None, &created).unwrap();
    let w = hook(store, 1, &author, &[]);
    // Two events in the same millisecond: the id breaks the tie (the one
    // recorded second has the smaller id).
    let liked = event(20, EventType::PostLiked);
    like(store, &p, &reactor, 100, &liked);
    let medaled = event(10, EventType::PostMedaled);
    store
        .vote(&medal(&p, &reactor, 100, &medaled), no_limit())
        .unwrap();
    assert!(
        store
            .enqueue_ping(&author.id, &w.id, &event(30, EventType::Ping), at(150))
            .unwrap()
    );
    let commented = event(5, EventType::PostCommented);
    store
        .add_comment(
            &comment_on(1, &p, &reactor, 200),
            MAX_COMMENT_DEPTH,
            at(0),
            &commented,
        )
        .unwrap();

    let ids = |events: Vec<Event>| events.into_iter().map(|e| e.id).collect::<Vec<_>>();
    assert_eq!(
        ids(all_events(store, &author)),
        [
            created.id.clone(),
            medaled.id.clone(),
            liked.id.clone(),
            commented.id.clone()
        ],
        "by time then id, pings left out"
    );
    assert_eq!(
        ids(store
            .events(&author.id, Some((at(100), medaled.id.clone())), 1)
            .unwrap()),
        vec![liked.id.clone()]
    );
    assert_eq!(
        ids(store
            .events(&author.id, Some((at(100), liked.id.clone())), 10)
            .unwrap()),
        vec![commented.id.clone()]
    );
    assert!(
        store
            .events(&author.id, Some((at(200), commented.id.clone())), 10)
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store
            .events(&author.id, Some((at(0), created.id.clone())), 10)
            .unwrap()[0],
        medaled.clone().into_event(author.id.clone(), at(100)),
        "events come back as recorded"
    );
    assert!(all_events(store, &reactor).is_empty());
}

pub fn a_ping_goes_to_the_named_webhook_only(store: &dyn Storage) {
    let owner = with_author(store);
    let stranger = agent(2, "stranger");
    store
        .insert_agent_with_key(&stranger, &key("asp_strange1", &stranger, 1))
        .unwrap();
    let w1 = hook(store, 1, &owner, &["post.liked"]);
    let w2 = hook(store, 2, &owner, &[]);
    let ping = PendingEvent::ping(id(7_777), &w1.id);

    assert!(
        !store
            .enqueue_ping(&stranger.id, &w1.id, &ping, at(50))
            .unwrap()
    );
    assert!(
        !store
            .enqueue_ping(&owner.id, &id(424_242), &ping, at(50))
            .unwrap()
    );
    assert!(
        claim(store, 50, 10, &[]).is_empty(),
        "refused pings queue nothing"
    );

    assert!(
        store
            .enqueue_ping(&owner.id, &w1.id, &ping, at(50))
            .unwrap()
    );
    let listed = store.deliveries(&owner.id, &w1.id, 10).unwrap().unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (&listed[0].event_id, listed[0].event_type, listed[0].status),
        (&ping.id, "webhook.test", DeliveryStatus::Pending)
    );
    assert!(
        store
            .deliveries(&owner.id, &w2.id, 10)
            .unwrap()
            .unwrap()
            .is_empty()
    );

    let claimed = claim(store, 50, 10, &[]);
    assert_eq!(targets(&claimed), [(ping.id.clone(), w1.id.clone())]);
    assert_eq!(
        claimed[0].event,
        ping.clone().into_event(owner.id.clone(), at(50))
    );
    assert!(all_events(store, &owner).is_empty(), "pings are not listed");
}
