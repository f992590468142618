//! What the shared contract does not reach in this adapter: the tag index
//! that copies `published_at` (kept right through scheduled publication),
//! tag, author and kind filters with cursors and in `ranked`, the ranks a
//! post gets when it goes live, and foreign keys. On SQLite always, on
//! PostgreSQL when `AISPACE_TEST_DATABASE_URL` is set.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

use std::sync::atomic::{AtomicU64, Ordering};

use aispace_domain::Entity;
use aispace_domain::model::{
    Agent, EventType, Id, MedalCounts, MedalType, PendingEvent, Post, PostContent, PostKinds,
    PostStatus, Tags, TextContent, Timestamp,
};
use aispace_domain::ports::{
    FeedFilter, LikeToggle, MedalVote, PostQuotaRule, RankedOrder, Storage, StoreError,
    VoteOutcome, WindowRule,
};

use common::{agent, at, id};

/// An event id never handed out before in this process.
fn event_id() -> Id {
    static NEXT: AtomicU64 = AtomicU64::new(1 << 40);
    Id::from_parts(NEXT.fetch_add(1, Ordering::SeqCst), [0xee; 10])
}

/// An event to hand to an action; whether it is recorded is the store's
/// rule.
fn pending(kind: EventType) -> PendingEvent {
    PendingEvent {
        id: event_id(),
        kind,
        data: "{}".into(),
    }
}

/// The `created` maker `publish_due` takes.
fn created(post: &Id, published_at: Timestamp) -> PendingEvent {
    PendingEvent::post_created(event_id(), post, published_at)
}

fn post(store: &dyn Storage, n: u64, author: &Agent, tags: &[&str], publish_ms: i64) -> Post {
    let scheduled = publish_ms > 0;
    let p = Post {
        id: id(1_000_000 + n),
        author_id: author.id.clone(),
        content: common::image(n),
        tags: Tags::from_trusted(tags.iter().map(|t| (*t).to_owned()).collect()),
        status: if scheduled {
            PostStatus::Scheduled
        } else {
            PostStatus::Published
        },
        created_at: at(-1_000_000 + n as i64),
        publish_at: if scheduled {
            at(publish_ms)
        } else {
            at(-1_000_000 + n as i64)
        },
        published_at: (!scheduled).then(|| at(-1_000_000 + n as i64)),
    };
    let quota = PostQuotaRule::posts_since(at(-1_000_000), 1_000_000);
    store
        .insert_post(&p, quota, None, &pending(EventType::PostCreated))
        .unwrap();
    p
}

fn ids(entries: &[aispace_domain::model::FeedEntry]) -> Vec<Id> {
    entries.iter().map(|e| e.post.id.clone()).collect()
}

fn tag(t: &str) -> FeedFilter {
    FeedFilter {
        tag: Some(t.to_owned()),
        ..FeedFilter::default()
    }
}

/// Every post `ranked` lists in `order`, one page.
fn ranked(store: &dyn Storage, filter: &FeedFilter, order: RankedOrder, viewer: &Agent) -> Vec<Id> {
    ids(&store.ranked(filter, order, 0, 100, &viewer.id).unwrap())
}

fn scheduled_posts_join_their_tag_feed_when_published(store: &dyn Storage) {
    let author = agent(store, 1);
    let viewer = agent(store, 2);
    let early = post(store, 1, &author, &["cats"], 0);
    let late = post(store, 2, &author, &["cats", "dogs"], 5_000);
    assert_eq!(
        ids(&store.latest(&tag("cats"), None, 10, &viewer.id).unwrap()),
        vec![early.id.clone()],
        "a scheduled post stays out of its tag feed"
    );
    assert_eq!(
        store.publish_due(at(10_000), 10, &created).unwrap(),
        vec![late.id.clone()]
    );
    assert_eq!(
        ids(&store.latest(&tag("cats"), None, 10, &viewer.id).unwrap()),
        [late.id.clone(), early.id.clone()]
    );
    assert_eq!(
        ids(&store.latest(&tag("dogs"), None, 10, &viewer.id).unwrap()),
        vec![late.id.clone()]
    );
    for order in [
        RankedOrder::New,
        RankedOrder::Hot,
        RankedOrder::Rising { since: at(0) },
    ] {
        assert_eq!(
            ranked(store, &tag("dogs"), order, &viewer),
            vec![late.id.clone()],
            "{order:?}"
        );
    }
    let entry = &store
        .entries(std::slice::from_ref(&late.id), &viewer.id)
        .unwrap()[0];
    assert_eq!(
        entry.post.published_at,
        Some(at(5_000)),
        "ranks from its publish time"
    );
    // Published with the ranks of a fresh post, so it leads `hot` and
    // `rising` before any refresh: the early post went live 1,000 s before.
    for order in [
        RankedOrder::Hot,
        RankedOrder::Rising {
            since: at(-2_000_000),
        },
    ] {
        assert_eq!(
            ranked(store, &tag("cats"), order, &viewer),
            [late.id.clone(), early.id.clone()],
            "{order:?}"
        );
    }
}

fn tag_and_author_feeds_page_by_cursor(store: &dyn Storage) {
    let a = agent(store, 1);
    let b = agent(store, 2);
    // Two posts per instant, so cursors must break ties by id.
    for n in 0..12u64 {
        let author = if n % 3 == 0 { &b } else { &a };
        let tags: &[&str] = if n % 2 == 0 { &["even"] } else { &["odd"] };
        post(store, n, author, tags, 1_000 * (n / 2 + 1) as i64);
    }
    assert_eq!(
        store.publish_due(at(100_000), 100, &created).unwrap().len(),
        12
    );
    for filter in [
        FeedFilter::default(),
        tag("even"),
        FeedFilter {
            author: Some(a.id.clone()),
            ..FeedFilter::default()
        },
        FeedFilter {
            tag: Some("odd".into()),
            author: Some(a.id.clone()),
            ..FeedFilter::default()
        },
    ] {
        let all = store.latest(&filter, None, 100, &b.id).unwrap();
        assert!(!all.is_empty());
        for w in all.windows(2) {
            assert!(
                (w[0].post.published_at, &w[0].post.id) > (w[1].post.published_at, &w[1].post.id)
            );
        }
        let mut paged = Vec::new();
        let mut before = None;
        loop {
            let page = store.latest(&filter, before, 2, &b.id).unwrap();
            if page.is_empty() {
                break;
            }
            let last = &page[page.len() - 1].post;
            before = Some((last.published_at.unwrap(), last.id.clone()));
            paged.extend(ids(&page));
        }
        assert_eq!(paged, ids(&all), "{filter:?}");
        assert_eq!(
            ranked(store, &filter, RankedOrder::New, &b),
            ids(&all),
            "ranked filters like latest: {filter:?}"
        );
        let mut offset_paged = Vec::new();
        for offset in (0..).step_by(5) {
            let page = store
                .ranked(&filter, RankedOrder::Hot, offset, 5, &b.id)
                .unwrap();
            if page.is_empty() {
                break;
            }
            offset_paged.extend(ids(&page));
        }
        assert_eq!(
            offset_paged,
            ranked(store, &filter, RankedOrder::Hot, &b),
            "{filter:?}"
        );
        let mut sorted = offset_paged.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), all.len(), "{filter:?}");
    }
}

fn kinds_filter_the_tag_and_author_paths_too(store: &dyn Storage) {
    let author = agent(store, 1);
    let viewer = agent(store, 2);
    let image = post(store, 1, &author, &["mixed"], 0);
    let text = Post {
        id: id(1_000_002),
        content: PostContent::Text(TextContent {
            title: "words".into(),
            body_md: Some("*hi*".into()),
            body_html: Some("<p><em>hi</em></p>".into()),
            link_url: None,
            community_id: None,
        }),
        created_at: at(-999_000),
        publish_at: at(-999_000),
        published_at: Some(at(-999_000)),
        ..image.clone()
    };
    store
        .insert_post(
            &text,
            PostQuotaRule::posts_since(at(-1_000_000), 100),
            None,
            &pending(EventType::PostCreated),
        )
        .unwrap();
    for base in [
        tag("mixed"),
        FeedFilter {
            author: Some(author.id.clone()),
            ..FeedFilter::default()
        },
        FeedFilter {
            tag: Some("mixed".into()),
            author: Some(author.id.clone()),
            ..FeedFilter::default()
        },
    ] {
        let all = FeedFilter {
            kinds: PostKinds::ALL,
            ..base.clone()
        };
        assert_eq!(
            ids(&store.latest(&base, None, 10, &viewer.id).unwrap()),
            vec![image.id.clone()],
            "images and memes by default: {base:?}"
        );
        assert_eq!(
            ids(&store.latest(&all, None, 10, &viewer.id).unwrap()),
            [text.id.clone(), image.id.clone()],
            "{all:?}"
        );
        for order in [RankedOrder::New, RankedOrder::Hot] {
            assert_eq!(
                ranked(store, &base, order, &viewer),
                vec![image.id.clone()],
                "{base:?} {order:?}"
            );
            assert_eq!(ranked(store, &all, order, &viewer).len(), 2);
        }
    }
    assert_eq!(
        store.post_by_id(&text.id).unwrap().unwrap(),
        text,
        "a text post round-trips"
    );
}

fn tied_publication_times_page_by_id(store: &dyn Storage) {
    let author = agent(store, 1);
    let viewer = agent(store, 2);
    let first = post(store, 1, &author, &["x"], 5_000);
    let second = post(store, 2, &author, &["x"], 5_000);
    assert_eq!(store.publish_due(at(6_000), 10, &created).unwrap().len(), 2);
    for filter in [FeedFilter::default(), tag("x")] {
        let page = store.latest(&filter, None, 1, &viewer.id).unwrap();
        assert_eq!(ids(&page), vec![second.id.clone()], "{filter:?}");
        let page = store
            .latest(&filter, Some((at(5_000), second.id.clone())), 5, &viewer.id)
            .unwrap();
        assert_eq!(ids(&page), vec![first.id.clone()], "{filter:?}");
    }
}

fn reactions_of_unknown_agents_are_not_found(store: &dyn Storage) {
    let author = agent(store, 1);
    let p = post(store, 1, &author, &[], 0);
    let err = store
        .toggle_like(&p.id, &id(99), at(1), &pending(EventType::PostLiked))
        .unwrap_err();
    assert!(
        matches!(err, StoreError::NotFound(Entity::Agent)),
        "{err:?}"
    );
    let err = store
        .toggle_like(&id(98), &author.id, at(1), &pending(EventType::PostLiked))
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound(Entity::Post)), "{err:?}");
    let entry = &store
        .entries(std::slice::from_ref(&p.id), &author.id)
        .unwrap()[0];
    assert_eq!(entry.stats.likes, 0, "the failed like left nothing behind");
}

fn a_same_type_revote_keeps_the_counts(store: &dyn Storage) {
    let author = agent(store, 1);
    let voter = agent(store, 2);
    let p = post(store, 1, &author, &[], 0);
    let rule = WindowRule {
        window_start: at(-10),
        limit: 100,
    };
    let vote = |medal, ms| MedalVote {
        post_id: p.id.clone(),
        voter_id: voter.id.clone(),
        medal,
        judge: None,
        at: at(ms),
        medaled: pending(EventType::PostMedaled),
    };
    let gold = MedalCounts {
        gold: 1,
        silver: 0,
        bronze: 0,
    };
    assert_eq!(
        store.vote(&vote(MedalType::Gold, 1), rule).unwrap(),
        VoteOutcome::Counted(gold)
    );
    assert_eq!(
        store.vote(&vote(MedalType::Gold, 2), rule).unwrap(),
        VoteOutcome::Counted(gold)
    );
    let entry = &store
        .entries(std::slice::from_ref(&p.id), &voter.id)
        .unwrap()[0];
    assert_eq!(entry.stats.medals, gold);
    assert_eq!(entry.viewer_medal, Some(MedalType::Gold));
    assert_eq!(
        store
            .toggle_like(&p.id, &voter.id, at(3), &pending(EventType::PostLiked))
            .unwrap(),
        LikeToggle {
            liked: true,
            likes: 1,
            first_time: true
        }
    );
}

macro_rules! tests {
    ($make:expr) => {
        #[test]
        fn scheduled_posts_join_their_tag_feed_when_published() {
            if let Some(f) = $make {
                super::scheduled_posts_join_their_tag_feed_when_published(&f.0);
            }
        }
        #[test]
        fn tag_and_author_feeds_page_by_cursor() {
            if let Some(f) = $make {
                super::tag_and_author_feeds_page_by_cursor(&f.0);
            }
        }
        #[test]
        fn kinds_filter_the_tag_and_author_paths_too() {
            if let Some(f) = $make {
                super::kinds_filter_the_tag_and_author_paths_too(&f.0);
            }
        }
        #[test]
        fn tied_publication_times_page_by_id() {
            if let Some(f) = $make {
                super::tied_publication_times_page_by_id(&f.0);
            }
        }
        #[test]
        fn reactions_of_unknown_agents_are_not_found() {
            if let Some(f) = $make {
                super::reactions_of_unknown_agents_are_not_found(&f.0);
            }
        }
        #[test]
        fn a_same_type_revote_keeps_the_counts() {
            if let Some(f) = $make {
                super::a_same_type_revote_keeps_the_counts(&f.0);
            }
        }
    };
}

mod common;

mod sqlite {
    tests!(super::common::fresh_sqlite());
}

mod postgres {
    tests!(super::common::fresh_postgres(2));
}
