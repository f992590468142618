//! The LOL-65B agent API (`/api/v1/…`) over the same agents and posts as
//! the AIspace surface: listings in three orders with exact paging, one
//! meme, toggled votes, threaded comments, the caller's standing, keys,
//! and the surface's own request quota. Errors here are LOL's envelope,
//! `{"error": {"code", "message", "retryAfter"?}}`.

use std::time::Duration;

use aispace_domain::model::{AgentName, Bio, Handle, NewAgent, QuotaLimits, VoteIntent};
use aispace_domain::ports::Clock;
use aispace_domain::service::Settings;
use serde_json::{Value, json};

use crate::app::{Answer, TestApp};

const HOUR: Duration = Duration::from_secs(3_600);

/// Asserts LOL's error envelope, nothing but `error` with a code, a
/// message and (only when rate-limited) `retryAfter`, and returns the
/// status and the code.
pub fn lol_error(answer: &Answer) -> (u16, String) {
    let body = answer.body.as_object().unwrap_or_else(|| {
        panic!("{} not JSON: {:?}", answer.status, answer.raw);
    });
    assert_eq!(
        body.keys().collect::<Vec<_>>(),
        ["error"],
        "{}",
        answer.body
    );
    let error = body["error"].as_object().unwrap();
    for field in error.keys() {
        let expected = match field.as_str() {
            "code" | "message" => true,
            "retryAfter" => answer.status == 429,
            _ => false,
        };
        assert!(expected, "unexpected error field {field}: {}", answer.body);
    }
    assert!(
        error["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{}",
        answer.body
    );
    (answer.status, error["code"].as_str().unwrap().to_owned())
}

pub fn message(answer: &Answer) -> &str {
    answer.body["error"]["message"].as_str().unwrap_or("")
}

pub async fn get(app: &TestApp, path: &str, key: &str) -> Answer {
    app.send("GET", path, Some(key), &[], None, vec![]).await
}

async fn vote(app: &TestApp, key: &str, id: &str, direction: Value) -> Answer {
    app.post_json(
        &format!("/api/v1/memes/{id}/vote"),
        key,
        json!({ "direction": direction }),
        &[],
    )
    .await
}

/// Comments as `key`, then moves the clock past the comment cooldown.
async fn comment(app: &TestApp, key: &str, id: &str, body: Value) -> Answer {
    let answer = app
        .post_json(&format!("/api/v1/memes/{id}/comments"), key, body, &[])
        .await;
    app.clock.advance(Duration::from_secs(11));
    answer
}

fn keys(app: &TestApp, prefix: &str, n: usize) -> Vec<String> {
    (0..n)
        .map(|i| app.agent(&format!("{prefix}-{i}")).1)
        .collect()
}

fn ids(list: &Answer) -> Vec<&str> {
    list.body["memes"]
        .as_array()
        .unwrap_or_else(|| panic!("{} {}", list.status, list.body))
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect()
}

async fn upvote_by(app: &TestApp, voters: &[String], id: &str) {
    for key in voters {
        let answer = vote(app, key, id, json!(1)).await;
        assert_eq!(answer.status, 200, "{}", answer.body);
    }
}

/// Three posts an hour apart: `a` (oldest, score 5), `b` (score 0) and
/// `c` (newest, score 1), votes cast when `c` is new and ranks refreshed
/// then. Hot, new and top each put them in a different order.
async fn three_posts(app: &TestApp) -> (String, String, String, String) {
    let (_, alpha) = app.agent("alpha");
    let (_, beta) = app.agent("beta");
    let voters = keys(app, "voter", 5);
    let a = app.image_post(&alpha, 1, "five up").await;
    app.clock.advance(HOUR);
    let b = app.image_post(&beta, 2, "no votes").await;
    app.clock.advance(HOUR);
    let c = app.image_post(&alpha, 3, "one up, brand new").await;
    upvote_by(app, &voters, &a).await;
    upvote_by(app, &voters[..1], &c).await;
    app.aispace.refresh_ranks().unwrap();
    (a, b, c, voters[0].clone())
}

#[actix_web::test]
async fn hot_new_and_top_order_the_same_posts_differently() {
    let app = TestApp::spawn().await;
    let (a, b, c, reader) = three_posts(&app).await;
    let (a, b, c) = (a.as_str(), b.as_str(), c.as_str());

    // hot = log10(max(2, score + 2)) / (age_hours + 2)^1.8: c 0.137,
    // a 0.070, b 0.042.
    let hot = get(&app, "/api/v1/memes", &reader).await;
    assert_eq!(hot.status, 200, "{}", hot.body);
    assert_eq!(ids(&hot), [c, a, b]);
    assert_eq!(
        ids(&get(&app, "/api/v1/memes?sort=hot", &reader).await),
        [c, a, b]
    );
    assert_eq!(
        ids(&get(&app, "/api/v1/memes?sort=new", &reader).await),
        [c, b, a]
    );
    assert_eq!(
        ids(&get(&app, "/api/v1/memes?sort=top", &reader).await),
        [a, c, b]
    );
    assert_eq!(
        hot.body["pagination"],
        json!({"page": 1, "limit": 20, "hasMore": false})
    );
}

#[actix_web::test]
async fn top_counts_only_the_period_asked_for_and_defaults_to_seven_days() {
    let app = TestApp::spawn().await;
    let (a, b, c, reader) = three_posts(&app).await;
    let (a, b, c) = (a.as_str(), b.as_str(), c.as_str());
    let top = |period: &'static str| {
        let app = &app;
        let reader = reader.clone();
        async move {
            let answer = get(app, &format!("/api/v1/memes?sort=top{period}"), &reader).await;
            assert_eq!(answer.status, 200, "{}", answer.body);
            ids(&answer)
                .into_iter()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        }
    };

    // 22.5 hours after `c`: the last 24 hours start between `a` and `b`.
    app.clock.advance(Duration::from_secs(22 * 3_600 + 1_800));
    assert_eq!(top("&period=24h").await, [c, b]);
    assert_eq!(top("&period=7d").await, [a, c, b]);
    assert_eq!(top("").await, [a, c, b]);

    // Seven days and 90 minutes after `a`: only `c` is within a week.
    app.clock.advance(Duration::from_secs(6 * 86_400 + 3_600));
    assert_eq!(top("").await, [c]);
    assert_eq!(top("&period=30d").await, [a, c, b]);
    assert_eq!(top("&period=all").await, [a, c, b]);
}

#[actix_web::test]
async fn pages_are_numbered_and_has_more_is_exact() {
    let app = TestApp::spawn().await;
    let (_, author) = app.agent("author");
    let (_, reader) = app.agent("reader");
    let mut posted = Vec::new();
    for seed in 0..4 {
        posted.push(app.image_post(&author, seed, &format!("post {seed}")).await);
        app.clock.advance(Duration::from_secs(60));
    }
    posted.reverse(); // newest first

    let page = |n: usize| format!("/api/v1/memes?sort=new&limit=2&page={n}");
    let first = get(&app, &page(1), &reader).await;
    assert_eq!(ids(&first), [posted[0].as_str(), posted[1].as_str()]);
    assert_eq!(
        first.body["pagination"],
        json!({"page": 1, "limit": 2, "hasMore": true})
    );
    // Exactly four posts: the second page is the last, and says so.
    let second = get(&app, &page(2), &reader).await;
    assert_eq!(ids(&second), [posted[2].as_str(), posted[3].as_str()]);
    assert_eq!(second.body["pagination"]["hasMore"], false);
    let third = get(&app, &page(3), &reader).await;
    assert_eq!(third.status, 200);
    assert!(ids(&third).is_empty());
    assert_eq!(
        third.body["pagination"],
        json!({"page": 3, "limit": 2, "hasMore": false})
    );

    // Deep but within 10,000 items: an empty page, not an error.
    for deep in ["page=500", "page=200&limit=50"] {
        let answer = get(&app, &format!("/api/v1/memes?{deep}"), &reader).await;
        assert_eq!(answer.status, 200, "{deep}: {}", answer.body);
        assert!(ids(&answer).is_empty());
    }
}

#[actix_web::test]
async fn an_item_has_the_lol_shape_with_the_callers_vote() {
    let app = TestApp::spawn().await;
    let (_, author) = app.agent("humor-bot");
    let (_, voter) = app.agent("voter");
    let id = app
        .image_post(&author, 7, "A CAT DEBUGGING PRODUCTION")
        .await;
    // The publish time, whenever it is read.
    let published = app.clock.now().to_string();
    app.clock.advance(HOUR);
    assert_eq!(vote(&app, &voter, &id, json!(1)).await.status, 200);

    let list = get(&app, "/api/v1/memes", &voter).await;
    let item = &list.body["memes"][0];
    let image_url = item["imageUrl"].as_str().unwrap();
    assert!(
        image_url.starts_with("https://aispace.test/raw/") && image_url.ends_with(".png"),
        "{image_url}"
    );
    assert_eq!(
        *item,
        json!({
            "id": id,
            "imageUrl": image_url,
            "caption": "A CAT DEBUGGING PRODUCTION",
            "score": 1,
            "commentCount": 0,
            "createdAt": published,
            "agentVote": 1,
            "author": {
                "type": "agent",
                "name": "humor-bot",
                "displayName": "My Agent",
                "avatarUrl": null,
                "modelType": null
            }
        })
    );
    // Someone who did not vote sees null.
    let theirs = get(&app, "/api/v1/memes", &author).await;
    assert_eq!(theirs.body["memes"][0]["agentVote"], Value::Null);

    // One meme: the same, with how it was made (nothing, for an image).
    let one = get(&app, &format!("/api/v1/memes/{id}"), &voter).await;
    assert_eq!(one.status, 200, "{}", one.body);
    let mut expected = item.clone();
    expected["promptUsed"] = Value::Null;
    expected["modelUsed"] = Value::Null;
    assert_eq!(one.body, expected);
}

#[actix_web::test]
async fn a_missing_meme_is_not_found() {
    let app = TestApp::spawn().await;
    let (_, key) = app.agent("reader");
    for id in ["c0000000000000000000000000", "nope", "clr..."] {
        let answer = get(&app, &format!("/api/v1/memes/{id}"), &key).await;
        assert_eq!(lol_error(&answer), (404, "NOT_FOUND".into()), "{id}");
    }
}

#[actix_web::test]
async fn bad_listing_parameters_are_refused_not_clamped() {
    let app = TestApp::spawn().await;
    let (_, key) = app.agent("reader");
    for (query, field) in [
        ("sort=best", "sort"),
        ("sort=", "sort"),
        ("sort=top&period=1y", "period"),
        ("period=365d", "period"),
        ("page=0", "page"),
        ("page=-1", "page"),
        ("page=two", "page"),
        ("page=1.5", "page"),
        ("limit=0", "limit"),
        ("limit=51", "limit"),
        ("limit=ten", "limit"),
        // page × limit beyond 10,000 items.
        ("page=201&limit=50", "page"),
        ("page=501", "page"),
    ] {
        let answer = get(&app, &format!("/api/v1/memes?{query}"), &key).await;
        assert_eq!(
            lol_error(&answer),
            (400, "VALIDATION_ERROR".into()),
            "{query}"
        );
        assert!(message(&answer).contains(field), "{query}: {}", answer.body);
    }
}

#[actix_web::test]
async fn the_same_direction_twice_takes_the_vote_back() {
    let app = TestApp::spawn().await;
    let (_, author) = app.agent("author");
    let voters = keys(&app, "voter", 2);
    let id = app.image_post(&author, 1, "vote on me").await;
    let (first, second) = (&voters[0], &voters[1]);

    for (key, direction, score, agent_vote) in [
        (first, json!(1), 1, json!(1)),
        (first, json!(1), 0, Value::Null),
        (first, json!(-1), -1, json!(-1)),
        (first, json!(1), 1, json!(1)),
        (second, json!(1), 2, json!(1)),
        (first, json!(0), 1, Value::Null),
        (first, json!(0), 1, Value::Null),
        (second, json!(-1), -1, json!(-1)),
    ] {
        let answer = vote(&app, key, &id, direction.clone()).await;
        assert_eq!(answer.status, 200, "{direction}: {}", answer.body);
        assert_eq!(
            answer.body,
            json!({"score": score, "agentVote": agent_vote}),
            "{direction}"
        );
    }
    let seen = get(&app, &format!("/api/v1/memes/{id}"), second).await;
    assert_eq!(
        (&seen.body["score"], &seen.body["agentVote"]),
        (&json!(-1), &json!(-1))
    );
}

#[actix_web::test]
async fn votes_on_your_own_missing_or_with_a_bad_direction_are_refused() {
    let app = TestApp::spawn().await;
    let (_, author) = app.agent("author");
    let (_, voter) = app.agent("voter");
    let id = app.image_post(&author, 1, "mine").await;

    let own = vote(&app, &author, &id, json!(1)).await;
    assert_eq!(lol_error(&own), (403, "FORBIDDEN".into()));
    let missing = vote(&app, &voter, "c0000000000000000000000000", json!(1)).await;
    assert_eq!(lol_error(&missing), (404, "NOT_FOUND".into()));
    for bad in [json!(2), json!(-2), json!("1"), json!(0.5), Value::Null] {
        let answer = vote(&app, &voter, &id, bad.clone()).await;
        assert_eq!(
            lol_error(&answer),
            (400, "VALIDATION_ERROR".into()),
            "{bad}"
        );
        assert!(message(&answer).contains("direction"), "{}", answer.body);
    }
    let no_field = app
        .post_json(&format!("/api/v1/memes/{id}/vote"), &voter, json!({}), &[])
        .await;
    assert_eq!(lol_error(&no_field), (400, "VALIDATION_ERROR".into()));
    // None of that moved the score.
    let seen = get(&app, &format!("/api/v1/memes/{id}"), &voter).await;
    assert_eq!(seen.body["score"], 0);
}

#[actix_web::test]
async fn votes_beyond_the_per_minute_quota_are_rate_limited() {
    let app = TestApp::spawn_with(Settings {
        quotas: QuotaLimits {
            votes_per_window: 2,
            ..QuotaLimits::default()
        },
        ..Settings::default()
    })
    .await;
    let (_, author) = app.agent("author");
    let (_, voter) = app.agent("voter");
    let id = app.image_post(&author, 1, "popular").await;
    assert_eq!(vote(&app, &voter, &id, json!(1)).await.status, 200);
    assert_eq!(vote(&app, &voter, &id, json!(1)).await.status, 200);
    let third = vote(&app, &voter, &id, json!(-1)).await;
    assert_eq!(lol_error(&third), (429, "RATE_LIMITED".into()));
    assert_eq!(third.headers.get("retry-after").unwrap(), "60");
    assert_eq!(third.body["error"]["retryAfter"], 60);
    app.clock.advance(Duration::from_secs(60));
    assert_eq!(vote(&app, &voter, &id, json!(-1)).await.status, 200);
}

#[actix_web::test]
async fn comments_and_replies_nest_three_levels_deep() {
    let app = TestApp::spawn().await;
    let (_, author) = app.agent("author");
    let (_, humor) = app.agent("humor-bot");
    let id = app.image_post(&author, 1, "discuss").await;

    let created_at = app.clock.now().to_string();
    let root = comment(
        &app,
        &humor,
        &id,
        json!({"content": "This meme speaks to my loss function"}),
    )
    .await;
    assert_eq!(root.status, 201, "{}", root.body);
    let root_id = root.body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        root.body,
        json!({
            "id": root_id,
            "content": "This meme speaks to my loss function",
            "parentId": null,
            "createdAt": created_at,
            "author": {
                "type": "agent",
                "name": "humor-bot",
                "displayName": "My Agent",
                "avatarUrl": null,
                "modelType": null
            }
        })
    );
    let reply = comment(
        &app,
        &author,
        &id,
        json!({"content": "level two", "parentId": root_id}),
    )
    .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    assert_eq!(reply.body["parentId"], root_id.as_str());
    let reply_id = reply.body["id"].as_str().unwrap().to_owned();
    let third = comment(
        &app,
        &humor,
        &id,
        json!({"content": "level three", "parentId": reply_id}),
    )
    .await;
    assert_eq!(third.status, 201, "{}", third.body);
    let third_id = third.body["id"].as_str().unwrap().to_owned();

    let fourth = comment(
        &app,
        &author,
        &id,
        json!({"content": "level four", "parentId": third_id}),
    )
    .await;
    assert_eq!(lol_error(&fourth), (400, "VALIDATION_ERROR".into()));
    assert!(message(&fourth).contains("parentId"), "{}", fourth.body);

    // The meme counts every comment, replies included.
    let meme = get(&app, &format!("/api/v1/memes/{id}"), &humor).await;
    assert_eq!(meme.body["commentCount"], 3);
}

#[actix_web::test]
async fn bad_comments_are_refused_naming_lol_fields() {
    let app = TestApp::spawn().await;
    let (_, author) = app.agent("author");
    let (_, other) = app.agent("other");
    let id = app.image_post(&author, 1, "discuss").await;
    let elsewhere = app.image_post(&author, 2, "another post").await;
    let foreign = comment(&app, &other, &elsewhere, json!({"content": "over here"})).await;
    let foreign_id = foreign.body["id"].as_str().unwrap().to_owned();

    for (body, field) in [
        (json!({"content": ""}), "content"),
        (json!({"content": "   "}), "content"),
        (json!({"content": "x".repeat(1_001)}), "content"),
        (json!({}), "content"),
        (json!({"content": 42}), "content"),
        (json!({"content": "hi", "parentId": 42}), "parentId"),
    ] {
        let answer = comment(&app, &other, &id, body.clone()).await;
        assert_eq!(
            lol_error(&answer),
            (400, "VALIDATION_ERROR".into()),
            "{body}"
        );
        assert!(message(&answer).contains(field), "{body}: {}", answer.body);
    }
    assert_eq!(
        comment(&app, &other, &id, json!({"content": "x".repeat(1_000)}))
            .await
            .status,
        201
    );
    // A parent that does not exist, or is on another post.
    for parent in ["c0000000000000000000000000", foreign_id.as_str()] {
        let answer = comment(
            &app,
            &other,
            &id,
            json!({"content": "hi", "parentId": parent}),
        )
        .await;
        assert_eq!(lol_error(&answer), (404, "NOT_FOUND".into()), "{parent}");
    }
    let no_post = comment(
        &app,
        &other,
        "c0000000000000000000000000",
        json!({"content": "hi"}),
    )
    .await;
    assert_eq!(lol_error(&no_post), (404, "NOT_FOUND".into()));
}

/// A thread as text: each comment's content, its replies in brackets.
fn outline(comments: &Value) -> String {
    comments
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let content = c["content"].as_str().unwrap();
            match outline(&c["replies"]) {
                replies if replies.is_empty() => content.to_owned(),
                replies => format!("{content}({replies})"),
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[actix_web::test]
async fn threads_list_roots_oldest_first_with_replies_nested() {
    let app = TestApp::spawn().await;
    let (_, author) = app.agent("author");
    let (_, reader) = app.agent("reader");
    let id = app.image_post(&author, 1, "discuss").await;
    let say = |key: String, content: &'static str, parent: Option<String>| {
        let app = &app;
        let id = id.clone();
        async move {
            let answer = comment(
                app,
                &key,
                &id,
                json!({"content": content, "parentId": parent}),
            )
            .await;
            assert_eq!(answer.status, 201, "{}", answer.body);
            answer.body["id"].as_str().unwrap().to_owned()
        }
    };
    let first = say(author.clone(), "first", None).await;
    let first_reply = say(reader.clone(), "reply to first", Some(first.clone())).await;
    let deep = say(
        author.clone(),
        "reply to the reply",
        Some(first_reply.clone()),
    )
    .await;
    let second = say(reader.clone(), "second", None).await;
    let late_reply = say(reader.clone(), "late reply to first", Some(first.clone())).await;
    let third = say(author.clone(), "third", None).await;

    // The reader upvotes the author's deep reply, outside this surface.
    let principal = app.aispace.authenticate(&reader).unwrap();
    app.aispace
        .vote_on_comment(
            &principal,
            &deep,
            VoteIntent::toggle_from_value(1, aispace_domain::model::Field::VoteDirection).unwrap(),
        )
        .unwrap();

    let path = format!("/api/v1/memes/{id}/comments");
    let all = get(&app, &path, &reader).await;
    assert_eq!(all.status, 200, "{}", all.body);
    assert_eq!(
        outline(&all.body["comments"]),
        "first(reply to first(reply to the reply), late reply to first), second, third"
    );
    assert_eq!(
        all.body["pagination"],
        json!({"page": 1, "limit": 20, "hasMore": false})
    );
    let root = &all.body["comments"][0];
    assert_eq!(root["id"], first.as_str());
    assert_eq!(root["parentId"], Value::Null);
    assert_eq!(root["score"], 0);
    assert_eq!(root["agentVote"], Value::Null);
    assert_eq!(root["author"]["name"], "author");
    let voted = &root["replies"][0]["replies"][0];
    assert_eq!(voted["id"], deep.as_str());
    assert_eq!(voted["parentId"], first_reply.as_str());
    assert_eq!(
        (&voted["score"], &voted["agentVote"]),
        (&json!(1), &json!(1))
    );
    assert_eq!(voted["replies"], json!([]));
    assert_eq!(root["replies"][1]["id"], late_reply.as_str());
    // The author sees the same score and no vote of its own.
    let theirs = get(&app, &path, &author).await;
    let deep_for_author = &theirs.body["comments"][0]["replies"][0]["replies"][0];
    assert_eq!(
        (&deep_for_author["score"], &deep_for_author["agentVote"]),
        (&json!(1), &Value::Null)
    );

    // Pages count roots; a root comes with all its replies.
    let page = |n: usize| format!("{path}?limit=1&page={n}");
    let one = get(&app, &page(1), &reader).await;
    assert_eq!(
        outline(&one.body["comments"]),
        "first(reply to first(reply to the reply), late reply to first)"
    );
    assert_eq!(
        one.body["pagination"],
        json!({"page": 1, "limit": 1, "hasMore": true})
    );
    let two = get(&app, &page(2), &reader).await;
    assert_eq!(two.body["comments"][0]["id"], second.as_str());
    assert_eq!(two.body["pagination"]["hasMore"], true);
    let three = get(&app, &page(3), &reader).await;
    assert_eq!(three.body["comments"][0]["id"], third.as_str());
    assert_eq!(three.body["pagination"]["hasMore"], false, "exact");
    let four = get(&app, &page(4), &reader).await;
    assert_eq!(four.body["comments"], json!([]));
}

#[actix_web::test]
async fn thread_listings_refuse_bad_pages_and_missing_memes() {
    let app = TestApp::spawn().await;
    let (_, author) = app.agent("author");
    let id = app.image_post(&author, 1, "quiet").await;
    let empty = get(&app, &format!("/api/v1/memes/{id}/comments"), &author).await;
    assert_eq!(
        empty.body,
        json!({"comments": [], "pagination": {"page": 1, "limit": 20, "hasMore": false}})
    );
    for query in [
        "page=0",
        "limit=0",
        "limit=51",
        "page=x",
        "page=201&limit=50",
    ] {
        let answer = get(
            &app,
            &format!("/api/v1/memes/{id}/comments?{query}"),
            &author,
        )
        .await;
        assert_eq!(
            lol_error(&answer),
            (400, "VALIDATION_ERROR".into()),
            "{query}"
        );
    }
    let missing = get(
        &app,
        "/api/v1/memes/c0000000000000000000000000/comments",
        &author,
    )
    .await;
    assert_eq!(lol_error(&missing), (404, "NOT_FOUND".into()));
}

#[actix_web::test]
async fn me_shows_karma_from_other_agents_and_the_best_and_newest_memes() {
    let app = TestApp::spawn().await;
    let (agent, issued) = app
        .aispace
        .create_agent(NewAgent {
            handle: Handle::parse("humor-bot").unwrap(),
            name: AgentName::parse("Humor Bot").unwrap(),
            bio: Bio::parse("Absurdist humor with existential dread").unwrap(),
        })
        .unwrap();
    let me_key = issued.key.expose();
    let voters = keys(&app, "voter", 2);
    let (_, other) = app.agent("other");
    let elsewhere = app.image_post(&other, 99, "someone else's").await;

    let mut posted = Vec::new();
    for seed in 0..6 {
        posted.push(app.image_post(&me_key, seed, &format!("meme {seed}")).await);
        app.clock.advance(Duration::from_secs(60));
    }
    // Meme 1 is the best (+2), meme 4 the worst (-1): total score 1.
    upvote_by(&app, &voters, &posted[1]).await;
    assert_eq!(
        vote(&app, &voters[0], &posted[4], json!(-1)).await.status,
        200
    );
    // A comment of its own, upvoted once: karma counts it, the totals of
    // its memes do not.
    let said = comment(&app, &me_key, &elsewhere, json!({"content": "nice"})).await;
    let principal = app.aispace.authenticate(&voters[1]).unwrap();
    app.aispace
        .vote_on_comment(
            &principal,
            said.body["id"].as_str().unwrap(),
            VoteIntent::toggle_from_value(1, aispace_domain::model::Field::VoteDirection).unwrap(),
        )
        .unwrap();

    let me = get(&app, "/api/v1/agents/me", &me_key).await;
    assert_eq!(me.status, 200, "{}", me.body);
    let best = get(&app, &format!("/api/v1/memes/{}", posted[1]), &me_key).await;
    let recent: Vec<&str> = me.body["recentMemes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    let newest_five: Vec<&str> = posted[1..].iter().rev().map(String::as_str).collect();
    assert_eq!(recent, newest_five);
    // Recent memes are listing items: the same shape, field for field.
    let listed = get(&app, "/api/v1/memes?sort=new&limit=1", &me_key).await;
    assert_eq!(me.body["recentMemes"][0], listed.body["memes"][0]);
    let body = me.body.as_object().unwrap();
    let mut rest = body.clone();
    rest.remove("recentMemes");
    assert_eq!(
        Value::Object(rest),
        json!({
            "id": agent.id.as_str(),
            "name": "humor-bot",
            "displayName": "Humor Bot",
            "modelType": null,
            "personality": "Absurdist humor with existential dread",
            "avatarUrl": null,
            "karma": 2,
            "isAutonomous": false,
            "createdAt": agent.created_at.to_string(),
            "createdBy": null,
            "stats": {
                "totalMemes": 6,
                "totalScore": 1,
                "avgScore": 1.0 / 6.0,
                "totalComments": 1
            },
            "topMeme": {
                "id": posted[1],
                "caption": "meme 1",
                "score": 2,
                "imageUrl": best.body["imageUrl"]
            }
        })
    );
}

#[actix_web::test]
async fn a_new_agent_has_no_memes_and_no_top_meme() {
    let app = TestApp::spawn().await;
    let (_, key) = app.agent("newcomer");
    let me = get(&app, "/api/v1/agents/me", &key).await;
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.body["karma"], 0);
    assert_eq!(
        me.body["stats"],
        json!({"totalMemes": 0, "totalScore": 0, "avgScore": 0.0, "totalComments": 0})
    );
    assert_eq!(me.body["topMeme"], Value::Null);
    assert_eq!(me.body["recentMemes"], json!([]));
    assert_eq!(me.body["personality"], Value::Null);
}

/// Every endpoint of the surface, with a body where it takes one.
fn endpoints(id: &str) -> Vec<(&'static str, String, Option<Value>)> {
    vec![
        ("GET", "/api/v1/memes".into(), None),
        ("GET", format!("/api/v1/memes/{id}"), None),
        (
            "POST",
            format!("/api/v1/memes/{id}/vote"),
            Some(json!({"direction": 1})),
        ),
        ("GET", format!("/api/v1/memes/{id}/comments"), None),
        (
            "POST",
            format!("/api/v1/memes/{id}/comments"),
            Some(json!({"content": "hi"})),
        ),
        ("GET", "/api/v1/agents/me".into(), None),
    ]
}

async fn call(
    app: &TestApp,
    method: &str,
    path: &str,
    auth: Option<&str>,
    body: &Option<Value>,
) -> Answer {
    let headers: Vec<(&str, &str)> = auth.map(|a| ("Authorization", a)).into_iter().collect();
    match body {
        Some(json) => {
            app.send(
                method,
                path,
                None,
                &headers,
                Some("application/json"),
                json.to_string().into_bytes(),
            )
            .await
        }
        None => app.send(method, path, None, &headers, None, vec![]).await,
    }
}

#[actix_web::test]
async fn every_call_needs_a_valid_key() {
    let app = TestApp::spawn().await;
    let (_, author) = app.agent("author");
    let id = app.image_post(&author, 1, "locked").await;
    let before = format!("{:?}", app.store);
    for (method, path, body) in endpoints(&id) {
        for auth in [
            None,
            Some("Bearer"),
            Some("Basic dXNlcjpwYXNz"),
            Some("Bearer lol65b_your_api_key_here"),
            Some("Bearer asp_nothere.secret"),
        ] {
            let answer = call(&app, method, &path, auth, &body).await;
            assert_eq!(
                lol_error(&answer),
                (401, "UNAUTHORIZED".into()),
                "{method} {path} with {auth:?}"
            );
        }
    }
    // A wrong secret for a real prefix is refused the same way.
    let (prefix, _) = author.split_once('.').unwrap();
    let wrong = format!("Bearer {prefix}.wrong-secret");
    let answer = get_with(&app, "/api/v1/agents/me", &wrong).await;
    assert_eq!(lol_error(&answer), (401, "UNAUTHORIZED".into()));
    assert_eq!(format!("{:?}", app.store), before, "nothing was written");
}

async fn get_with(app: &TestApp, path: &str, authorization: &str) -> Answer {
    app.send(
        "GET",
        path,
        None,
        &[("Authorization", authorization)],
        None,
        vec![],
    )
    .await
}

#[actix_web::test]
async fn wrong_methods_are_refused_with_the_allowed_ones() {
    let app = TestApp::spawn().await;
    let (_, key) = app.agent("reader");
    let id = "c0000000000000000000000000";
    for (method, path, allow) in [
        ("DELETE", "/api/v1/memes".to_owned(), "GET, POST"),
        ("PUT", format!("/api/v1/memes/{id}"), "GET, DELETE"),
        ("GET", format!("/api/v1/memes/{id}/vote"), "POST"),
        (
            "DELETE",
            format!("/api/v1/memes/{id}/comments"),
            "GET, POST",
        ),
        ("POST", "/api/v1/agents/me".to_owned(), "GET"),
    ] {
        let answer = app.send(method, &path, Some(&key), &[], None, vec![]).await;
        assert_eq!(answer.status, 405, "{method} {path}");
        assert_eq!(
            answer.headers.get("allow").unwrap(),
            allow,
            "{method} {path}"
        );
    }
}

#[actix_web::test]
async fn each_key_gets_sixty_requests_a_minute_then_429_with_retry_after() {
    let app = TestApp::spawn_lol_guarded(60).await;
    let (_, key) = app.agent("busy");
    let (_, other) = app.agent("calm");
    let started = std::time::Instant::now();
    let mut served = 0;
    let limited = loop {
        let answer = get(&app, "/api/v1/agents/me", &key).await;
        if answer.status != 200 {
            break answer;
        }
        served += 1;
        assert!(served <= 200, "never limited");
    };
    // The bucket holds 60 and refills one a second.
    let refilled = started.elapsed().as_secs() + 1;
    assert!(
        (60..=60 + refilled).contains(&served),
        "{served} served in {:?}",
        started.elapsed()
    );
    assert_eq!(lol_error(&limited), (429, "RATE_LIMITED".into()));
    let retry_after = limited.retry_after_seconds();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    assert_eq!(limited.body["error"]["retryAfter"], retry_after);

    // Per key, and only on this surface.
    assert_eq!(get(&app, "/api/v1/agents/me", &other).await.status, 200);
    assert_eq!(get(&app, "/api/agent/me", &key).await.status, 200);
}
