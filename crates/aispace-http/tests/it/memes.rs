//! `POST /api/v1/memes` end to end: a meme drawn on the built-in
//! background or a provider's image (a fake provider on 127.0.0.1), posted
//! as an image post that every listing shows; its validation, hourly
//! allowance, idempotent replays, body limit and provider failures, each
//! in LOL-65B's error envelope.

use std::net::{Ipv4Addr, TcpListener};
use std::time::Duration;

use aispace_domain::model::QuotaLimits;
use aispace_domain::ports::{Clock, ImageProvider};
use aispace_domain::service::{MemeSettings, Settings, meme_prompt};
use aispace_testkit::fake_provider::{Answer, FakeProvider, GENERATIONS};
use aispace_testkit::images::png_size;
use serde_json::{Value, json};

use crate::app::{self, TestApp};
use crate::lol::{get, lol_error, message};

const KEY: &str = "sk-provider-test-0123456789";
const MODEL: &str = "test-model";

async fn create(app: &TestApp, key: &str, body: Value) -> app::Answer {
    app.post_json("/api/v1/memes", key, body, &[]).await
}

async fn create_with_key(app: &TestApp, key: &str, body: Value, idempotency: &str) -> app::Answer {
    app.post_json(
        "/api/v1/memes",
        key,
        body,
        &[("Idempotency-Key", idempotency)],
    )
    .await
}

/// Creates a meme that must succeed and returns its answer's body.
async fn meme(app: &TestApp, key: &str, body: Value) -> Value {
    let answer = create(app, key, body).await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    answer.body
}

/// The bytes behind an `imageUrl`, served by this app.
async fn image_bytes(app: &TestApp, image_url: &str) -> Vec<u8> {
    let path = image_url
        .strip_prefix("https://aispace.test")
        .unwrap_or_else(|| panic!("not on this site: {image_url}"));
    let answer = app.send("GET", path, None, &[], None, vec![]).await;
    assert_eq!(answer.status, 200, "{path}");
    assert_eq!(
        answer.headers.get("content-type").unwrap(),
        "image/png",
        "{path}"
    );
    answer.raw.to_vec()
}

/// The ids a meme listing holds, in order.
fn ids(list: &app::Answer) -> Vec<String> {
    list.body["memes"]
        .as_array()
        .unwrap_or_else(|| panic!("{} {}", list.status, list.body))
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn newest(app: &TestApp, key: &str) -> Vec<String> {
    let list = get(app, "/api/v1/memes?sort=new&limit=50", key).await;
    assert_eq!(list.status, 200, "{}", list.body);
    ids(&list)
}

fn settings(memes_per_window: u32, memes: MemeSettings) -> Settings {
    Settings {
        quotas: QuotaLimits {
            memes_per_window,
            ..QuotaLimits::default()
        },
        memes,
        ..Settings::default()
    }
}

fn provider_at(base_url: String) -> MemeSettings {
    MemeSettings {
        provider: Some(ImageProvider {
            base_url,
            api_key: KEY.to_owned(),
            model: MODEL.to_owned(),
        }),
        ..MemeSettings::default()
    }
}

#[actix_web::test]
async fn a_meme_is_created_with_its_lol_shape_and_served_as_a_1024_square_png() {
    let app = TestApp::spawn().await;
    let (_, key) = app.agent("humor-bot");
    let created_at = app.clock.now().to_string();

    let answer = create(
        &app,
        &key,
        json!({
            "concept": "a cat debugging production at 3am",
            "topCaption": "when the build is green",
            "bottomCaption": "but prod is on fire"
        }),
    )
    .await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    assert!(answer.headers.get("idempotent-replayed").is_none());
    let id = answer.body["id"].as_str().unwrap();
    let image_url = answer.body["imageUrl"].as_str().unwrap();
    assert!(
        image_url.starts_with("https://aispace.test/raw/") && image_url.ends_with(".png"),
        "{image_url}"
    );
    assert_eq!(
        answer.body,
        json!({
            "id": id,
            "imageUrl": image_url,
            "caption": "WHEN THE BUILD IS GREEN / BUT PROD IS ON FIRE",
            "promptUsed": null,
            "modelUsed": "aispace/builtin",
            "score": 0,
            "createdAt": created_at,
            "agent": {
                "name": "humor-bot",
                "displayName": "My Agent",
                "modelType": null
            }
        })
    );
    assert_eq!(png_size(&image_bytes(&app, image_url).await), (1024, 1024));
}

#[actix_web::test]
async fn the_caption_is_what_the_image_says_upper_cased() {
    let app = TestApp::spawn().await;
    let (_, key) = app.agent("captioner");
    for (body, caption) in [
        (
            json!({"concept": "a cat", "topCaption": "top", "bottomCaption": "bottom"}),
            "TOP / BOTTOM",
        ),
        (
            json!({"concept": "a cat", "topCaption": "only top"}),
            "ONLY TOP",
        ),
        (
            json!({"concept": "a cat", "topCaption": "", "bottomCaption": "only bottom"}),
            "ONLY BOTTOM",
        ),
        (
            json!({"concept": "a cat", "topCaption": null, "bottomCaption": null}),
            "A CAT",
        ),
        (json!({"concept": "  a   quiet\ncat  "}), "A QUIET CAT"),
        (
            json!({"concept": "a cat", "topCaption": "  two\n lines\t", "bottomCaption": "straße"}),
            "TWO LINES / STRASSE",
        ),
    ] {
        let created = meme(&app, &key, body.clone()).await;
        assert_eq!(created["caption"], caption, "{body}");
    }
}

#[actix_web::test]
async fn a_meme_is_listed_shown_with_how_it_was_made_and_in_the_aispace_feed() {
    let app = TestApp::spawn().await;
    let (_, author) = app.agent("humor-bot");
    let (_, reader) = app.agent("reader");
    let older = app.image_post(&author, 1, "an older upload").await;
    app.clock.advance(Duration::from_secs(60));
    let created = meme(
        &app,
        &author,
        json!({"concept": "robots at standup", "bottomCaption": "no blockers"}),
    )
    .await;
    let id = created["id"].as_str().unwrap();

    let list = get(&app, "/api/v1/memes?sort=new", &reader).await;
    assert_eq!(list.status, 200, "{}", list.body);
    assert_eq!(ids(&list), [id, older.as_str()]);
    let item = &list.body["memes"][0];
    assert_eq!(
        *item,
        json!({
            "id": id,
            "imageUrl": created["imageUrl"],
            "caption": "NO BLOCKERS",
            "score": 0,
            "commentCount": 0,
            "createdAt": created["createdAt"],
            "agentVote": null,
            "author": {
                "type": "agent",
                "name": "humor-bot",
                "displayName": "My Agent",
                "avatarUrl": null,
                "modelType": null
            }
        })
    );

    let one = get(&app, &format!("/api/v1/memes/{id}"), &reader).await;
    assert_eq!(one.status, 200, "{}", one.body);
    let mut expected = item.clone();
    expected["promptUsed"] = Value::Null;
    expected["modelUsed"] = json!("aispace/builtin");
    assert_eq!(one.body, expected);

    let (status, feed) = app.get("/api/agent/feed", Some(&reader)).await;
    assert_eq!(status, 200, "{feed}");
    let post = &feed["items"][0];
    assert_eq!(post["id"], id, "{feed}");
    assert_eq!(post["caption"], "NO BLOCKERS");
    assert_eq!(post["author"]["handle"], "humor-bot");
    assert_eq!(post["media"][0]["url"], created["imageUrl"]);
    assert_eq!(post["media"][0]["type"], "IMAGE");
    assert_eq!(
        (&post["media"][0]["width"], &post["media"][0]["height"]),
        (&json!(1024), &json!(1024))
    );
    assert_eq!(feed["items"][1]["id"], older.as_str());
}

#[actix_web::test]
async fn a_meme_records_a_post_created_event_and_a_refused_one_none() {
    let app = TestApp::spawn().await;
    let (_, key) = app.agent("humor-bot");
    let refused = create(&app, &key, json!({"concept": "no"})).await;
    assert_eq!(lol_error(&refused), (400, "VALIDATION_ERROR".into()));
    let created = meme(&app, &key, json!({"concept": "an eventful cat"})).await;

    let (status, events) = app.get("/api/agent/events", Some(&key)).await;
    assert_eq!(status, 200, "{events}");
    let events = events["events"].as_array().unwrap();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["type"], "post.created");
    assert_eq!(events[0]["data"]["postId"], created["id"]);
    assert_eq!(events[0]["data"]["publishedAt"], created["createdAt"]);
}

#[actix_web::test]
async fn the_same_concept_draws_the_same_image_and_another_concept_another() {
    let app = TestApp::spawn().await;
    let (_, key) = app.agent("painter");
    let (_, other) = app.agent("copycat");
    let body = |concept: &str| json!({"concept": concept, "topCaption": "same words"});

    let first = meme(&app, &key, body("a lighthouse in fog")).await;
    app.clock.advance(Duration::from_secs(60));
    let again = meme(&app, &other, body("a lighthouse in fog")).await;
    let different = meme(&app, &key, body("a volcano at noon")).await;
    assert_ne!(first["id"], again["id"], "two posts");

    let url = |m: &Value| m["imageUrl"].as_str().unwrap().to_owned();
    let first_bytes = image_bytes(&app, &url(&first)).await;
    assert_eq!(image_bytes(&app, &url(&again)).await, first_bytes);
    let different_bytes = image_bytes(&app, &url(&different)).await;
    assert_ne!(different_bytes, first_bytes);
    assert_eq!(png_size(&different_bytes), (1024, 1024));
}

#[actix_web::test]
async fn bad_meme_bodies_are_refused_naming_the_field() {
    let app = TestApp::spawn().await;
    let (_, key) = app.agent("sloppy");
    let long = |n: usize| "x".repeat(n);
    for (body, field) in [
        (json!({}), "concept"),
        (json!({"concept": null}), "concept"),
        (json!({"concept": 42}), "concept"),
        (json!({"concept": ["a cat"]}), "concept"),
        (json!({"concept": ""}), "concept"),
        (json!({"concept": "ab"}), "concept"),
        (json!({"concept": " \n ab \t  "}), "concept"),
        (json!({"concept": long(501)}), "concept"),
        (json!({"concept": "a cat\u{7}"}), "concept"),
        (json!({"topCaption": "no concept"}), "concept"),
        (
            json!({"concept": "a cat", "topCaption": long(101)}),
            "topCaption",
        ),
        (json!({"concept": "a cat", "topCaption": 7}), "topCaption"),
        (
            json!({"concept": "a cat", "topCaption": true}),
            "topCaption",
        ),
        (
            json!({"concept": "a cat", "topCaption": "nul\u{0}"}),
            "topCaption",
        ),
        (
            json!({"concept": "a cat", "bottomCaption": long(101)}),
            "bottomCaption",
        ),
        (
            json!({"concept": "a cat", "bottomCaption": {"text": "x"}}),
            "bottomCaption",
        ),
        (
            json!({"concept": "a cat", "bottomCaption": "\u{1b}[31mred"}),
            "bottomCaption",
        ),
    ] {
        let answer = create(&app, &key, body.clone()).await;
        assert_eq!(
            lol_error(&answer),
            (400, "VALIDATION_ERROR".into()),
            "{body}"
        );
        assert!(message(&answer).contains(field), "{body}: {}", answer.body);
    }
    // A body that is not a JSON object is refused the same way.
    for raw in ["not json", "", "\"a cat\"", "42"] {
        let answer = app
            .send(
                "POST",
                "/api/v1/memes",
                Some(&key),
                &[],
                Some("application/json"),
                raw.as_bytes().to_vec(),
            )
            .await;
        assert_eq!(
            lol_error(&answer),
            (400, "VALIDATION_ERROR".into()),
            "{raw:?}"
        );
    }
    assert!(newest(&app, &key).await.is_empty(), "nothing was posted");

    // The limits themselves are allowed, counted in characters.
    for body in [
        json!({"concept": "abc"}),
        json!({"concept": "é".repeat(500)}),
        json!({"concept": "a cat", "topCaption": "é".repeat(100), "bottomCaption": "word ".repeat(20)}),
    ] {
        let answer = create(&app, &key, body.clone()).await;
        assert_eq!(answer.status, 201, "{body}: {}", answer.body);
    }
}

#[actix_web::test]
async fn creating_a_meme_needs_a_valid_key() {
    let app = TestApp::spawn().await;
    let (_, key) = app.agent("owner");
    for auth in [
        None,
        Some("Bearer asp_nothere.secret"),
        Some("Basic dXNlcjpwYXNz"),
    ] {
        let headers: Vec<(&str, &str)> = auth.map(|a| ("Authorization", a)).into_iter().collect();
        let answer = app
            .send(
                "POST",
                "/api/v1/memes",
                None,
                &headers,
                Some("application/json"),
                json!({"concept": "a locked door"}).to_string().into_bytes(),
            )
            .await;
        assert_eq!(lol_error(&answer), (401, "UNAUTHORIZED".into()), "{auth:?}");
    }
    assert!(newest(&app, &key).await.is_empty());
}

#[actix_web::test]
async fn the_eleventh_meme_in_an_hour_is_rate_limited_until_the_oldest_leaves() {
    let app = TestApp::spawn().await;
    let (_, key) = app.agent("prolific");
    let (_, other) = app.agent("other");
    let body = |n: usize| json!({"concept": format!("meme number {n}")});
    for n in 0..9 {
        meme(&app, &key, body(n)).await;
        app.clock.advance(Duration::from_secs(60));
    }
    // A refused body spends nothing: the tenth still fits.
    let refused = create(&app, &key, json!({"concept": "x"})).await;
    assert_eq!(lol_error(&refused), (400, "VALIDATION_ERROR".into()));
    meme(&app, &key, body(9)).await;

    // Nine minutes after the first: it leaves the hour in 51 minutes.
    let limited = create(&app, &key, body(10)).await;
    assert_eq!(lol_error(&limited), (429, "RATE_LIMITED".into()));
    assert_eq!(limited.headers.get("retry-after").unwrap(), "3060");
    assert_eq!(limited.body["error"]["retryAfter"], 3060);
    // A bad body is still judged a bad body.
    let refused = create(&app, &key, json!({"concept": 1})).await;
    assert_eq!(lol_error(&refused), (400, "VALIDATION_ERROR".into()));
    // The allowance is the agent's own.
    meme(&app, &other, body(10)).await;
    assert_eq!(newest(&app, &key).await.len(), 11);

    app.clock.advance(Duration::from_secs(3_059));
    let still = create(&app, &key, body(10)).await;
    assert_eq!(lol_error(&still), (429, "RATE_LIMITED".into()));
    assert_eq!(still.headers.get("retry-after").unwrap(), "1");
    app.clock.advance(Duration::from_secs(1));
    meme(&app, &key, body(10)).await;
    // One slot freed, one taken; the 429s took none.
    let again = create(&app, &key, body(11)).await;
    assert_eq!(lol_error(&again), (429, "RATE_LIMITED".into()));
}

#[actix_web::test]
async fn an_idempotency_key_replays_the_first_meme_and_refuses_another_body() {
    let app = TestApp::spawn_with(settings(1, MemeSettings::default())).await;
    let (_, key) = app.agent("retrier");
    let (_, other) = app.agent("other");
    let body = json!({"concept": "a retry storm", "topCaption": "again?"});

    let first = create_with_key(&app, &key, body.clone(), "meme-1").await;
    assert_eq!(first.status, 201, "{}", first.body);
    assert!(first.headers.get("idempotent-replayed").is_none());
    app.clock.advance(Duration::from_secs(60));

    // The replay comes though the hour's one meme is spent.
    let replay = create_with_key(&app, &key, body.clone(), "meme-1").await;
    assert_eq!(replay.status, 201, "{}", replay.body);
    assert_eq!(replay.headers.get("idempotent-replayed").unwrap(), "true");
    assert_eq!(replay.body, first.body);

    let changed = create_with_key(
        &app,
        &key,
        json!({"concept": "a retry storm", "topCaption": "once more?"}),
        "meme-1",
    )
    .await;
    assert_eq!(lol_error(&changed), (409, "CONFLICT".into()));
    // Without the key it is a new meme, and the hour's one is spent.
    let fresh = create(&app, &key, body.clone()).await;
    assert_eq!(lol_error(&fresh), (429, "RATE_LIMITED".into()));
    assert_eq!(
        newest(&app, &key).await,
        [first.body["id"].as_str().unwrap()]
    );

    // Keys are per agent: another agent's same key makes its own meme.
    let theirs = create_with_key(&app, &other, body, "meme-1").await;
    assert_eq!(theirs.status, 201, "{}", theirs.body);
    assert!(theirs.headers.get("idempotent-replayed").is_none());
    assert_ne!(theirs.body["id"], first.body["id"]);
}

#[actix_web::test]
async fn a_body_over_ten_kilobytes_is_refused_with_413() {
    let app = TestApp::spawn().await;
    let (_, key) = app.agent("verbose");
    let over = create(&app, &key, json!({"concept": "x".repeat(10 * 1024)})).await;
    assert_eq!(lol_error(&over), (413, "PAYLOAD_TOO_LARGE".into()));
    // Just under the limit, the body is read and judged.
    let under = create(&app, &key, json!({"concept": "x".repeat(10 * 1024 - 20)})).await;
    assert_eq!(lol_error(&under), (400, "VALIDATION_ERROR".into()));
    assert!(message(&under).contains("concept"), "{}", under.body);
    assert!(newest(&app, &key).await.is_empty());
}

#[actix_web::test]
async fn without_a_provider_a_provider_only_server_refuses_memes() {
    let app = TestApp::spawn_with(settings(
        10,
        MemeSettings {
            require_provider: true,
            ..MemeSettings::default()
        },
    ))
    .await;
    let (_, key) = app.agent("hopeful");
    let answer = create(&app, &key, json!({"concept": "a cat"})).await;
    assert_eq!(lol_error(&answer), (403, "MISSING_PROVIDER_KEY".into()));
    assert!(newest(&app, &key).await.is_empty());
}

#[actix_web::test]
async fn a_provider_draws_the_background_and_its_prompt_and_model_are_reported() {
    let provider = FakeProvider::scripted(
        Ipv4Addr::LOCALHOST,
        vec![Answer::B64Png {
            width: 128,
            height: 96,
        }],
    )
    .unwrap();
    let app = TestApp::spawn_with(settings(10, provider_at(provider.url()))).await;
    let (_, key) = app.agent("artist");
    let (_, reader) = app.agent("reader");

    let created = meme(
        &app,
        &key,
        json!({"concept": "a cat on a keyboard", "topCaption": "hello"}),
    )
    .await;
    let prompt = meme_prompt("a cat on a keyboard");
    let model_used = format!("{}/{MODEL}", provider.addr);
    assert_eq!(created["promptUsed"], prompt.as_str());
    assert_eq!(created["modelUsed"], model_used.as_str());
    assert_eq!(created["caption"], "HELLO");
    // Drawn at the provider's image's size.
    let bytes = image_bytes(&app, created["imageUrl"].as_str().unwrap()).await;
    assert_eq!(png_size(&bytes), (128, 96));

    let sent = provider.requests();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].path, GENERATIONS);
    assert_eq!(
        sent[0].header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
    assert_eq!(sent[0].json["prompt"], prompt.as_str());
    assert_eq!(sent[0].json["model"], MODEL);
    assert_eq!(sent[0].json["response_format"], "b64_json");

    let id = created["id"].as_str().unwrap();
    let one = get(&app, &format!("/api/v1/memes/{id}"), &reader).await;
    assert_eq!(one.status, 200, "{}", one.body);
    assert_eq!(one.body["promptUsed"], prompt.as_str());
    assert_eq!(one.body["modelUsed"], model_used.as_str());
}

#[actix_web::test]
async fn provider_failures_are_502_or_504_and_spend_nothing() {
    let provider = FakeProvider::scripted(
        Ipv4Addr::LOCALHOST,
        vec![
            Answer::Json(500, json!({"error": {"message": format!("bad key {KEY}")}})),
            Answer::B64(b"not an image".to_vec()),
            Answer::Json(200, json!({"data": []})),
            Answer::B64Png {
                width: 64,
                height: 64,
            }
            .after(Duration::from_secs(4)),
            Answer::B64Png {
                width: 64,
                height: 64,
            },
        ],
    )
    .unwrap();
    let app = TestApp::spawn_with(settings(1, provider_at(provider.url()))).await;
    let (_, key) = app.agent("unlucky");
    let body = json!({"concept": "a cloud outage"});

    let failed = create(&app, &key, body.clone()).await;
    assert_eq!(lol_error(&failed), (502, "PROVIDER_ERROR".into()));
    assert!(message(&failed).contains("HTTP 500"), "{}", failed.body);
    assert!(!failed.raw.windows(KEY.len()).any(|w| w == KEY.as_bytes()));
    for what in ["not an image", "no image"] {
        let answer = create(&app, &key, body.clone()).await;
        assert_eq!(
            lol_error(&answer),
            (502, "PROVIDER_ERROR".into()),
            "{what}: {}",
            answer.body
        );
    }
    let slow = create(&app, &key, body.clone()).await;
    assert_eq!(lol_error(&slow), (504, "PROVIDER_TIMEOUT".into()));
    assert!(newest(&app, &key).await.is_empty());

    // None of that spent the hour's one meme.
    let created = meme(&app, &key, body.clone()).await;
    assert_eq!(
        created["promptUsed"],
        meme_prompt("a cloud outage").as_str()
    );
    // Now it is spent, and the provider is not called to find out.
    let limited = create(&app, &key, body).await;
    assert_eq!(lol_error(&limited), (429, "RATE_LIMITED".into()));
    assert_eq!(provider.requests().len(), 5);
}

#[actix_web::test]
async fn an_unreachable_provider_is_a_502_and_spends_nothing() {
    // A port nothing listens on any more.
    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let app = TestApp::spawn_with(settings(1, provider_at(format!("http://{closed}")))).await;
    let (_, key) = app.agent("stranded");
    for _ in 0..2 {
        let answer = create(&app, &key, json!({"concept": "a closed door"})).await;
        assert_eq!(
            lol_error(&answer),
            (502, "PROVIDER_ERROR".into()),
            "{}",
            answer.body
        );
    }
    assert!(newest(&app, &key).await.is_empty());
}
