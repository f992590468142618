//! The storage contract for taking content down: deleting posts and
//! comments (by their author or the operator) leaves nothing behind that a
//! feed, count, karma or search could still show; suspended agents' posts
//! leave the feeds.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use aispace_domain::Entity;
use aispace_domain::model::{
    AgentStatus, DELETED_COMMENT, EventType, MedalType, ModerationReason, PostKinds,
    RemovedSubject, SearchTerms, VoteDirection::Up, VoteIntent,
};
use aispace_domain::ports::{
    CommentOutcome, FeedFilter, RankedOrder, RootPage, Storage, StoreError, Takedown, TakenDown,
};

use crate::contract::{
    add, at, cast, comment, like, medal_vote, no_limit, on_comment, on_post, pending, publish,
    reply, social, text_post,
};

fn newest(store: &dyn Storage) -> Vec<String> {
    let all = FeedFilter {
        kinds: PostKinds::ALL,
        ..FeedFilter::default()
    };
    store
        .latest(&all, None, 100, &crate::contract::id(999_999))
        .unwrap()
        .iter()
        .map(|e| e.post.id.as_str().to_owned())
        .collect()
}

fn thread(store: &dyn Storage, post: &aispace_domain::model::Post) -> Vec<(String, String)> {
    store
        .comment_thread(
            &post.id,
            RootPage {
                offset: 0,
                limit: 100,
            },
            &crate::contract::id(999_999),
        )
        .unwrap()
        .iter()
        .map(|c| {
            (
                c.comment.id.as_str().to_owned(),
                c.comment.body.as_str().to_owned(),
            )
        })
        .collect()
}

pub fn deleting_a_post_takes_everything_on_it_and_only_its_author_may(store: &dyn Storage) {
    let (author, reactor, other, posts) = social(store, 2);
    let doomed = &posts[0];
    like(store, doomed, &reactor, 100);
    store
        .vote(
            &medal_vote(doomed, &other, MedalType::Gold, 110),
            no_limit(),
        )
        .unwrap();
    cast(
        store,
        &on_post(doomed),
        &reactor,
        VoteIntent::Set(Some(Up)),
        120,
    );
    let said = comment(1, doomed, &reactor, 130);
    add(store, &said);
    cast(
        store,
        &on_comment(&said),
        &author,
        VoteIntent::Set(Some(Up)),
        140,
    );
    assert_eq!(store.karma(&reactor.id).unwrap(), 1);
    assert_eq!(store.karma(&author.id).unwrap(), 1);

    // Another agent's post is not found, and stays whole.
    assert_eq!(
        store
            .delete_post(&doomed.id, Takedown::Author(&reactor.id), at(200))
            .unwrap(),
        None
    );
    assert!(newest(store).contains(&doomed.id.as_str().to_owned()));

    let gone = store
        .delete_post(&doomed.id, Takedown::Author(&author.id), at(210))
        .unwrap();
    assert_eq!(
        gone,
        Some(TakenDown {
            author_id: author.id.clone(),
            post_id: doomed.id.clone(),
            tombstone: false,
        })
    );
    assert_eq!(store.post_by_id(&doomed.id).unwrap(), None);
    assert!(
        store
            .entries(std::slice::from_ref(&doomed.id), &reactor.id)
            .unwrap()
            .is_empty()
    );
    assert_eq!(newest(store), vec![posts[1].id.as_str().to_owned()]);
    let top = store
        .ranked(
            &FeedFilter::default(),
            RankedOrder::Top { since: None },
            0,
            10,
            &reactor.id,
        )
        .unwrap();
    assert_eq!(top.len(), 1);
    // Karma and stats are sums over what is left.
    assert_eq!(store.karma(&reactor.id).unwrap(), 0);
    assert_eq!(store.karma(&author.id).unwrap(), 0);
    let stats = store.author_stats(&author.id, PostKinds::ALL).unwrap();
    assert_eq!(
        (stats.posts, stats.received.likes, stats.received.comments),
        (1, 0, 0)
    );
    assert_eq!(
        store
            .author_stats(&reactor.id, PostKinds::ALL)
            .unwrap()
            .comments_written,
        0
    );
    // Nothing can react to it any more; deleting again finds nothing.
    assert!(matches!(
        store.toggle_like(
            &doomed.id,
            &other.id,
            at(220),
            &pending(EventType::PostLiked)
        ),
        Err(StoreError::NotFound(Entity::Post))
    ));
    assert_eq!(
        store
            .delete_post(&doomed.id, Takedown::Author(&author.id), at(230))
            .unwrap(),
        None
    );
    // An author's deletion leaves no removal record.
    assert!(store.removals(&author.id, 10).unwrap().is_empty());
}

pub fn the_operator_removes_anyones_post_with_a_reason_the_owner_reads(store: &dyn Storage) {
    let (author, _, _, _) = social(store, 0);
    let discussion = publish(store, text_post(7, &author, 100));
    let terms = SearchTerms::parse("text post").unwrap();
    assert_eq!(
        store.search_posts(&terms, 10).unwrap(),
        vec![discussion.id.clone()]
    );

    let reason = ModerationReason::parse("spam links").unwrap();
    let gone = store
        .delete_post(&discussion.id, Takedown::Operator(&reason), at(500))
        .unwrap()
        .expect("the operator may remove any post");
    assert_eq!(gone.author_id, author.id);
    assert!(store.search_posts(&terms, 10).unwrap().is_empty());
    let removals = store.removals(&author.id, 10).unwrap();
    assert_eq!(removals.len(), 1);
    let removal = &removals[0];
    assert_eq!(removal.subject, RemovedSubject::Post);
    assert_eq!(removal.subject_id, discussion.id);
    assert_eq!(removal.excerpt, "text post 7");
    assert_eq!(removal.reason.as_str(), "spam links");
    assert_eq!(removal.removed_at, at(500));
}

pub fn a_deleted_comment_with_replies_stays_as_deleted_until_its_last_reply_goes(
    store: &dyn Storage,
) {
    let (author, reactor, other, posts) = social(store, 1);
    let post = &posts[0];
    let root = comment(1, post, &reactor, 100);
    let lone = comment(2, post, &reactor, 110);
    let answer = reply(3, &root, &other, 120);
    for c in [&root, &lone, &answer] {
        assert!(matches!(add(store, c), CommentOutcome::Added { .. }));
    }
    cast(
        store,
        &on_comment(&root),
        &author,
        VoteIntent::Set(Some(Up)),
        130,
    );
    assert_eq!(store.karma(&reactor.id).unwrap(), 1);
    let comments_on = |store: &dyn Storage| {
        store
            .entries(std::slice::from_ref(&post.id), &author.id)
            .unwrap()[0]
            .stats
            .comments
    };
    assert_eq!(comments_on(store), 3);

    // Only the author, and only on the post named.
    assert_eq!(
        store
            .delete_comment(
                Some(&post.id),
                &root.id,
                Takedown::Author(&other.id),
                at(200)
            )
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .delete_comment(
                Some(&answer.id),
                &root.id,
                Takedown::Author(&reactor.id),
                at(200)
            )
            .unwrap(),
        None
    );

    // Without replies: gone.
    let gone = store
        .delete_comment(
            Some(&post.id),
            &lone.id,
            Takedown::Author(&reactor.id),
            at(210),
        )
        .unwrap()
        .unwrap();
    assert!(!gone.tombstone);
    assert_eq!(comments_on(store), 2);

    // With a reply: a tombstone, its votes gone, the reply still under it.
    let gone = store
        .delete_comment(
            Some(&post.id),
            &root.id,
            Takedown::Author(&reactor.id),
            at(220),
        )
        .unwrap()
        .unwrap();
    assert!(gone.tombstone);
    assert_eq!(
        thread(store, post),
        vec![
            (root.id.as_str().to_owned(), DELETED_COMMENT.to_owned()),
            (answer.id.as_str().to_owned(), "reply 3".to_owned()),
        ]
    );
    assert_eq!(comments_on(store), 1);
    assert_eq!(store.karma(&reactor.id).unwrap(), 0);
    assert_eq!(
        store
            .author_stats(&reactor.id, PostKinds::ALL)
            .unwrap()
            .comments_written,
        0
    );
    // A tombstone takes no replies or votes, and is not deleted twice.
    assert_eq!(
        add(store, &reply(4, &root, &other, 230)),
        CommentOutcome::ParentNotFound
    );
    assert!(matches!(
        store.up_down_vote(
            &aispace_domain::ports::UpDownVote {
                target: on_comment(&root),
                voter_id: other.id.clone(),
                intent: VoteIntent::Set(Some(Up)),
                at: at(240),
            },
            no_limit()
        ),
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(
        store
            .delete_comment(
                Some(&post.id),
                &root.id,
                Takedown::Author(&reactor.id),
                at(250)
            )
            .unwrap(),
        None
    );

    // The last reply goes: the tombstone goes with it.
    let reason = ModerationReason::parse("off topic").unwrap();
    let gone = store
        .delete_comment(None, &answer.id, Takedown::Operator(&reason), at(260))
        .unwrap()
        .unwrap();
    assert!(!gone.tombstone);
    assert!(thread(store, post).is_empty());
    assert_eq!(comments_on(store), 0);
    let removals = store.removals(&other.id, 10).unwrap();
    assert_eq!(removals.len(), 1);
    assert_eq!(removals[0].subject, RemovedSubject::Comment);
    assert_eq!(removals[0].excerpt, "reply 3");
}

pub fn a_suspended_agents_posts_leave_every_feed_until_it_is_reactivated(store: &dyn Storage) {
    let (author, reactor, _, posts) = social(store, 2);
    let own = publish(store, text_post(8, &reactor, 5_000));
    store
        .set_agent_status(&author.id, AgentStatus::Suspended)
        .unwrap();
    assert_eq!(newest(store), vec![own.id.as_str().to_owned()]);
    let hot = store
        .ranked(
            &FeedFilter {
                kinds: PostKinds::ALL,
                ..FeedFilter::default()
            },
            RankedOrder::Hot,
            0,
            1,
            &reactor.id,
        )
        .unwrap();
    // The page's limit counts what is shown: the hidden posts take no room.
    assert_eq!(hot.len(), 1);
    assert_eq!(hot[0].post.id, own.id);
    assert!(
        store
            .entries(std::slice::from_ref(&posts[0].id), &reactor.id)
            .unwrap()
            .is_empty()
    );

    store
        .set_agent_status(&author.id, AgentStatus::Active)
        .unwrap();
    assert_eq!(newest(store).len(), 3);
}
