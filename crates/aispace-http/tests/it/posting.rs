use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use aispace_domain::service::Settings;
use aispace_testkit::image_server::{ImageServer, Route};
use aispace_testkit::images;
use serde_json::json;

use crate::app::{Part, TestApp};

const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

fn png_route(body: Vec<u8>) -> Route {
    Route::Respond {
        status: 200,
        content_type: "image/png",
        body,
    }
}

fn image_server(routes: Vec<(&str, Route)>) -> ImageServer {
    ImageServer::start(LOOPBACK, routes).unwrap()
}

/// The path of a URL on this server (`http://host/raw/x` → `/raw/x`).
fn path_of(url: &str) -> String {
    let rest = url.split_once("://").unwrap().1;
    format!("/{}", rest.split_once('/').unwrap().1)
}

#[actix_web::test]
async fn posting_by_url_stores_the_image_and_serves_it() {
    let app = TestApp::spawn().await;
    let (_, key) = app.agent("artist-bot");
    let png = images::png(64, 48, 1);
    let server = image_server(vec![("/art.png", png_route(png.clone()))]);

    let answer = app
        .post_json(
            "/api/agent/post",
            &key,
            json!({"imageUrl": server.url("/art.png"), "caption": "A futuristic cityscape #cyberpunk", "tags": ["aiart", "scifi"]}),
            &[],
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let body = &answer.body;
    assert_eq!(body["ok"], true);
    let post_id = body["postId"].as_str().unwrap();
    assert_eq!(body["postUrl"], format!("https://aispace.test/p/{post_id}"));
    assert_eq!(body["createdAt"], "2026-03-04T12:00:00.000Z");
    let media_url = body["mediaUrl"].as_str().unwrap();
    assert!(
        media_url.starts_with("https://aispace.test/raw/") && media_url.ends_with(".png"),
        "{media_url}"
    );

    // The media URL resolves, with its sniffed type, a strong ETag and a
    // cache lifetime of a year; a conditional GET is a 304.
    let media = app
        .send("GET", &path_of(media_url), None, &[], None, vec![])
        .await;
    assert_eq!(media.status, 200);
    assert_eq!(media.raw.as_ref(), png.as_slice());
    assert_eq!(media.headers.get("content-type").unwrap(), "image/png");
    assert_eq!(
        media.headers.get("x-content-type-options").unwrap(),
        "nosniff"
    );
    assert_eq!(
        media.headers.get("cache-control").unwrap(),
        "public, max-age=31536000, immutable"
    );
    let etag = media
        .headers
        .get("etag")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(etag.starts_with('"') && etag.len() == 66, "{etag}");
    let again = app
        .send(
            "GET",
            &path_of(media_url),
            None,
            &[("If-None-Match", &etag)],
            None,
            vec![],
        )
        .await;
    assert_eq!(again.status, 304);
    assert!(again.raw.is_empty());

    // The post reads back in the feed item's shape.
    let item = app
        .send(
            "GET",
            &format!("/api/agent/posts/{post_id}"),
            Some(&key),
            &[],
            None,
            vec![],
        )
        .await;
    assert_eq!(item.status, 200, "{}", item.body);
    let item = item.body;
    assert_eq!(item["id"], post_id);
    assert_eq!(item["caption"], "A futuristic cityscape #cyberpunk");
    assert_eq!(item["publishedAt"], "2026-03-04T12:00:00.000Z");
    assert_eq!(item["author"]["type"], "agent");
    assert_eq!(item["author"]["handle"], "artist-bot");
    assert_eq!(item["media"][0]["type"], "IMAGE");
    assert_eq!(item["media"][0]["url"], media_url);
    assert_eq!(
        (
            item["media"][0]["width"].clone(),
            item["media"][0]["height"].clone()
        ),
        (json!(64), json!(48))
    );
    assert_eq!(item["tags"], json!(["aiart", "scifi", "cyberpunk"]));
    assert_eq!(
        item["stats"],
        json!({"likes": 0, "comments": 0, "medals": {"gold": 0, "silver": 0, "bronze": 0}})
    );
    assert_eq!(item["aiVerdict"], serde_json::Value::Null);
    assert_eq!(item["agentLiked"], false);
    assert_eq!(item["agentMedal"], serde_json::Value::Null);
}

#[actix_web::test]
async fn posting_by_upload_accepts_every_spelling_of_tags() {
    let app = TestApp::spawn().await;
    let (_, key) = app.agent("uploader");
    let png = images::png(10, 10, 2);
    let answer = app
        .post_form(
            &key,
            &[
                Part::file("file", &png),
                Part::text("caption", "Neon dreams #cyberpunk"),
                Part::text("tags", "aiart,scifi"),
                Part::text("tags", r#"["Generative"]"#),
                Part::text("tags", "extra"),
            ],
            &[],
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let id = answer.body["postId"].as_str().unwrap().to_owned();
    let item = app
        .send(
            "GET",
            &format!("/api/agent/posts/{id}"),
            Some(&key),
            &[],
            None,
            vec![],
        )
        .await
        .body;
    assert_eq!(
        item["tags"],
        json!(["aiart", "scifi", "generative", "extra", "cyberpunk"])
    );
    assert_eq!(item["media"][0]["width"], 10);
}

#[actix_web::test]
async fn the_same_bytes_are_stored_once() {
    let app = TestApp::spawn().await;
    let (_, key) = app.agent("repeater");
    let png = images::png(8, 8, 3);
    let first = app.post_form(&key, &[Part::file("file", &png)], &[]).await;
    let second = app.post_form(&key, &[Part::file("file", &png)], &[]).await;
    assert_ne!(first.body["postId"], second.body["postId"]);
    assert_eq!(first.body["mediaUrl"], second.body["mediaUrl"]);
}

#[actix_web::test]
async fn input_mode_errors_have_their_codes() {
    let app = TestApp::spawn().await;
    let (_, key) = app.agent("confused");
    let png = images::png(4, 4, 0);

    let no_url = app
        .post_json("/api/agent/post", &key, json!({"caption": "x"}), &[])
        .await;
    assert_eq!(no_url.code(), (400, "IMAGE_URL_REQUIRED".into()));
    let no_file = app
        .post_form(&key, &[Part::text("caption", "x")], &[])
        .await;
    assert_eq!(no_file.code(), (400, "FILE_REQUIRED".into()));
    let both = app
        .post_form(
            &key,
            &[
                Part::file("file", &png),
                Part::text("imageUrl", "https://example.com/a.png"),
            ],
            &[],
        )
        .await;
    assert_eq!(both.code(), (400, "AMBIGUOUS_INPUT".into()));
    let bad_tags = app
        .post_json(
            "/api/agent/post",
            &key,
            json!({"imageUrl": "https://example.com/a.png", "tags": ["sci-fi"]}),
            &[],
        )
        .await;
    assert_eq!(bad_tags.code(), (400, "INVALID_BODY".into()));
    assert!(
        bad_tags.body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("tags:")
    );
    let long_caption = "c".repeat(2_001);
    let too_long = app
        .post_json(
            "/api/agent/post",
            &key,
            json!({"imageUrl": "https://example.com/a.png", "caption": long_caption}),
            &[],
        )
        .await;
    assert_eq!(too_long.code(), (400, "INVALID_BODY".into()));
    let wrong_type = app
        .post_json("/api/agent/post", &key, json!({"imageUrl": 42}), &[])
        .await;
    assert_eq!(wrong_type.code(), (400, "INVALID_BODY".into()));
    let text_body = app
        .send(
            "POST",
            "/api/agent/post",
            Some(&key),
            &[],
            Some("text/plain"),
            b"hello".to_vec(),
        )
        .await;
    assert_eq!(text_body.code(), (400, "INVALID_BODY".into()));
}

#[actix_web::test]
async fn url_mode_refuses_what_it_must_not_fetch() {
    let app = TestApp::spawn().await;
    let (_, key) = app.agent("prober");
    // 127.0.0.2 is loopback too, and not in this server's allow list; the
    // image server behind it must never be reached.
    let hidden = ImageServer::start(
        "127.0.0.2".parse().unwrap(),
        vec![("/a.png", png_route(images::png(4, 4, 0)))],
    )
    .unwrap();
    let allowed = image_server(vec![("/hop", Route::Redirect(hidden.url("/a.png")))]);
    for url in [
        "file:///etc/passwd".to_owned(),
        "ftp://example.com/a.png".to_owned(),
        hidden.url("/a.png"),
        allowed.url("/hop"),
        "http://169.254.169.254/latest/meta-data/".to_owned(),
        "http://[::1]/a.png".to_owned(),
        "http://2130706434/a.png".to_owned(),
        format!("http://0x7f.0.0.2:{}/a.png", hidden.addr.port()),
    ] {
        let answer = app
            .post_json("/api/agent/post", &key, json!({"imageUrl": url}), &[])
            .await;
        assert_eq!(
            answer.code(),
            (400, "FORBIDDEN_URL".into()),
            "{url}: {}",
            answer.body
        );
    }
    assert_eq!(hidden.hits(), 0, "a forbidden address was connected to");
}

#[actix_web::test]
async fn fetch_failures_and_bad_images_have_their_codes() {
    let app = TestApp::spawn().await;
    let (_, key) = app.agent("unlucky");
    let server = image_server(vec![
        (
            "/gif",
            Route::Respond {
                status: 200,
                content_type: "image/png",
                body: images::GIF.to_vec(),
            },
        ),
        (
            "/svg",
            Route::Respond {
                status: 200,
                content_type: "image/png",
                body: images::SVG.to_vec(),
            },
        ),
        (
            "/html",
            Route::Respond {
                status: 200,
                content_type: "text/html",
                body: images::HTML.to_vec(),
            },
        ),
        ("/garbage", png_route(images::png_signature_then_garbage())),
        ("/bomb", png_route(images::png_header_only(10_000, 10_000))),
        ("/huge", png_route(vec![0u8; 5 * 1024 * 1024 + 1])),
        ("/hang", Route::Hang),
        ("/loop", Route::Redirect("/loop".into())),
    ]);
    let closed_port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let cases = [
        (server.url("/missing"), 422, "IMAGE_FETCH_FAILED"),
        (server.url("/loop"), 422, "IMAGE_FETCH_FAILED"),
        (server.url("/hang"), 422, "IMAGE_FETCH_FAILED"),
        (
            format!("http://127.0.0.1:{closed_port}/a.png"),
            422,
            "IMAGE_FETCH_FAILED",
        ),
        (server.url("/gif"), 415, "UNSUPPORTED_MEDIA_TYPE"),
        (server.url("/svg"), 415, "UNSUPPORTED_MEDIA_TYPE"),
        (server.url("/html"), 415, "UNSUPPORTED_MEDIA_TYPE"),
        (server.url("/garbage"), 415, "UNSUPPORTED_MEDIA_TYPE"),
        (server.url("/bomb"), 415, "UNSUPPORTED_MEDIA_TYPE"),
        (server.url("/huge"), 413, "UPLOAD_TOO_LARGE"),
    ];
    for (url, status, expected) in cases {
        let answer = app
            .post_json("/api/agent/post", &key, json!({"imageUrl": url}), &[])
            .await;
        assert_eq!(
            answer.code(),
            (status, expected.into()),
            "{url}: {}",
            answer.body
        );
    }
    let bomb = app
        .post_json(
            "/api/agent/post",
            &key,
            json!({"imageUrl": server.url("/bomb")}),
            &[],
        )
        .await;
    assert!(
        bomb.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("megapixels"),
        "{}",
        bomb.body
    );

    for (bytes, expected) in [
        (images::GIF.to_vec(), (415, "UNSUPPORTED_MEDIA_TYPE")),
        (images::SVG.to_vec(), (415, "UNSUPPORTED_MEDIA_TYPE")),
        (
            images::png_signature_then_garbage(),
            (415, "UNSUPPORTED_MEDIA_TYPE"),
        ),
        (vec![0u8; 5 * 1024 * 1024 + 1], (413, "UPLOAD_TOO_LARGE")),
    ] {
        let answer = app
            .post_form(&key, &[Part::file("file", &bytes)], &[])
            .await;
        assert_eq!(
            answer.code(),
            (expected.0, expected.1.into()),
            "{}",
            answer.body
        );
    }
    // Exactly at the limit is fine as far as size goes (then it is no PNG).
    let at_limit = app
        .post_form(
            &key,
            &[Part::file("file", &vec![0u8; 5 * 1024 * 1024])],
            &[],
        )
        .await;
    assert_eq!(at_limit.code().1, "UNSUPPORTED_MEDIA_TYPE");
}

#[actix_web::test]
async fn an_idempotency_key_makes_a_retry_safe() {
    let app = TestApp::spawn().await;
    let (_, key) = app.agent("careful");
    let png = images::png(6, 6, 4);
    let server = image_server(vec![("/a.png", png_route(png.clone()))]);
    let body = json!({"imageUrl": server.url("/a.png"), "caption": "once"});

    let first = app
        .post_json(
            "/api/agent/post",
            &key,
            body.clone(),
            &[("Idempotency-Key", "k-1")],
        )
        .await;
    let retry = app
        .post_json(
            "/api/agent/post",
            &key,
            body.clone(),
            &[("Idempotency-Key", "k-1")],
        )
        .await;
    assert_eq!(first.status, 200);
    assert_eq!(retry.body, first.body, "the retry gets the first answer");
    assert_eq!(retry.headers.get("idempotent-replayed").unwrap(), "true");
    assert_eq!(server.hits(), 1, "the retry fetched nothing");

    let different = json!({"imageUrl": server.url("/a.png"), "caption": "twice"});
    let conflict = app
        .post_json(
            "/api/agent/post",
            &key,
            different,
            &[("Idempotency-Key", "k-1")],
        )
        .await;
    assert_eq!(conflict.code(), (409, "CONFLICT".into()));

    // Upload retries carry a new multipart boundary but the same meaning.
    let a = app
        .post_form(
            &key,
            &[Part::file("file", &png), Part::text("caption", "up")],
            &[("Idempotency-Key", "k-2")],
        )
        .await;
    let b = app
        .post_form(
            &key,
            &[Part::text("caption", "up"), Part::file("file", &png)],
            &[("Idempotency-Key", "k-2")],
        )
        .await;
    assert_eq!(a.body["postId"], b.body["postId"]);

    let (_, me) = app.get("/api/agent/me", Some(&key)).await;
    assert_eq!(me["quotas"]["posts"]["used"], 2, "two posts, not four");
}

#[actix_web::test]
async fn scheduled_posts_stay_hidden_until_published() {
    let app = TestApp::spawn().await;
    let (_, key) = app.agent("planner");
    let png = images::png(5, 5, 5);
    let answer = app
        .post_form(
            &key,
            &[
                Part::file("file", &png),
                Part::text("publishAt", "2026-03-04T13:00:00+01:00"),
            ],
            &[],
        )
        .await;
    // 13:00+01:00 is now: not in the future, so published at once.
    assert!(answer.body["postId"].is_string(), "{}", answer.body);

    let answer = app
        .post_form(
            &key,
            &[
                Part::file("file", &png),
                Part::text("publishAt", "2026-03-05T18:00:00Z"),
            ],
            &[],
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body["scheduled"], true);
    assert_eq!(answer.body["publishAt"], "2026-03-05T18:00:00.000Z");
    let id = answer.body["scheduledPostId"].as_str().unwrap().to_owned();
    let path = format!("/api/agent/posts/{id}");

    let hidden = app.send("GET", &path, Some(&key), &[], None, vec![]).await;
    assert_eq!(hidden.code(), (404, "POST_NOT_FOUND".into()));
    // Counted against the quota when accepted.
    let (_, me) = app.get("/api/agent/me", Some(&key)).await;
    assert_eq!(me["quotas"]["posts"]["used"], 2);

    app.clock
        .set(aispace_domain::model::Timestamp::parse_rfc3339("2026-03-05T18:00:00.5Z").unwrap());
    assert_eq!(app.aispace.publish_due_posts().unwrap(), 1);
    assert_eq!(
        app.aispace.publish_due_posts().unwrap(),
        0,
        "published exactly once"
    );
    let visible = app.send("GET", &path, Some(&key), &[], None, vec![]).await;
    assert_eq!(visible.status, 200);
    assert_eq!(
        visible.body["publishedAt"], "2026-03-05T18:00:00.000Z",
        "ranks from its publish time"
    );

    let too_far = app
        .post_form(
            &key,
            &[
                Part::file("file", &png),
                Part::text("publishAt", "2026-05-01T00:00:00Z"),
            ],
            &[],
        )
        .await;
    assert_eq!(too_far.code(), (400, "INVALID_BODY".into()));
    let garbled = app
        .post_form(
            &key,
            &[
                Part::file("file", &png),
                Part::text("publishAt", "tomorrow"),
            ],
            &[],
        )
        .await;
    assert_eq!(garbled.code(), (400, "INVALID_BODY".into()));
}

/// A client that always sends the field, empty when it means "now", gets
/// its post published at once, as the OpenAPI document says.
#[actix_web::test]
async fn an_empty_or_blank_publish_time_publishes_now() {
    let app = TestApp::spawn().await;
    let (_, key) = app.agent("prompt");
    for (seed, blank) in [(1, ""), (2, "  ")] {
        let png = images::png(5, 5, seed);
        let form = app
            .post_form(
                &key,
                &[Part::file("file", &png), Part::text("publishAt", blank)],
                &[],
            )
            .await;
        assert_eq!(form.status, 200, "{blank:?}: {}", form.body);
        assert!(form.body["postId"].is_string(), "{}", form.body);
    }
    for publish_at in [json!(""), json!(null)] {
        // The legacy endpoint stores the URL without fetching it.
        let answer = app
            .post_json(
                "/api/agent/posts",
                &key,
                json!({"imageUrl": "https://cdn.example/a.png", "publishAt": publish_at}),
                &[],
            )
            .await;
        assert_eq!(answer.status, 200, "{publish_at}: {}", answer.body);
        assert!(answer.body["scheduled"].is_null(), "{}", answer.body);
    }
}

#[actix_web::test]
async fn the_daily_post_quota_is_enforced_with_retry_after() {
    let mut settings = Settings::default();
    settings.quotas.posts_per_day = 2;
    let app = TestApp::spawn_with(settings).await;
    let (_, key) = app.agent("prolific");
    for seed in 0..2 {
        let png = images::png(3, 3, seed);
        assert_eq!(
            app.post_form(&key, &[Part::file("file", &png)], &[])
                .await
                .status,
            200
        );
    }
    let png = images::png(3, 3, 9);
    let refused = app.post_form(&key, &[Part::file("file", &png)], &[]).await;
    assert_eq!(refused.code(), (429, "RATE_LIMITED".into()));
    // 12:00 to midnight.
    assert_eq!(refused.body["retryAfterSeconds"], 43_200);
    assert_eq!(refused.headers.get("retry-after").unwrap(), "43200");

    app.clock.advance(Duration::from_secs(43_200));
    assert_eq!(
        app.post_form(&key, &[Part::file("file", &png)], &[])
            .await
            .status,
        200
    );
}

#[actix_web::test]
async fn the_legacy_endpoint_keeps_the_url_as_given() {
    let app = TestApp::spawn().await;
    let (_, key) = app.agent("oldtimer");
    let answer = app
        .post_json("/api/agent/posts", &key, json!({"imageUrl": "https://cdn.example/never-fetched.png", "caption": "My creation #aiart"}), &[])
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(
        answer.body["mediaUrl"],
        "https://cdn.example/never-fetched.png"
    );
    let id = answer.body["postId"].as_str().unwrap();
    let item = app
        .send(
            "GET",
            &format!("/api/agent/posts/{id}"),
            Some(&key),
            &[],
            None,
            vec![],
        )
        .await
        .body;
    assert_eq!(item["media"][0]["width"], serde_json::Value::Null);
    assert_eq!(item["tags"], json!(["aiart"]));

    let ftp = app
        .post_json(
            "/api/agent/posts",
            &key,
            json!({"imageUrl": "ftp://example.com/a.png"}),
            &[],
        )
        .await;
    assert_eq!(ftp.code(), (400, "FORBIDDEN_URL".into()));
}

#[actix_web::test]
async fn unknown_posts_are_post_not_found() {
    let app = TestApp::spawn().await;
    let (_, key) = app.agent("reader");
    for path in ["/api/agent/posts/cnothere", "/api/agent/posts/..%2Fetc"] {
        let answer = app.send("GET", path, Some(&key), &[], None, vec![]).await;
        assert_eq!(answer.code(), (404, "POST_NOT_FOUND".into()), "{path}");
    }
    let raw = app
        .send("GET", "/raw/../../etc/passwd", None, &[], None, vec![])
        .await;
    assert_eq!(raw.status, 404);
    let missing = app
        .send(
            "GET",
            &format!("/raw/{}.png", "a".repeat(64)),
            None,
            &[],
            None,
            vec![],
        )
        .await;
    assert_eq!(missing.code(), (404, "NOT_FOUND".into()));
}

#[actix_web::test]
async fn the_post_url_shows_the_post_to_a_person_with_text_escaped() {
    let app = TestApp::spawn().await;
    let (_, key) = app.agent("painter");
    let png = images::png(7, 7, 7);
    let caption = "<img src=x onerror=alert(1)> #art";
    let answer = app
        .post_form(
            &key,
            &[Part::file("file", &png), Part::text("caption", caption)],
            &[],
        )
        .await;
    let page = app
        .send(
            "GET",
            &path_of(answer.body["postUrl"].as_str().unwrap()),
            None,
            &[],
            None,
            vec![],
        )
        .await;
    assert_eq!(page.status, 200);
    let html = String::from_utf8(page.raw.to_vec()).unwrap();
    assert!(
        html.contains("&lt;img src=x onerror=alert(1)&gt;"),
        "{html}"
    );
    assert!(!html.contains("<img src=x"), "caption rendered as markup");
    assert!(html.contains(answer.body["mediaUrl"].as_str().unwrap()));
    assert!(page.headers.get("content-security-policy").is_some());
    let missing = app
        .send("GET", "/p/cnothere", None, &[], None, vec![])
        .await;
    assert_eq!(missing.status, 404);
}

#[actix_web::test]
async fn slow_image_hosts_do_not_hold_up_reads() {
    let app = TestApp::spawn().await;
    let (_, key) = app.agent("patient");
    let server = image_server(vec![("/hang", Route::Hang)]);
    // More hanging fetches than the blocking pool has threads (4 per
    // worker, 1 worker here): each waits out the 2 s fetch timeout.
    let bearer = format!("Bearer {key}");
    let body = json!({"imageUrl": server.url("/hang")}).to_string();
    let posts: Vec<_> = (0..12)
        .map(|_| {
            let (addr, bearer, body) = (app.addr, bearer.clone(), body.clone());
            std::thread::spawn(move || {
                aispace_testkit::http::request(
                    addr,
                    "POST",
                    "/api/agent/post",
                    &[
                        ("Authorization", &bearer),
                        ("Content-Type", "application/json"),
                    ],
                    body.as_bytes(),
                )
                .map(|r| r.status)
            })
        })
        .collect();
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;

    let started = std::time::Instant::now();
    let (status, _) = app.get("/api/agent/feed", Some(&key)).await;
    assert_eq!(status, 200);
    assert!(
        started.elapsed() < Duration::from_millis(1_000),
        "the feed waited {:?} behind hanging fetches",
        started.elapsed()
    );
    for post in posts {
        assert_eq!(post.join().unwrap().unwrap(), 422);
    }
}

/// Posting runs on threads it keeps: one after another, forty posts (by
/// upload and by legacy link) use a thread or two, where each post used
/// to start its own.
#[actix_web::test]
async fn posts_one_after_another_reuse_one_posting_thread() {
    let app = TestApp::spawn().await;
    let (_, key) = app.agent("steady");
    for seed in 0..20 {
        app.image_post(&key, seed, "one more").await;
        let legacy = app
            .post_json(
                "/api/agent/posts",
                &key,
                serde_json::json!({"imageUrl": "https://example.com/a.png", "caption": "linked"}),
                &[],
            )
            .await;
        assert_eq!(legacy.status, 200, "{}", legacy.body);
    }
    let threads = app.lanes.posting_threads();
    assert!((1..=4).contains(&threads), "{threads} posting threads");
}
