use std::path::Path;
use std::time::{Duration, Instant};

use aispace_storage_diesel::pg_schema::PgSchema;

use crate::process::{Server, aispace, aispace_json, json};

/// The quick start of the README, on a database: create an agent, serve,
/// connect and me with its key; suspension and revocation take effect on
/// the next request; SIGTERM stops the server cleanly.
fn quick_start(data_dir: &Path, database_url: Option<&str>) {
    let created = aispace_json(
        data_dir,
        database_url,
        &[
            "agent", "create", "--handle", "my-agent", "--name", "My Agent", "--json",
        ],
    );
    let key = created["key"].as_str().unwrap();
    let server = Server::start(data_dir, database_url);

    let connect = server.post("/api/agent/connect", key);
    assert_eq!(connect.status, 200, "{}", connect.text());
    let body = json(&connect);
    assert_eq!(body["agent"]["handle"], "my-agent");
    assert_eq!(
        body["api"]["docs"],
        format!("http://{}/developers", server.addr)
    );
    assert!(connect.header("x-request-id").is_some());

    let me = json(&server.get("/api/agent/me", key));
    assert_eq!(me["agentId"], created["id"]);
    assert_eq!(
        me["profileUrl"],
        format!("http://{}/a/my-agent", server.addr)
    );
    assert_eq!(me["apiVersion"], "0.2");

    assert!(
        aispace(data_dir, database_url, &["agent", "suspend", "my-agent"])
            .status
            .success()
    );
    let refused = server.get("/api/agent/me", key);
    assert_eq!(
        (refused.status, json(&refused)["error"]["code"].clone()),
        (401, "AGENT_SUSPENDED".into())
    );
    assert!(
        aispace(data_dir, database_url, &["agent", "reactivate", "my-agent"])
            .status
            .success()
    );
    assert_eq!(server.get("/api/agent/me", key).status, 200);

    let prefix = key.split_once('.').unwrap().0;
    assert!(
        aispace(data_dir, database_url, &["key", "revoke", prefix])
            .status
            .success()
    );
    let revoked = server.get("/api/agent/me", key);
    assert_eq!(
        (revoked.status, json(&revoked)["error"]["code"].clone()),
        (401, "KEY_REVOKED".into())
    );

    let (status, logs) = server.terminate();
    assert!(status.success(), "exit {status:?}\n{logs}");
    assert!(logs.contains("aispace stopped"), "{logs}");
    assert!(logs.contains("path=\"/api/agent/me\" status=401"), "{logs}");
    assert!(
        !logs.contains(key.split_once('.').unwrap().1),
        "a secret reached the logs"
    );
}

#[test]
fn serve_on_a_fresh_data_dir_creates_it_and_serves() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("not/yet/there");
    let server = Server::start(&data_dir, None);
    assert!(data_dir.join("aispace.db").exists());
    let health = aispace_testkit::http::request(server.addr, "GET", "/healthz", &[], b"").unwrap();
    assert_eq!(health.status, 200);
    let (status, _) = server.terminate();
    assert!(status.success());
}

#[test]
fn quick_start_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    quick_start(dir.path(), None);
}

#[test]
fn quick_start_on_postgres() {
    let Some(schema) = PgSchema::from_env() else {
        eprintln!("SKIPPED quick_start_on_postgres: AISPACE_TEST_DATABASE_URL is not set");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    quick_start(dir.path(), Some(schema.url()));
}

/// Counts `what` in the server's logs, waiting up to `limit` for at least
/// `at_least` of them.
fn wait_for_logs(server: &Server, what: &str, at_least: usize, limit: Duration) -> usize {
    let deadline = Instant::now() + limit;
    loop {
        let seen = server.logs().matches(what).count();
        if seen >= at_least || Instant::now() >= deadline {
            return seen;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn ranks_are_refreshed_at_start_then_every_interval_until_the_server_stops() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(dir.path(), None, &[("AISPACE_RANK_REFRESH_SECONDS", "1")]);
    let seen = wait_for_logs(&server, "refreshed post ranks", 3, Duration::from_secs(10));
    assert!(seen >= 3, "{seen} refreshes\n{}", server.logs());
    let stopping = Instant::now();
    let (status, logs) = server.terminate();
    assert!(status.success(), "{logs}");
    assert!(stopping.elapsed() < Duration::from_secs(5), "{logs}");
    assert!(logs.contains("aispace stopped"), "{logs}");

    // 0 turns the worker off.
    let off = Server::start_with(dir.path(), None, &[("AISPACE_RANK_REFRESH_SECONDS", "0")]);
    std::thread::sleep(Duration::from_millis(500));
    let (status, logs) = off.terminate();
    assert!(status.success(), "{logs}");
    assert!(!logs.contains("refreshed post ranks"), "{logs}");
}

/// With no cooldown, one agent's concurrent comments all get in: the
/// cooldown used to start at the request's clock read, taken before the
/// author's lock, so a comment stamped a millisecond later and committed
/// first refused this one.
#[test]
fn without_a_cooldown_concurrent_comments_of_one_agent_all_get_in() {
    const THREADS: usize = 8;
    const EACH: usize = 10;
    let dir = tempfile::tempdir().unwrap();
    let key = aispace_json(
        dir.path(),
        None,
        &[
            "agent", "create", "--handle", "chatty", "--name", "Chatty", "--json",
        ],
    )["key"]
        .as_str()
        .unwrap()
        .to_owned();
    let server = Server::start_with(
        dir.path(),
        None,
        &[
            ("AISPACE_COMMENT_COOLDOWN_SECONDS", "0"),
            ("AISPACE_RATE_LIMIT_PER_SECOND", "0"),
        ],
    );
    let png = aispace_testkit::images::png(6, 6, 1);
    let post = json(&server.upload(&key, &png, &[], &[]))["postId"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/api/agent/posts/{post}/comments");
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..THREADS)
            .map(|t| {
                let (server, key, path) = (&server, &key, &path);
                s.spawn(move || {
                    (0..EACH)
                        .map(|i| {
                            server
                                .post_json(
                                    path,
                                    key,
                                    &serde_json::json!({"body": format!("{t}.{i}")}),
                                )
                                .status
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    assert!(
        statuses.iter().all(|s| *s == 200),
        "refused: {:?}",
        statuses.iter().filter(|s| **s != 200).collect::<Vec<_>>()
    );
    let item = json(&server.get(&format!("/api/agent/posts/{post}"), &key));
    assert_eq!(item["stats"]["comments"], THREADS * EACH);
    server.kill();
}
