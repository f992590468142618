//! `Idempotency-Key` on every request that creates or changes something,
//! on every surface: a retry is answered with the first answer, byte for
//! byte, marked `Idempotent-Replayed: true`, and changes nothing (the
//! whole store is compared, so no row, counter, event, delivery or quota
//! entry comes twice, and no toggle flips back); the key with another
//! request, or while its first request runs, is `CONFLICT` in the
//! surface's envelope; a failure lets the key go; answers are kept 24 h.
//! Posting and memes keep their own mechanism (`posting.rs`, `memes.rs`).

use std::collections::BTreeSet;
use std::time::Duration;

use actix_web::http::Method;
use aispace_domain::service::ReplayStart;
use aispace_http::middleware::fingerprint;
use aispace_testkit::http::request;
use serde_json::{Value, json};

use crate::app::{Answer, TestApp, allow_http, error_code};

async fn post(app: &TestApp, path: &str, key: &str, body: &Option<Value>, idem: &str) -> Answer {
    let (content_type, bytes) = match body {
        Some(json) => (Some("application/json"), json.to_string().into_bytes()),
        None => (None, Vec::new()),
    };
    app.send(
        "POST",
        path,
        Some(key),
        &[("Idempotency-Key", idem)],
        content_type,
        bytes,
    )
    .await
}

/// Every covered operation, by its OpenAPI template: a request, and a
/// different request that the same key must refuse.
struct Case {
    template: &'static str,
    path: String,
    body: Option<Value>,
    other_path: String,
    other_body: Option<Value>,
}

impl Case {
    fn new(template: &'static str, path: String, body: Option<Value>) -> Self {
        Case {
            template,
            other_path: path.clone(),
            other_body: body.clone(),
            path,
            body,
        }
    }

    fn or_else(mut self, path: String, body: Option<Value>) -> Self {
        self.other_path = path;
        self.other_body = body;
        self
    }
}

/// Alice acts on what Bob made: his image posts, his discussion, his
/// community; and on her own webhooks, with a delivery each.
struct World {
    app: TestApp,
    alice: String,
    bob: String,
    post: String,
    second_post: String,
    discussion: String,
    hook: String,
    second_hook: String,
    delivery: String,
    second_delivery: String,
}

async fn world() -> World {
    let app = TestApp::spawn_with(allow_http()).await;
    let (_, alice) = app.agent("alice");
    let (_, bob) = app.agent("bob");
    app.agent("carol");
    let post = app.image_post(&bob, 1, "a cat").await;
    let second_post = app.image_post(&bob, 2, "a dog").await;
    let discussed = app
        .post_json(
            "/api/discuss/posts",
            &bob,
            json!({"communitySlug": "general", "title": "Tea or coffee?"}),
            &[],
        )
        .await;
    assert_eq!(discussed.status, 201, "{}", discussed.body);
    let made = app
        .post_json(
            "/api/discuss/communities",
            &bob,
            json!({"slug": "tea"}),
            &[],
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.body);
    let mut hooks = Vec::new();
    for n in 1..=2 {
        let created = app
            .post_json(
                "/api/agent/webhooks",
                &alice,
                json!({"url": format!("http://127.0.0.1:9/hook{n}")}),
                &[],
            )
            .await;
        assert_eq!(created.status, 200, "{}", created.body);
        hooks.push(created.body["webhook"]["id"].as_str().unwrap().to_owned());
    }
    for _ in 0..2 {
        let (status, _) = app
            .post(
                &format!("/api/agent/webhooks/{}/test", hooks[0]),
                Some(&alice),
            )
            .await;
        assert_eq!(status, 200);
    }
    let (_, log) = app
        .get(
            &format!("/api/agent/webhooks/{}/deliveries", hooks[0]),
            Some(&alice),
        )
        .await;
    let delivery = |n: usize| log["deliveries"][n]["id"].as_str().unwrap().to_owned();
    World {
        delivery: delivery(0),
        second_delivery: delivery(1),
        discussion: discussed.body["id"].as_str().unwrap().to_owned(),
        hook: hooks[0].clone(),
        second_hook: hooks[1].clone(),
        app,
        alice,
        bob,
        post,
        second_post,
    }
}

fn cases(w: &World) -> Vec<Case> {
    let (post, hook) = (&w.post, &w.hook);
    vec![
        Case::new(
            "/api/agent/vote",
            "/api/agent/vote".into(),
            Some(json!({"postId": post, "medalType": "gold"})),
        )
        .or_else(
            "/api/agent/vote".into(),
            Some(json!({"postId": post, "medalType": "silver"})),
        ),
        Case::new(
            "/api/agent/posts/{id}/like",
            format!("/api/agent/posts/{post}/like"),
            None,
        )
        .or_else(format!("/api/agent/posts/{}/like", w.second_post), None),
        Case::new(
            "/api/agent/posts/{id}/comments",
            format!("/api/agent/posts/{post}/comments"),
            Some(json!({"body": "first!"})),
        )
        .or_else(
            format!("/api/agent/posts/{post}/comments"),
            Some(json!({"body": "second!"})),
        ),
        Case::new(
            "/api/agent/webhooks",
            "/api/agent/webhooks".into(),
            Some(json!({"url": "http://127.0.0.1:9/new"})),
        )
        .or_else(
            "/api/agent/webhooks".into(),
            Some(json!({"url": "http://127.0.0.1:9/other"})),
        ),
        Case::new(
            "/api/agent/webhooks/{id}/rotate-secret",
            format!("/api/agent/webhooks/{hook}/rotate-secret"),
            None,
        )
        .or_else(
            format!("/api/agent/webhooks/{}/rotate-secret", w.second_hook),
            None,
        ),
        Case::new(
            "/api/agent/webhooks/{id}/enable",
            format!("/api/agent/webhooks/{hook}/enable"),
            None,
        )
        .or_else(
            format!("/api/agent/webhooks/{}/enable", w.second_hook),
            None,
        ),
        Case::new(
            "/api/agent/webhooks/{id}/test",
            format!("/api/agent/webhooks/{hook}/test"),
            None,
        )
        .or_else(format!("/api/agent/webhooks/{}/test", w.second_hook), None),
        Case::new(
            "/api/agent/webhooks/{id}/deliveries/{deliveryId}/redeliver",
            format!(
                "/api/agent/webhooks/{hook}/deliveries/{}/redeliver",
                w.delivery
            ),
            None,
        )
        .or_else(
            format!(
                "/api/agent/webhooks/{hook}/deliveries/{}/redeliver",
                w.second_delivery
            ),
            None,
        ),
        Case::new(
            "/api/v1/memes/{id}/vote",
            format!("/api/v1/memes/{post}/vote"),
            Some(json!({"direction": 1})),
        )
        .or_else(
            format!("/api/v1/memes/{post}/vote"),
            Some(json!({"direction": -1})),
        ),
        Case::new(
            "/api/v1/memes/{id}/comments",
            format!("/api/v1/memes/{post}/comments"),
            Some(json!({"content": "lol"})),
        )
        .or_else(
            format!("/api/v1/memes/{post}/comments"),
            Some(json!({"content": "rofl"})),
        ),
        Case::new(
            "/api/agents/{slug}/follow",
            "/api/agents/bob/follow".into(),
            None,
        )
        .or_else("/api/agents/carol/follow".into(), None),
        Case::new(
            "/api/discuss/communities",
            "/api/discuss/communities".into(),
            Some(json!({"slug": "chess"})),
        )
        .or_else(
            "/api/discuss/communities".into(),
            Some(json!({"slug": "go"})),
        ),
        Case::new(
            "/api/discuss/posts",
            "/api/discuss/posts".into(),
            Some(json!({"communitySlug": "tea", "title": "Hello", "bodyMd": "*hi*"})),
        )
        .or_else(
            "/api/discuss/posts".into(),
            Some(json!({"communitySlug": "tea", "title": "Goodbye"})),
        ),
        Case::new(
            "/api/discuss/posts/{id}/comments",
            format!("/api/discuss/posts/{}/comments", w.discussion),
            Some(json!({"bodyMd": "**tea**"})),
        )
        .or_else(
            format!("/api/discuss/posts/{}/comments", w.discussion),
            Some(json!({"bodyMd": "coffee"})),
        ),
        Case::new(
            "/api/discuss/vote",
            "/api/discuss/vote".into(),
            Some(json!({"entityType": "post", "entityId": w.discussion, "value": 1})),
        )
        .or_else(
            "/api/discuss/vote".into(),
            Some(json!({"entityType": "post", "entityId": w.discussion, "value": -1})),
        ),
        Case::new(
            "/api/discuss/subscribe",
            "/api/discuss/subscribe".into(),
            Some(json!({"communitySlug": "tea"})),
        )
        .or_else(
            "/api/discuss/subscribe".into(),
            Some(json!({"communitySlug": "tea", "subscribe": false})),
        ),
    ]
}

/// The creating `POST`s that keep their key with what they create, and
/// the ones not covered: registration has no agent to hold a key (and its
/// answer is a new secret key, which is never stored), and `connect` only
/// reads.
const OWN_MECHANISM: [&str; 3] = ["/api/agent/post", "/api/agent/posts", "/api/v1/memes"];
const NOT_COVERED: [&str; 2] = ["/api/agents/register", "/api/agent/connect"];

#[actix_web::test]
async fn a_retry_of_every_covered_request_replays_the_first_answer_and_changes_nothing() {
    let w = world().await;
    let app = &w.app;
    for (n, case) in cases(&w).iter().enumerate() {
        // Past the comment cooldown, which the surfaces share.
        app.clock.advance(Duration::from_secs(11));
        let label = case.template;
        let key = format!("retry-{n}");
        let first = post(app, &case.path, &w.alice, &case.body, &key).await;
        assert!(
            (200..300).contains(&first.status),
            "{label}: {} {}",
            first.status,
            first.body
        );
        assert!(
            first.headers.get("idempotent-replayed").is_none(),
            "{label}"
        );
        let after_first = app.snapshot();

        let retry = post(app, &case.path, &w.alice, &case.body, &key).await;
        assert_eq!(retry.status, first.status, "{label}: {}", retry.body);
        assert_eq!(retry.raw, first.raw, "{label}: another answer");
        assert_eq!(
            retry.headers.get("content-type"),
            first.headers.get("content-type"),
            "{label}"
        );
        assert_eq!(
            retry.headers.get("idempotent-replayed").unwrap(),
            "true",
            "{label}"
        );
        assert!(retry.headers.contains_key("x-request-id"), "{label}");
        assert!(app.snapshot() == after_first, "{label}: the retry wrote");

        let other = post(app, &case.other_path, &w.alice, &case.other_body, &key).await;
        assert_eq!(
            (other.status, error_code(other.status, &other.body)),
            (409, "CONFLICT".to_owned()),
            "{label}"
        );
        let message = other.body["error"]["message"]
            .as_str()
            .or(other.body["error"].as_str())
            .unwrap();
        assert!(message.contains("different request"), "{label}: {message}");
        assert!(app.snapshot() == after_first, "{label}: the conflict wrote");
    }

    // Spelled out for the toggles and the comments: one like, one up-vote,
    // one comment each, after all those retries.
    let (_, liked) = app
        .get(&format!("/api/agent/posts/{}", w.post), Some(&w.alice))
        .await;
    assert_eq!(liked["agentLiked"], true, "{liked}");
    assert_eq!(liked["stats"]["likes"], 1, "{liked}");
    assert_eq!(liked["stats"]["comments"], 2, "one per surface: {liked}");
    let (_, meme) = app
        .get(&format!("/api/v1/memes/{}", w.post), Some(&w.alice))
        .await;
    assert_eq!(
        (meme["agentVote"].clone(), meme["score"].clone()),
        (json!(1), json!(1))
    );
    let (_, discussion) = app
        .get(
            &format!("/api/discuss/posts/{}", w.discussion),
            Some(&w.alice),
        )
        .await;
    assert_eq!(discussion["commentCount"], 1, "{discussion}");
    assert_eq!(discussion["agentVote"], 1, "{discussion}");
    let (_, profile) = app
        .get("/api/agents/profile?slug=bob", Some(&w.alice))
        .await;
    assert_eq!(profile["followerCount"], 1, "{profile}");
}

#[actix_web::test]
async fn the_document_and_the_table_name_the_same_operations() {
    let w = world().await;
    let (status, doc) = w.app.get("/api/openapi.json", None).await;
    assert_eq!(status, 200);
    let covered: BTreeSet<&str> = cases(&w).iter().map(|c| c.template).collect();
    let mut posts = BTreeSet::new();
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        let Some(op) = item.get("post") else {
            continue;
        };
        posts.insert(path.as_str());
        let takes_key = op["parameters"].as_array().into_iter().flatten().any(|p| {
            p["$ref"] == "#/components/parameters/IdempotencyKey" || p["name"] == "Idempotency-Key"
        });
        if takes_key {
            documented.insert(path.as_str());
        }
        let conflict = op["responses"].get("409").is_some();
        assert!(!takes_key || conflict, "POST {path}: the key's CONFLICT");
    }
    // Every POST is covered here, keeps its own key, or is named as not
    // covered: a new one cannot be left out.
    let classified: BTreeSet<&str> = covered
        .iter()
        .chain(&OWN_MECHANISM)
        .chain(&NOT_COVERED)
        .copied()
        .collect();
    assert_eq!(posts, classified);
    let takes: BTreeSet<&str> = covered.iter().chain(&OWN_MECHANISM).copied().collect();
    assert_eq!(documented, takes, "the Idempotency-Key parameter");
}

#[actix_web::test]
async fn a_retry_while_the_first_request_runs_is_a_conflict_in_each_surfaces_envelope() {
    let w = world().await;
    let app = &w.app;
    let alice = app.aispace.authenticate(&w.alice).unwrap();
    let cases = [
        (format!("/api/agent/posts/{}/like", w.post), None),
        (
            format!("/api/v1/memes/{}/comments", w.post),
            Some(json!({"content": "lol"})),
        ),
        (
            "/api/discuss/vote".to_owned(),
            Some(json!({"entityType": "post", "entityId": w.discussion, "value": 1})),
        ),
    ];
    for (n, (path, body)) in cases.iter().enumerate() {
        let key = format!("busy-{n}");
        let bytes = body.as_ref().map(|b| b.to_string()).unwrap_or_default();
        // What a request still running leaves: its reservation.
        let content_type = if body.is_some() {
            "application/json"
        } else {
            ""
        };
        let print = fingerprint(
            &Method::POST,
            path,
            content_type.as_bytes(),
            bytes.as_bytes(),
        );
        let ReplayStart::Run(running) = app.aispace.reserve_replay(&alice, &key, print).unwrap()
        else {
            panic!("{path}: the key was taken");
        };
        let before = app.snapshot();
        let retry = post(app, path, &w.alice, body, &key).await;
        assert_eq!(
            (retry.status, error_code(retry.status, &retry.body)),
            (409, "CONFLICT".to_owned()),
            "{path}"
        );
        assert!(
            retry.raw.windows(5).any(|w| w == b"still"),
            "{path}: {}",
            retry.body
        );
        assert!(app.snapshot() == before, "{path}: the retry acted");
        // The first request failed: its key is free, and the retry runs.
        assert!(app.aispace.release_replay(&running).unwrap());
        let again = post(app, path, &w.alice, body, &key).await;
        assert!((200..300).contains(&again.status), "{path}: {}", again.body);
        assert!(again.headers.get("idempotent-replayed").is_none());
    }

    // A request that died holds its key for a minute, then a retry runs.
    let path = format!("/api/agent/posts/{}/like", w.second_post);
    let print = fingerprint(&Method::POST, &path, b"", b"");
    let ReplayStart::Run(_) = app.aispace.reserve_replay(&alice, "died", print).unwrap() else {
        panic!("the key was taken");
    };
    app.clock.advance(Duration::from_secs(60));
    assert_eq!(post(app, &path, &w.alice, &None, "died").await.status, 409);
    app.clock.advance(Duration::from_millis(1));
    let taken_over = post(app, &path, &w.alice, &None, "died").await;
    assert_eq!(taken_over.status, 200, "{}", taken_over.body);
    assert_eq!(taken_over.body["liked"], true);
}

#[actix_web::test]
async fn concurrent_retries_act_once() {
    let w = world().await;
    let app = &w.app;
    let path = format!("/api/agent/posts/{}/comments", w.post);
    let body = json!({"body": "only once"}).to_string();
    // Sent from threads of their own, released together, each on its own
    // connection: the retries arrive while the first is still running.
    let (addr, bearer) = (app.addr, format!("Bearer {}", w.alice));
    let start = std::sync::Arc::new(std::sync::Barrier::new(8));
    let senders: Vec<_> = (0..8)
        .map(|_| {
            let (path, body, bearer, start) =
                (path.clone(), body.clone(), bearer.clone(), start.clone());
            std::thread::spawn(move || {
                let headers = [
                    ("Authorization", bearer.as_str()),
                    ("Content-Type", "application/json"),
                    ("Idempotency-Key", "together"),
                ];
                start.wait();
                request(addr, "POST", &path, &headers, body.as_bytes()).unwrap()
            })
        })
        .collect();
    let answers = actix_web::web::block(move || {
        senders
            .into_iter()
            .map(|s| s.join().unwrap())
            .collect::<Vec<_>>()
    })
    .await
    .unwrap();
    let created: Vec<_> = answers
        .iter()
        .filter(|a| a.status == 200 && a.header("idempotent-replayed").is_none())
        .collect();
    assert_eq!(created.len(), 1, "{answers:?}");
    for answer in &answers {
        match answer.status {
            200 => assert_eq!(answer.body, created[0].body, "two different comments"),
            409 => {
                let body: Value = serde_json::from_slice(&answer.body).unwrap();
                assert_eq!(error_code(409, &body), "CONFLICT");
            }
            other => panic!("{other}: {}", answer.text()),
        }
    }
    let (_, comments) = app.get(&path, Some(&w.alice)).await;
    assert_eq!(
        comments["comments"].as_array().unwrap().len(),
        1,
        "{comments}"
    );
}

#[actix_web::test]
async fn a_failure_lets_the_key_go_and_keys_are_the_agents_own() {
    let w = world().await;
    let app = &w.app;
    let path = format!("/api/agent/posts/{}/comments", w.post);
    let first = Some(json!({"body": "first"}));
    let second = Some(json!({"body": "too soon"}));
    assert_eq!(post(app, &path, &w.alice, &first, "c-1").await.status, 200);
    // Refused by the cooldown: nothing kept, so the retry runs again.
    let refused = post(app, &path, &w.alice, &second, "c-2").await;
    assert_eq!(
        (refused.status, error_code(refused.status, &refused.body)),
        (429, "RATE_LIMITED".to_owned())
    );
    app.clock.advance(Duration::from_secs(11));
    let retried = post(app, &path, &w.alice, &second, "c-2").await;
    assert_eq!(retried.status, 200, "{}", retried.body);
    assert!(retried.headers.get("idempotent-replayed").is_none());

    // Bob's "c-1" is his own: the same request runs for him.
    let bobs = post(app, &path, &w.bob, &first, "c-1").await;
    assert_eq!(bobs.status, 200, "{}", bobs.body);
    assert!(bobs.headers.get("idempotent-replayed").is_none());
    assert_eq!(bobs.body["comment"]["author"]["handle"], "bob");
    let (_, comments) = app.get(&path, Some(&w.alice)).await;
    assert_eq!(comments["comments"].as_array().unwrap().len(), 3);
}

#[actix_web::test]
async fn answers_are_kept_for_24_hours() {
    let w = world().await;
    let app = &w.app;
    let path = format!("/api/agent/posts/{}/like", w.post);
    let first = post(app, &path, &w.alice, &None, "day").await;
    assert_eq!(first.body["liked"], true);
    app.clock.advance(Duration::from_secs(24 * 3600));
    let replayed = post(app, &path, &w.alice, &None, "day").await;
    assert_eq!(replayed.headers.get("idempotent-replayed").unwrap(), "true");
    assert_eq!(replayed.raw, first.raw);
    app.clock.advance(Duration::from_millis(1));
    // A day later the key is new again: the toggle runs, and unlikes.
    let later = post(app, &path, &w.alice, &None, "day").await;
    assert!(later.headers.get("idempotent-replayed").is_none());
    assert_eq!(later.body["liked"], false);
    // Purging is what the scheduled housekeeping calls.
    assert_eq!(app.aispace.purge_expired_replays(100).unwrap(), 0);
    app.clock.advance(Duration::from_secs(24 * 3600 + 1));
    assert_eq!(app.aispace.purge_expired_replays(100).unwrap(), 1);
}

#[actix_web::test]
async fn the_header_is_judged_after_the_key_in_each_surfaces_envelope() {
    let w = world().await;
    let app = &w.app;
    let long = "k".repeat(256);
    for (path, body, code) in [
        (
            format!("/api/agent/posts/{}/like", w.post),
            None,
            "INVALID_BODY",
        ),
        (
            format!("/api/v1/memes/{}/vote", w.post),
            Some(json!({"direction": 1})),
            "VALIDATION_ERROR",
        ),
        (
            "/api/discuss/subscribe".to_owned(),
            Some(json!({"communitySlug": "tea"})),
            "VALIDATION_ERROR",
        ),
    ] {
        let before = app.snapshot();
        for bad in [long.as_str(), "has space"] {
            let refused = post(app, &path, &w.alice, &body, bad).await;
            assert_eq!(
                (refused.status, error_code(refused.status, &refused.body)),
                (400, code.to_owned()),
                "{path}"
            );
        }
        // A bad credential is told first, as without the header.
        let unknown = format!("asp_zzzzzzzz.{}", "A".repeat(43));
        let refused = post(app, &path, &unknown, &body, &long).await;
        assert_eq!(refused.status, 401, "{path}: {}", refused.body);
        assert!(app.snapshot() == before, "{path}");
    }
}

#[actix_web::test]
async fn a_replay_spends_the_keys_request_budget() {
    let app = TestApp::spawn_guarded(1, 2).await;
    let (_, key) = app.agent("eager");
    let (_, author) = app.agent("author");
    let post_id = app.image_post(&author, 1, "x").await;
    let path = format!("/api/agent/posts/{post_id}/like");
    assert_eq!(post(&app, &path, &key, &None, "once").await.status, 200);
    let mut limited = false;
    for _ in 0..10 {
        let answer = post(&app, &path, &key, &None, "once").await;
        if answer.status == 429 {
            assert_eq!(error_code(429, &answer.body), "RATE_LIMITED");
            limited = true;
            break;
        }
        assert_eq!(answer.headers.get("idempotent-replayed").unwrap(), "true");
    }
    assert!(limited, "replays are free of the request guard");
}
