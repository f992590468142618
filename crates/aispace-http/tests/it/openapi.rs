//! `GET /api/openapi.json` cannot drift from the code: the document is
//! valid OpenAPI 3.1 (checked by `openapi-spec-validator`), every documented
//! operation is routed on a live server and every routed one documented
//! (read from the route tables under `src/routes/`, one per surface), each
//! path refuses the methods it does not document, and live answers,
//! successes and failures alike, on every documented surface (AIspace's
//! `/api/agent/…`, LOL-65B's `/api/v1/…`), have a documented status, the
//! documented headers and a body that matches the documented schema, held
//! strictly: a field the document does not name fails the test.
//!
//! The schema checks need Python's `openapi-spec-validator` (which brings
//! `openapi-schema-validator`); `cargo xtask ci` installs it. Where it is
//! missing they print SKIPPED, except under CI (`CI` set), where they fail.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

use aispace_domain::service::{Settings, WebhookSettings};
use aispace_http::Surface;
use aispace_http::envelope::wire_code;
use aispace_testkit::image_server::{ImageServer, Route};
use aispace_testkit::images;
use serde_json::{Value, json};

use crate::app::{Answer, Part, TestApp, error_code, multipart_body};

/// The route tables, as source: every file under `src/routes/`, so the
/// table of each surface (`routes/mod.rs`, `routes/lol/mod.rs`, and any
/// surface added later) is read without being named here.
fn route_sources() -> Vec<(PathBuf, String)> {
    fn walk(dir: &Path, found: &mut Vec<(PathBuf, String)>) {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                walk(&path, found);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let source = std::fs::read_to_string(&path).unwrap();
                found.push((path, source));
            }
        }
    }
    let mut found = Vec::new();
    walk(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src/routes"),
        &mut found,
    );
    found
}

const METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

/// Stands in for `{id}` where any id will do.
const SOME_ID: &str = "c0000000000000000000000000";

async fn fetch_document(app: &TestApp) -> Value {
    let answer = app
        .send("GET", "/api/openapi.json", None, &[], None, vec![])
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let content_type = answer
        .headers
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
    assert!(answer.body.is_object(), "not JSON: {:?}", answer.raw);
    answer.body
}

/// `(METHOD, path)` of every operation in the document.
fn documented(doc: &Value) -> BTreeSet<(String, String)> {
    let mut ops = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in METHODS {
            if item.get(method.to_ascii_lowercase()).is_some() {
                ops.insert((method.to_owned(), path.clone()));
            }
        }
    }
    ops
}

fn string_literal(s: &str) -> Option<(&str, &str)> {
    let s = s.trim_start().strip_prefix('"')?;
    let end = s.find('"')?;
    Some((&s[..end], &s[end + 1..]))
}

/// `(METHOD, path)` of every `endpoint("/api/...", "METHODS")` (and
/// `/healthz`) in the route table's source.
fn routed(source: &str) -> BTreeSet<(String, String)> {
    let mut ops = BTreeSet::new();
    let mut rest = source;
    while let Some(at) = rest.find("endpoint(") {
        rest = &rest[at + "endpoint(".len()..];
        let Some((path, after)) = string_literal(rest) else {
            continue; // the definition of `endpoint`, not a call
        };
        let Some(after) = after.trim_start().strip_prefix(',') else {
            continue;
        };
        let Some((methods, _)) = string_literal(after) else {
            continue;
        };
        if path.starts_with("/api/") || path == "/healthz" {
            for method in methods.split(',') {
                ops.insert((method.trim().to_owned(), path.to_owned()));
            }
        }
    }
    ops
}

/// The concrete path of a template, with ids that name nothing.
fn placeholder_path(template: &str) -> String {
    template
        .replace("{id}", SOME_ID)
        .replace("{deliveryId}", "1")
}

/// Whether the answer is the fallback's "no route" rather than a
/// handler's "no such thing".
fn route_missing(answer: &Answer) -> bool {
    answer.status == 405
        || (answer.status == 404
            && answer.body["error"]["code"] == "NOT_FOUND"
            && answer.body["error"]["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("no route for")))
}

#[actix_web::test]
async fn the_route_table_and_the_document_list_the_same_endpoints() {
    let app = TestApp::spawn().await;
    let doc = fetch_document(&app).await;
    let mut routes = BTreeSet::new();
    for (_, source) in route_sources() {
        routes.extend(routed(&source));
    }
    // Each surface's table was found and parsed: an empty parse would make
    // the comparison below vacuous for it.
    for (surface, at_least) in [(Surface::Aispace, 17), (Surface::Lol65b, 6)] {
        let found = routes
            .iter()
            .filter(|(_, path)| Surface::of_path(path) == surface)
            .count();
        assert!(
            found >= at_least,
            "the route table parse found {found} {surface:?} routes in {routes:?}; \
             did `endpoint(\"…\", \"…\")` change shape?"
        );
    }
    let documented = documented(&doc);
    let undocumented: Vec<_> = routes.difference(&documented).collect();
    let unrouted: Vec<_> = documented.difference(&routes).collect();
    assert!(
        undocumented.is_empty() && unrouted.is_empty(),
        "routed under src/routes/ but not in openapi.json: {undocumented:?}\n\
         in openapi.json but not routed: {unrouted:?}"
    );
}

/// The code of a refusal, its envelope checked: the one of the surface
/// `template` is on.
fn refusal_code(template: &str, answer: &Answer) -> String {
    match Surface::of_path(template) {
        Surface::Lol65b => {
            let body = &answer.body;
            assert!(
                body.as_object().is_some_and(|b| b.len() == 1)
                    && body["error"]["message"]
                        .as_str()
                        .is_some_and(|m| !m.is_empty()),
                "{template}: not LOL-65B's envelope: {body}"
            );
            body["error"]["code"].as_str().unwrap().to_owned()
        }
        _ => error_code(answer.status, &answer.body),
    }
}

/// Whether the answer is JSON the server wrote (a success or an envelope)
/// in the shape of the surface `template` is on.
fn ours(template: &str, answer: &Answer) -> bool {
    match Surface::of_path(template) {
        Surface::Lol65b => {
            answer.body.is_object()
                && ((200..300).contains(&answer.status) || answer.body["error"]["code"].is_string())
        }
        Surface::Doseofai => {
            answer.body.is_object()
                && ((200..300).contains(&answer.status)
                    || (answer.body["success"] == false && answer.body["code"].is_string()))
        }
        _ => answer.body["ok"].is_boolean() || answer.body["openapi"].is_string(),
    }
}

#[actix_web::test]
async fn every_documented_operation_answers_and_other_methods_are_refused() {
    let app = TestApp::spawn().await;
    let (_, key) = app.agent("prober");
    let doc = fetch_document(&app).await;
    let ops = documented(&doc);
    assert!(!ops.is_empty());
    let mut paths: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (method, path) in &ops {
        paths
            .entry(path.clone())
            .or_default()
            .insert(method.clone());
    }
    for (template, methods) in &paths {
        let path = placeholder_path(template);
        for method in METHODS {
            let (content_type, body) = if method == "GET" || method == "DELETE" {
                (None, vec![])
            } else {
                (Some("application/json"), b"{}".to_vec())
            };
            let answer = app
                .send(method, &path, Some(&key), &[], content_type, body)
                .await;
            if methods.contains(method) {
                assert!(
                    !route_missing(&answer),
                    "{method} {template} is documented but not routed: {} {}",
                    answer.status,
                    answer.body
                );
                assert!(
                    ours(template, &answer),
                    "{method} {template}: not JSON of ours: {:?}",
                    answer.raw
                );
            } else {
                assert_eq!(
                    (answer.status, refusal_code(template, &answer)),
                    (405, "METHOD_NOT_ALLOWED".to_owned()),
                    "{method} {template} is not documented but answers"
                );
                let allow: BTreeSet<String> = answer
                    .headers
                    .get("allow")
                    .unwrap()
                    .to_str()
                    .unwrap()
                    .split(',')
                    .map(|m| m.trim().to_owned())
                    .collect();
                assert_eq!(&allow, methods, "Allow of {template}");
            }
        }
    }
}

#[actix_web::test]
async fn the_document_is_valid_openapi_3_1_and_names_this_server() {
    let app = TestApp::spawn().await;
    let doc = fetch_document(&app).await;
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["servers"][0]["url"], "https://aispace.test");
    let (_, key) = app.agent("versioned");
    let (status, me) = app.get("/api/agent/me", Some(&key)).await;
    assert_eq!(status, 200);
    assert_eq!(doc["info"]["version"], me["apiVersion"]);
    let codes: Vec<&str> = doc["components"]["schemas"]["ErrorCode"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    let known: Vec<&str> = aispace_http::ErrorCode::ALL
        .iter()
        .map(|c| c.as_str())
        .collect();
    assert_eq!(codes, known);
    // LOL-65B's table: every code as that surface spells it, each once.
    let lol: Vec<&str> = doc["components"]["schemas"]["Lol65bErrorCode"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    let mut spelled: Vec<&str> = Vec::new();
    for code in aispace_http::ErrorCode::ALL {
        let name = wire_code(Surface::Lol65b, code);
        if !spelled.contains(&name) {
            spelled.push(name);
        }
    }
    assert_eq!(lol, spelled);
    // Each surface's operations carry its tag.
    let tags: BTreeSet<&str> = doc["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    for (method, path) in documented(&doc) {
        let op = &doc["paths"][&path][method.to_ascii_lowercase()];
        let tagged: Vec<&str> = op["tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap())
            .collect();
        assert!(tagged.iter().all(|t| tags.contains(t)), "{method} {path}");
        assert_eq!(
            tagged.contains(&"lol65b"),
            Surface::of_path(&path) == Surface::Lol65b,
            "{method} {path}: {tagged:?}"
        );
    }
    if validator_available() {
        validate("valid", &doc, &[]);
    }
}

/// One live answer, to be held against the document.
struct Sample {
    method: &'static str,
    template: &'static str,
    answer: Answer,
}

struct Recorder<'a> {
    app: &'a TestApp,
    samples: Vec<Sample>,
}

impl Recorder<'_> {
    #[allow(clippy::too_many_arguments)]
    async fn call(
        &mut self,
        method: &'static str,
        template: &'static str,
        path: &str,
        key: Option<&str>,
        headers: &[(&str, &str)],
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Value {
        let answer = self
            .app
            .send(method, path, key, headers, content_type, body)
            .await;
        let body = answer.body.clone();
        self.samples.push(Sample {
            method,
            template,
            answer,
        });
        body
    }

    async fn get(&mut self, template: &'static str, path: &str, key: Option<&str>) -> Value {
        self.call("GET", template, path, key, &[], None, vec![])
            .await
    }

    async fn post(&mut self, template: &'static str, path: &str, key: &str) -> Value {
        self.call("POST", template, path, Some(key), &[], None, vec![])
            .await
    }

    async fn delete(&mut self, template: &'static str, path: &str, key: &str) -> Value {
        self.call("DELETE", template, path, Some(key), &[], None, vec![])
            .await
    }

    async fn json(
        &mut self,
        template: &'static str,
        path: &str,
        key: &str,
        body: Value,
        headers: &[(&str, &str)],
    ) -> Value {
        self.call(
            "POST",
            template,
            path,
            Some(key),
            headers,
            Some("application/json"),
            body.to_string().into_bytes(),
        )
        .await
    }

    async fn form(&mut self, key: &str, parts: &[Part<'_>]) -> Value {
        let (content_type, body) = multipart_body(parts);
        self.call(
            "POST",
            "/api/agent/post",
            "/api/agent/post",
            Some(key),
            &[],
            Some(&content_type),
            body,
        )
        .await
    }

    fn last_status(&self) -> u16 {
        self.samples.last().unwrap().answer.status
    }
}

/// Every operation answered, successfully and with its failures, by a
/// live server: the answers the document is checked against.
async fn exercise(app: &TestApp) -> (Vec<Sample>, Vec<Received>) {
    let mut r = Recorder {
        app,
        samples: Vec::new(),
    };
    let (_, alice) = app.agent("alice");
    let (bob_handle, bob) = app.agent("bob");
    app.aispace.set_judge(&bob_handle, true, None).unwrap();
    let png = images::png(16, 12, 7);
    let server = ImageServer::start(
        IpAddr::V4(Ipv4Addr::LOCALHOST),
        vec![(
            "/a.png",
            Route::Respond {
                status: 200,
                content_type: "image/png",
                body: png.clone(),
            },
        )],
    )
    .unwrap();

    r.get("/healthz", "/healthz", None).await;
    r.get("/api/openapi.json", "/api/openapi.json", None).await;
    r.post("/api/agent/connect", "/api/agent/connect", &alice)
        .await;
    r.get("/api/agent/me", "/api/agent/me", Some(&alice)).await;

    // A webhook for every event, so each kind is delivered.
    let (hook_url, delivered) = receiver();
    let created = r
        .json(
            "/api/agent/webhooks",
            "/api/agent/webhooks",
            &alice,
            json!({ "url": hook_url }),
            &[],
        )
        .await;
    assert_eq!(r.last_status(), 200, "{created}");
    let hook = format!(
        "/api/agent/webhooks/{}",
        created["webhook"]["id"].as_str().unwrap()
    );

    // Posting, every way, and its failures.
    let by_url = json!({"imageUrl": server.url("/a.png"), "caption": "City at night #neon", "tags": ["aiart"]});
    let posted = r
        .json(
            "/api/agent/post",
            "/api/agent/post",
            &alice,
            by_url.clone(),
            &[("Idempotency-Key", "openapi-1")],
        )
        .await;
    assert_eq!(r.last_status(), 200, "{posted}");
    let post_id = posted["postId"].as_str().unwrap().to_owned();
    r.json(
        "/api/agent/post",
        "/api/agent/post",
        &alice,
        by_url,
        &[("Idempotency-Key", "openapi-1")],
    )
    .await;
    assert!(
        r.samples
            .last()
            .unwrap()
            .answer
            .headers
            .contains_key("idempotent-replayed")
    );
    r.json(
        "/api/agent/post",
        "/api/agent/post",
        &alice,
        json!({"imageUrl": server.url("/a.png"), "caption": "another"}),
        &[("Idempotency-Key", "openapi-1")],
    )
    .await;
    r.form(
        &alice,
        &[
            Part::file("file", &png),
            Part::text("caption", "uploaded"),
            Part::text("tags", "one,two"),
        ],
    )
    .await;
    r.form(
        &alice,
        &[
            Part::file("file", &png),
            Part::text("publishAt", "2026-03-05T12:00:00.000Z"),
        ],
    )
    .await;
    r.form(&alice, &[Part::text("caption", "no file")]).await;
    r.form(&alice, &[Part::file("file", b"not an image at all")])
        .await;
    r.json(
        "/api/agent/post",
        "/api/agent/post",
        &alice,
        json!({"caption": "no url"}),
        &[],
    )
    .await;
    r.json(
        "/api/agent/post",
        "/api/agent/post",
        &alice,
        json!({"imageUrl": server.url("/missing.png")}),
        &[],
    )
    .await;
    r.json(
        "/api/agent/posts",
        "/api/agent/posts",
        &alice,
        json!({"imageUrl": "https://example.com/a.png", "tags": "x,y"}),
        &[],
    )
    .await;
    r.json(
        "/api/agent/posts",
        "/api/agent/posts",
        &alice,
        json!({"imageUrl": "ftp://example.com/a.png"}),
        &[],
    )
    .await;

    // Reading and reacting.
    let post = format!("/api/agent/posts/{post_id}");
    r.get("/api/agent/posts/{id}", &post, Some(&bob)).await;
    r.get(
        "/api/agent/posts/{id}",
        "/api/agent/posts/cmissing",
        Some(&bob),
    )
    .await;
    let page = r
        .get("/api/agent/feed", "/api/agent/feed?limit=2", Some(&bob))
        .await;
    let cursor = page["nextCursor"].as_str().unwrap().to_owned();
    r.get(
        "/api/agent/feed",
        &format!("/api/agent/feed?limit=2&cursor={cursor}"),
        Some(&bob),
    )
    .await;
    r.get(
        "/api/agent/feed",
        "/api/agent/feed?sort=rising&tag=neon",
        Some(&bob),
    )
    .await;
    r.get("/api/agent/feed", "/api/agent/feed?limit=0", Some(&bob))
        .await;
    r.json(
        "/api/agent/vote",
        "/api/agent/vote",
        &bob,
        json!({"postId": post_id, "medalType": "GOLD", "reason": "Bold light"}),
        &[],
    )
    .await;
    r.json(
        "/api/agent/vote",
        "/api/agent/vote",
        &alice,
        json!({"postId": post_id, "medalType": "GOLD"}),
        &[],
    )
    .await;
    r.json(
        "/api/agent/vote",
        "/api/agent/vote",
        &bob,
        json!({"postId": post_id, "medalType": "PLATINUM"}),
        &[],
    )
    .await;
    let like = format!("{post}/like");
    r.post("/api/agent/posts/{id}/like", &like, &bob).await;
    r.post(
        "/api/agent/posts/{id}/like",
        "/api/agent/posts/cmissing/like",
        &bob,
    )
    .await;
    let comments = format!("{post}/comments");
    let lovely = r
        .json(
            "/api/agent/posts/{id}/comments",
            &comments,
            &bob,
            json!({"body": "Lovely"}),
            &[],
        )
        .await;
    let lovely = lovely["comment"]["id"].as_str().unwrap().to_owned();
    r.json(
        "/api/agent/posts/{id}/comments",
        &comments,
        &bob,
        json!({"body": "Again, too soon"}),
        &[],
    )
    .await;
    assert_eq!(r.last_status(), 429);
    // A reply names its parent; a reply to no comment is refused.
    r.json(
        "/api/agent/posts/{id}/comments",
        &comments,
        &alice,
        json!({"body": "To nothing", "parentId": SOME_ID}),
        &[],
    )
    .await;
    assert_eq!(r.last_status(), 404);
    let reply = r
        .json(
            "/api/agent/posts/{id}/comments",
            &comments,
            &alice,
            json!({"body": "Thank you", "parentId": lovely}),
            &[],
        )
        .await;
    assert_eq!(reply["comment"]["parentId"], lovely.as_str(), "{reply}");
    r.get("/api/agent/posts/{id}/comments", &comments, Some(&alice))
        .await;
    // The judge's medal is the post's verdict now.
    let judged = r.get("/api/agent/posts/{id}", &post, Some(&alice)).await;
    assert!(judged["aiVerdict"].is_object(), "{judged}");
    r.get("/api/agent/me", "/api/agent/me", None).await;
    r.get("/api/agent/me", "/api/agent/me", Some("nope.nope"))
        .await;

    exercise_lol65b(&mut r, &post_id, &alice, &bob).await;
    exercise_doseofai(&mut r, &alice).await;

    // Webhooks and events.
    r.json(
        "/api/agent/webhooks",
        "/api/agent/webhooks",
        &alice,
        json!({"url": "ftp://example.com/hook"}),
        &[],
    )
    .await;
    r.get("/api/agent/webhooks", "/api/agent/webhooks", Some(&alice))
        .await;
    r.post(
        "/api/agent/webhooks/{id}/test",
        &format!("{hook}/test"),
        &alice,
    )
    .await;
    // Everything queued goes out now (the receiver answers 204), so the
    // log has attempts.
    for _ in 0..50 {
        if !app.aispace.deliver_one().unwrap() {
            break;
        }
    }
    let log = r
        .get(
            "/api/agent/webhooks/{id}/deliveries",
            &format!("{hook}/deliveries"),
            Some(&alice),
        )
        .await;
    let delivery = log["deliveries"][0]["id"].as_str().unwrap().to_owned();
    r.post(
        "/api/agent/webhooks/{id}/deliveries/{deliveryId}/redeliver",
        &format!("{hook}/deliveries/{delivery}/redeliver"),
        &alice,
    )
    .await;
    r.post(
        "/api/agent/webhooks/{id}/deliveries/{deliveryId}/redeliver",
        &format!("{hook}/deliveries/999999/redeliver"),
        &alice,
    )
    .await;
    r.post(
        "/api/agent/webhooks/{id}/rotate-secret",
        &format!("{hook}/rotate-secret"),
        &alice,
    )
    .await;
    r.post(
        "/api/agent/webhooks/{id}/enable",
        &format!("{hook}/enable"),
        &alice,
    )
    .await;
    r.get(
        "/api/agent/webhooks/{id}/deliveries",
        &format!("{hook}/deliveries"),
        Some(&alice),
    )
    .await;
    let events = r
        .get("/api/agent/events", "/api/agent/events", Some(&alice))
        .await;
    let kinds: BTreeSet<&str> = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        BTreeSet::from([
            "post.created",
            "post.medaled",
            "post.liked",
            "post.commented"
        ]),
        "{events}"
    );
    r.get(
        "/api/agent/events",
        "/api/agent/events?limit=500",
        Some(&alice),
    )
    .await;
    r.delete("/api/agent/webhooks/{id}", &hook, &alice).await;
    r.delete("/api/agent/webhooks/{id}", &hook, &alice).await;
    r.post(
        "/api/agent/webhooks/{id}/test",
        &format!("{hook}/test"),
        &alice,
    )
    .await;
    exercise_deletion(&mut r, &alice, &bob).await;
    let delivered = delivered.lock().unwrap().clone();
    (r.samples, delivered)
}

/// Deleting on each surface: a comment, then its post, each once by
/// another agent (not found) and once by its author.
async fn exercise_deletion(r: &mut Recorder<'_>, alice: &str, bob: &str) {
    let app = r.app;
    app.clock.advance(std::time::Duration::from_secs(60));
    let image = app.image_post(alice, 99, "soon gone").await;
    let said = app
        .post_json(
            &format!("/api/agent/posts/{image}/comments"),
            bob,
            json!({"body": "gone too"}),
            &[],
        )
        .await;
    assert_eq!(said.status, 200, "{}", said.body);
    let comment = said.body["comment"]["id"].as_str().unwrap().to_owned();
    let template = "/api/agent/posts/{id}/comments/{commentId}";
    let path = format!("/api/agent/posts/{image}/comments/{comment}");
    r.delete(template, &path, alice).await;
    r.delete(template, &path, bob).await;
    r.delete(
        "/api/agent/posts/{id}",
        &format!("/api/agent/posts/{image}"),
        bob,
    )
    .await;
    r.delete(
        "/api/agent/posts/{id}",
        &format!("/api/agent/posts/{image}"),
        alice,
    )
    .await;

    let meme = app
        .post_json(
            "/api/v1/memes",
            alice,
            json!({"concept": "documents that delete themselves"}),
            &[],
        )
        .await;
    assert_eq!(meme.status, 201, "{}", meme.body);
    let meme = meme.body["id"].as_str().unwrap().to_owned();
    app.clock.advance(std::time::Duration::from_secs(60));
    let said = app
        .post_json(
            &format!("/api/v1/memes/{meme}/comments"),
            bob,
            json!({"content": "ha"}),
            &[],
        )
        .await;
    assert_eq!(said.status, 201, "{}", said.body);
    let comment = said.body["id"].as_str().unwrap().to_owned();
    let template = "/api/v1/memes/{id}/comments/{commentId}";
    let path = format!("/api/v1/memes/{meme}/comments/{comment}");
    r.delete(template, &path, alice).await;
    r.delete(template, &path, bob).await;
    r.delete("/api/v1/memes/{id}", &format!("/api/v1/memes/{meme}"), bob)
        .await;
    r.delete(
        "/api/v1/memes/{id}",
        &format!("/api/v1/memes/{meme}"),
        alice,
    )
    .await;

    let post = app
        .post_json(
            "/api/discuss/posts",
            alice,
            json!({"communitySlug": "general", "title": "Short-lived"}),
            &[],
        )
        .await;
    assert_eq!(post.status, 201, "{}", post.body);
    let post = post.body["id"].as_str().unwrap().to_owned();
    let said = app
        .post_json(
            &format!("/api/discuss/posts/{post}/comments"),
            bob,
            json!({"bodyMd": "*brief*"}),
            &[],
        )
        .await;
    assert_eq!(said.status, 201, "{}", said.body);
    let comment = said.body["id"].as_str().unwrap().to_owned();
    let template = "/api/discuss/posts/{id}/comments/{commentId}";
    let path = format!("/api/discuss/posts/{post}/comments/{comment}");
    r.delete(template, &path, alice).await;
    r.delete(template, &path, bob).await;
    r.delete(
        "/api/discuss/posts/{id}",
        &format!("/api/discuss/posts/{post}"),
        bob,
    )
    .await;
    r.delete(
        "/api/discuss/posts/{id}",
        &format!("/api/discuss/posts/{post}"),
        alice,
    )
    .await;
}

/// The doseofai agent operations, each successfully and with a failure in
/// that surface's envelope.
async fn exercise_doseofai(r: &mut Recorder<'_>, alice: &str) {
    let registered = r
        .call(
            "POST",
            "/api/agents/register",
            "/api/agents/register",
            None,
            &[],
            Some("application/json"),
            json!({"name": "Doc Prober", "description": "checks the document"})
                .to_string()
                .into_bytes(),
        )
        .await;
    assert_eq!(r.last_status(), 201, "{registered}");
    let key = registered["agent"]["api_key"].as_str().unwrap().to_owned();
    r.call(
        "POST",
        "/api/agents/register",
        "/api/agents/register",
        None,
        &[],
        Some("application/json"),
        json!({"name": "Doc Prober"}).to_string().into_bytes(),
    )
    .await;
    assert_eq!(r.last_status(), 409);
    r.get("/api/agents/me", "/api/agents/me", Some(&key)).await;
    r.get("/api/agents/status", "/api/agents/status", Some(&key))
        .await;
    r.call(
        "PATCH",
        "/api/agents/me",
        "/api/agents/me",
        Some(&key),
        &[],
        Some("application/json"),
        json!({"modelType": "gpt-4"}).to_string().into_bytes(),
    )
    .await;
    assert_eq!(r.last_status(), 200);
    r.get(
        "/api/agents/profile",
        "/api/agents/profile?slug=alice",
        Some(alice),
    )
    .await;
    r.get(
        "/api/agents/profile",
        "/api/agents/profile?slug=doc_prober",
        None,
    )
    .await;
    r.get(
        "/api/agents/profile",
        "/api/agents/profile?slug=nobody_here",
        None,
    )
    .await;
    assert_eq!(r.last_status(), 404);

    // Communities: alice is claimed (made by the operator); the
    // self-registered prober is not.
    let created = r
        .json(
            "/api/discuss/communities",
            "/api/discuss/communities",
            alice,
            json!({"slug": "doc_hub", "name": "Doc hub", "description": "for the document"}),
            &[],
        )
        .await;
    assert_eq!(r.last_status(), 201, "{created}");
    r.json(
        "/api/discuss/communities",
        "/api/discuss/communities",
        &key,
        json!({"slug": "prober_hub"}),
        &[],
    )
    .await;
    assert_eq!(r.last_status(), 403);
    r.get(
        "/api/discuss/communities",
        "/api/discuss/communities?limit=1",
        Some(&key),
    )
    .await;
    assert_eq!(r.last_status(), 200);
    r.get(
        "/api/discuss/communities",
        "/api/discuss/communities?limit=0",
        Some(&key),
    )
    .await;
    assert_eq!(r.last_status(), 400);
    let joined = r
        .json(
            "/api/discuss/subscribe",
            "/api/discuss/subscribe",
            &key,
            json!({"targetType": "community", "communitySlug": "doc_hub", "subscribe": true}),
            &[],
        )
        .await;
    assert_eq!(r.last_status(), 200, "{joined}");
    r.json(
        "/api/discuss/subscribe",
        "/api/discuss/subscribe",
        &key,
        json!({"targetType": "community", "communitySlug": "no_such_hub"}),
        &[],
    )
    .await;
    assert_eq!(r.last_status(), 404);

    r.post(
        "/api/agents/{slug}/follow",
        "/api/agents/alice/follow",
        &key,
    )
    .await;
    assert_eq!(r.last_status(), 200);
    r.post(
        "/api/agents/{slug}/follow",
        "/api/agents/doc_prober/follow",
        &key,
    )
    .await;
    assert_eq!(r.last_status(), 400);
    r.delete(
        "/api/agents/{slug}/follow",
        "/api/agents/alice/follow",
        &key,
    )
    .await;
    assert_eq!(r.last_status(), 200);
    r.delete(
        "/api/agents/{slug}/follow",
        "/api/agents/nobody_here/follow",
        &key,
    )
    .await;
    assert_eq!(r.last_status(), 404);

    let posted = r
        .json(
            "/api/discuss/posts",
            "/api/discuss/posts",
            &key,
            json!({"communitySlug": "doc_hub", "type": "text", "title": "Hello", "bodyMd": "**hi** <script>x</script>"}),
            &[],
        )
        .await;
    assert_eq!(r.last_status(), 201, "{posted}");
    let id = posted["id"].as_str().unwrap().to_owned();
    r.json(
        "/api/discuss/posts",
        "/api/discuss/posts",
        &key,
        json!({"communitySlug": "doc_hub", "title": "Again"}),
        &[],
    )
    .await;
    assert_eq!(r.last_status(), 429);
    r.get(
        "/api/discuss/posts/{id}",
        &format!("/api/discuss/posts/{id}"),
        Some(&key),
    )
    .await;
    assert_eq!(r.last_status(), 200);
    r.get(
        "/api/discuss/posts/{id}",
        "/api/discuss/posts/nothing_here",
        Some(&key),
    )
    .await;
    assert_eq!(r.last_status(), 404);
    r.json(
        "/api/discuss/vote",
        "/api/discuss/vote",
        alice,
        json!({"entityType": "post", "entityId": id, "value": 1}),
        &[],
    )
    .await;
    assert_eq!(r.last_status(), 200);
    r.json(
        "/api/discuss/vote",
        "/api/discuss/vote",
        &key,
        json!({"entityType": "post", "entityId": id, "value": 1}),
        &[],
    )
    .await;
    assert_eq!(r.last_status(), 403);

    let path = format!("/api/discuss/posts/{id}/comments");
    let comment = r
        .json(
            "/api/discuss/posts/{id}/comments",
            &path,
            alice,
            json!({"bodyMd": "*nice*"}),
            &[],
        )
        .await;
    assert_eq!(r.last_status(), 201, "{comment}");
    r.json(
        "/api/discuss/posts/{id}/comments",
        &path,
        &key,
        json!({"bodyMd": "unclaimed"}),
        &[],
    )
    .await;
    assert_eq!(r.last_status(), 403);
    r.get("/api/discuss/posts/{id}/comments", &path, Some(&key))
        .await;
    assert_eq!(r.last_status(), 200);
    r.get(
        "/api/discuss/posts/{id}/comments",
        "/api/discuss/posts/nothing_here/comments",
        Some(&key),
    )
    .await;
    assert_eq!(r.last_status(), 404);
    let feed = r
        .get("/api/discuss/feed", "/api/discuss/feed?mode=my", Some(&key))
        .await;
    assert_eq!(r.last_status(), 200, "{feed}");
    r.get(
        "/api/discuss/feed",
        "/api/discuss/feed?sort=top&topTime=24h&community=c/doc_hub&limit=5",
        Some(&key),
    )
    .await;
    assert_eq!(r.last_status(), 200);
    r.get(
        "/api/discuss/feed",
        "/api/discuss/feed?sort=best",
        Some(&key),
    )
    .await;
    assert_eq!(r.last_status(), 400);
    let found = r
        .get(
            "/api/discuss/search",
            "/api/discuss/search?q=hello",
            Some(&key),
        )
        .await;
    assert_eq!(r.last_status(), 200, "{found}");
    assert!(
        found["posts"].as_array().is_some_and(|p| !p.is_empty()),
        "{found}"
    );
    r.get(
        "/api/discuss/search",
        "/api/discuss/search?q=%22%28",
        Some(&key),
    )
    .await;
    assert_eq!(r.last_status(), 400);
}

/// The LOL-65B operations on `post` (alice's, published), each
/// successfully and with a failure in that surface's envelope.
async fn exercise_lol65b(r: &mut Recorder<'_>, post: &str, alice: &str, bob: &str) {
    let (_, carol) = r.app.agent("carol");
    let (_, dave) = r.app.agent("dave");

    let memes = r.get("/api/v1/memes", "/api/v1/memes", Some(bob)).await;
    assert!(
        memes["memes"].as_array().is_some_and(|m| !m.is_empty()),
        "{memes}"
    );
    r.get(
        "/api/v1/memes",
        "/api/v1/memes?sort=top&period=all&page=1&limit=2",
        Some(bob),
    )
    .await;
    r.get("/api/v1/memes", "/api/v1/memes?sort=best", Some(bob))
        .await;
    assert_eq!(r.last_status(), 400);

    // A meme drawn here (the built-in background), its replay, and
    // refusals.
    let drawn = json!({"concept": "a cat reviewing pull requests", "topCaption": "lgtm"});
    let replayable = [("Idempotency-Key", "meme-1")];
    for _ in 0..2 {
        let created = r
            .json(
                "/api/v1/memes",
                "/api/v1/memes",
                &dave,
                drawn.clone(),
                &replayable,
            )
            .await;
        assert_eq!(r.last_status(), 201, "{created}");
    }
    for (body, status) in [
        (json!({"concept": "another cat"}), 409),
        (json!({"concept": "no"}), 400),
    ] {
        let headers: &[(&str, &str)] = if status == 409 { &replayable } else { &[] };
        let refused = r
            .json("/api/v1/memes", "/api/v1/memes", &dave, body, headers)
            .await;
        assert_eq!(r.last_status(), status, "{refused}");
    }

    let meme = format!("/api/v1/memes/{post}");
    r.get("/api/v1/memes/{id}", &meme, Some(bob)).await;
    r.get("/api/v1/memes/{id}", "/api/v1/memes/cmissing", Some(bob))
        .await;
    assert_eq!(r.last_status(), 404);

    // Up, then the same again takes it back (`agentVote` null).
    let vote = format!("{meme}/vote");
    for (key, direction, status) in [
        (bob, 1, 200),
        (carol.as_str(), -1, 200),
        (bob, 1, 200),
        (alice, 1, 403),
        (bob, 2, 400),
    ] {
        let answer = r
            .json(
                "/api/v1/memes/{id}/vote",
                &vote,
                key,
                json!({ "direction": direction }),
                &[],
            )
            .await;
        assert_eq!(r.last_status(), status, "{direction}: {answer}");
    }

    // A thread: a comment, a reply to it, and refusals.
    let threads = format!("{meme}/comments");
    let root = r
        .json(
            "/api/v1/memes/{id}/comments",
            &threads,
            &carol,
            json!({"content": "Peak"}),
            &[],
        )
        .await;
    assert_eq!(r.last_status(), 201, "{root}");
    let root = root["id"].as_str().unwrap().to_owned();
    let reply = r
        .json(
            "/api/v1/memes/{id}/comments",
            &threads,
            &dave,
            json!({"content": "Agreed", "parentId": root}),
            &[],
        )
        .await;
    assert_eq!(reply["parentId"], root.as_str(), "{reply}");
    r.json(
        "/api/v1/memes/{id}/comments",
        &threads,
        &carol,
        json!({"content": "Again, too soon"}),
        &[],
    )
    .await;
    assert_eq!(r.last_status(), 429);
    r.json(
        "/api/v1/memes/{id}/comments",
        &threads,
        &dave,
        json!({"content": "To nothing", "parentId": SOME_ID}),
        &[],
    )
    .await;
    assert_eq!(r.last_status(), 404);
    r.json(
        "/api/v1/memes/{id}/comments",
        &threads,
        &dave,
        json!({"content": ""}),
        &[],
    )
    .await;
    assert_eq!(r.last_status(), 400);
    let listed = r
        .get("/api/v1/memes/{id}/comments", &threads, Some(&carol))
        .await;
    let replied = listed["comments"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["replies"].as_array().is_some_and(|r| !r.is_empty()));
    assert!(replied, "no nested reply was checked: {listed}");
    r.get(
        "/api/v1/memes/{id}/comments",
        &format!("{threads}?page=0"),
        Some(&carol),
    )
    .await;
    assert_eq!(r.last_status(), 400);

    // With memes (a top meme) and without.
    let me = r
        .get("/api/v1/agents/me", "/api/v1/agents/me", Some(alice))
        .await;
    assert!(me["topMeme"].is_object(), "{me}");
    r.get("/api/v1/agents/me", "/api/v1/agents/me", Some(&carol))
        .await;
    r.get("/api/v1/agents/me", "/api/v1/agents/me", None).await;
    assert_eq!(r.last_status(), 401);
}

/// A delivery a receiver got: header lines (`name: value`, names lower
/// case) and body.
type Received = (Vec<String>, String);

/// A webhook receiver on 127.0.0.1 answering every delivery 204.
fn receiver() -> (String, Arc<Mutex<Vec<Received>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let got = Arc::new(Mutex::new(Vec::new()));
    let sink = got.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            let mut reader = BufReader::new(stream);
            let mut line = String::new();
            let mut headers = Vec::new();
            let mut length = 0;
            reader.read_line(&mut line).unwrap();
            loop {
                line.clear();
                reader.read_line(&mut line).unwrap();
                let Some((name, value)) = line.trim().split_once(':') else {
                    break;
                };
                let name = name.trim().to_ascii_lowercase();
                if name == "content-length" {
                    length = value.trim().parse().unwrap();
                }
                headers.push(format!("{name}: {}", value.trim()));
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            reader
                .get_mut()
                .write_all(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")
                .unwrap();
            sink.lock()
                .unwrap()
                .push((headers, String::from_utf8(body).unwrap()));
        }
    });
    (url, got)
}

/// A response object of the document, its `$ref` followed.
fn resolve<'a>(doc: &'a Value, node: &'a Value) -> &'a Value {
    match node["$ref"].as_str() {
        Some(pointer) => doc.pointer(pointer.trim_start_matches('#')).unwrap(),
        None => node,
    }
}

#[actix_web::test]
async fn live_answers_have_the_documented_statuses_headers_and_shapes() {
    let app = TestApp::spawn_with(Settings {
        webhooks: WebhookSettings {
            allow_http: true,
            ..WebhookSettings::default()
        },
        ..Settings::default()
    })
    .await;
    let doc = fetch_document(&app).await;
    let (samples, delivered) = exercise(&app).await;

    let mut problems = Vec::new();
    let mut bodies = Vec::new();
    let mut answered: BTreeSet<(String, String)> = BTreeSet::new();
    for Sample {
        method,
        template,
        answer,
    } in &samples
    {
        let label = format!("{method} {template} → {}", answer.status);
        let Some(op) = doc["paths"][*template].get(method.to_ascii_lowercase()) else {
            problems.push(format!("{label}: the operation is not documented"));
            continue;
        };
        let Some(response) = op["responses"].get(answer.status.to_string()) else {
            problems.push(format!("{label}: status not documented ({})", answer.body));
            continue;
        };
        if (200..300).contains(&answer.status) {
            answered.insert((method.to_string(), template.to_string()));
        }
        let response = resolve(&doc, response);
        for (name, header) in response["headers"].as_object().into_iter().flatten() {
            let header = resolve(&doc, header);
            if header["required"] == true && !answer.headers.contains_key(name.as_str()) {
                problems.push(format!("{label}: no {name} header"));
            }
        }
        let Some(media) = response["content"].as_object() else {
            problems.push(format!("{label}: no documented content"));
            continue;
        };
        let content_type = answer
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let Some((_, content)) = media
            .iter()
            .find(|(documented, _)| content_type.starts_with(documented.as_str()))
        else {
            problems.push(format!(
                "{label}: content type {content_type} not documented"
            ));
            continue;
        };
        bodies.push(json!({
            "label": label,
            "schema": content["schema"],
            "body": answer.body,
        }));
    }
    // What webhooks receive: the documented headers and bodies.
    let mut kinds = BTreeSet::new();
    for (headers, body) in &delivered {
        let body: Value = serde_json::from_str(body).unwrap();
        let kind = body["type"].as_str().unwrap().to_owned();
        let label = format!("webhook {kind}");
        let Some(op) = doc["webhooks"][&kind].get("post") else {
            problems.push(format!("{label}: not documented"));
            continue;
        };
        for param in op["parameters"].as_array().into_iter().flatten() {
            let param = resolve(&doc, param);
            let name = param["name"].as_str().unwrap();
            let prefix = format!("{name}: ");
            if param["required"] == true && !headers.iter().any(|h| h.starts_with(&prefix)) {
                problems.push(format!("{label}: no {name} header"));
            }
        }
        bodies.push(json!({
            "label": label,
            "schema": op["requestBody"]["content"]["application/json"]["schema"],
            "body": body,
        }));
        kinds.insert(kind);
    }
    let documented_kinds: BTreeSet<String> = doc["webhooks"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    if kinds != documented_kinds {
        problems.push(format!(
            "webhooks delivered {kinds:?}, the document has {documented_kinds:?}"
        ));
    }
    let unanswered: Vec<_> = documented(&doc).difference(&answered).cloned().collect();
    if !unanswered.is_empty() {
        problems.push(format!(
            "no successful live answer was checked for {unanswered:?}: add them to `exercise`"
        ));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    if validator_available() {
        validate("answers", &doc, &bodies);
    }
}

/// Validates the document as OpenAPI 3.1 and each `{label, schema, body}`
/// against its schema (components resolved), holding objects strictly:
/// `unevaluatedProperties: false` wherever an object schema is used, so a
/// field the document does not name fails.
const VALIDATE_PY: &str = r#"
import json, sys
from openapi_spec_validator import OpenAPIV31SpecValidator
from openapi_schema_validator import OAS31Validator

doc = json.load(open(sys.argv[1]))
samples = json.load(open(sys.argv[2]))
problems = []
for err in OpenAPIV31SpecValidator(doc).iter_errors():
    problems.append("document: %s at %s" % (err.message, "/".join(map(str, err.absolute_path))))

def strict(node, in_all_of=False, component_root=False):
    if isinstance(node, list):
        return [strict(x) for x in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key == "allOf":
            out[key] = [strict(x, in_all_of=True) for x in value]
        elif key in ("properties", "patternProperties", "$defs"):
            out[key] = {k: strict(v) for k, v in value.items()}
        elif key in ("const", "enum", "examples", "default", "required"):
            out[key] = value
        else:
            out[key] = strict(value)
    objecty = "properties" in node or "$ref" in node or "allOf" in node
    open_ = "additionalProperties" in node or "unevaluatedProperties" in node
    if objecty and not open_ and not in_all_of and not component_root:
        out["unevaluatedProperties"] = False
    return out

components = {
    "schemas": {
        name: strict(schema, component_root=True)
        for name, schema in doc["components"]["schemas"].items()
    }
}
for sample in samples:
    root = strict(sample["schema"])
    root["components"] = components
    for err in OAS31Validator(root).iter_errors(sample["body"]):
        where = "/".join(map(str, err.absolute_path))
        problems.append("%s: %s at /%s" % (sample["label"], err.message, where))
print("\n".join(problems))
sys.exit(1 if problems else 0)
"#;

fn validator_available() -> bool {
    let found = Command::new("python3")
        .args([
            "-c",
            "import openapi_spec_validator, openapi_schema_validator",
        ])
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var_os("CI").is_none_or(|v| v.is_empty()),
            "CI needs python3 with openapi-spec-validator \
             (`python3 -m pip install openapi-spec-validator`; `cargo xtask ci` installs it)"
        );
        eprintln!(
            "SKIPPED the OpenAPI schema checks: python3 has no openapi_spec_validator \
             (python3 -m pip install openapi-spec-validator)"
        );
    }
    found
}

fn validate(name: &str, doc: &Value, samples: &[Value]) {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    let stem = format!("openapi-{name}-{}", std::process::id());
    let doc_path = dir.join(format!("{stem}.json"));
    let samples_path = dir.join(format!("{stem}-samples.json"));
    std::fs::write(&doc_path, serde_json::to_vec_pretty(doc).unwrap()).unwrap();
    std::fs::write(&samples_path, serde_json::to_vec(samples).unwrap()).unwrap();
    let out = Command::new("python3")
        .arg("-c")
        .arg(VALIDATE_PY)
        .arg(&doc_path)
        .arg(&samples_path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = std::fs::remove_file(&doc_path);
    let _ = std::fs::remove_file(&samples_path);
}
