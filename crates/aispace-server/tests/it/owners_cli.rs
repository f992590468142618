//! The operator's commands for people: owner accounts (password on
//! standard input, stored only as an Argon2id hash) and claiming a
//! self-registered agent for one, seen at once by the running server.

use aispace_testkit::http;
use serde_json::json;

use crate::process::{Server, aispace, aispace_json, aispace_with_stdin, json, stderr, stdout};

const PASSWORD: &str = "correct horse battery staple";

#[test]
fn owners_are_created_with_a_password_from_stdin_listed_disabled_and_enabled() {
    let dir = tempfile::tempdir().unwrap();
    let created = aispace_with_stdin(
        dir.path(),
        &["owner", "create", "Ada", "--name", "Ada Lovelace", "--json"],
        &format!("{PASSWORD}\n"),
    );
    assert!(created.status.success(), "{}", stderr(&created));
    let owner: serde_json::Value = serde_json::from_slice(&created.stdout).unwrap();
    assert_eq!(owner["username"], "ada");
    assert_eq!(owner["displayName"], "Ada Lovelace");
    assert_eq!(owner["disabled"], false);

    // Only an Argon2id hash is stored, never the password.
    let db = std::fs::read(dir.path().join("aispace.db")).unwrap();
    let wal = std::fs::read(dir.path().join("aispace.db-wal")).unwrap_or_default();
    let stored = [db, wal].concat();
    assert!(
        !stored
            .windows(PASSWORD.len())
            .any(|w| w == PASSWORD.as_bytes())
    );
    assert!(stored.windows(10).any(|w| w == b"$argon2id$"));

    let short = aispace_with_stdin(dir.path(), &["owner", "create", "bob"], "short\n");
    assert_eq!(short.status.code(), Some(1));
    assert!(
        stderr(&short).contains("password: must be at least 10 characters"),
        "{}",
        stderr(&short)
    );
    let taken = aispace_with_stdin(dir.path(), &["owner", "create", "ADA"], PASSWORD);
    assert_eq!(taken.status.code(), Some(1));
    assert!(
        stderr(&taken).contains("already taken"),
        "{}",
        stderr(&taken)
    );

    let disabled = aispace(dir.path(), None, &["owner", "disable", "ada"]);
    assert!(disabled.status.success(), "{}", stderr(&disabled));
    let listed = aispace_json(dir.path(), None, &["owner", "list", "--json"]);
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(listed[0]["disabled"], true);
    aispace(dir.path(), None, &["owner", "enable", "ada"]);
    let listed = aispace_json(dir.path(), None, &["owner", "list", "--json"]);
    assert_eq!(listed[0]["disabled"], false);
    let table = stdout(&aispace(dir.path(), None, &["owner", "list"]));
    assert!(table.contains("ada") && table.contains("active"), "{table}");

    let missing = aispace(dir.path(), None, &["owner", "disable", "nobody"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        stderr(&missing).contains("owner not found"),
        "{}",
        stderr(&missing)
    );
}

#[test]
fn the_operator_claims_a_registered_agent_and_the_server_sees_it_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let made = aispace_with_stdin(dir.path(), &["owner", "create", "grace"], PASSWORD);
    assert!(made.status.success(), "{}", stderr(&made));
    let poster = aispace_json(
        dir.path(),
        None,
        &[
            "agent", "create", "--handle", "poster", "--name", "Poster", "--json",
        ],
    );
    let server = Server::start(dir.path(), None);

    let registered = http::request(
        server.addr,
        "POST",
        "/api/agents/register",
        &[("Content-Type", "application/json")],
        json!({"name": "Research Bot"}).to_string().as_bytes(),
    )
    .unwrap();
    assert_eq!(registered.status, 201);
    let key = json(&registered)["agent"]["api_key"]
        .as_str()
        .unwrap()
        .to_owned();
    let auth = format!("Bearer {key}");
    let status = |server: &Server| {
        let answer = http::request(
            server.addr,
            "GET",
            "/api/agents/status",
            &[("Authorization", &auth)],
            b"",
        )
        .unwrap();
        json(&answer)["status"].as_str().unwrap().to_owned()
    };
    assert_eq!(status(&server), "pending_claim");

    // A post to vote on, by an agent the operator made.
    let image = aispace_testkit::images::png(8, 8, 3);
    let (content_type, body) = http::multipart_body(&[http::Part::file("file", &image)]);
    let post = http::request(
        server.addr,
        "POST",
        "/api/agent/post",
        &[
            (
                "Authorization",
                &format!("Bearer {}", poster["key"].as_str().unwrap()),
            ),
            ("Content-Type", &content_type),
        ],
        &body,
    )
    .unwrap();
    assert_eq!(post.status, 200, "{}", post.text());
    let post_id = json(&post)["postId"].as_str().unwrap().to_owned();
    let vote = |server: &Server| {
        http::request(
            server.addr,
            "POST",
            &format!("/api/v1/memes/{post_id}/vote"),
            &[
                ("Authorization", &auth),
                ("Content-Type", "application/json"),
            ],
            br#"{"direction": 1}"#,
        )
        .unwrap()
    };
    assert_eq!(vote(&server).status, 403);

    let unknown = aispace(
        dir.path(),
        None,
        &["agent", "claim", "research_bot", "--owner", "nobody"],
    );
    assert_eq!(unknown.status.code(), Some(1));
    assert!(
        stderr(&unknown).contains("owner not found"),
        "{}",
        stderr(&unknown)
    );

    let claimed = aispace(
        dir.path(),
        None,
        &["agent", "claim", "research_bot", "--owner", "grace"],
    );
    assert!(claimed.status.success(), "{}", stderr(&claimed));
    assert!(stdout(&claimed).contains("research_bot is now claimed by grace"));
    assert_eq!(status(&server), "claimed");
    let voted = vote(&server);
    assert_eq!(voted.status, 200, "{}", voted.text());
    // LOL-65B's profile names the person who answers for the agent.
    let me = http::request(
        server.addr,
        "GET",
        "/api/v1/agents/me",
        &[("Authorization", &auth)],
        b"",
    )
    .unwrap();
    assert_eq!(
        json(&me)["createdBy"],
        json!({"username": "grace", "displayName": "grace"}),
        "{}",
        me.text()
    );

    let again = aispace(
        dir.path(),
        None,
        &["agent", "claim", "research_bot", "--owner", "grace"],
    );
    assert_eq!(again.status.code(), Some(1));
    assert!(
        stderr(&again).contains("already been claimed"),
        "{}",
        stderr(&again)
    );
    let listed = aispace_json(dir.path(), None, &["agent", "list", "--json"]);
    let bot = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["handle"] == "research_bot")
        .unwrap();
    assert_eq!(bot["claimState"], "claimed");
    assert!(bot["ownerId"].is_string());
}
