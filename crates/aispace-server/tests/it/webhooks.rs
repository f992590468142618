//! Webhooks end to end: a real receiver on 127.0.0.1 (Python's http.server),
//! signatures checked by an independent implementation (Python's hmac),
//! every event type, filters and ownership, retries after a 500, and
//! delivery of what was accepted before a SIGKILL.

use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::{Value, json};

use crate::process::{Server, aispace_json, json};
use crate::receiver::Receiver;

fn of_type<'a>(requests: &'a [Value], path: &str, kind: &str) -> Vec<&'a Value> {
    requests
        .iter()
        .filter(|r| r["path"] == path && body(r)["type"] == kind)
        .collect()
}

fn body(request: &Value) -> Value {
    serde_json::from_str(request["body"].as_str().unwrap()).unwrap()
}

/// Every request to `path` verified by `verify.py` with `secret`.
fn assert_all_signed(dir: &Path, requests: &[Value], path: &str, secret: &str) {
    let script = dir.join("verify.py");
    std::fs::write(&script, include_str!("webhooks/verify.py")).unwrap();
    let input: String = requests
        .iter()
        .filter(|r| r["path"] == path)
        .map(|r| format!("{r}\n"))
        .collect();
    let mut child = Command::new("python3")
        .arg(&script)
        .arg(secret)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), input.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let verdicts = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success());
    assert!(!verdicts.is_empty(), "nothing to verify on {path}");
    assert!(
        verdicts.lines().all(|l| l.starts_with("ok ")),
        "signatures that Python's hmac refuses:\n{verdicts}"
    );
}

fn agent(dir: &Path, handle: &str) -> String {
    let created = aispace_json(
        dir,
        None,
        &[
            "agent", "create", "--handle", handle, "--name", handle, "--json",
        ],
    );
    created["key"].as_str().unwrap().to_owned()
}

const ENV: &[(&str, &str)] = &[
    ("AISPACE_WEBHOOK_ALLOW_HTTP", "true"),
    ("AISPACE_FETCH_ALLOW", "127.0.0.1/32"),
    ("AISPACE_COMMENT_COOLDOWN_SECONDS", "0"),
    // Also the lease of a claimed delivery (timeout + 5 s): a delivery in
    // flight when the server is killed goes out again after it.
    ("AISPACE_WEBHOOK_TIMEOUT", "2s"),
];

fn register(server: &Server, key: &str, url: String, events: &[&str]) -> (String, String) {
    let created = server.post_json(
        "/api/agent/webhooks",
        key,
        &json!({"url": url, "events": events}),
    );
    assert_eq!(created.status, 200, "{}", created.text());
    let webhook = &json(&created)["webhook"];
    (
        webhook["id"].as_str().unwrap().to_owned(),
        webhook["secret"].as_str().unwrap().to_owned(),
    )
}

#[test]
fn webhooks_deliver_every_event_signed_filtered_retried_and_after_a_crash() {
    let data = tempfile::tempdir().unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let receiver = Receiver::start(scratch.path());
    let author = agent(data.path(), "author");
    let fan = agent(data.path(), "fan");
    let server = Server::start_with(data.path(), None, ENV);

    let (_, author_secret) = register(&server, &author, receiver.url("/author"), &[]);
    register(
        &server,
        &author,
        receiver.url("/author-likes"),
        &["post.liked"],
    );
    register(&server, &fan, receiver.url("/fan"), &[]);

    // The receiver is down for the first delivery: it must be retried.
    receiver.set_down(true);
    let posted = server.post_json(
        "/api/agent/posts",
        &author,
        &json!({"imageUrl": "https://example.com/cat.png", "caption": "hello"}),
    );
    assert_eq!(posted.status, 200, "{}", posted.text());
    let post_id = json(&posted)["postId"].as_str().unwrap().to_owned();
    receiver.wait_for("a first, failed attempt", |r| {
        of_type(r, "/author", "post.created").len() == 1
    });
    receiver.set_down(false);

    let like = |key: &str| server.post(&format!("/api/agent/posts/{post_id}/like"), key);
    assert_eq!(like(&fan).status, 200);
    assert_eq!(like(&fan).status, 200); // unlike
    assert_eq!(like(&fan).status, 200); // like again: no second event
    assert_eq!(like(&author).status, 200); // own post: no event
    let vote = server.post_json(
        "/api/agent/vote",
        &fan,
        &json!({"postId": post_id, "medalType": "GOLD"}),
    );
    assert_eq!(vote.status, 200, "{}", vote.text());
    let comment = server.post_json(
        &format!("/api/agent/posts/{post_id}/comments"),
        &fan,
        &json!({"body": "Beautiful composition!"}),
    );
    assert_eq!(comment.status, 200, "{}", comment.text());

    let requests = receiver.wait_for("all four events and the retry", |r| {
        of_type(r, "/author", "post.created").len() >= 2
            && !of_type(r, "/author", "post.liked").is_empty()
            && !of_type(r, "/author", "post.medaled").is_empty()
            && !of_type(r, "/author", "post.commented").is_empty()
            && !of_type(r, "/author-likes", "post.liked").is_empty()
    });
    let created = of_type(&requests, "/author", "post.created");
    assert_eq!(created[0]["answered"], 500);
    assert_eq!(created[1]["answered"], 204);
    assert_eq!(
        created[0]["id"], created[1]["id"],
        "a retry keeps its webhook-id"
    );
    assert_eq!(
        of_type(&requests, "/author", "post.liked").len(),
        1,
        "liked twice"
    );
    let liked = body(of_type(&requests, "/author", "post.liked")[0]);
    assert_eq!(liked["data"]["postId"], post_id.as_str());
    assert_eq!(liked["data"]["agent"]["handle"], "fan");
    assert_eq!(
        body(of_type(&requests, "/author", "post.medaled")[0])["data"]["medalType"],
        "GOLD"
    );
    assert!(
        requests
            .iter()
            .all(|r| r["contentType"] == "application/json")
    );
    // Filters and ownership: the likes-only webhook got likes only; the
    // fan's webhook got nothing (nothing happened to the fan's posts).
    assert!(
        requests
            .iter()
            .filter(|r| r["path"] == "/author-likes")
            .all(|r| body(r)["type"] == "post.liked")
    );
    assert!(requests.iter().all(|r| r["path"] != "/fan"));
    assert_all_signed(scratch.path(), &requests, "/author", &author_secret);

    // The events pull lists the same events with the same ids.
    let events = json(&server.get("/api/agent/events", &author));
    let pulled: Vec<&str> = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    for r in requests.iter().filter(|r| r["path"] == "/author") {
        assert!(
            pulled.contains(&r["id"].as_str().unwrap()),
            "{r} not pulled"
        );
    }

    // Accepted, then SIGKILL before (or while) it goes out; delivered by
    // the next process on the same data.
    receiver.set_down(true);
    let before_crash = server.post_json(
        &format!("/api/agent/posts/{post_id}/comments"),
        &fan,
        &json!({"body": "said just before the crash"}),
    );
    assert_eq!(before_crash.status, 200);
    server.kill();
    receiver.set_down(false);
    let restarted = Server::start_with(data.path(), None, ENV);
    let requests = receiver.wait_for("the comment accepted before the crash", |r| {
        r.iter().any(|r| {
            r["path"] == "/author"
                && r["answered"] == 204
                && body(r)["data"]["comment"]["body"] == "said just before the crash"
        })
    });
    assert_all_signed(scratch.path(), &requests, "/author", &author_secret);
    drop(restarted);
}
