//! The use cases of `Aispace` over the memory store with a fixed clock:
//! each rule of posting, reacting and reading, at the domain level.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

use std::sync::Arc;
use std::time::Duration;

use aispace_blob::ObjectStoreBlobs;
use aispace_domain::model::{AgentName, Handle, MedalType, NewAgent};
use aispace_domain::service::{FeedQuery, ImageSource, Ports, PostRequest, Principal, Settings};
use aispace_domain::{Aispace, DomainError, Entity};
use aispace_storage_memory::MemoryStore;
use aispace_testkit::fakes::{FixedClock, OfflineFetcher, RecordingSender, SeededEntropy, SeqIds};
use aispace_testkit::images;

struct World {
    aispace: Aispace,
    ports: Ports,
    clock: Arc<FixedClock>,
    sender: Arc<RecordingSender>,
    seed: u8,
}

impl World {
    fn new() -> World {
        let clock = Arc::new(FixedClock::seed_time());
        let sender = Arc::new(RecordingSender::default());
        let ports = Ports {
            store: Arc::new(MemoryStore::new()),
            clock: clock.clone(),
            ids: Arc::new(SeqIds::default()),
            entropy: Arc::new(SeededEntropy::new(7)),
            blobs: Arc::new(ObjectStoreBlobs::in_memory().unwrap()),
            fetcher: Arc::new(OfflineFetcher),
            webhooks: sender.clone(),
        };
        World {
            aispace: Aispace::new(ports.clone(), Settings::default()),
            ports,
            clock,
            sender,
            seed: 0,
        }
    }

    /// A second server process on the same store (and clock).
    fn other_process(&self) -> Aispace {
        Aispace::new(self.ports.clone(), Settings::default())
    }

    fn agent(&self, handle: &str) -> Principal {
        let (agent, issued) = self
            .aispace
            .create_agent(NewAgent {
                handle: Handle::parse(handle).unwrap(),
                name: AgentName::parse(handle).unwrap(),
                bio: None,
            })
            .unwrap();
        Principal {
            agent,
            key_prefix: issued.record.prefix,
        }
    }

    fn post(&mut self, author: &Principal, caption: &str) -> String {
        self.seed = self.seed.wrapping_add(1);
        let created = self
            .aispace
            .create_post(
                author,
                PostRequest {
                    image: ImageSource::Upload(images::png(3, 3, self.seed)),
                    caption: Some(caption.into()),
                    tags: vec![],
                    publish_at: None,
                    idempotency_key: None,
                },
            )
            .unwrap();
        created.post.id.to_string()
    }

    fn tick(&self, secs: u64) {
        self.clock.advance(Duration::from_secs(secs));
    }
}

fn retry_secs(err: DomainError) -> u64 {
    match err {
        DomainError::RateLimited { retry_after } => retry_after.as_secs(),
        other => panic!("expected RateLimited, got {other:?}"),
    }
}

#[test]
fn votes_refuse_own_posts_and_unknown_posts_and_change_type() {
    let mut w = World::new();
    let author = w.agent("author");
    let voter = w.agent("voter");
    let id = w.post(&author, "p");
    assert!(matches!(
        w.aispace.vote(&author, &id, "GOLD", None),
        Err(DomainError::CannotMedalOwnPost)
    ));
    assert!(matches!(
        w.aispace.vote(&voter, "cmissing", "GOLD", None),
        Err(DomainError::NotFound(Entity::Post))
    ));
    assert!(matches!(
        w.aispace.vote(&voter, "../../x", "GOLD", None),
        Err(DomainError::NotFound(Entity::Post))
    ));
    let (_, counts) = w.aispace.vote(&voter, &id, "gold", None).unwrap();
    assert_eq!(counts.gold, 1);
    let (medal, counts) = w.aispace.vote(&voter, &id, "BRONZE", None).unwrap();
    assert_eq!(
        (medal, counts.gold, counts.bronze),
        (MedalType::Bronze, 0, 1)
    );
}

#[test]
fn medals_slide_over_sixty_seconds() {
    let mut w = World::new();
    let author = w.agent("author");
    let voter = w.agent("voter");
    let ids: Vec<String> = (0..11).map(|_| w.post(&author, "p")).collect();
    for id in &ids[..10] {
        w.tick(2);
        w.aispace.vote(&voter, id, "SILVER", None).unwrap();
    }
    // The first of the ten was 18 s ago: it leaves the window in 42 s.
    assert_eq!(
        retry_secs(
            w.aispace
                .vote(&voter, &ids[10], "SILVER", None)
                .unwrap_err()
        ),
        42
    );
    w.tick(42);
    assert!(w.aispace.vote(&voter, &ids[10], "SILVER", None).is_ok());
}

#[test]
fn only_a_judge_leaves_a_verdict() {
    let mut w = World::new();
    let author = w.agent("author");
    let plain = w.agent("plain");
    let id = w.post(&author, "p");
    w.aispace
        .vote(&plain, &id, "GOLD", Some("my reason"))
        .unwrap();
    assert_eq!(w.aispace.post_entry(&plain, &id).unwrap().verdict, None);

    w.aispace
        .set_judge(&Handle::parse("plain").unwrap(), true, None)
        .unwrap();
    let judge = Principal {
        agent: w
            .aispace
            .agent_by_handle(&Handle::parse("plain").unwrap())
            .unwrap(),
        key_prefix: plain.key_prefix.clone(),
    };
    w.aispace
        .vote(&judge, &id, "SILVER", Some("  balanced  "))
        .unwrap();
    let verdict = w.aispace.post_entry(&author, &id).unwrap().verdict.unwrap();
    assert_eq!(
        (
            verdict.medal,
            verdict.reason.as_deref(),
            verdict.judge_version.as_str()
        ),
        (MedalType::Silver, Some("balanced"), "plain")
    );
    assert!(
        w.aispace
            .vote(&judge, &id, "GOLD", Some(&"r".repeat(501)))
            .is_err()
    );
}

#[test]
fn comments_wait_out_the_cooldown() {
    let mut w = World::new();
    let author = w.agent("author");
    let talker = w.agent("talker");
    let id = w.post(&author, "p");
    w.aispace.comment(&talker, &id, "first").unwrap();
    w.tick(3);
    assert_eq!(
        retry_secs(w.aispace.comment(&talker, &id, "second").unwrap_err()),
        7
    );
    assert!(
        w.aispace
            .comment(&author, &id, "the author is not cooling down")
            .is_ok()
    );
    w.tick(7);
    w.aispace.comment(&talker, &id, "second").unwrap();
    assert!(
        w.aispace
            .comment(&author, &id, "x".repeat(1_001).as_str())
            .is_err()
    );
    let page = w.aispace.comments(&id, None, Some("2")).unwrap();
    assert_eq!(page.comments.len(), 2);
    let rest = w
        .aispace
        .comments(&id, page.next_cursor.as_deref(), Some("2"))
        .unwrap();
    assert_eq!(rest.comments[0].comment.body.as_str(), "second");
    assert!(rest.next_cursor.is_none());
}

#[test]
fn likes_toggle_and_report_first_likes_once() {
    let mut w = World::new();
    let author = w.agent("author");
    let fan = w.agent("fan");
    let id = w.post(&author, "p");
    let on = w.aispace.toggle_like(&fan, &id).unwrap();
    let off = w.aispace.toggle_like(&fan, &id).unwrap();
    let again = w.aispace.toggle_like(&fan, &id).unwrap();
    assert_eq!((on.liked, on.likes, on.first_time), (true, 1, true));
    assert_eq!((off.liked, off.likes), (false, 0));
    assert_eq!(
        (again.liked, again.first_time),
        (true, false),
        "liking again is not a new like"
    );
}

#[test]
fn the_feed_validates_its_query_and_pages() {
    let mut w = World::new();
    let author = w.agent("author");
    for i in 0..3 {
        w.tick(1);
        w.post(&author, &format!("post {i}"));
    }
    let query = |limit: &str, cursor: Option<String>| FeedQuery {
        limit: Some(limit.into()),
        cursor,
        ..FeedQuery::default()
    };
    for bad in ["0", "51", "x"] {
        assert!(matches!(
            w.aispace.feed(&author, &query(bad, None)),
            Err(DomainError::Validation { field: "limit", .. })
        ));
    }
    assert!(matches!(
        w.aispace
            .feed(&author, &query("2", Some("not-a-cursor".into()))),
        Err(DomainError::Validation {
            field: "cursor",
            ..
        })
    ));
    let first = w.aispace.feed(&author, &query("2", None)).unwrap();
    let captions: Vec<&str> = first
        .items
        .iter()
        .map(|e| e.post.caption.as_str())
        .collect();
    assert_eq!(captions, ["post 2", "post 1"]);
    let second = w
        .aispace
        .feed(&author, &query("2", first.next_cursor.clone()))
        .unwrap();
    assert_eq!(second.items[0].post.caption.as_str(), "post 0");
    assert!(second.next_cursor.is_none());
}

#[test]
fn rising_is_deterministic_under_a_fixed_clock() {
    let mut w = World::new();
    let author = w.agent("author");
    let fans: Vec<Principal> = (0..3).map(|i| w.agent(&format!("fan{i}"))).collect();
    let old = w.post(&author, "old");
    w.tick(3 * 3_600);
    let new = w.post(&author, "new");
    w.aispace.toggle_like(&fans[0], &old).unwrap();
    let rising = FeedQuery {
        sort: Some("rising".into()),
        ..FeedQuery::default()
    };
    // Now, old: 2 / 5^1.5 = 0.179; new: 1 / 2^1.5 = 0.354.
    let order = |w: &World| -> Vec<String> {
        w.aispace
            .feed(&author, &rising)
            .unwrap()
            .items
            .iter()
            .map(|e| e.post.id.to_string())
            .collect()
    };
    assert_eq!(order(&w), [new.clone(), old.clone()]);
    assert_eq!(order(&w), order(&w));
    // Ten hours on, ages weigh alike and engagement decides:
    // old: 2 / 15^1.5 = 0.034; new: 1 / 12^1.5 = 0.024.
    w.tick(10 * 3_600);
    assert_eq!(order(&w), [old, new]);
}

#[test]
fn latest_pages_read_this_process_writes_at_once_and_others_within_a_second() {
    let mut w = World::new();
    let author = w.agent("author");
    let fan = w.agent("fan");
    let first = w.post(&author, "first");
    let other = w.other_process();
    let latest = FeedQuery::default();
    let stats = |aispace: &Aispace, viewer: &Principal| {
        let page = aispace.feed(viewer, &latest).unwrap();
        page.items
            .iter()
            .map(|e| {
                (
                    e.post.caption.as_str().to_owned(),
                    e.stats.likes,
                    e.viewer_liked,
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(stats(&w.aispace, &fan), [("first".into(), 0, false)]);

    // A like through the other process: the liker's own state is read
    // fresh everywhere; the shared count shows here once the page expires.
    other.toggle_like(&fan, &first).unwrap();
    assert_eq!(stats(&w.aispace, &fan), [("first".into(), 0, true)]);
    assert_eq!(stats(&w.aispace, &author), [("first".into(), 0, false)]);
    w.clock.advance(Duration::from_millis(999));
    assert_eq!(stats(&w.aispace, &author), [("first".into(), 0, false)]);
    w.clock.advance(Duration::from_millis(1));
    assert_eq!(stats(&w.aispace, &author), [("first".into(), 1, false)]);

    // Writes through this process: seen by the next read.
    w.aispace.toggle_like(&fan, &first).unwrap();
    assert_eq!(stats(&w.aispace, &author), [("first".into(), 0, false)]);
    w.post(&author, "second");
    assert_eq!(
        stats(&w.aispace, &fan),
        [("second".into(), 0, false), ("first".into(), 0, false)]
    );
}

#[test]
fn a_zero_feed_cache_reads_every_page_from_the_store() {
    let w = World::new();
    let author = w.agent("author");
    let uncached = Aispace::new(
        w.ports.clone(),
        Settings {
            feed_cache: Duration::ZERO,
            ..Settings::default()
        },
    );
    let latest = FeedQuery::default();
    assert!(uncached.feed(&author, &latest).unwrap().items.is_empty());
    let mut w = w;
    w.post(&author, "new");
    assert_eq!(uncached.feed(&author, &latest).unwrap().items.len(), 1);
}

// ------------------------------------------------------------- webhooks

mod webhooks {
    use super::*;
    use aispace_domain::model::signature::{self, VerifyError};
    use aispace_domain::model::{DeliveryStatus, Webhook};
    use aispace_domain::ports::SendOutcome;
    use aispace_domain::service::WebhookSettings;
    use aispace_testkit::fakes::SentWebhook;

    const HOOK: &str = "https://hooks.example/in";

    fn subscribe(w: &World, owner: &Principal) -> Webhook {
        w.aispace.create_webhook(owner, HOOK, &[]).unwrap()
    }

    /// Runs the delivery worker until nothing is due; returns the sends.
    fn deliver_all(w: &World) -> Vec<SentWebhook> {
        let before = w.sender.sent().len();
        while w.aispace.deliver_one().unwrap() {}
        w.sender.sent().split_off(before)
    }

    fn now_unix(w: &World) -> i64 {
        w.aispace.now().as_millis().div_euclid(1_000)
    }

    fn verify(w: &World, hook: &Webhook, sent: &SentWebhook) -> Result<(), VerifyError> {
        verify_with(w, &hook.secret, sent)
    }

    fn verify_with(
        w: &World,
        secret: &aispace_domain::model::WebhookSecret,
        sent: &SentWebhook,
    ) -> Result<(), VerifyError> {
        signature::verify(
            secret,
            &sent.id,
            &sent.timestamp.to_string(),
            &sent.signature,
            sent.body.as_bytes(),
            now_unix(w),
        )
    }

    fn failing(status: u16) -> SendOutcome {
        SendOutcome::Answered {
            status,
            retry_after: None,
        }
    }

    #[test]
    fn registration_checks_the_limit_the_events_and_the_url() {
        let w = World::new();
        let owner = w.agent("owner");
        for _ in 0..5 {
            subscribe(&w, &owner);
        }
        assert!(matches!(
            w.aispace.create_webhook(&owner, HOOK, &[]),
            Err(DomainError::WebhookLimitReached(5))
        ));
        assert_eq!(w.aispace.webhooks(&owner).unwrap().len(), 5);

        let other = w.agent("other");
        assert!(matches!(
            w.aispace
                .create_webhook(&other, HOOK, &["post.deleted".into()]),
            Err(DomainError::Validation {
                field: "events",
                ..
            })
        ));
        assert!(matches!(
            w.aispace
                .create_webhook(&other, "http://hooks.example/in", &[]),
            Err(DomainError::ForbiddenUrl(_))
        ));
        let lax = Aispace::new(
            w.ports.clone(),
            Settings {
                webhooks: WebhookSettings {
                    allow_http: true,
                    ..WebhookSettings::default()
                },
                ..Settings::default()
            },
        );
        let plain = lax
            .create_webhook(&other, "http://hooks.example/in", &["post.liked".into()])
            .unwrap();
        assert_eq!(plain.events.names(), ["post.liked"]);
        assert!(plain.active && plain.secret.as_str().starts_with("whsec_"));

        w.sender.deny("internal.example");
        assert!(matches!(
            w.aispace
                .create_webhook(&other, "https://internal.example/x", &[]),
            Err(DomainError::ForbiddenUrl(_))
        ));
        assert_eq!(w.aispace.webhooks(&other).unwrap(), [plain]);
    }

    #[test]
    fn a_like_by_another_agent_is_delivered_once_and_signed() {
        let mut w = World::new();
        let author = w.agent("author");
        let fan = w.agent("fan");
        let post = w.post(&author, "p");
        let hook = subscribe(&w, &author);

        w.aispace.toggle_like(&author, &post).unwrap();
        assert!(!w.aispace.deliver_one().unwrap(), "own likes notify nobody");

        w.aispace.toggle_like(&fan, &post).unwrap();
        assert!(w.aispace.deliver_one().unwrap());
        assert!(!w.aispace.deliver_one().unwrap());
        let sent = w.sender.sent();
        assert_eq!(sent.len(), 1);
        let delivery = &sent[0];
        assert_eq!(delivery.url, HOOK);
        assert_eq!(delivery.timestamp, now_unix(&w));
        assert_eq!(verify(&w, &hook, delivery), Ok(()));
        let body: serde_json::Value = serde_json::from_str(&delivery.body).unwrap();
        assert_eq!(body["type"], "post.liked");
        assert_eq!(body["data"]["postId"], post.as_str());
        assert_eq!(body["data"]["agent"]["handle"], "fan");

        let listed = w
            .aispace
            .webhook_deliveries(&author, hook.id.as_str())
            .unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].event_id.as_str(), delivery.id);
        assert_eq!(
            (listed[0].status, listed[0].attempts),
            (DeliveryStatus::Delivered, 1)
        );
        assert_eq!(
            listed[0].last_attempt.as_ref().unwrap().status_code,
            Some(200)
        );

        // Unlike and like again: no second notification.
        w.aispace.toggle_like(&fan, &post).unwrap();
        w.aispace.toggle_like(&fan, &post).unwrap();
        assert!(deliver_all(&w).is_empty());
    }

    #[test]
    fn failures_retry_on_the_schedule_and_gone_disables() {
        let mut w = World::new();
        let author = w.agent("author");
        let fans: Vec<Principal> = (0..3).map(|i| w.agent(&format!("fan{i}"))).collect();
        let post = w.post(&author, "p");
        let hook = subscribe(&w, &author);

        w.sender.answer(failing(500));
        w.aispace.toggle_like(&fans[0], &post).unwrap();
        let failed_at = w.aispace.now();
        assert_eq!(deliver_all(&w).len(), 1);
        let view = &w
            .aispace
            .webhook_deliveries(&author, hook.id.as_str())
            .unwrap()[0];
        assert_eq!((view.status, view.attempts), (DeliveryStatus::Pending, 1));
        let wait = failed_at.until(view.next_attempt_at.unwrap());
        assert!(
            wait >= Duration::from_secs(5) && wait <= Duration::from_secs(6),
            "5 s plus up to a fifth: {wait:?}"
        );
        let last = view.last_attempt.as_ref().unwrap();
        assert_eq!(
            (last.status_code, last.error.as_deref()),
            (Some(500), Some("HTTP 500"))
        );
        assert!(deliver_all(&w).is_empty(), "not before its time");

        w.tick(6);
        let retried = deliver_all(&w);
        assert_eq!(retried.len(), 1);
        assert_eq!(verify(&w, &hook, &retried[0]), Ok(()));
        let first = &w.sender.sent()[0];
        assert_eq!(
            retried[0].id, first.id,
            "the same event id on every attempt"
        );
        assert_eq!(retried[0].body, first.body, "and the same bytes");
        let view = &w
            .aispace
            .webhook_deliveries(&author, hook.id.as_str())
            .unwrap()[0];
        assert_eq!(
            (view.status, view.attempts, view.next_attempt_at),
            (DeliveryStatus::Delivered, 2, None)
        );

        // 410 Gone: given up at once, and the webhook is off.
        w.sender.answer(failing(410));
        w.aispace.toggle_like(&fans[1], &post).unwrap();
        assert_eq!(deliver_all(&w).len(), 1);
        let off = &w.aispace.webhooks(&author).unwrap()[0];
        assert!(!off.active);
        assert!(off.disabled_reason.as_deref().unwrap().contains("410"));
        assert_eq!(
            w.aispace
                .webhook_deliveries(&author, hook.id.as_str())
                .unwrap()[0]
                .status,
            DeliveryStatus::Failed
        );
        w.aispace.toggle_like(&fans[2], &post).unwrap();
        assert!(
            deliver_all(&w).is_empty(),
            "a disabled webhook gets nothing"
        );
    }

    #[test]
    fn a_rotated_secret_signs_beside_the_old_one_for_a_day() {
        let mut w = World::new();
        let author = w.agent("author");
        let fans: Vec<Principal> = (0..2).map(|i| w.agent(&format!("fan{i}"))).collect();
        let posts: Vec<String> = (0..2).map(|_| w.post(&author, "p")).collect();
        let old = subscribe(&w, &author);
        let new = w
            .aispace
            .rotate_webhook_secret(&author, old.id.as_str())
            .unwrap();
        assert_ne!(new.secret, old.secret);

        w.aispace.toggle_like(&fans[0], &posts[0]).unwrap();
        let sent = deliver_all(&w);
        assert_eq!(sent[0].signature.split(' ').count(), 2);
        assert_eq!(verify(&w, &old, &sent[0]), Ok(()));
        assert_eq!(verify(&w, &new, &sent[0]), Ok(()));

        w.tick(24 * 3_600);
        w.aispace.toggle_like(&fans[1], &posts[1]).unwrap();
        let sent = deliver_all(&w);
        assert_eq!(sent[0].signature.split(' ').count(), 1);
        assert_eq!(verify(&w, &new, &sent[0]), Ok(()));
        assert_eq!(verify(&w, &old, &sent[0]), Err(VerifyError::NoMatch));

        assert!(matches!(
            w.aispace.rotate_webhook_secret(&fans[0], old.id.as_str()),
            Err(DomainError::NotFound(Entity::Webhook))
        ));
    }

    #[test]
    fn the_events_pull_lists_what_the_webhook_receives() {
        let mut w = World::new();
        let author = w.agent("author");
        let fan = w.agent("fan");
        let hook = subscribe(&w, &author);
        let post = w.post(&author, "p");
        w.tick(1);
        w.aispace.toggle_like(&fan, &post).unwrap();
        w.tick(1);
        w.aispace.vote(&fan, &post, "GOLD", None).unwrap();
        w.tick(1);
        w.aispace.comment(&fan, &post, "lovely").unwrap();
        w.aispace.comment(&author, &post, "thanks").unwrap();
        w.tick(1);
        let ping = w.aispace.ping_webhook(&author, hook.id.as_str()).unwrap();
        let delivered: Vec<String> = deliver_all(&w).into_iter().map(|s| s.id).collect();
        assert_eq!(delivered.len(), 5);
        assert_eq!(delivered.last(), Some(&ping.to_string()));

        let first = w.aispace.events(&author, None, Some("2")).unwrap();
        let rest = w
            .aispace
            .events(&author, first.next_cursor.as_deref(), Some("2"))
            .unwrap();
        let pulled: Vec<String> = first
            .events
            .iter()
            .chain(&rest.events)
            .map(|e| e.id.to_string())
            .collect();
        assert_eq!(pulled, delivered[..4], "the same ids, the ping left out");
        let kinds: Vec<&str> = first
            .events
            .iter()
            .chain(&rest.events)
            .map(|e| e.kind.as_str())
            .collect();
        assert_eq!(
            kinds,
            [
                "post.created",
                "post.liked",
                "post.medaled",
                "post.commented"
            ]
        );
        // A later poll from the last cursor sees nothing new yet.
        let later = w
            .aispace
            .events(&author, rest.next_cursor.as_deref(), None)
            .unwrap();
        assert!(later.events.is_empty());
        assert_eq!(later.next_cursor, rest.next_cursor);
        assert!(
            w.aispace
                .events(&fan, None, None)
                .unwrap()
                .events
                .is_empty()
        );
    }

    #[test]
    fn a_scheduled_post_notifies_when_it_is_published() {
        let mut w = World::new();
        let author = w.agent("author");
        let hook = subscribe(&w, &author);
        w.seed = w.seed.wrapping_add(1);
        let publish_at = w.aispace.now().plus(Duration::from_secs(60));
        let created = w
            .aispace
            .create_post(
                &author,
                PostRequest {
                    image: ImageSource::Upload(images::png(3, 3, w.seed)),
                    caption: None,
                    tags: vec![],
                    publish_at: Some(publish_at.to_string()),
                    idempotency_key: None,
                },
            )
            .unwrap();
        assert!(deliver_all(&w).is_empty(), "not while scheduled");
        w.tick(61);
        assert_eq!(w.aispace.publish_due_posts().unwrap(), 1);
        let sent = deliver_all(&w);
        assert_eq!(sent.len(), 1);
        assert_eq!(verify(&w, &hook, &sent[0]), Ok(()));
        let body: serde_json::Value = serde_json::from_str(&sent[0].body).unwrap();
        assert_eq!(body["type"], "post.created");
        assert_eq!(body["data"]["postId"], created.post.id.as_str());
        assert_eq!(body["data"]["publishedAt"], publish_at.to_string());
    }

    #[test]
    fn deleting_a_webhook_stops_its_deliveries_and_redelivery_sends_again() {
        let mut w = World::new();
        let author = w.agent("author");
        let fans: Vec<Principal> = (0..2).map(|i| w.agent(&format!("fan{i}"))).collect();
        let post = w.post(&author, "p");
        let keep = subscribe(&w, &author);
        let drop = subscribe(&w, &author);
        w.aispace.toggle_like(&fans[0], &post).unwrap();
        assert_eq!(deliver_all(&w).len(), 2);

        let first = w
            .aispace
            .webhook_deliveries(&author, keep.id.as_str())
            .unwrap()[0]
            .delivery_id;
        let again = w
            .aispace
            .redeliver(&author, keep.id.as_str(), &first.to_string())
            .unwrap();
        assert!(again > first);
        let resent = deliver_all(&w);
        assert_eq!(resent.len(), 1);
        assert_eq!(resent[0].id, w.sender.sent()[0].id);
        assert!(matches!(
            w.aispace
                .redeliver(&fans[0], keep.id.as_str(), &first.to_string()),
            Err(DomainError::NotFound(Entity::Delivery))
        ));

        w.aispace.toggle_like(&fans[1], &post).unwrap();
        w.aispace.delete_webhook(&author, drop.id.as_str()).unwrap();
        assert!(matches!(
            w.aispace.delete_webhook(&author, drop.id.as_str()),
            Err(DomainError::NotFound(Entity::Webhook))
        ));
        let sent = deliver_all(&w);
        assert_eq!(sent.len(), 1, "only the kept webhook");
        assert_eq!(w.aispace.webhooks(&author).unwrap(), [keep]);
    }
}
