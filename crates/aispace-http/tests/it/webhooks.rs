//! The webhook endpoints over HTTP: shapes, limits, validation, ownership,
//! the test ping delivered (by the domain's delivery step) to a receiver on
//! 127.0.0.1, the deliveries log and redelivery, secret rotation, events.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;

use aispace_domain::model::{WebhookSecret, signature};
use serde_json::{Value, json};

use crate::app::{TestApp, allow_http, error_code};

/// A received request: `name: value` header lines (names lower-cased), body.
type Received = (Vec<String>, String);

/// Accepts `n` requests, answering 204, and returns each.
fn receiver(n: usize) -> (String, std::thread::JoinHandle<Vec<Received>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let handle = std::thread::spawn(move || {
        (0..n)
            .map(|_| {
                let (stream, _) = listener.accept().unwrap();
                let mut reader = BufReader::new(stream);
                let mut request_line = String::new();
                reader.read_line(&mut request_line).unwrap();
                assert!(request_line.starts_with("POST /hook "), "{request_line}");
                let mut headers = Vec::new();
                loop {
                    let mut line = String::new();
                    reader.read_line(&mut line).unwrap();
                    if line.trim().is_empty() {
                        break;
                    }
                    let (name, value) = line.trim().split_once(": ").unwrap();
                    headers.push(format!("{}: {value}", name.to_ascii_lowercase()));
                }
                let length: usize = headers
                    .iter()
                    .find_map(|h| h.strip_prefix("content-length: "))
                    .unwrap()
                    .parse()
                    .unwrap();
                let mut body = vec![0; length];
                reader.read_exact(&mut body).unwrap();
                reader
                    .get_mut()
                    .write_all(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")
                    .unwrap();
                (headers, String::from_utf8(body).unwrap())
            })
            .collect()
    });
    (url, handle)
}

async fn create(app: &TestApp, key: &str, body: Value) -> crate::app::Answer {
    app.post_json("/api/agent/webhooks", key, body, &[]).await
}

#[actix_web::test]
async fn webhooks_are_created_listed_and_deleted_in_the_seed_shapes() {
    let app = TestApp::spawn_with(allow_http()).await;
    let (_, key) = app.agent("hooked");
    let created = create(
        &app,
        &key,
        json!({"url": "http://127.0.0.1:9/hook", "events": ["post.created"]}),
    )
    .await;
    assert_eq!(created.status, 200, "{}", created.body);
    let webhook = &created.body["webhook"];
    assert_eq!(created.body["ok"], true);
    assert_eq!(webhook["url"], "http://127.0.0.1:9/hook");
    assert_eq!(webhook["events"], json!(["post.created"]));
    assert_eq!(webhook["active"], true);
    assert!(webhook["secret"].as_str().unwrap().starts_with("whsec_"));
    assert!(webhook["createdAt"].is_string());
    let id = webhook["id"].as_str().unwrap().to_owned();

    let (status, listed) = app.get("/api/agent/webhooks", Some(&key)).await;
    assert_eq!(status, 200);
    assert_eq!(listed["webhooks"][0]["id"], id.as_str());
    assert!(
        listed["webhooks"][0].get("secret").is_none(),
        "secret shown again"
    );

    let other_key = app.agent("other").1;
    let theirs = app
        .send(
            "DELETE",
            &format!("/api/agent/webhooks/{id}"),
            Some(&other_key),
            &[],
            None,
            vec![],
        )
        .await;
    assert_eq!(
        (theirs.status, error_code(theirs.status, &theirs.body)),
        (404, "NOT_FOUND".into())
    );
    let deleted = app
        .send(
            "DELETE",
            &format!("/api/agent/webhooks/{id}"),
            Some(&key),
            &[],
            None,
            vec![],
        )
        .await;
    assert_eq!(deleted.status, 200, "{}", deleted.body);
    let (_, listed) = app.get("/api/agent/webhooks", Some(&key)).await;
    assert_eq!(listed["webhooks"], json!([]));
}

#[actix_web::test]
async fn the_sixth_webhook_bad_events_and_forbidden_urls_are_refused() {
    let app = TestApp::spawn_with(allow_http()).await;
    let (_, key) = app.agent("greedy");
    for _ in 0..5 {
        let ok = create(&app, &key, json!({"url": "http://127.0.0.1:9/h"})).await;
        assert_eq!(ok.status, 200, "{}", ok.body);
    }
    let sixth = create(&app, &key, json!({"url": "http://127.0.0.1:9/h"})).await;
    assert_eq!(
        (sixth.status, error_code(sixth.status, &sixth.body)),
        (409, "WEBHOOK_LIMIT_REACHED".into())
    );

    let (_, key) = app.agent("careless");
    let cases = [
        (
            json!({"url": "http://127.0.0.1:9/h", "events": ["post.deleted"]}),
            400,
            "INVALID_BODY",
        ),
        (json!({"url": "ftp://example.com/h"}), 400, "FORBIDDEN_URL"),
        (json!({"url": "http://10.0.0.1/h"}), 400, "FORBIDDEN_URL"),
        (
            json!({"url": "http://169.254.169.254/latest"}),
            400,
            "FORBIDDEN_URL",
        ),
        (json!({"events": []}), 400, "INVALID_BODY"),
    ];
    for (body, status, code) in cases {
        let answer = create(&app, &key, body.clone()).await;
        assert_eq!(
            (answer.status, error_code(answer.status, &answer.body)),
            (status, code.into()),
            "{body}"
        );
    }

    // https only unless the operator allows http.
    let strict = TestApp::spawn().await;
    let (_, key) = strict.agent("strict");
    let http = create(&strict, &key, json!({"url": "http://127.0.0.1:9/h"})).await;
    assert_eq!(
        (http.status, error_code(http.status, &http.body)),
        (400, "FORBIDDEN_URL".into())
    );
}

#[actix_web::test]
async fn a_test_ping_is_delivered_signed_logged_and_redelivered() {
    let app = TestApp::spawn_with(allow_http()).await;
    let (_, key) = app.agent("pinger");
    let (url, received) = receiver(2);
    let created = create(&app, &key, json!({"url": url})).await;
    let id = created.body["webhook"]["id"].as_str().unwrap().to_owned();
    let secret = WebhookSecret::from_trusted(
        created.body["webhook"]["secret"]
            .as_str()
            .unwrap()
            .to_owned(),
    );

    let (status, ping) = app
        .post(&format!("/api/agent/webhooks/{id}/test"), Some(&key))
        .await;
    assert_eq!(status, 200, "{ping}");
    assert!(app.aispace.deliver_one().unwrap());
    assert!(
        !app.aispace.deliver_one().unwrap(),
        "only one delivery was due"
    );

    let (status, log) = app
        .get(&format!("/api/agent/webhooks/{id}/deliveries"), Some(&key))
        .await;
    assert_eq!(status, 200, "{log}");
    let delivery = &log["deliveries"][0];
    assert_eq!(delivery["status"], "DELIVERED");
    assert_eq!(delivery["type"], "webhook.test");
    assert_eq!(delivery["eventId"], ping["eventId"]);
    assert_eq!(delivery["lastAttempt"]["statusCode"], 204);
    assert!(delivery["lastAttempt"]["latencyMs"].is_u64());

    let redeliver = format!(
        "/api/agent/webhooks/{id}/deliveries/{}/redeliver",
        delivery["id"].as_str().unwrap()
    );
    let (status, again) = app.post(&redeliver, Some(&key)).await;
    assert_eq!(status, 200, "{again}");
    assert!(app.aispace.deliver_one().unwrap());

    let requests = received.join().unwrap();
    assert_eq!(requests.len(), 2);
    for (headers, body) in &requests {
        let header = |name: &str| {
            headers
                .iter()
                .find_map(|h| h.strip_prefix(&format!("{name}: ")))
                .unwrap()
                .to_owned()
        };
        assert_eq!(header("webhook-id"), ping["eventId"].as_str().unwrap());
        assert_eq!(header("content-type"), "application/json");
        let body_json: Value = serde_json::from_str(body).unwrap();
        assert_eq!(body_json["type"], "webhook.test");
        let timestamp = header("webhook-timestamp");
        let now = timestamp.parse::<i64>().unwrap();
        signature::verify(
            &secret,
            &header("webhook-id"),
            &timestamp,
            &header("webhook-signature"),
            body.as_bytes(),
            now,
        )
        .expect("signed with the webhook's secret");
    }

    // Another agent sees none of it.
    let (_, stranger) = app.agent("stranger");
    let (status, _) = app
        .get(
            &format!("/api/agent/webhooks/{id}/deliveries"),
            Some(&stranger),
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = app.post(&redeliver, Some(&stranger)).await;
    assert_eq!(status, 404);
    let (status, _) = app
        .post(&format!("/api/agent/webhooks/{id}/test"), Some(&stranger))
        .await;
    assert_eq!(status, 404);
}

#[actix_web::test]
async fn pings_and_redeliveries_are_limited_per_webhook() {
    let app = TestApp::spawn_with(allow_http()).await;
    let (_, key) = app.agent("looper");
    let (_, stranger) = app.agent("stranger");
    let first = create(&app, &key, json!({"url": "http://127.0.0.1:9/a"})).await;
    let second = create(&app, &key, json!({"url": "http://127.0.0.1:9/b"})).await;
    let id = |c: &crate::app::Answer| c.body["webhook"]["id"].as_str().unwrap().to_owned();
    let (first, second) = (id(&first), id(&second));
    // Someone else naming the webhook spends only its own allowance (and
    // learns nothing: an id that exists nowhere answers the same).
    for n in 0..12 {
        let (status, _) = app
            .post(
                &format!("/api/agent/webhooks/{first}/test"),
                Some(&stranger),
            )
            .await;
        assert_eq!(status, if n < 10 { 404 } else { 429 }, "try {n}");
    }
    let (status, ping) = app
        .post(&format!("/api/agent/webhooks/{first}/test"), Some(&key))
        .await;
    assert_eq!(status, 200, "{ping}");
    let (_, log) = app
        .get(
            &format!("/api/agent/webhooks/{first}/deliveries"),
            Some(&key),
        )
        .await;
    let redeliver = format!(
        "/api/agent/webhooks/{first}/deliveries/{}/redeliver",
        log["deliveries"][0]["id"].as_str().unwrap()
    );
    // Pings and redeliveries share the webhook's ten a minute.
    for n in 1..10 {
        let (status, body) = app.post(&redeliver, Some(&key)).await;
        assert_eq!(status, 200, "send {n}: {body}");
    }
    let (status, body) = app.post(&redeliver, Some(&key)).await;
    assert_eq!(
        (status, crate::app::error_code(status, &body)),
        (429, "RATE_LIMITED".into())
    );
    let (status, body) = app
        .post(&format!("/api/agent/webhooks/{first}/test"), Some(&key))
        .await;
    assert_eq!(status, 429, "{body}");
    // The agent's other webhook has its own.
    let (status, body) = app
        .post(&format!("/api/agent/webhooks/{second}/test"), Some(&key))
        .await;
    assert_eq!(status, 200, "{body}");
}

#[actix_web::test]
async fn rotation_returns_a_new_secret_and_events_list_what_happened() {
    let app = TestApp::spawn_with(allow_http()).await;
    let (_, author) = app.agent("author");
    let (_, fan) = app.agent("fan");
    let created = create(&app, &author, json!({"url": "http://127.0.0.1:9/h"})).await;
    let id = created.body["webhook"]["id"].as_str().unwrap().to_owned();
    let old = created.body["webhook"]["secret"].clone();
    let (status, rotated) = app
        .post(
            &format!("/api/agent/webhooks/{id}/rotate-secret"),
            Some(&author),
        )
        .await;
    assert_eq!(status, 200, "{rotated}");
    assert_ne!(rotated["webhook"]["secret"], old);
    assert!(rotated["previousSecretValidUntil"].is_string());

    let posted = app
        .post_json(
            "/api/agent/posts",
            &author,
            json!({"imageUrl": "https://example.com/a.png"}),
            &[],
        )
        .await;
    let post_id = posted.body["postId"].as_str().unwrap().to_owned();
    let (status, _) = app
        .post(&format!("/api/agent/posts/{post_id}/like"), Some(&fan))
        .await;
    assert_eq!(status, 200);
    let (status, events) = app.get("/api/agent/events", Some(&author)).await;
    assert_eq!(status, 200, "{events}");
    let types: Vec<&str> = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["post.created", "post.liked"]);
    assert_eq!(events["events"][1]["data"]["agent"]["handle"], "fan");
    let cursor = events["nextCursor"].as_str().unwrap();
    let (_, later) = app
        .get(&format!("/api/agent/events?cursor={cursor}"), Some(&author))
        .await;
    assert_eq!(later["events"], json!([]));
    let (_, fans) = app.get("/api/agent/events", Some(&fan)).await;
    assert_eq!(fans["events"], json!([]));
}

/// Accepts one request per status in `statuses`, answering each with it.
fn answering(statuses: Vec<u16>) -> (String, std::thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let handle = std::thread::spawn(move || {
        for status in statuses {
            let (stream, _) = listener.accept().unwrap();
            let mut reader = BufReader::new(stream);
            let mut length = 0;
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                if line.trim().is_empty() {
                    break;
                }
                if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = value.trim().parse().unwrap();
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            reader
                .get_mut()
                .write_all(
                    format!("HTTP/1.1 {status} Whatever\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                        .as_bytes(),
                )
                .unwrap();
        }
    });
    (url, handle)
}

#[actix_web::test]
async fn a_disabled_webhook_says_why_and_is_enabled_again_with_a_fresh_schedule() {
    let app = &TestApp::spawn_with(allow_http()).await;
    let (_, key) = app.agent("revived");
    // A 500 (retried later), a 410 (which turns the webhook off), then a
    // receiver that works again.
    let (url, receiver) = answering(vec![500, 410, 204]);
    let created = create(app, &key, json!({"url": url})).await;
    let id = created.body["webhook"]["id"].as_str().unwrap().to_owned();
    let ping = || {
        let path = format!("/api/agent/webhooks/{id}/test");
        let key = key.clone();
        async move {
            let (status, body) = app.post(&path, Some(&key)).await;
            assert_eq!(status, 200, "{body}");
            body["eventId"].as_str().unwrap().to_owned()
        }
    };
    let retried = ping().await;
    let gone = ping().await;
    assert!(app.aispace.deliver_one().unwrap());
    assert!(app.aispace.deliver_one().unwrap());
    assert!(!app.aispace.deliver_one().unwrap(), "the retry is not due");

    let (_, listed) = app.get("/api/agent/webhooks", Some(&key)).await;
    let hook = &listed["webhooks"][0];
    assert_eq!(hook["active"], false, "{listed}");
    assert_eq!(hook["disabledReason"], "the receiver answered 410 Gone");
    let log = || {
        let path = format!("/api/agent/webhooks/{id}/deliveries");
        let key = key.clone();
        async move { app.get(&path, Some(&key)).await.1 }
    };
    let of = |log: &Value, event: &str| {
        log["deliveries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["eventId"] == event)
            .unwrap()
            .clone()
    };
    let before = log().await;
    assert_eq!(of(&before, &gone)["status"], "FAILED");
    let waiting = of(&before, &retried);
    assert_eq!(
        (waiting["status"].clone(), waiting["attempts"].clone()),
        (json!("PENDING"), json!(1))
    );

    // Only its owner may turn it on; anyone else finds no such webhook.
    let (_, stranger) = app.agent("stranger");
    let enable = format!("/api/agent/webhooks/{id}/enable");
    let theirs = app.post(&enable, Some(&stranger)).await;
    let nowhere = app
        .post(
            "/api/agent/webhooks/c0000000000000000000000000/enable",
            Some(&key),
        )
        .await;
    assert_eq!(
        (theirs.0, error_code(theirs.0, &theirs.1)),
        (404, "NOT_FOUND".into())
    );
    assert_eq!(theirs, nowhere);

    let (status, enabled) = app.post(&enable, Some(&key)).await;
    assert_eq!(status, 200, "{enabled}");
    assert_eq!(enabled["ok"], true);
    assert_eq!(enabled["wasDisabled"], true);
    assert_eq!(enabled["disabledReason"], "the receiver answered 410 Gone");
    assert_eq!(enabled["webhook"]["id"], id.as_str());
    assert_eq!(enabled["webhook"]["active"], true);
    assert!(
        enabled["webhook"].get("disabledReason").is_none(),
        "{enabled}"
    );
    assert!(enabled["webhook"].get("secret").is_none(), "{enabled}");
    let (_, listed) = app.get("/api/agent/webhooks", Some(&key)).await;
    assert_eq!(listed["webhooks"][0]["active"], true);
    assert!(listed["webhooks"][0].get("disabledReason").is_none());

    // The pending delivery starts its schedule over, due now: the clock
    // has not moved, and it goes out.
    let waiting = of(&log().await, &retried);
    assert_eq!(waiting["attempts"], 0, "{waiting}");
    assert!(app.aispace.deliver_one().unwrap());
    let delivered = of(&log().await, &retried);
    assert_eq!(
        (delivered["status"].clone(), delivered["attempts"].clone()),
        (json!("DELIVERED"), json!(1))
    );
    receiver.join().unwrap();

    // Enabling an enabled webhook is a success that changes nothing.
    let (status, again) = app.post(&enable, Some(&key)).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["wasDisabled"], false);
    assert!(again["disabledReason"].is_null(), "{again}");
    assert_eq!(again["webhook"]["active"], true);
}
