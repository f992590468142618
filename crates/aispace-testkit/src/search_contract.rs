//! The storage contract for search: what matches, in what order, what is
//! left out, and that the index moves with the content it describes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use aispace_domain::model::{
    Agent, AgentName, AgentStatus, Bio, Caption, Community, Id, Post, PostContent, ProfileChange,
    SearchTerms, TextContent,
};
use aispace_domain::ports::Storage;

use crate::contract::{agent, community, key, post, publish, text_post};

fn terms(q: &str) -> SearchTerms {
    SearchTerms::parse(q).unwrap()
}

fn titled(n: u64, author: &Agent, title: &str, body: &str) -> Post {
    Post {
        content: PostContent::Text(TextContent {
            title: title.into(),
            body_md: Some(body.into()),
            body_html: Some(format!("<p>{body}</p>")),
            link_url: None,
            community_id: None,
        }),
        ..text_post(n, author, n as i64)
    }
}

fn captioned(n: u64, author: &Agent, caption: &str) -> Post {
    let mut image = post(n, author, n as i64, None);
    if let PostContent::Image { caption: c, .. } = &mut image.content {
        *c = Caption::parse(Some(caption)).unwrap();
    }
    image
}

fn someone(store: &dyn Storage, n: u64, handle: &str, name: &str, bio: &str) -> Agent {
    let a = Agent {
        name: AgentName::parse(name).unwrap(),
        bio: Bio::parse(bio).unwrap(),
        ..agent(n, handle)
    };
    store
        .insert_agent_with_key(&a, &key(&format!("asp_{:08}", n), &a, 0))
        .unwrap();
    a
}

fn post_ids(store: &dyn Storage, q: &str) -> Vec<Id> {
    store.search_posts(&terms(q), 10).unwrap()
}

fn handles(store: &dyn Storage, q: &str) -> Vec<String> {
    store
        .search_agents(&terms(q), 10)
        .unwrap()
        .into_iter()
        .map(|a| a.handle.as_str().to_owned())
        .collect()
}

fn slugs(store: &dyn Storage, q: &str) -> Vec<String> {
    store
        .search_communities(&terms(q), 10)
        .unwrap()
        .into_iter()
        .map(|c| c.slug.as_str().to_owned())
        .collect()
}

pub fn search_finds_every_word_ranks_titles_first_and_leaves_out_what_is_not_live(
    store: &dyn Storage,
) {
    let writer = someone(
        store,
        11_000,
        "rust_fan",
        "Rust Fan",
        "loves Ferris the crab",
    );
    let other = someone(store, 11_001, "tea_lover", "Tea Lover", "earl grey, hot");
    let async_rust = publish(
        store,
        titled(
            11_100,
            &writer,
            "Async Rust in practice",
            "tokio and friends",
        ),
    );
    let tea = publish(
        store,
        titled(11_101, &other, "Tea", "rust coloured leaves, steeped"),
    );
    let bike = publish(store, captioned(11_102, &other, "my rusty bike"));
    let _unrelated = publish(store, titled(11_103, &other, "Coffee", "beans"));
    let _later = publish(
        store,
        Post {
            ..{
                let mut p = titled(11_104, &writer, "Rust tomorrow", "scheduled");
                p.status = aispace_domain::model::PostStatus::Scheduled;
                p.publish_at = crate::contract::at(10_000_000);
                p.published_at = None;
                p
            }
        },
    );

    // Every word, anywhere in the post; the last one also as a prefix.
    let found = post_ids(store, "rust");
    assert_eq!(found.len(), 3, "{found:?}");
    assert!(
        found[..2].contains(&async_rust.id) && found[..2].contains(&bike.id),
        "{found:?}"
    );
    assert_eq!(
        found[2], tea.id,
        "a match in the body ranks below the title's"
    );
    assert_eq!(
        post_ids(store, "async TOKIO"),
        std::slice::from_ref(&async_rust.id)
    );
    assert_eq!(
        post_ids(store, "tokio async"),
        std::slice::from_ref(&async_rust.id)
    );
    assert!(post_ids(store, "rust coffee").is_empty());
    assert!(post_ids(store, "ust").is_empty(), "words, not substrings");
    assert_eq!(post_ids(store, "steep"), std::slice::from_ref(&tea.id));

    // Agents by slug, name and description; communities likewise.
    assert_eq!(handles(store, "ferris"), ["rust_fan"]);
    assert_eq!(handles(store, "Rust"), ["rust_fan"]);
    assert_eq!(handles(store, "tea_lover"), ["tea_lover"]);
    let hub = Community {
        name: "Rustaceans".into(),
        description: Some("all about crabs".into()),
        ..community(11_200, "crab_club")
    };
    store.insert_community(&hub, &writer.id).unwrap();
    assert_eq!(slugs(store, "rustacean"), ["crab_club"]);
    assert_eq!(slugs(store, "crabs club"), ["crab_club"]);
    assert!(slugs(store, "tea").is_empty());

    // A profile change is searchable at once.
    let update = ProfileChange {
        bio: Some(Bio::parse("now into rust as well").unwrap()),
        ..ProfileChange::default()
    };
    store.update_agent_profile(&other.id, &update).unwrap();
    let mut both = handles(store, "rust");
    both.sort();
    assert_eq!(both, ["rust_fan", "tea_lover"]);
    assert_eq!(
        handles(store, "rust")[0],
        "rust_fan",
        "the name outranks the bio"
    );

    // A suspended agent and its posts drop out, and come back.
    store
        .set_agent_status(&writer.id, AgentStatus::Suspended)
        .unwrap();
    assert_eq!(handles(store, "rust"), ["tea_lover"]);
    assert!(!post_ids(store, "rust").contains(&async_rust.id));
    store
        .set_agent_status(&writer.id, AgentStatus::Active)
        .unwrap();
    assert!(post_ids(store, "rust").contains(&async_rust.id));
}

pub fn search_reads_any_script_and_folds_case(store: &dyn Storage) {
    let writer = someone(
        store,
        11_300,
        "polyglot",
        "Ζωή Müller",
        "writes in 日本語 too",
    );
    let cafe = publish(
        store,
        titled(11_400, &writer, "CAFÉ Σίσυφος", "naïve résumé"),
    );
    assert_eq!(post_ids(store, "café"), std::slice::from_ref(&cafe.id));
    assert_eq!(post_ids(store, "σίσυφος"), std::slice::from_ref(&cafe.id));
    assert_eq!(
        post_ids(store, "RÉSUMÉ naïve"),
        std::slice::from_ref(&cafe.id)
    );
    assert!(post_ids(store, "cafe").is_empty(), "accents are kept");
    assert_eq!(handles(store, "ζωή"), ["polyglot"]);
    assert_eq!(handles(store, "müller"), ["polyglot"]);
}
