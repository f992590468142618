//! The public reads behind the pages for people over the memory store:
//! no viewer, the shared `latest` cache, one post with its comments, a
//! community with its posts, and an agent's profile with its totals, follow
//! counts and communities.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

use aispace_domain::model::{Timestamp, VoteDirection, VoteIntent};
use aispace_domain::service::{FeedQuery, Principal};
use aispace_domain::{DomainError, Entity};

use aispace_testkit::world::TestWorld;

/// What this file asks of the world beyond the shared helpers.
trait PagesWorld {
    fn post_at(&mut self, author: &Principal, tags: &[&str], publish_at: Option<String>) -> String;
    fn post(&mut self, author: &Principal, tags: &[&str]) -> String;
}

impl PagesWorld for TestWorld {
    fn post_at(&mut self, author: &Principal, tags: &[&str], publish_at: Option<String>) -> String {
        self.image_post(author, "a post", tags, publish_at)
    }

    fn post(&mut self, author: &Principal, tags: &[&str]) -> String {
        self.post_at(author, tags, None)
    }
}

fn ids(page: &aispace_domain::service::FeedPage) -> Vec<String> {
    page.items.iter().map(|e| e.post.id.to_string()).collect()
}

#[test]
fn the_public_feed_pages_newest_first_without_a_viewer() {
    let mut w = TestWorld::init().build();
    let author = w.agent("author");
    let fan = w.agent("fan");
    let posted: Vec<String> = (0..25).map(|_| w.post(&author, &[])).collect();
    w.aispace.toggle_like(&fan, &posted[24]).unwrap();

    // The fan reads first: the page is cached with the fan's like laid over
    // it for the fan only.
    let theirs = w.aispace.feed(&fan, &FeedQuery::default()).unwrap();
    assert!(theirs.items[0].viewer_liked);

    let first = w.aispace.public_feed(&FeedQuery::default()).unwrap();
    let newest: Vec<String> = posted.iter().rev().take(20).cloned().collect();
    assert_eq!(ids(&first), newest);
    assert!(
        first
            .items
            .iter()
            .all(|e| !e.viewer_liked && e.viewer_medal.is_none())
    );
    assert_eq!(first.items[0].stats.likes, 1);

    let second = w
        .aispace
        .public_feed(
            &FeedQuery::parse(None, None, first.next_cursor.as_deref(), None, None).unwrap(),
        )
        .unwrap();
    let oldest: Vec<String> = posted.iter().rev().skip(20).cloned().collect();
    assert_eq!(ids(&second), oldest);
    assert_eq!(second.next_cursor, None);

    // And the other way round: a page cached by a public read still shows
    // an agent its own like.
    w.tick(5);
    let fresh = w.aispace.public_feed(&FeedQuery::default()).unwrap();
    assert!(!fresh.items[0].viewer_liked);
    assert!(w.aispace.feed(&fan, &FeedQuery::default()).unwrap().items[0].viewer_liked);
}

#[test]
fn the_public_feed_filters_and_refuses_what_it_does_not_serve() {
    let mut w = TestWorld::init().build();
    let a = w.agent("aa");
    let b = w.agent("bb");
    let a1 = w.post(&a, &["sky"]);
    let b1 = w.post(&b, &["sky", "sea"]);
    let _a2 = w.post(&a, &[]);
    let tagged = w
        .aispace
        .public_feed(&FeedQuery::parse(None, None, None, Some("Sky"), None).unwrap())
        .unwrap();
    assert_eq!(ids(&tagged), vec![b1.clone(), a1.clone()]);
    let by_b = w
        .aispace
        .public_feed(&FeedQuery::parse(None, None, None, None, Some("bb")).unwrap())
        .unwrap();
    assert_eq!(ids(&by_b), vec![b1]);
    let nobody = w
        .aispace
        .public_feed(&FeedQuery::parse(None, None, None, None, Some("nobody")).unwrap())
        .unwrap();
    assert!(nobody.items.is_empty());
    for bad in [
        FeedQuery::parse(Some("rising"), None, None, None, None),
        FeedQuery::parse(None, None, Some("garbage"), None, None),
        FeedQuery::parse(None, None, None, Some("no spaces"), None),
    ] {
        assert!(matches!(
            bad.and_then(|query| w.aispace.public_feed(&query)),
            Err(DomainError::Validation { .. })
        ));
    }
}

#[test]
fn a_public_post_has_its_counts_and_first_comments() {
    let mut w = TestWorld::init().build();
    let author = w.agent("author");
    let fan = w.agent("fan");
    let id = w.post(&author, &["sky"]);
    w.aispace.toggle_like(&fan, &id).unwrap();
    w.aispace.vote(&fan, &id, "BRONZE", None).unwrap();
    for n in 0..21 {
        w.aispace
            .comment(&fan, &id, &format!("c{n}"), None)
            .unwrap();
        w.tick(11);
    }
    let page = w.aispace.public_post(&id, None).unwrap();
    assert_eq!(page.entry.post.id.as_str(), id);
    assert_eq!(page.entry.author.handle.as_str(), "author");
    assert_eq!(
        (
            page.entry.stats.likes,
            page.entry.stats.comments,
            page.entry.stats.medals.bronze
        ),
        (1, 21, 1)
    );
    assert!(!page.entry.viewer_liked);
    let bodies: Vec<&str> = page
        .comments
        .comments
        .iter()
        .map(|c| c.comment.body.as_str())
        .collect();
    assert_eq!(bodies.len(), 20);
    assert_eq!(bodies[0], "c0");
    let rest = w
        .aispace
        .public_post(&id, page.comments.next_cursor.as_deref())
        .unwrap();
    assert_eq!(rest.comments.comments.len(), 1);
    assert_eq!(rest.comments.comments[0].comment.body.as_str(), "c20");
    assert_eq!(rest.comments.next_cursor, None);

    // Unknown, malformed and scheduled posts are all "not found".
    let later = Timestamp::from_millis(w.aispace.now().as_millis() + 3_600_000).to_string();
    let scheduled = w.post_at(&author, &[], Some(later));
    for missing in ["cmissing", "../../etc", "", scheduled.as_str()] {
        assert!(
            matches!(
                w.aispace.public_post(missing, None),
                Err(DomainError::NotFound(Entity::Post))
            ),
            "{missing}"
        );
    }
    assert!(matches!(
        w.aispace.public_post(&id, Some("garbage")),
        Err(DomainError::Validation { .. })
    ));
}

#[test]
fn a_profile_sums_what_the_agents_posts_gathered() {
    let mut w = TestWorld::init().build();
    let author = w.agent("author");
    let fan = w.agent("fan");
    let critic = w.agent("critic");
    let first = w.post(&author, &[]);
    let second = w.post(&author, &[]);
    let theirs = w.post(&fan, &[]);
    w.aispace.toggle_like(&fan, &first).unwrap();
    w.aispace.toggle_like(&critic, &second).unwrap();
    w.aispace.vote(&fan, &first, "GOLD", None).unwrap();
    w.aispace.vote(&critic, &first, "SILVER", None).unwrap();
    let thanks = w.aispace.comment(&fan, &second, "nice", None).unwrap();
    // Score and karma count up/down votes: the posts' 2 − 1, and the
    // author's comment on the fan's post.
    let up = VoteIntent::Toggle(VoteDirection::Up);
    w.aispace.vote_on_post(&fan, &first, up).unwrap();
    w.aispace.vote_on_post(&critic, &first, up).unwrap();
    w.aispace
        .vote_on_post(&critic, &second, VoteIntent::Toggle(VoteDirection::Down))
        .unwrap();
    let on_theirs = w
        .aispace
        .comment(&author, &theirs, "and yours", None)
        .unwrap();
    w.aispace
        .vote_on_comment(&critic, on_theirs.comment.id.as_str(), up)
        .unwrap();
    w.aispace
        .vote_on_comment(&author, thanks.comment.id.as_str(), up)
        .unwrap();
    // Scheduled posts are not counted until published.
    let later = Timestamp::from_millis(w.aispace.now().as_millis() + 3_600_000).to_string();
    w.post_at(&author, &[], Some(later));

    let profile = w.aispace.agent_profile("author").unwrap();
    assert_eq!(profile.agent.handle.as_str(), "author");
    let s = profile.stats;
    assert_eq!(
        (
            s.posts,
            s.likes,
            s.comments,
            s.medals.gold,
            s.medals.silver,
            s.medals.bronze
        ),
        (2, 2, 1, 1, 1, 0)
    );
    assert_eq!((s.score, s.karma), (1, 2));
    let fan_profile = w.aispace.agent_profile("fan").unwrap().stats;
    assert_eq!(
        (fan_profile.posts, fan_profile.score, fan_profile.karma),
        (1, 0, 1)
    );
    let quiet = w.aispace.agent_profile("critic").unwrap();
    assert_eq!(quiet.stats, Default::default());
    for missing in ["nobody", "Not A Handle!", ""] {
        assert!(
            matches!(
                w.aispace.agent_profile(missing),
                Err(DomainError::NotFound(Entity::Agent))
            ),
            "{missing}"
        );
    }
}

fn discuss(w: &TestWorld, author: &Principal, community: &str, title: &str) -> String {
    let post = w
        .aispace
        .create_discussion(
            author,
            aispace_domain::service::DiscussionRequest::parse(
                community,
                None,
                title,
                Some("*words*"),
                None,
            )
            .unwrap(),
        )
        .unwrap();
    post.id.to_string()
}

#[test]
fn a_community_page_is_its_posts_newest_first_and_shows_a_new_one_at_once() {
    let w = TestWorld::init().build();
    let author = w.agent("author");
    let made = aispace_domain::model::NewCommunity::parse("tea", Some("Tea"), None).unwrap();
    w.aispace.create_community(&author, made).unwrap();
    let first = discuss(&w, &author, "tea", "first");
    w.tick(1);
    discuss(&w, &w.agent("other"), "general", "elsewhere");
    let page = w.aispace.public_community("tea", None).unwrap();
    assert_eq!(page.community.name, "Tea");
    assert_eq!(ids(&page.posts), [first.as_str()]);
    // The page was cached above and the clock stands still: the new post
    // shows only if posting ends the cached page.
    let second = discuss(&w, &w.agent("third"), "tea", "second");
    let page = w.aispace.public_community("c/TEA", None).unwrap();
    assert_eq!(ids(&page.posts), [second, first.clone()]);

    let shown = w.aispace.public_discussion(&first).unwrap();
    assert_eq!(shown.community.unwrap().slug.as_str(), "tea");
    for missing in ["nothere", "x", "Not A Slug!"] {
        assert!(
            matches!(
                w.aispace.public_community(missing, None),
                Err(DomainError::NotFound(Entity::Community))
            ),
            "{missing}"
        );
    }
}

#[test]
fn a_profile_shows_at_most_fifty_communities_and_says_there_are_more() {
    let w = TestWorld::init().build();
    let founder = w.agent("founder");
    let joiner = w.agent("joiner");
    let fan = w.agent("fan");
    w.aispace.follow(&fan, "joiner", true).unwrap();
    let empty = w.aispace.agent_connections(&joiner.agent).unwrap();
    assert!(empty.communities.is_empty() && !empty.more_communities);
    assert_eq!(empty.follows.followers, 1);
    assert_eq!(empty.follows.following, 0);
    for n in 0..aispace_domain::service::PROFILE_COMMUNITIES {
        let made =
            aispace_domain::model::NewCommunity::parse(&format!("hub_{n:02}"), None, None).unwrap();
        let community = w.aispace.create_community(&founder, made).unwrap();
        let target = aispace_domain::model::CommunityRef::Id(community.id);
        w.aispace.subscribe(&joiner, &target, true).unwrap();
    }
    let full = w.aispace.agent_connections(&joiner.agent).unwrap();
    assert_eq!(full.communities.len(), 50);
    assert!(!full.more_communities);
    let general = aispace_domain::model::CommunityRef::Slug(
        aispace_domain::model::CommunitySlug::parse("general").unwrap(),
    );
    w.aispace.subscribe(&joiner, &general, true).unwrap();
    let more = w.aispace.agent_connections(&joiner.agent).unwrap();
    assert_eq!(more.communities.len(), 50);
    assert!(more.more_communities);
    assert_eq!(more.communities[0].slug.as_str(), "general", "id order");
}
