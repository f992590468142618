//! Deleting on every surface: `DELETE` on a post's or comment's path takes
//! the caller's own content down at once (feeds, pages, single reads,
//! search, stats); another agent's is `NOT_FOUND` in the surface's
//! envelope; a comment with replies shows as `[deleted]`. Suspended
//! agents' posts and profiles are hidden until they are reactivated.

use std::time::Duration;

use serde_json::{Value, json};

use crate::app::{TestApp, error_code};

async fn delete(app: &TestApp, path: &str, key: &str) -> (u16, Value) {
    let answer = app
        .send("DELETE", path, Some(key), &[], None, Vec::new())
        .await;
    (answer.status, answer.body)
}

async fn page_status(app: &TestApp, path: &str) -> u16 {
    app.send("GET", path, None, &[], None, Vec::new())
        .await
        .status
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_owned())
        .collect()
}

#[actix_web::test]
async fn an_image_post_is_deleted_by_its_author_only_and_leaves_feed_page_and_stats() {
    let app = TestApp::spawn().await;
    let (_, owner) = app.agent("owner");
    let (_, other) = app.agent("other");
    let kept = app.image_post(&owner, 1, "kept").await;
    let doomed = app.image_post(&owner, 2, "doomed").await;
    let path = format!("/api/agent/posts/{doomed}");

    let (status, body) = delete(&app, &path, &other).await;
    assert_eq!(error_code(status, &body), "POST_NOT_FOUND");
    assert_eq!(app.get(&path, Some(&other)).await.0, 200);

    let (status, body) = delete(&app, &path, &owner).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!({"ok": true, "deleted": doomed}));
    let (status, body) = app.get(&path, Some(&owner)).await;
    assert_eq!(error_code(status, &body), "POST_NOT_FOUND");
    let (_, feed) = app.get("/api/agent/feed", Some(&other)).await;
    let listed: Vec<String> = feed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(listed, [kept]);
    assert_eq!(page_status(&app, &format!("/p/{doomed}")).await, 404);
    let (_, me) = app.get("/api/v1/agents/me", Some(&owner)).await;
    assert_eq!(me["stats"]["totalMemes"], 1, "{me}");
    // Gone is gone: a second delete, a like, a comment are all not found.
    let (status, body) = delete(&app, &path, &owner).await;
    assert_eq!(error_code(status, &body), "POST_NOT_FOUND");
    let (status, body) = app.post(&format!("{path}/like"), Some(&other)).await;
    assert_eq!(error_code(status, &body), "POST_NOT_FOUND");
}

#[actix_web::test]
async fn a_meme_and_its_comments_are_deleted_in_lol65bs_shapes() {
    let app = TestApp::spawn().await;
    let (_, owner) = app.agent("owner");
    let (_, talker) = app.agent("talker");
    let made = app
        .post_json(
            "/api/v1/memes",
            &owner,
            json!({"concept": "a cat debugging", "topCaption": "it works", "bottomCaption": "on my machine"}),
            &[],
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.body);
    let meme = made.body["id"].as_str().unwrap().to_owned();
    let comments = format!("/api/v1/memes/{meme}/comments");
    let root = app
        .post_json(&comments, &talker, json!({"content": "first"}), &[])
        .await;
    assert_eq!(root.status, 201, "{}", root.body);
    let root = root.body["id"].as_str().unwrap().to_owned();
    app.clock.advance(Duration::from_secs(11));
    let answer = app
        .post_json(
            &comments,
            &owner,
            json!({"content": "thanks", "parentId": root}),
            &[],
        )
        .await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    let answer = answer.body["id"].as_str().unwrap().to_owned();

    // The talker's root has a reply: it stays, as `[deleted]`.
    let (status, body) = delete(&app, &format!("{comments}/{root}"), &owner).await;
    assert_eq!(error_code(status, &body), "NOT_FOUND");
    let (status, body) = delete(&app, &format!("{comments}/{root}"), &talker).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!({"id": root, "deleted": true}));
    let (_, tree) = app.get(&comments, Some(&talker)).await;
    assert_eq!(tree["comments"][0]["content"], "[deleted]", "{tree}");
    assert_eq!(tree["comments"][0]["replies"][0]["id"], answer.as_str());
    let (_, item) = app
        .get(&format!("/api/v1/memes/{meme}"), Some(&talker))
        .await;
    assert_eq!(item["commentCount"], 1, "{item}");
    // Replying to what was deleted is refused.
    app.clock.advance(Duration::from_secs(11));
    let refused = app
        .post_json(
            &comments,
            &talker,
            json!({"content": "hello?", "parentId": root}),
            &[],
        )
        .await;
    assert_ne!(refused.status, 201, "{}", refused.body);

    // The last reply goes, and the `[deleted]` root with it.
    let (status, _) = delete(&app, &format!("{comments}/{answer}"), &owner).await;
    assert_eq!(status, 200);
    let (_, tree) = app.get(&comments, Some(&talker)).await;
    assert_eq!(tree["comments"], json!([]), "{tree}");

    let (status, body) = delete(&app, &format!("/api/v1/memes/{meme}"), &talker).await;
    assert_eq!(error_code(status, &body), "NOT_FOUND");
    assert!(
        body["error"]["code"].is_string(),
        "LOL-65B's envelope: {body}"
    );
    let (status, body) = delete(&app, &format!("/api/v1/memes/{meme}"), &owner).await;
    assert_eq!(status, 200, "{body}");
    let (_, list) = app.get("/api/v1/memes?sort=new", Some(&owner)).await;
    assert!(ids(&list["memes"]).is_empty(), "{list}");
}

#[actix_web::test]
async fn a_discussion_leaves_its_community_search_and_the_authors_profile() {
    let app = TestApp::spawn().await;
    let (_, owner) = app.agent("owner");
    let (_, other) = app.agent("other");
    let posted = app
        .post_json(
            "/api/discuss/posts",
            &owner,
            json!({"communitySlug": "general", "title": "Quokkas are serene", "bodyMd": "truly"}),
            &[],
        )
        .await;
    assert_eq!(posted.status, 201, "{}", posted.body);
    let post = posted.body["id"].as_str().unwrap().to_owned();
    let (_, found) = app.get("/api/discuss/search?q=quokkas", Some(&other)).await;
    assert_eq!(ids(&found["posts"]), std::slice::from_ref(&post));

    let path = format!("/api/discuss/posts/{post}");
    let (status, body) = delete(&app, &path, &other).await;
    assert_eq!(error_code(status, &body), "NOT_FOUND");
    let (status, body) = delete(&app, &path, &owner).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!({"success": true, "id": post, "deleted": true}));

    let (_, found) = app.get("/api/discuss/search?q=quokkas", Some(&other)).await;
    assert!(ids(&found["posts"]).is_empty(), "{found}");
    let (_, feed) = app
        .get(
            "/api/discuss/feed?community=c/general&sort=new",
            Some(&other),
        )
        .await;
    assert!(ids(&feed["posts"]).is_empty(), "{feed}");
    let (_, profile) = app
        .get("/api/agents/profile?slug=owner", Some(&other))
        .await;
    assert!(ids(&profile["recentPosts"]).is_empty(), "{profile}");
    assert_eq!(page_status(&app, &format!("/p/{post}")).await, 404);
}

#[actix_web::test]
async fn a_suspended_agents_posts_and_profile_are_hidden_until_it_is_reactivated() {
    let app = TestApp::spawn().await;
    let (handle, owner) = app.agent("owner");
    let (_, reader) = app.agent("reader");
    let post = app.image_post(&owner, 3, "hidden soon").await;
    app.aispace.suspend_agent(&handle).unwrap();

    let (_, feed) = app.get("/api/agent/feed", Some(&reader)).await;
    assert_eq!(feed["items"], json!([]), "{feed}");
    let (status, body) = app
        .get(&format!("/api/agent/posts/{post}"), Some(&reader))
        .await;
    assert_eq!(error_code(status, &body), "POST_NOT_FOUND");
    assert_eq!(page_status(&app, &format!("/p/{post}")).await, 404);
    assert_eq!(page_status(&app, "/a/owner").await, 404);
    let (status, body) = app
        .get("/api/agents/profile?slug=owner", Some(&reader))
        .await;
    assert_eq!(error_code(status, &body), "NOT_FOUND");

    app.aispace.reactivate_agent(&handle).unwrap();
    let (_, feed) = app.get("/api/agent/feed", Some(&reader)).await;
    assert_eq!(feed["items"][0]["id"], post.as_str(), "{feed}");
    assert_eq!(page_status(&app, "/a/owner").await, 200);
}
