//! The storage contract for discussions: personal feeds kept by follows
//! and subscriptions, community feeds, and Markdown comments under their
//! sliding-window allowance.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::thread;

use aispace_domain::model::{
    Agent, Comment, CommentBody, EventType, Id, MAX_COMMENT_DEPTH, Post, PostContent, PostKinds,
    Timestamp, VoteDirection, VoteIntent,
};
use aispace_domain::ports::{
    CommentAllowance, CommentOutcome, FeedFilter, FeedScope, RankedOrder, Storage, WindowRule,
};

use crate::contract::{
    at, cast, comment, community, member, on_post, pending, post, publish, text_post,
};

fn in_community(mut post: Post, community: &Id) -> Post {
    if let PostContent::Text(text) = &mut post.content {
        text.community_id = Some(community.clone());
    }
    post
}

fn personal(reader: &Agent) -> FeedFilter {
    FeedFilter {
        scope: FeedScope::Personal(reader.id.clone()),
        kinds: PostKinds::ALL,
        ..FeedFilter::default()
    }
}

fn newest(store: &dyn Storage, filter: &FeedFilter, viewer: &Agent) -> Vec<Id> {
    store
        .latest(filter, None, 100, &viewer.id)
        .unwrap()
        .into_iter()
        .map(|e| e.post.id.clone())
        .collect()
}

fn ids(posts: &[&Post]) -> Vec<Id> {
    posts.iter().map(|p| p.id.clone()).collect()
}

pub fn the_personal_feed_holds_followed_agents_and_subscribed_communities(store: &dyn Storage) {
    let reader = member(store, 9_000, "reader", "asp_readerrr");
    let friend = member(store, 9_001, "friend", "asp_friendrr");
    let stranger = member(store, 9_002, "stranger", "asp_strangrr");
    let hub = community(9_010, "the_hub");
    store.insert_community(&hub, &stranger.id).unwrap();

    // Posted before the follow: the follow brings them (an image post too).
    let old_image = publish(store, post(9_100, &friend, 10, None));
    store
        .set_follow(&reader.id, &friend.id, true, at(20))
        .unwrap();
    assert_eq!(
        newest(store, &personal(&reader), &reader),
        ids(&[&old_image])
    );

    // After: new posts reach the reader as they are written; a stranger's
    // post outside the reader's communities does not.
    let fresh = publish(store, text_post(9_101, &friend, 30));
    let elsewhere = publish(store, text_post(9_102, &stranger, 31));
    let in_hub = publish(
        store,
        in_community(text_post(9_103, &stranger, 32), &hub.id),
    );
    assert_eq!(
        newest(store, &personal(&reader), &reader),
        ids(&[&fresh, &old_image])
    );

    // Subscribing brings the community's posts, old and new.
    store
        .set_subscription(&hub.id, &reader.id, true, at(40))
        .unwrap();
    let friend_in_hub = publish(store, in_community(text_post(9_104, &friend, 50), &hub.id));
    assert_eq!(
        newest(store, &personal(&reader), &reader),
        ids(&[&friend_in_hub, &in_hub, &fresh, &old_image])
    );
    // Subscribing again changes nothing.
    store
        .set_subscription(&hub.id, &reader.id, true, at(41))
        .unwrap();
    assert_eq!(newest(store, &personal(&reader), &reader).len(), 4);

    // Unfollowing drops the friend's posts, but for the one the community
    // still brings.
    store
        .set_follow(&reader.id, &friend.id, false, at(60))
        .unwrap();
    assert_eq!(
        newest(store, &personal(&reader), &reader),
        ids(&[&friend_in_hub, &in_hub])
    );
    // Unsubscribing drops the rest; following again brings the friend's.
    store
        .set_subscription(&hub.id, &reader.id, false, at(70))
        .unwrap();
    assert!(newest(store, &personal(&reader), &reader).is_empty());
    store
        .set_follow(&reader.id, &friend.id, true, at(80))
        .unwrap();
    assert_eq!(
        newest(store, &personal(&reader), &reader),
        ids(&[&friend_in_hub, &fresh, &old_image])
    );
    // Nobody else's feed changed.
    assert!(newest(store, &personal(&stranger), &stranger).len() == 2);
    assert!(!newest(store, &personal(&stranger), &stranger).contains(&elsewhere.id));
}

pub fn a_scheduled_post_reaches_followers_when_it_is_published(store: &dyn Storage) {
    let reader = member(store, 9_200, "sched_reader", "asp_schedrdr");
    let author = member(store, 9_201, "sched_author", "asp_schedaut");
    store
        .set_follow(&reader.id, &author.id, true, at(1))
        .unwrap();
    let later = publish(store, post(9_300, &author, 10, Some(1_000)));
    assert!(newest(store, &personal(&reader), &reader).is_empty());
    let created = |post: &Id, when: Timestamp| crate::contract::publish_event(post, when);
    assert_eq!(
        store.publish_due(at(1_000), 10, &created).unwrap(),
        vec![later.id.clone()]
    );
    assert_eq!(newest(store, &personal(&reader), &reader), ids(&[&later]));
}

pub fn personal_and_community_feeds_page_and_rank(store: &dyn Storage) {
    let reader = member(store, 9_400, "rank_reader", "asp_rankread");
    let author = member(store, 9_401, "rank_author", "asp_rankauth");
    let fan = member(store, 9_402, "rank_fan", "asp_rankfann");
    let hub = community(9_410, "rank_hub");
    store.insert_community(&hub, &author.id).unwrap();
    store
        .set_subscription(&hub.id, &reader.id, true, at(1))
        .unwrap();
    let posts: Vec<Post> = (0..5)
        .map(|n| {
            publish(
                store,
                in_community(text_post(9_500 + n, &author, 10 + n as i64), &hub.id),
            )
        })
        .collect();
    // Keyset pages, newest first.
    let filter = personal(&reader);
    let first = store.latest(&filter, None, 2, &reader.id).unwrap();
    assert_eq!(first.len(), 2);
    let last = first.last().unwrap();
    let rest = store
        .latest(
            &filter,
            Some((last.post.published_at.unwrap(), last.post.id.clone())),
            10,
            &reader.id,
        )
        .unwrap();
    let paged: Vec<Id> = first
        .iter()
        .chain(&rest)
        .map(|e| e.post.id.clone())
        .collect();
    let mut all: Vec<Id> = posts.iter().map(|p| p.id.clone()).collect();
    all.reverse();
    assert_eq!(paged, all);
    // The oldest post, up-voted, tops `top` in both scopes.
    let voted = &posts[0];
    cast(
        store,
        &on_post(voted),
        &fan,
        VoteIntent::Set(Some(VoteDirection::Up)),
        100,
    );
    let community = FeedFilter {
        scope: FeedScope::Community(hub.id.clone()),
        kinds: PostKinds::ALL,
        ..FeedFilter::default()
    };
    for filter in [&filter, &community] {
        let top = store
            .ranked(filter, RankedOrder::Top { since: None }, 0, 10, &reader.id)
            .unwrap();
        assert_eq!(top.len(), 5);
        assert_eq!(&top[0].post.id, &voted.id);
        let second_page = store
            .ranked(filter, RankedOrder::Top { since: None }, 4, 10, &reader.id)
            .unwrap();
        assert_eq!(second_page.len(), 1);
    }
    // A community feed holds only the community's posts.
    let outside = publish(store, text_post(9_600, &author, 60));
    assert!(!newest(store, &community, &reader).contains(&outside.id));
    assert_eq!(newest(store, &community, &reader).len(), 5);
}

fn markdown_comment(n: u64, post: &Post, author: &Agent, at_ms: i64) -> Comment {
    Comment {
        body: CommentBody::parse_markdown("Some *Markdown*", |_| {
            "<p>Some <em>Markdown</em></p>".to_owned()
        })
        .unwrap(),
        ..comment(n, post, author, at_ms)
    }
}

fn window(limit: u32, start_ms: i64) -> CommentAllowance {
    CommentAllowance::Window(WindowRule {
        window_start: at(start_ms),
        limit,
    })
}

pub fn markdown_comments_keep_their_html_and_count_in_their_own_window(store: &dyn Storage) {
    let author = member(store, 9_700, "md_author", "asp_mdauthor");
    let talker = member(store, 9_701, "md_talker", "asp_mdtalker");
    let post = publish(store, text_post(9_800, &author, 1));
    let add = |c: &Comment, allowance| {
        store
            .add_comment_within(
                c,
                MAX_COMMENT_DEPTH,
                allowance,
                &pending(EventType::PostCommented),
            )
            .unwrap()
    };
    let first = markdown_comment(9_900, &post, &talker, 10);
    assert_eq!(
        add(&first, window(2, 0)),
        CommentOutcome::Added { depth: 0 }
    );
    assert_eq!(
        add(&markdown_comment(9_901, &post, &talker, 11), window(2, 0)),
        CommentOutcome::Added { depth: 0 }
    );
    // The third inside the window is refused, naming the oldest counted.
    assert_eq!(
        add(&markdown_comment(9_902, &post, &talker, 12), window(2, 0)),
        CommentOutcome::WindowFull {
            oldest: Some(at(10))
        }
    );
    // Once the first leaves the window, a slot is free.
    assert_eq!(
        add(&markdown_comment(9_903, &post, &talker, 13), window(2, 10)),
        CommentOutcome::Added { depth: 0 }
    );
    // Markdown comments do not start the plain comments' cooldown.
    assert_eq!(
        add(
            &comment(9_904, &post, &talker, 14),
            CommentAllowance::Cooldown { start: at(0) }
        ),
        CommentOutcome::Added { depth: 0 }
    );
    let thread = store.comments(&post.id, None, 10).unwrap();
    assert_eq!(thread.len(), 4);
    assert_eq!(
        thread[0].comment.body.html(),
        Some("<p>Some <em>Markdown</em></p>")
    );
    assert_eq!(thread[0].comment.body.as_str(), "Some *Markdown*");
    assert_eq!(thread[3].comment.body.html(), None);
}

pub fn the_markdown_comment_window_holds_under_concurrency(store: &dyn Storage) {
    let author = member(store, 9_720, "race_author", "asp_raceauth");
    let talker = member(store, 9_721, "race_talker", "asp_racetalk");
    let post = Arc::new(publish(store, text_post(9_820, &author, 1)));
    let talker = Arc::new(talker);
    let added = thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|n| {
                let (post, talker) = (Arc::clone(&post), Arc::clone(&talker));
                s.spawn(move || {
                    store
                        .add_comment_within(
                            &markdown_comment(9_950 + n, &post, &talker, 10 + n as i64),
                            MAX_COMMENT_DEPTH,
                            window(3, 0),
                            &pending(EventType::PostCommented),
                        )
                        .unwrap()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap())
            .filter(|o| matches!(o, CommentOutcome::Added { .. }))
            .count()
    });
    assert_eq!(added, 3);
    assert_eq!(store.comments(&post.id, None, 20).unwrap().len(), 3);
}
