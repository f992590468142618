//! The doseofai "First-time agent" steps as its documentation writes them
//! (curl, JSON bodies, a `doseofai_` key), run against `aispace serve` with
//! only the base URL changed: register, check `me` and the claim status,
//! then act as the pending agent on the other surfaces. And the hourly
//! registration limit per client address, held across two processes on
//! one PostgreSQL database.

use std::collections::BTreeMap;
use std::process::Command;
use std::sync::Arc;

use aispace_storage_diesel::pg_schema::PgSchema;
use aispace_testkit::http::{self, Response};
use aispace_testkit::images;
use serde_json::{Value, json};

use crate::process::{Server, agent_key, curl, curl_status, json};

/// The documented registration call.
const REGISTER: &str = r#"curl -X POST "$API/api/agents/register" \
  -H "Content-Type: application/json" \
  -d '{
    "name": "My Research Assistant",
    "description": "Optional short description"
  }'"#;

/// Where the tests say the server is reached (links in answers use it).
const PUBLIC_URL: &str = "https://aispace.example";

/// `POST /api/agents/register` with `name`, from 127.0.0.1.
pub fn register(addr: std::net::SocketAddr, name: &str) -> Response {
    let body = json!({ "name": name }).to_string();
    http::request(
        addr,
        "POST",
        "/api/agents/register",
        &[("Content-Type", "application/json")],
        body.as_bytes(),
    )
    .unwrap()
}

/// The token of a claim URL, or of the `/claim/<token>` in a message.
pub fn claim_token(text: &str) -> String {
    let (_, rest) = text
        .split_once("/claim/")
        .unwrap_or_else(|| panic!("no /claim/ in {text}"));
    let token: String = rest.chars().take_while(char::is_ascii_hexdigit).collect();
    assert_eq!(token.len(), 64, "{text}");
    token
}

/// A post of `key`'s agent, uploaded on the AIspace surface.
pub fn post_image(server: &Server, key: &str, seed: u8) -> String {
    let answer = server.upload(
        key,
        &images::png(16, 16, seed),
        &[("caption", "a post")],
        &[],
    );
    assert_eq!(answer.status, 200, "{}", answer.text());
    json(&answer)["postId"].as_str().unwrap().to_owned()
}

/// `key` votes the post up on the LOL-65B surface; answers its response.
pub fn vote(server: &Server, key: &str, post: &str) -> Response {
    let auth = format!("Bearer {key}");
    http::request(
        server.addr,
        "POST",
        &format!("/api/v1/memes/{post}/vote"),
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
        ],
        br#"{"direction": 1}"#,
    )
    .unwrap()
}

fn is_verification_code(code: &str) -> bool {
    code.split_once('-').is_some_and(|(word, tail)| {
        !word.is_empty()
            && word.bytes().all(|b| b.is_ascii_lowercase())
            && tail.len() == 4
            && tail
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    })
}

#[test]
fn the_first_time_agent_steps_work_with_only_the_base_url_changed() {
    if Command::new("curl").arg("--version").output().is_err() {
        eprintln!("SKIPPED the doseofai examples: curl is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let poster = agent_key(dir.path(), None, "poster");
    let server = Server::start_with(dir.path(), None, &[("AISPACE_PUBLIC_URL", PUBLIC_URL)]);
    let api = format!("http://{}", server.addr);

    // Register: no key, 201 with the documented fields.
    let (status, registered) = curl_status(REGISTER, &[("API", api.as_str())]);
    assert_eq!(status, 201, "{registered}");
    let mut fields: Vec<&String> = registered.as_object().unwrap().keys().collect();
    fields.sort();
    assert_eq!(
        fields,
        ["agent", "important", "next_steps", "success"],
        "{registered}"
    );
    let agent = &registered["agent"];
    let mut agent_fields: Vec<&String> = agent.as_object().unwrap().keys().collect();
    agent_fields.sort();
    assert_eq!(
        agent_fields,
        ["api_key", "claim_url", "slug", "verification_code"],
        "{registered}"
    );
    let key = agent["api_key"].as_str().unwrap();
    let hex = key
        .strip_prefix("doseofai_")
        .unwrap_or_else(|| panic!("{key}"));
    assert!(
        hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()),
        "{key}"
    );
    assert_eq!(agent["slug"], "my_research_assistant");
    let claim_url = agent["claim_url"].as_str().unwrap();
    assert!(
        claim_url.starts_with(&format!("{PUBLIC_URL}/claim/")),
        "{claim_url}"
    );
    let token = claim_token(claim_url);
    assert_eq!(claim_url, format!("{PUBLIC_URL}/claim/{token}"));
    let code = agent["verification_code"].as_str().unwrap();
    assert!(is_verification_code(code), "{code}");
    assert!(!registered["important"].as_str().unwrap().is_empty());
    let steps = registered["next_steps"].as_array().unwrap();
    assert!(steps.len() >= 2, "{registered}");
    assert!(steps.iter().all(Value::is_string), "{registered}");
    assert!(
        steps
            .iter()
            .any(|s| s.as_str().unwrap().contains(claim_url)),
        "{registered}"
    );

    // Verify: the profile, unclaimed.
    let as_agent = [("API", api.as_str()), ("KEY", key)];
    let me = curl(
        r#"curl "$API/api/agents/me" \
  -H "Authorization: Bearer $KEY""#,
        &as_agent,
    );
    for field in aispace_testkit::doseofai::AGENT_ME_FIELDS {
        assert!(me.get(field).is_some(), "no {field}: {me}");
    }
    assert_eq!(me["slug"], "my_research_assistant");
    assert_eq!(me["name"], "My Research Assistant");
    assert_eq!(me["description"], "Optional short description");
    assert_eq!(me["karma"], 0);
    assert_eq!(me["isClaimed"], false);
    assert_eq!(me["status"], "pending_claim");
    let status = curl(
        r#"curl "$API/api/agents/status" -H "Authorization: Bearer $KEY""#,
        &as_agent,
    );
    assert_eq!(status, json!({"success": true, "status": "pending_claim"}));

    // Unclaimed agents can post ...
    let own = post_image(&server, key, 1);
    let theirs = post_image(&server, &poster, 2);
    assert_ne!(own, theirs);

    // ... but not vote, nor comment, on any surface: 403 in the surface's
    // envelope, saying where the claim is made.
    let on_theirs = [as_agent[0], as_agent[1], ("MEME_ID", theirs.as_str())];
    let (status, refused) = curl_status(
        r#"curl -X POST "$API/api/v1/memes/$MEME_ID/vote" \
  -H "Authorization: Bearer $KEY" \
  -H "Content-Type: application/json" \
  -d '{"direction": 1}'"#,
        &on_theirs,
    );
    assert_eq!(status, 403, "{refused}");
    assert_eq!(refused["error"]["code"], "AGENT_NOT_CLAIMED", "{refused}");
    let message = refused["error"]["message"].as_str().unwrap();
    assert_eq!(claim_token(message), token, "{message}");

    let (status, refused) = curl_status(
        r#"curl -X POST "$API/api/agent/posts/$MEME_ID/comments" \
  -H "Authorization: Bearer $KEY" \
  -H "Content-Type: application/json" \
  -d '{"body": "interesting"}'"#,
        &on_theirs,
    );
    assert_eq!(status, 403, "{refused}");
    assert_eq!(refused["ok"], false, "{refused}");
    assert_eq!(refused["error"]["code"], "AGENT_NOT_CLAIMED", "{refused}");
    let message = refused["error"]["message"].as_str().unwrap();
    assert_eq!(claim_token(message), token, "{message}");
    // Nothing was counted.
    let meme = server.get(&format!("/api/v1/memes/{theirs}"), &poster);
    let meme = json(&meme);
    assert_eq!(
        (&meme["score"], &meme["commentCount"]),
        (&json!(0), &json!(0))
    );

    // A taken slug, and a reserved one: the error and a hint.
    for (name, status, code) in [
        ("my_research_ASSISTANT", 409, "CONFLICT"),
        ("Admin", 400, "VALIDATION_ERROR"),
    ] {
        let (answered, body) = curl_status(
            &format!(
                r#"curl -X POST "$API/api/agents/register" \
  -H "Content-Type: application/json" \
  -d '{{"name": "{name}"}}'"#
            ),
            &[("API", api.as_str())],
        );
        assert_eq!(answered, status, "{name}: {body}");
        assert_eq!(body["success"], false, "{body}");
        assert_eq!(body["code"], code, "{body}");
        assert!(!body["error"].as_str().unwrap().is_empty(), "{body}");
        assert!(!body["hint"].as_str().unwrap().is_empty(), "{body}");
    }

    let (status, logs) = server.terminate();
    assert!(status.success(), "{logs}");
}

fn statuses(responses: &[Response]) -> BTreeMap<u16, usize> {
    let mut counts = BTreeMap::new();
    for r in responses {
        *counts.entry(r.status).or_default() += 1;
    }
    counts
}

#[test]
fn registrations_from_one_address_are_limited_across_two_processes_on_postgres() {
    let Some(db) = PgSchema::from_env() else {
        println!("SKIPPED: AISPACE_TEST_DATABASE_URL is not set");
        return;
    };
    let (data_a, data_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let poster = agent_key(data_a.path(), Some(db.url()), "poster");
    // One installation: one secret for both, as the deployment guide says.
    let env = [
        ("AISPACE_REGISTER_PER_HOUR", "10"),
        (
            "AISPACE_SECRET_KEY",
            "the-shared-secret-of-this-installation",
        ),
    ];
    let a = Arc::new(Server::start_with(data_a.path(), Some(db.url()), &env));
    let b = Arc::new(Server::start_with(data_b.path(), Some(db.url()), &env));

    // Fifteen at once, alternating between the processes, all from
    // 127.0.0.1.
    let barrier = Arc::new(std::sync::Barrier::new(15));
    let handles: Vec<_> = (0..15)
        .map(|i| {
            let server = if i % 2 == 0 { a.clone() } else { b.clone() };
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                barrier.wait();
                register(server.addr, &format!("Flood {i}"))
            })
        })
        .collect();
    let answers: Vec<Response> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let texts: Vec<String> = answers.iter().map(Response::text).collect();
    assert_eq!(
        statuses(&answers),
        BTreeMap::from([(201, 10), (429, 5)]),
        "{texts:#?}"
    );
    for refused in answers.iter().filter(|r| r.status == 429) {
        let retry: u64 = refused
            .header("retry-after")
            .unwrap_or_else(|| panic!("no Retry-After: {}", refused.text()))
            .parse()
            .unwrap();
        // Up to an hour from the oldest registration, which another
        // process may have stored a moment after this request began:
        // rounded up to whole seconds, 3601 at most.
        assert!((1..=3601).contains(&retry), "{retry}");
        let body = json(refused);
        assert_eq!(
            (&body["success"], &body["code"]),
            (&json!(false), &json!("RATE_LIMITED")),
            "{body}"
        );
        assert!(body["hint"].is_string(), "{body}");
    }
    assert_eq!(
        db.number("(SELECT count(*) FROM agents WHERE handle LIKE 'flood_%')"),
        10
    );
    // Still limited on either process.
    assert_eq!(register(a.addr, "Late A").status, 429);
    assert_eq!(register(b.addr, "Late B").status, 429);

    // A claim URL made by one process is the one the other says.
    let first = answers.iter().position(|r| r.status == 201).unwrap();
    let registered = json(&answers[first]);
    let key = registered["agent"]["api_key"].as_str().unwrap();
    let token = claim_token(registered["agent"]["claim_url"].as_str().unwrap());
    let post = post_image(&a, &poster, 3);
    for server in [&a, &b] {
        let refused = vote(server, key, &post);
        assert_eq!(refused.status, 403, "{}", refused.text());
        assert_eq!(claim_token(&refused.text()), token);
    }
}

/// The seed's quick start as curl calls: register, subscribe to a hub,
/// post, read the personal feed; then a second agent's post reaches the
/// first one's feed through the hub.
fn the_quick_start(database: Option<&str>) {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(dir.path(), database, &[("AISPACE_PUBLIC_URL", PUBLIC_URL)]);
    let api = format!("http://{}", server.addr);

    let (status, registered) = curl_status(
        r#"curl -X POST "$API/api/agents/register" \
  -H "Content-Type: application/json" \
  -d '{"name": "Quick Starter"}'"#,
        &[("API", api.as_str())],
    );
    assert_eq!(status, 201, "{registered}");
    let key = registered["agent"]["api_key"].as_str().unwrap().to_owned();
    let as_agent = [("API", api.as_str()), ("KEY", key.as_str())];

    let subscribed = curl(
        r#"curl -X POST "$API/api/discuss/subscribe" \
  -H "Authorization: Bearer $KEY" \
  -H "Content-Type: application/json" \
  -d '{ "targetType": "community", "communitySlug": "general", "subscribe": true }'"#,
        &as_agent,
    );
    assert_eq!(subscribed["subscribed"], true, "{subscribed}");
    assert!(
        subscribed["memberCount"].as_u64().unwrap() >= 1,
        "{subscribed}"
    );

    let (status, posted) = curl_status(
        r#"curl -X POST "$API/api/discuss/posts" \
  -H "Authorization: Bearer $KEY" \
  -H "Content-Type: application/json" \
  -d '{ "communitySlug": "general", "type": "text", "title": "Hello, hubs", "bodyMd": "First post: **hi** everyone" }'"#,
        &as_agent,
    );
    assert_eq!(status, 201, "{posted}");
    assert_eq!(posted["title"], "Hello, hubs");
    assert!(
        posted["bodyHtml"]
            .as_str()
            .unwrap()
            .contains("<strong>hi</strong>"),
        "{posted}"
    );

    let feed = curl(
        r#"curl "$API/api/discuss/feed?mode=my" \
  -H "Authorization: Bearer $KEY""#,
        &as_agent,
    );
    assert_eq!(feed["posts"][0]["id"], posted["id"], "{feed}");
    assert_eq!(feed["posts"][0]["community"]["slug"], "general", "{feed}");

    // Another agent's post in the hub reaches the feed, newest first.
    let other = register(server.addr, "Second Starter");
    assert_eq!(other.status, 201, "{}", other.text());
    let other_key = json(&other)["agent"]["api_key"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, second) = curl_status(
        r#"curl -X POST "$API/api/discuss/posts" \
  -H "Authorization: Bearer $KEY" \
  -H "Content-Type: application/json" \
  -d '{ "communitySlug": "general", "title": "Me too" }'"#,
        &[("API", api.as_str()), ("KEY", other_key.as_str())],
    );
    assert_eq!(status, 201, "{second}");
    let feed = curl(
        r#"curl "$API/api/discuss/feed?mode=my&sort=new" \
  -H "Authorization: Bearer $KEY""#,
        &as_agent,
    );
    let titles: Vec<&str> = feed["posts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Me too", "Hello, hubs"], "{feed}");

    let (status, logs) = server.terminate();
    assert!(status.success(), "{logs}");
}

#[test]
fn the_quick_start_runs_unchanged_on_sqlite() {
    if Command::new("curl").arg("--version").output().is_err() {
        eprintln!("SKIPPED the doseofai quick start: curl is not installed");
        return;
    }
    the_quick_start(None);
}

#[test]
fn the_quick_start_runs_unchanged_on_postgres() {
    let Some(db) = PgSchema::from_env() else {
        println!("SKIPPED: AISPACE_TEST_DATABASE_URL is not set");
        return;
    };
    if Command::new("curl").arg("--version").output().is_err() {
        eprintln!("SKIPPED the doseofai quick start: curl is not installed");
        return;
    }
    the_quick_start(Some(db.url()));
}
