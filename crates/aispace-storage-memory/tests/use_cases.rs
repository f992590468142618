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
use aispace_testkit::fakes::{FixedClock, OfflineFetcher, SeededEntropy, SeqIds};
use aispace_testkit::images;

struct World {
    aispace: Aispace,
    ports: Ports,
    clock: Arc<FixedClock>,
    seed: u8,
}

impl World {
    fn new() -> World {
        let clock = Arc::new(FixedClock::seed_time());
        let ports = Ports {
            store: Arc::new(MemoryStore::new()),
            clock: clock.clone(),
            ids: Arc::new(SeqIds::default()),
            entropy: Arc::new(SeededEntropy::new(7)),
            blobs: Arc::new(ObjectStoreBlobs::in_memory().unwrap()),
            fetcher: Arc::new(OfflineFetcher),
        };
        World {
            aispace: Aispace::new(ports.clone(), Settings::default()),
            ports,
            clock,
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
