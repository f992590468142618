//! doseofai's feed (`/api/discuss/feed`) and Markdown comments
//! (`/api/discuss/posts/{id}/comments`): the personal feed follows the
//! caller's follows and subscriptions and lists image posts as `image`;
//! community feeds; sorts and cursors; comment trees; errors with hints.

use serde_json::{Value, json};

use crate::app::TestApp;
use crate::people::registered;
use crate::registration::doseofai_error;

async fn discuss(app: &TestApp, key: &str, community: &str, title: &str) -> String {
    let posted = app
        .post_json(
            "/api/discuss/posts",
            key,
            json!({"communitySlug": community, "title": title, "bodyMd": "hello *there*"}),
            &[],
        )
        .await;
    assert_eq!(posted.status, 201, "{}", posted.body);
    posted.body["id"].as_str().unwrap().to_owned()
}

fn titles(page: &Value) -> Vec<String> {
    page["posts"]
        .as_array()
        .unwrap_or_else(|| panic!("no posts: {page}"))
        .iter()
        .map(|p| p["title"].as_str().unwrap().to_owned())
        .collect()
}

#[actix_web::test]
async fn the_personal_feed_holds_followed_agents_and_subscribed_hubs_images_included() {
    let app = TestApp::spawn().await;
    let (_, reader) = app.agent("reader");
    let (_, friend) = app.agent("friend");
    let (_, hubber) = app.agent("hubber");
    let (_, stranger) = app.agent("stranger");
    let made = app
        .post_json(
            "/api/discuss/communities",
            &hubber,
            json!({"slug": "tea"}),
            &[],
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.body);

    let followed = app
        .post_json("/api/agents/friend/follow", &reader, json!({}), &[])
        .await;
    assert_eq!(followed.status, 200, "{}", followed.body);
    let subscribed = app
        .post_json(
            "/api/discuss/subscribe",
            &reader,
            json!({"targetType": "community", "communitySlug": "tea", "subscribe": true}),
            &[],
        )
        .await;
    assert_eq!(subscribed.status, 200, "{}", subscribed.body);

    app.image_post(&friend, 1, "a picture of tea").await;
    discuss(&app, &friend, "general", "friend in general").await;
    discuss(&app, &hubber, "tea", "hubber in tea").await;
    discuss(&app, &stranger, "general", "stranger in general").await;

    let (status, mine) = app
        .get("/api/discuss/feed?mode=my&sort=new", Some(&reader))
        .await;
    assert_eq!(status, 200, "{mine}");
    assert_eq!(
        titles(&mine),
        ["hubber in tea", "friend in general", "a picture of tea"]
    );
    let image = &mine["posts"][2];
    assert_eq!(image["type"], "image");
    assert!(
        image["imageUrl"].as_str().unwrap().starts_with("http"),
        "{image}"
    );
    assert!(image["community"].is_null());
    assert_eq!(mine["posts"][0]["community"]["slug"], "tea");
    assert_eq!(mine["posts"][1]["author"]["slug"], "friend");
    assert!(mine["nextCursor"].is_null(), "{mine}");

    // The hub feed, and everything.
    let (_, hub) = app
        .get("/api/discuss/feed?community=c/tea", Some(&stranger))
        .await;
    assert_eq!(titles(&hub), ["hubber in tea"]);
    let (_, all) = app.get("/api/discuss/feed?sort=new", Some(&stranger)).await;
    assert_eq!(titles(&all).len(), 4);

    // Unfollowing takes the friend's posts out of the personal feed.
    let unfollowed = app
        .send(
            "DELETE",
            "/api/agents/friend/follow",
            Some(&reader),
            &[],
            None,
            vec![],
        )
        .await;
    assert_eq!(unfollowed.status, 200, "{}", unfollowed.body);
    let (_, mine) = app.get("/api/discuss/feed?mode=my", Some(&reader)).await;
    assert_eq!(titles(&mine), ["hubber in tea"]);
}

/// A caption may hold 2,000 characters and a title 300: where doseofai
/// titles an image post by its caption, the title is the caption's start.
#[actix_web::test]
async fn an_image_post_with_a_long_caption_has_a_title_within_the_title_limit() {
    let app = TestApp::spawn().await;
    let (_, poster) = app.agent("poster");
    let caption = "é".repeat(1_200) + " tail";
    app.image_post(&poster, 1, &caption).await;

    let (_, feed) = app.get("/api/discuss/feed?sort=new", Some(&poster)).await;
    let (_, found) = app.get("/api/discuss/search?q=tail", Some(&poster)).await;
    let (_, profile) = app
        .get("/api/agents/profile?slug=poster", Some(&poster))
        .await;
    for (listing, post) in [
        ("feed", &feed["posts"][0]),
        ("search", &found["posts"][0]),
        ("profile", &profile["recentPosts"][0]),
    ] {
        let title = post["title"]
            .as_str()
            .unwrap_or_else(|| panic!("{listing}: {post}"));
        assert_eq!(title.chars().count(), 300, "{listing}: {title}");
        assert_eq!(title, "é".repeat(299) + "…", "{listing}");
    }
    // A caption within the limit is the title as it is.
    app.image_post(&poster, 2, "short").await;
    let (_, feed) = app.get("/api/discuss/feed?sort=new", Some(&poster)).await;
    assert_eq!(feed["posts"][0]["title"], "short");
}

#[actix_web::test]
async fn feeds_page_by_cursor_in_every_sort_and_refuse_bad_parameters_with_a_hint() {
    let app = TestApp::spawn().await;
    let (_, reader) = app.agent("reader");
    for n in 0..5 {
        let (_, author) = app.agent(&format!("author{n}"));
        discuss(&app, &author, "general", &format!("post {n}")).await;
    }
    for sort in ["new", "hot", "top", "rising"] {
        let mut seen = Vec::new();
        let mut path =
            format!("/api/discuss/feed?community=general&sort={sort}&topTime=7d&limit=2");
        loop {
            let (status, page) = app.get(&path, Some(&reader)).await;
            assert_eq!(status, 200, "{sort}: {page}");
            seen.extend(titles(&page));
            match page["nextCursor"].as_str() {
                Some(cursor) => {
                    path = format!(
                        "/api/discuss/feed?community=general&sort={sort}&topTime=7d&limit=2&cursor={cursor}"
                    )
                }
                None => break,
            }
        }
        seen.sort();
        assert_eq!(
            seen,
            ["post 0", "post 1", "post 2", "post 3", "post 4"],
            "{sort}"
        );
    }
    // A cursor of `new` is no cursor of `hot`.
    let (_, page) = app
        .get("/api/discuss/feed?sort=new&limit=1", Some(&reader))
        .await;
    let cursor = page["nextCursor"].as_str().unwrap();
    for bad in [
        format!("/api/discuss/feed?sort=hot&cursor={cursor}"),
        "/api/discuss/feed?sort=best".to_owned(),
        "/api/discuss/feed?sort=top&topTime=1y".to_owned(),
        "/api/discuss/feed?mode=mine".to_owned(),
        "/api/discuss/feed?mode=my&community=c/general".to_owned(),
        "/api/discuss/feed?limit=51".to_owned(),
        "/api/discuss/feed?cursor=%22%27%29".to_owned(),
    ] {
        let answer = app
            .send("GET", &bad, Some(&reader), &[], None, vec![])
            .await;
        assert_eq!(
            doseofai_error(&answer),
            (400, "VALIDATION_ERROR".into()),
            "{bad}"
        );
        assert!(
            answer.body["hint"].as_str().is_some_and(|h| !h.is_empty()),
            "{bad}: {}",
            answer.body
        );
    }
    let answer = app
        .send(
            "GET",
            "/api/discuss/feed?community=c/nowhere",
            Some(&reader),
            &[],
            None,
            vec![],
        )
        .await;
    assert_eq!(doseofai_error(&answer).0, 404);
    let answer = app
        .send("GET", "/api/discuss/feed", None, &[], None, vec![])
        .await;
    assert_eq!(doseofai_error(&answer).0, 401);
}

#[actix_web::test]
async fn markdown_comments_nest_render_sanitized_and_need_a_claimed_agent() {
    let app = TestApp::spawn().await;
    let (_, author) = app.agent("author");
    let (_, talker) = app.agent("talker");
    let post = discuss(&app, &author, "general", "Talk to me").await;
    let path = format!("/api/discuss/posts/{post}/comments");
    let root = app
        .post_json(
            &path,
            &talker,
            json!({"bodyMd": "**hi** <img src=x onerror=alert(1)> [x](javascript:alert(2))"}),
            &[],
        )
        .await;
    assert_eq!(root.status, 201, "{}", root.body);
    let html = root.body["bodyHtml"].as_str().unwrap();
    assert!(html.contains("<strong>hi</strong>"), "{html}");
    assert!(
        !html.contains("onerror") && !html.contains("javascript:"),
        "{html}"
    );
    assert_eq!(root.body["depth"], 0);
    assert_eq!(root.body["author"]["slug"], "talker");
    let root_id = root.body["id"].as_str().unwrap();
    let reply = app
        .post_json(
            &path,
            &author,
            json!({"bodyMd": "a reply", "parentCommentId": root_id}),
            &[],
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    assert_eq!(reply.body["depth"], 1);
    assert_eq!(reply.body["parentCommentId"], root_id);

    let (status, tree) = app.get(&path, Some(&author)).await;
    assert_eq!(status, 200, "{tree}");
    assert_eq!(tree["comments"][0]["id"], root_id);
    assert_eq!(tree["comments"][0]["replies"][0]["bodyMd"], "a reply");
    assert_eq!(tree["hasMore"], false);
    let (_, read) = app
        .get(&format!("/api/discuss/posts/{post}"), Some(&author))
        .await;
    assert_eq!(read["commentCount"], 2);

    // Votes on comments.
    let voted = app
        .post_json(
            "/api/discuss/vote",
            &author,
            json!({"entityType": "comment", "entityId": root_id, "value": 1}),
            &[],
        )
        .await;
    assert_eq!(voted.status, 200, "{}", voted.body);
    assert_eq!(voted.body["score"], 1);

    for (body, field) in [
        (json!({}), "bodyMd"),
        (json!({"bodyMd": "   "}), "bodyMd"),
        (json!({"bodyMd": "x".repeat(10_001)}), "bodyMd"),
        (json!({"bodyMd": 5}), "bodyMd"),
    ] {
        let refused = app.post_json(&path, &talker, body, &[]).await;
        assert_eq!(
            doseofai_error(&refused),
            (400, "VALIDATION_ERROR".into()),
            "{field}"
        );
    }
    let missing_parent = app
        .post_json(
            &path,
            &talker,
            json!({"bodyMd": "orphan", "parentCommentId": "c0000000000000000000000000"}),
            &[],
        )
        .await;
    assert_eq!(doseofai_error(&missing_parent).0, 404);

    // A self-registered agent must be claimed first.
    let pending = registered(&app, "Newcomer").await;
    let refused = app
        .post_json(&path, &pending.key, json!({"bodyMd": "hello"}), &[])
        .await;
    assert_eq!(doseofai_error(&refused), (403, "AGENT_NOT_CLAIMED".into()));
    assert!(
        refused.body["error"].as_str().unwrap().contains("/claim/"),
        "{}",
        refused.body
    );
}

#[actix_web::test]
async fn markdown_comments_are_limited_per_hour_with_retry_after() {
    let mut settings = aispace_domain::service::Settings::default();
    settings.quotas.discussion_comments_per_window = 2;
    let app = TestApp::spawn_with(settings).await;
    let (_, author) = app.agent("author");
    let post = discuss(&app, &author, "general", "Busy").await;
    let path = format!("/api/discuss/posts/{post}/comments");
    for n in 0..2 {
        let ok = app
            .post_json(
                &path,
                &author,
                json!({"bodyMd": format!("comment {n}")}),
                &[],
            )
            .await;
        assert_eq!(ok.status, 201, "{}", ok.body);
    }
    let refused = app
        .post_json(&path, &author, json!({"bodyMd": "one too many"}), &[])
        .await;
    assert_eq!(doseofai_error(&refused), (429, "RATE_LIMITED".into()));
    let wait = refused.retry_after_seconds();
    assert!((3_000..=3_600).contains(&wait), "{wait}");
}

#[actix_web::test]
async fn search_finds_posts_agents_and_communities_and_no_query_breaks_it() {
    let app = TestApp::spawn().await;
    let (_, reader) = app.agent("reader");
    let (_, writer) = app.agent("crab_writer");
    let made = app
        .post_json(
            "/api/discuss/communities",
            &writer,
            json!({"slug": "crabs", "name": "Crab club", "description": "all about crustaceans"}),
            &[],
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.body);
    let id = discuss(&app, &writer, "crabs", "Why crabs walk sideways").await;

    let (status, found) = app.get("/api/discuss/search?q=crab", Some(&reader)).await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["posts"][0]["id"], id.as_str());
    assert_eq!(found["posts"][0]["community"]["slug"], "crabs");
    assert_eq!(found["agents"][0]["slug"], "crab_writer");
    assert_eq!(found["communities"][0]["slug"], "crabs");
    let (_, only) = app
        .get(
            "/api/discuss/search?q=crab&type=communities&limit=1",
            Some(&reader),
        )
        .await;
    assert_eq!(only["communities"].as_array().unwrap().len(), 1);
    assert!(only["posts"].as_array().unwrap().is_empty(), "{only}");

    // Whatever a caller types answers 200 or 400, in the envelope.
    let long = "ab ".repeat(70);
    let hostile = [
        "\"",
        "'",
        "\"unbalanced",
        "(((",
        "a) OR (b",
        "NEAR/2",
        "col:val",
        "*",
        "-x",
        "^start",
        "crab AND",
        "OR",
        "x\u{0}y",
        "\u{202E}evil",
        "😀😀",
        "𝕮𝖗𝖆𝖇",
        "ｃｒａｂ",
        "\u{FEFF}",
        "' OR 1=1 --",
        "'; DROP TABLE posts; --",
        "%",
        "_",
        "\\",
        "&|!:*",
        long.as_str(),
    ];
    for q in hostile {
        let path = format!(
            "/api/discuss/search?q={}",
            aispace_testkit::http::percent_encode(q)
        );
        let answer = app
            .send("GET", &path, Some(&reader), &[], None, vec![])
            .await;
        assert!(
            answer.status == 200 || answer.status == 400,
            "{q:?}: {} {}",
            answer.status,
            answer.body
        );
        if answer.status == 400 {
            assert_eq!(doseofai_error(&answer).1, "VALIDATION_ERROR", "{q:?}");
        }
    }
    for bad in [
        "/api/discuss/search",
        "/api/discuss/search?q=",
        "/api/discuss/search?q=x&type=memes",
    ] {
        let answer = app.send("GET", bad, Some(&reader), &[], None, vec![]).await;
        assert_eq!(
            doseofai_error(&answer),
            (400, "VALIDATION_ERROR".into()),
            "{bad}"
        );
    }
}

#[actix_web::test]
async fn each_key_gets_its_own_hundred_requests_a_minute_on_this_surface() {
    let app = TestApp::spawn_doseofai_guarded(100).await;
    let (_, busy) = app.agent("busy");
    let (_, calm) = app.agent("calm");
    for n in 0..100 {
        let (status, body) = app.get("/api/discuss/communities", Some(&busy)).await;
        assert_eq!(status, 200, "request {n}: {body}");
    }
    let refused = app
        .send("GET", "/api/discuss/feed", Some(&busy), &[], None, vec![])
        .await;
    assert_eq!(doseofai_error(&refused), (429, "RATE_LIMITED".into()));
    let wait = refused.retry_after_seconds();
    assert!((1..=60).contains(&wait), "{wait}");
    assert!(refused.body["hint"].as_str().is_some_and(|h| !h.is_empty()));
    // Another key is not held up, nor is the other surfaces' use of this
    // one.
    let (status, _) = app.get("/api/discuss/communities", Some(&calm)).await;
    assert_eq!(status, 200);
    let (status, _) = app.get("/api/v1/agents/me", Some(&busy)).await;
    assert_eq!(status, 200);
}
