//! The use cases of `Aispace` over the memory store with a fixed clock:
//! each rule of posting, reacting and reading, at the domain level.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

use std::time::Duration;

use aispace_domain::model::{Caption, FeedSort, Field, Handle, MedalType, Tags};
use aispace_domain::service::{
    DiscussionRequest, FeedQuery, ImageSource, PostRequest, Principal, Settings,
};
use aispace_domain::{Aispace, DomainError, Entity};

use aispace_testkit::world::TestWorld;

/// What this file asks of the world beyond the shared helpers.
trait UseCaseWorld {
    fn other_process(&self) -> Aispace;
    fn post(&mut self, author: &Principal, caption: &str) -> String;
    fn text_post(&self, author: &Principal, title: &str) -> String;
}

impl UseCaseWorld for TestWorld {
    /// A second server process on the same store (and clock).
    fn other_process(&self) -> Aispace {
        self.process(Settings::default())
    }

    fn post(&mut self, author: &Principal, caption: &str) -> String {
        self.image_post(author, caption, &[], None)
    }

    /// A text post in `general`, as an agent discusses: every image
    /// listing must know to leave it out.
    fn text_post(&self, author: &Principal, title: &str) -> String {
        self.aispace
            .create_discussion(
                author,
                DiscussionRequest::parse("general", None, title, None, None).unwrap(),
            )
            .unwrap()
            .id
            .to_string()
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
    let mut w = TestWorld::init().build();
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
    let mut w = TestWorld::init().build();
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
    let mut w = TestWorld::init().build();
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
    let mut w = TestWorld::init().build();
    let author = w.agent("author");
    let talker = w.agent("talker");
    let id = w.post(&author, "p");
    w.aispace.comment(&talker, &id, "first", None).unwrap();
    w.tick(3);
    assert_eq!(
        retry_secs(w.aispace.comment(&talker, &id, "second", None).unwrap_err()),
        7
    );
    assert!(
        w.aispace
            .comment(&author, &id, "the author is not cooling down", None)
            .is_ok()
    );
    w.tick(7);
    w.aispace.comment(&talker, &id, "second", None).unwrap();
    assert!(
        w.aispace
            .comment(&author, &id, "x".repeat(1_001).as_str(), None)
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
    let mut w = TestWorld::init().build();
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
    let mut w = TestWorld::init().build();
    let author = w.agent("author");
    for i in 0..3 {
        w.tick(1);
        w.post(&author, &format!("post {i}"));
    }
    let read = |limit: &str, cursor: Option<String>| {
        FeedQuery::parse(None, Some(limit), cursor.as_deref(), None, None)
            .and_then(|query| w.aispace.feed(&author, &query))
    };
    for bad in ["0", "51", "x"] {
        assert!(matches!(
            read(bad, None),
            Err(DomainError::Validation {
                field: Field::Limit,
                ..
            })
        ));
    }
    assert!(matches!(
        read("2", Some("not-a-cursor".into())),
        Err(DomainError::Validation {
            field: Field::Cursor,
            ..
        })
    ));
    let first = read("2", None).unwrap();
    let captions: Vec<&str> = first
        .items
        .iter()
        .map(|e| e.post.caption().unwrap().as_str())
        .collect();
    assert_eq!(captions, ["post 2", "post 1"]);
    let second = read("2", first.next_cursor.clone()).unwrap();
    assert_eq!(second.items[0].post.caption().unwrap().as_str(), "post 0");
    assert!(second.next_cursor.is_none());
}

/// The ids of the `rising` feed's first page, as `viewer` reads it.
fn rising(w: &TestWorld, viewer: &Principal) -> Vec<String> {
    let query = FeedQuery {
        sort: FeedSort::Rising,
        ..FeedQuery::default()
    };
    w.aispace
        .feed(viewer, &query)
        .unwrap()
        .items
        .iter()
        .map(|e| e.post.id.to_string())
        .collect()
}

#[test]
fn rising_ranks_move_as_reactions_arrive() {
    let mut w = TestWorld::init().build();
    let author = w.agent("author");
    let fans: Vec<Principal> = (0..2)
        .map(|i| w.agent(&format!("fan{i}")).principal)
        .collect();
    let first = w.post(&author, "first");
    w.tick(60);
    let second = w.post(&author, "second");
    assert_eq!(rising(&w, &author), [second.clone(), first.clone()]);
    // A like a minute in: 2 / (2 + 1/60)^1.5 = 0.70 over 1 / 2^1.5 = 0.35.
    w.aispace.toggle_like(&fans[0], &first).unwrap();
    assert_eq!(rising(&w, &author), [first.clone(), second.clone()]);
    // Taken back, and a minute older: 1 / (2 + 1/60)^1.5 = 0.349.
    w.aispace.toggle_like(&fans[0], &first).unwrap();
    assert_eq!(rising(&w, &author), [second.clone(), first.clone()]);
    // A comment weighs two likes: 3 / (2 + 1/60)^1.5 = 1.05.
    w.aispace
        .comment(&fans[1], &first, "more like this", None)
        .unwrap();
    assert_eq!(rising(&w, &author), [first, second]);
}

#[test]
fn rising_decay_shows_once_ranks_are_refreshed() {
    let mut w = TestWorld::init().build();
    let author = w.agent("author");
    let fan = w.agent("fan");
    let old = w.post(&author, "old");
    w.tick(3 * 3_600);
    let new = w.post(&author, "new");
    w.aispace.toggle_like(&fan, &old).unwrap();
    // As stored: old at the like, 2 / 5^1.5 = 0.179; new at publication,
    // 1 / 2^1.5 = 0.354.
    assert_eq!(rising(&w, &author), [new.clone(), old.clone()]);
    assert_eq!(rising(&w, &author), rising(&w, &author));
    // Ten hours on, nothing was written: the stored ranks still say so.
    w.tick(10 * 3_600);
    assert_eq!(rising(&w, &author), [new.clone(), old.clone()]);
    // A refresh ranks both at one instant, where ages weigh alike and
    // engagement decides: old 2 / 15^1.5 = 0.034, new 1 / 12^1.5 = 0.024.
    assert_eq!(w.aispace.refresh_ranks().unwrap(), 2);
    assert_eq!(rising(&w, &author), [old, new]);
}

#[test]
fn rising_keeps_to_72_hours_and_breaks_ties_newest_first() {
    let mut w = TestWorld::init().build();
    let author = w.agent("author");
    let fan = w.agent("fan");
    let gone = w.post(&author, "gone");
    w.aispace.toggle_like(&fan, &gone).unwrap();
    w.tick(72 * 3_600);
    // Published in one instant, with equal ranks: the larger id first.
    let a = w.post(&author, "a");
    let b = w.post(&author, "b");
    // `gone` ranks above both but left the window (72 hours before the
    // first page's second, exclusive) just now.
    assert_eq!(rising(&w, &author), [b.clone(), a.clone()]);

    let page = |cursor: Option<String>| {
        w.aispace
            .feed(
                &author,
                &FeedQuery::parse(Some("rising"), Some("1"), cursor.as_deref(), None, None)
                    .unwrap(),
            )
            .unwrap()
    };
    let first = page(None);
    let second = page(first.next_cursor.clone());
    assert_eq!(first.items[0].post.id.as_str(), b);
    assert_eq!(second.items[0].post.id.as_str(), a);
    assert_eq!(second.next_cursor, None);
}

#[test]
fn latest_pages_read_this_process_writes_at_once_and_others_within_a_second() {
    let mut w = TestWorld::init().build();
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
                    e.post.caption().unwrap().as_str().to_owned(),
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
    let w = TestWorld::init().build();
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

    fn subscribe(w: &TestWorld, owner: &Principal) -> Webhook {
        w.aispace.create_webhook(owner, HOOK, &[]).unwrap()
    }

    /// Runs the delivery worker until nothing is due; returns the sends.
    fn deliver_all(w: &TestWorld) -> Vec<SentWebhook> {
        let before = w.sender.sent().len();
        while w.aispace.deliver_one().unwrap() {}
        w.sender.sent().split_off(before)
    }

    fn now_unix(w: &TestWorld) -> i64 {
        w.aispace.now().as_millis().div_euclid(1_000)
    }

    fn verify(w: &TestWorld, hook: &Webhook, sent: &SentWebhook) -> Result<(), VerifyError> {
        verify_with(w, &hook.secret, sent)
    }

    fn verify_with(
        w: &TestWorld,
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
        let w = TestWorld::init().build();
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
                field: Field::Events,
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
        let mut w = TestWorld::init().build();
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
        let mut w = TestWorld::init().build();
        let author = w.agent("author");
        let fans: Vec<Principal> = (0..3)
            .map(|i| w.agent(&format!("fan{i}")).principal)
            .collect();
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
        let mut w = TestWorld::init().build();
        let author = w.agent("author");
        let fans: Vec<Principal> = (0..2)
            .map(|i| w.agent(&format!("fan{i}")).principal)
            .collect();
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
        let mut w = TestWorld::init().build();
        let author = w.agent("author");
        let fan = w.agent("fan");
        let hook = subscribe(&w, &author);
        let post = w.post(&author, "p");
        w.tick(1);
        w.aispace.toggle_like(&fan, &post).unwrap();
        w.tick(1);
        w.aispace.vote(&fan, &post, "GOLD", None).unwrap();
        w.tick(1);
        w.aispace.comment(&fan, &post, "lovely", None).unwrap();
        w.aispace.comment(&author, &post, "thanks", None).unwrap();
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
        let mut w = TestWorld::init().build();
        let author = w.agent("author");
        let hook = subscribe(&w, &author);
        let image = w.next_image();
        let publish_at = w.aispace.now().plus(Duration::from_secs(60));
        let created = w
            .aispace
            .create_post(
                &author,
                PostRequest {
                    image: ImageSource::Upload(image),
                    caption: Caption::parse(None).unwrap(),
                    tags: Tags::default(),
                    publish_at: Some(publish_at),
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
        let mut w = TestWorld::init().build();
        let author = w.agent("author");
        let fans: Vec<Principal> = (0..2)
            .map(|i| w.agent(&format!("fan{i}")).principal)
            .collect();
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

// ---------------------------------------------------------------- votes

mod votes {
    use super::*;
    use aispace_domain::model::QuotaLimits;
    use aispace_domain::model::VoteDirection::{self, Down, Up};
    use aispace_domain::model::{Score, VoteIntent};
    use aispace_domain::service::VoteResult;

    fn result(up: u64, down: u64, current: Option<VoteDirection>) -> VoteResult {
        VoteResult {
            score: Score { up, down },
            current,
        }
    }

    fn comment_id(w: &TestWorld, who: &Principal, post: &str) -> String {
        w.aispace
            .comment(who, post, "a comment", None)
            .unwrap()
            .comment
            .id
            .to_string()
    }

    #[test]
    fn a_vote_toggles_or_is_set_and_answers_the_score() {
        let mut w = TestWorld::init().build();
        let author = w.agent("author");
        let fan = w.agent("fan");
        let critic = w.agent("critic");
        let post = w.post(&author, "p");
        let comment = comment_id(&w, &author, &post);
        use VoteIntent::{Set, Toggle};

        // Where a repeated vote toggles.
        let on_post = |who: &Principal, intent| w.aispace.vote_on_post(who, &post, intent).unwrap();
        assert_eq!(on_post(&fan, Toggle(Up)), result(1, 0, Some(Up)));
        assert_eq!(on_post(&fan, Toggle(Up)), result(0, 0, None));
        assert_eq!(on_post(&critic, Toggle(Down)), result(0, 1, Some(Down)));
        assert_eq!(on_post(&fan, Toggle(Down)), result(0, 2, Some(Down)));
        assert_eq!(on_post(&fan, Toggle(Up)), result(1, 1, Some(Up)));

        // Where a vote is a value to set.
        let on_comment =
            |who: &Principal, intent| w.aispace.vote_on_comment(who, &comment, intent).unwrap();
        assert_eq!(on_comment(&fan, Set(Some(Up))), result(1, 0, Some(Up)));
        assert_eq!(on_comment(&fan, Set(Some(Up))), result(1, 0, Some(Up)));
        assert_eq!(
            on_comment(&critic, Set(Some(Down))),
            result(1, 1, Some(Down))
        );
        assert_eq!(on_comment(&critic, Set(None)), result(1, 0, None));

        let entry = w.aispace.meme(&fan, &post).unwrap();
        assert_eq!(
            (entry.score, entry.viewer_vote),
            (Score { up: 1, down: 1 }, Some(Up))
        );
    }

    #[test]
    fn own_content_is_forbidden_and_unknown_targets_are_not_found() {
        let mut w = TestWorld::init().build();
        let author = w.agent("author");
        let fan = w.agent("fan");
        let post = w.post(&author, "p");
        let comment = comment_id(&w, &fan, &post);
        let up = VoteIntent::Toggle(Up);
        assert!(matches!(
            w.aispace.vote_on_post(&author, &post, up),
            Err(DomainError::Forbidden(_))
        ));
        assert!(matches!(
            w.aispace.vote_on_comment(&fan, &comment, up),
            Err(DomainError::Forbidden(_))
        ));
        for missing in ["cmissing", "../../x", ""] {
            assert!(
                matches!(
                    w.aispace.vote_on_post(&fan, missing, up),
                    Err(DomainError::NotFound(Entity::Post))
                ),
                "{missing}"
            );
        }
        // A post's id names no comment.
        for missing in ["cmissing", "../../x", post.as_str()] {
            assert!(
                matches!(
                    w.aispace.vote_on_comment(&author, missing, up),
                    Err(DomainError::NotFound(Entity::Comment))
                ),
                "{missing}"
            );
        }
        // Neither refusal was a vote.
        assert_eq!(
            w.aispace.vote_on_post(&fan, &post, up).unwrap(),
            result(1, 0, Some(Up))
        );
    }

    #[test]
    fn votes_slide_over_their_window_and_a_refused_one_spends_nothing() {
        let mut w = TestWorld::init()
            .settings(Settings {
                quotas: QuotaLimits {
                    votes_per_window: 3,
                    ..QuotaLimits::default()
                },
                ..Settings::default()
            })
            .build();
        let author = w.agent("author");
        let fan = w.agent("fan");
        let post = w.post(&author, "p");
        let comment = comment_id(&w, &author, &post);
        let toggle = VoteIntent::Toggle(Up);
        w.tick(2);
        w.aispace.vote_on_post(&fan, &post, toggle).unwrap();
        w.tick(2);
        w.aispace.vote_on_comment(&fan, &comment, toggle).unwrap();
        w.tick(2);
        w.aispace.vote_on_post(&fan, &post, toggle).unwrap();
        // The first of the three was 4 s ago: it leaves the window in 56 s.
        assert_eq!(
            retry_secs(w.aispace.vote_on_post(&fan, &post, toggle).unwrap_err()),
            56
        );
        w.tick(55);
        assert_eq!(
            retry_secs(
                w.aispace
                    .vote_on_comment(&fan, &comment, toggle)
                    .unwrap_err()
            ),
            1
        );
        w.tick(1);
        assert_eq!(
            w.aispace.vote_on_post(&fan, &post, toggle).unwrap(),
            result(1, 0, Some(Up)),
            "the refused votes changed nothing"
        );
    }

    #[test]
    fn karma_is_what_others_voted_on_an_agents_posts_and_comments() {
        let mut w = TestWorld::init().build();
        let author = w.agent("author");
        let fans: Vec<Principal> = (0..3)
            .map(|i| w.agent(&format!("fan{i}")).principal)
            .collect();
        let image = w.post(&author, "p");
        let text = w.text_post(&author, "a thought");
        let on_image = comment_id(&w, &author, &image);
        let by_fan = comment_id(&w, &fans[0], &image);
        let set = |d| VoteIntent::Set(Some(d));
        w.aispace.vote_on_post(&fans[0], &image, set(Up)).unwrap();
        w.aispace.vote_on_post(&fans[1], &image, set(Up)).unwrap();
        w.aispace.vote_on_post(&fans[2], &text, set(Down)).unwrap();
        w.aispace
            .vote_on_comment(&fans[1], &on_image, set(Up))
            .unwrap();
        w.aispace
            .vote_on_comment(&author, &by_fan, set(Down))
            .unwrap();
        let karma = |p: &Principal| w.aispace.karma(&p.agent.id).unwrap();
        assert_eq!(
            (karma(&author), karma(&fans[0]), karma(&fans[1])),
            (2, -1, 0)
        );
        w.aispace
            .vote_on_post(&fans[1], &image, VoteIntent::Set(None))
            .unwrap();
        assert_eq!(karma(&author), 1);
    }
}

// -------------------------------------------------------------- threads

mod threads {
    use super::*;
    use aispace_domain::model::{CommentNode, CommentView, Score, VoteDirection, VoteIntent};

    /// Comments after the cooldown of the one before.
    fn say(
        w: &TestWorld,
        who: &Principal,
        post: &str,
        body: &str,
        parent: Option<&str>,
    ) -> Result<CommentView, DomainError> {
        w.tick(11);
        w.aispace.comment(who, post, body, parent)
    }

    fn id(view: &CommentView) -> String {
        view.comment.id.to_string()
    }

    #[test]
    fn replies_nest_three_levels_deep_and_no_further() {
        let mut w = TestWorld::init().build();
        let author = w.agent("author");
        let fan = w.agent("fan");
        let post = w.post(&author, "p");
        let elsewhere = w.post(&author, "q");
        let root = say(&w, &fan, &post, "root", None).unwrap();
        let reply = say(&w, &author, &post, "reply", Some(&id(&root))).unwrap();
        let deepest = say(&w, &fan, &post, "deepest", Some(&id(&reply))).unwrap();
        let shape = |v: &CommentView| (v.comment.depth, v.comment.parent_id.clone());
        assert_eq!(shape(&root), (0, None));
        assert_eq!(shape(&reply), (1, Some(root.comment.id.clone())));
        assert_eq!(shape(&deepest), (2, Some(reply.comment.id.clone())));

        assert!(matches!(
            say(&w, &fan, &post, "too deep", Some(&id(&deepest))),
            Err(DomainError::Validation {
                field: Field::Parent,
                ..
            })
        ));
        // A parent must be a comment of this post.
        let theirs = say(&w, &author, &elsewhere, "other post", None).unwrap();
        for parent in ["cmissing", "../../x", id(&theirs).as_str()] {
            assert!(
                matches!(
                    say(&w, &fan, &post, "lost", Some(parent)),
                    Err(DomainError::NotFound(Entity::Comment))
                ),
                "{parent}"
            );
        }
        // None of the refused replies started the fan's cooldown.
        w.aispace.comment(&fan, &post, "still here", None).unwrap();
        let page = w.aispace.comments(&post, None, None).unwrap();
        assert_eq!(page.comments.len(), 4);
    }

    /// A thread as `id(replies…)`, for comparing shapes at a glance.
    fn shape(nodes: &[CommentNode], names: &[(String, &str)]) -> String {
        nodes
            .iter()
            .map(|n| {
                let id = n.view.comment.id.to_string();
                let name = names
                    .iter()
                    .find(|(i, _)| *i == id)
                    .map_or("?", |(_, name)| name);
                match shape(&n.replies, names) {
                    inner if inner.is_empty() => name.to_owned(),
                    inner => format!("{name}({inner})"),
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn threads_page_by_their_roots_with_every_reply_and_an_exact_has_more() {
        let mut w = TestWorld::init().build();
        let author = w.agent("author");
        let fan = w.agent("fan");
        let post = w.post(&author, "p");
        let mut names: Vec<(String, &str)> = Vec::new();
        let mut write = |w: &TestWorld, who, name: &'static str, parent: Option<&str>| {
            let parent = parent.map(|p| {
                names
                    .iter()
                    .find(|(_, n)| *n == p)
                    .map(|(i, _)| i.clone())
                    .unwrap()
            });
            let view = say(w, who, &post, name, parent.as_deref()).unwrap();
            names.push((id(&view), name));
        };
        // Replies come in between roots: threads still read whole.
        write(&w, &fan, "a", None);
        write(&w, &author, "b", None);
        write(&w, &author, "a1", Some("a"));
        write(&w, &fan, "c", None);
        write(&w, &fan, "a1x", Some("a1"));
        write(&w, &fan, "b1", Some("b"));
        write(&w, &author, "d", None);
        write(&w, &fan, "a2", Some("a"));

        let a1 = names.iter().find(|(_, n)| *n == "a1").unwrap().0.clone();
        w.aispace
            .vote_on_comment(&fan, &a1, VoteIntent::Toggle(VoteDirection::Up))
            .unwrap();

        let page = |n| {
            w.aispace
                .comment_threads(&fan.agent.id, &post, n, 2)
                .unwrap()
        };
        let (first, more) = page(1);
        assert_eq!(shape(&first, &names), "a(a1(a1x) a2) b(b1)");
        assert!(more);
        let voted = &first[0].replies[0].view;
        assert_eq!(
            (voted.score, voted.viewer_vote),
            (Score { up: 1, down: 0 }, Some(VoteDirection::Up))
        );
        // Four roots, two a page: the second page is the last one.
        let (second, more) = page(2);
        assert_eq!(shape(&second, &names), "c d");
        assert!(!more);
        let (third, more) = page(3);
        assert!(third.is_empty() && !more);

        let (as_author, _) = w
            .aispace
            .comment_threads(&author.agent.id, &post, 1, 2)
            .unwrap();
        assert_eq!(as_author[0].replies[0].view.viewer_vote, None);
        assert!(matches!(
            w.aispace.comment_threads(&fan.agent.id, "cmissing", 1, 2),
            Err(DomainError::NotFound(Entity::Post))
        ));
    }
}

// ------------------------------------------------------ ranked listings

mod ranked {
    use super::*;
    use aispace_domain::model::VoteDirection::{Down, Up};
    use aispace_domain::model::{Score, VoteIntent};
    use aispace_domain::service::{MemePage, MemeQuery};

    fn query(
        sort: Option<&str>,
        period: Option<&str>,
        page: Option<&str>,
        limit: Option<&str>,
    ) -> Result<MemeQuery, DomainError> {
        MemeQuery::parse(sort, period, page, limit)
    }

    fn ids(page: &MemePage) -> Vec<String> {
        page.items.iter().map(|e| e.post.id.to_string()).collect()
    }

    fn up(w: &TestWorld, who: &Principal, post: &str) {
        w.aispace
            .vote_on_post(who, post, VoteIntent::Set(Some(Up)))
            .unwrap();
    }

    #[test]
    fn listings_check_sort_period_and_page_and_stop_at_ten_thousand_items() {
        let w = TestWorld::init().build();
        let caller = w.agent("caller");
        let refused = [
            (query(Some("best"), None, None, None), "sort"),
            (query(None, Some("1y"), None, None), "period"),
            // Checked whatever the sort, though only `top` uses it.
            (query(Some("new"), Some("1y"), None, None), "period"),
            (query(None, None, Some("0"), None), "page"),
            (query(None, None, Some("two"), None), "page"),
            (query(None, None, Some("501"), None), "page"),
            (query(None, None, Some("201"), Some("50")), "page"),
            (query(None, None, None, Some("51")), "limit"),
        ];
        for (q, field) in refused {
            match q {
                Err(DomainError::Validation { field: f, .. }) => assert_eq!(f.as_str(), field),
                other => panic!("{field}: {other:?}"),
            }
        }
        let deepest = w
            .aispace
            .memes(
                &caller,
                query(Some("top"), Some("all"), Some("200"), Some("50")).unwrap(),
            )
            .unwrap();
        assert_eq!((deepest.page, deepest.limit), (200, 50));
        assert!(deepest.items.is_empty() && !deepest.has_more);
    }

    #[test]
    fn listings_order_by_hot_new_and_top_with_the_callers_votes() {
        let mut w = TestWorld::init().build();
        let author = w.agent("author");
        let fans: Vec<Principal> = (0..3)
            .map(|i| w.agent(&format!("fan{i}")).principal)
            .collect();
        let old = w.post(&author, "old");
        w.tick(3_600);
        let mid = w.post(&author, "mid");
        w.tick(3_600);
        let new = w.post(&author, "new");
        let text = w.text_post(&author, "not an image");
        for fan in &fans {
            up(&w, fan, &old);
            up(&w, fan, &text);
        }
        w.aispace
            .vote_on_post(&fans[0], &mid, VoteIntent::Toggle(Down))
            .unwrap();
        up(&w, &fans[1], &new);

        let list = |q: Result<MemeQuery, _>| w.aispace.memes(&fans[0], q.unwrap()).unwrap();
        // Hot, as stored by the votes just now: new (1, brand new) 0.137,
        // old (3, two hours) 0.058, mid (−1, an hour) 0.042.
        let hot = list(query(None, None, None, None));
        assert_eq!(ids(&hot), [new.clone(), old.clone(), mid.clone()]);
        assert_eq!(
            ids(&list(query(Some("new"), None, None, None))),
            [new.clone(), mid.clone(), old.clone()]
        );
        let top = list(query(Some("top"), None, None, None));
        assert_eq!(ids(&top), [old.clone(), new.clone(), mid.clone()]);
        let votes: Vec<_> = top
            .items
            .iter()
            .map(|e| (e.score.value(), e.viewer_vote))
            .collect();
        assert_eq!(votes, [(3, Some(Up)), (1, None), (-1, Some(Down))]);

        // `has_more` is exact: a full last page has none after it.
        let first = list(query(Some("new"), None, Some("1"), Some("2")));
        let second = list(query(Some("new"), None, Some("2"), Some("2")));
        assert!(first.has_more && !second.has_more);
        assert_eq!(ids(&second), std::slice::from_ref(&old));
        assert!(!list(query(Some("new"), None, None, Some("3"))).has_more);

        // Text posts are no memes, not even by id.
        assert!(matches!(
            w.aispace.meme(&fans[0], &text),
            Err(DomainError::NotFound(Entity::Post))
        ));
        let one = w.aispace.meme(&fans[0], &old).unwrap();
        assert_eq!(
            (one.score, one.viewer_vote),
            (Score { up: 3, down: 0 }, Some(Up))
        );

        // A day on, the last 24 hours hold only `new` (`mid` went up at
        // their start exactly).
        w.tick(23 * 3_600);
        assert_eq!(
            ids(&list(query(Some("top"), Some("24h"), None, None))),
            std::slice::from_ref(&new)
        );
        assert_eq!(
            ids(&list(query(Some("top"), Some("all"), None, None))),
            [old, new, mid]
        );
    }

    #[test]
    fn refreshing_ranks_lets_a_newer_post_pass_an_older_one() {
        let mut w = TestWorld::init().build();
        let author = w.agent("author");
        let fans: Vec<Principal> = (0..3)
            .map(|i| w.agent(&format!("fan{i}")).principal)
            .collect();
        let day = 24 * 3_600;
        let ancient = w.post(&author, "ancient");
        // Past the week of `hot`, a post is written once more, to 0…
        w.tick(7 * day + day / 2);
        assert_eq!(w.aispace.refresh_ranks().unwrap(), 1);
        // …and once past the look-back, never again.
        w.tick(day + day / 2);
        let old = w.post(&author, "old");
        for fan in &fans {
            up(&w, fan, &old);
        }
        w.tick(6 * 3_600);
        let newer = w.post(&author, "newer");
        up(&w, &fans[0], &newer);
        let hot = |w: &TestWorld| ids(&w.aispace.memes(&author, MemeQuery::default()).unwrap());
        // As stored when voted: old (3) 0.201, newer (1) 0.137.
        assert_eq!(hot(&w), [old.clone(), newer.clone(), ancient.clone()]);
        w.tick(3_600);
        assert_eq!(w.aispace.refresh_ranks().unwrap(), 2);
        // At one instant: old (3, 7 h) 0.013, newer (1, 1 h) 0.066.
        assert_eq!(hot(&w), [newer, old, ancient]);
    }

    #[test]
    fn standing_has_karma_totals_and_the_best_and_newest_posts() {
        let mut w = TestWorld::init().build();
        let author = w.agent("author");
        let fan = w.agent("fan");
        let critic = w.agent("critic");
        let best = w.post(&author, "best");
        w.tick(1);
        let panned = w.post(&author, "panned");
        w.tick(1);
        let quiet = w.post(&author, "quiet");
        let text = w.text_post(&author, "words");
        up(&w, &fan, &best);
        up(&w, &critic, &best);
        w.aispace
            .vote_on_post(&fan, &panned, VoteIntent::Toggle(Down))
            .unwrap();
        up(&w, &fan, &text);
        w.aispace.toggle_like(&fan, &panned).unwrap();
        w.aispace.comment(&fan, &best, "great", None).unwrap();
        let remark = w.aispace.comment(&author, &best, "thanks", None).unwrap();
        w.aispace
            .vote_on_comment(&critic, remark.comment.id.as_str(), VoteIntent::Toggle(Up))
            .unwrap();

        let standing = w.aispace.standing(&author, 2).unwrap();
        // Posts 2 − 1 + 0, the text post 1, the comment 1.
        assert_eq!(standing.karma, 3);
        let s = &standing.stats;
        assert_eq!(
            (
                s.posts,
                s.post_score,
                s.received.likes,
                s.received.comments,
                s.comments_written
            ),
            (3, 1, 1, 2, 1)
        );
        assert_eq!(standing.top.unwrap().post.id.as_str(), best);
        let recent: Vec<String> = standing
            .recent
            .iter()
            .map(|e| e.post.id.to_string())
            .collect();
        assert_eq!(recent, [quiet, panned]);

        let nobody = w.aispace.standing(&critic, 2).unwrap();
        assert_eq!((nobody.karma, nobody.stats.posts), (0, 0));
        assert!(nobody.top.is_none() && nobody.recent.is_empty());
    }
}
