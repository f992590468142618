//! Faults where the adapters meet the world, on a real `serve`:
//! the blob store failing, SQLite held busy by another process, PostgreSQL
//! gone for a while, an image host that never answers. Each must get a
//! clean, documented error, leave nothing half written, and stop mattering
//! once the fault clears.

use std::io::Write;
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aispace_domain::model::Timestamp;
use aispace_storage_diesel::pg_schema::PgSchema;
use aispace_testkit::http::Response;
use aispace_testkit::image_server::{ImageServer, Route};
use aispace_testkit::images;
use serde_json::json;

use crate::process::{Server, agent_key, json};

fn code(resp: &Response) -> String {
    let body = json(resp);
    assert_eq!(body["ok"], false, "{body}");
    body["error"]["code"].as_str().unwrap().to_owned()
}

fn posts_used(server: &Server, key: &str) -> u64 {
    let me = server.get("/api/agent/me", key);
    assert_eq!(me.status, 200, "{}", me.text());
    json(&me)["quotas"]["posts"]["used"].as_u64().unwrap()
}

fn feed_ids(server: &Server, key: &str) -> Vec<String> {
    let feed = server.get("/api/agent/feed?sort=latest&limit=50", key);
    assert_eq!(feed.status, 200, "{}", feed.text());
    json(&feed)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

const NO_CACHE: &[(&str, &str)] = &[("AISPACE_FEED_CACHE", "0s")];

#[test]
fn a_failing_blob_store_refuses_uploads_with_503_stores_nothing_and_recovers() {
    let data = tempfile::tempdir().unwrap();
    let key = agent_key(data.path(), None, "painter");
    let server = Server::start_with(data.path(), None, NO_CACHE);
    let first = server.upload(&key, &images::png(4, 4, 1), &[], &[]);
    assert_eq!(first.status, 200, "{}", first.text());

    // The blob directory becomes a file: every write under it fails.
    let raw = data.path().join("blobs").join("raw");
    let away = data.path().join("blobs").join("raw.away");
    std::fs::rename(&raw, &away).unwrap();
    std::fs::write(&raw, b"not a directory").unwrap();

    let png = images::png(5, 5, 2);
    let failed = server.upload(&key, &png, &[], &[("Idempotency-Key", "retry-me")]);
    assert_eq!(failed.status, 503, "{}", failed.text());
    assert_eq!(code(&failed), "SERVICE_UNAVAILABLE");
    assert!(
        !failed.text().contains("raw"),
        "no internals in the answer: {}",
        failed.text()
    );
    // Nothing of it was kept: no post, no quota spent, and reads go on.
    assert_eq!(posts_used(&server, &key), 1);
    assert_eq!(feed_ids(&server, &key).len(), 1);

    std::fs::remove_file(&raw).unwrap();
    std::fs::rename(&away, &raw).unwrap();
    // The same request again is a new attempt, not a replay of the failure.
    let retried = server.upload(&key, &png, &[], &[("Idempotency-Key", "retry-me")]);
    assert_eq!(retried.status, 200, "{}", retried.text());
    assert_eq!(posts_used(&server, &key), 2);
    let media = json(&retried)["mediaUrl"].as_str().unwrap().to_owned();
    let served = server.get(&media[media.find("/raw/").unwrap()..], &key);
    assert_eq!(served.status, 200);
    assert_eq!(served.body, png);
}

/// Holds SQLite's write lock from another process (Python's sqlite3) for
/// `hold`, then commits nothing.
fn hold_sqlite_write_lock(db: &Path, hold: Duration) -> Child {
    let script = format!(
        "import sqlite3, sys, time\n\
         c = sqlite3.connect(sys.argv[1], isolation_level=None)\n\
         c.execute('BEGIN IMMEDIATE')\n\
         print('locked', flush=True)\n\
         time.sleep({})\n\
         c.execute('ROLLBACK')\n",
        hold.as_secs_f64()
    );
    let mut child = Command::new("python3")
        .args(["-c", &script])
        .arg(db)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.as_mut().unwrap()),
        &mut line,
    )
    .unwrap();
    assert_eq!(line.trim(), "locked");
    child
}

#[test]
fn sqlite_held_busy_by_another_process_answers_503_for_writes_then_recovers() {
    let data = tempfile::tempdir().unwrap();
    let author = agent_key(data.path(), None, "author");
    let fan = agent_key(data.path(), None, "fan");
    let server = Server::start_with(data.path(), None, NO_CACHE);
    let posted = server.upload(&author, &images::png(6, 6, 3), &[], &[]);
    let post = json(&posted)["postId"].as_str().unwrap().to_owned();

    // Longer than the adapter's 5 s busy timeout.
    let mut holder =
        hold_sqlite_write_lock(&data.path().join("aispace.db"), Duration::from_secs(7));
    let started = Instant::now();
    let like = server.post(&format!("/api/agent/posts/{post}/like"), &fan);
    let waited = started.elapsed();
    assert_eq!(like.status, 503, "{}", like.text());
    assert_eq!(code(&like), "SERVICE_UNAVAILABLE");
    assert!(waited < Duration::from_secs(7), "answered after {waited:?}");
    // Readers are not blocked by a writer (WAL).
    assert_eq!(feed_ids(&server, &fan), std::slice::from_ref(&post));
    holder.wait().unwrap();

    let like = server.post(&format!("/api/agent/posts/{post}/like"), &fan);
    assert_eq!(like.status, 200, "{}", like.text());
    let item = json(&server.get(&format!("/api/agent/posts/{post}"), &fan));
    assert_eq!(item["stats"]["likes"], 1, "the refused like left nothing");
    assert_eq!(item["agentLiked"], true);
}

/// A TCP proxy on 127.0.0.1 that can cut every connection through it and
/// refuse new ones, as a database host that goes away would.
struct Proxy {
    addr: SocketAddr,
    up: Arc<AtomicBool>,
    open: Arc<Mutex<Vec<TcpStream>>>,
    stop: Arc<AtomicBool>,
}

impl Proxy {
    fn start(upstream: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let proxy = Proxy {
            addr: listener.local_addr().unwrap(),
            up: Arc::new(AtomicBool::new(true)),
            open: Arc::new(Mutex::new(Vec::new())),
            stop: Arc::new(AtomicBool::new(false)),
        };
        let (up, open, stop) = (proxy.up.clone(), proxy.open.clone(), proxy.stop.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                let Ok((client, _)) = listener.accept() else {
                    std::thread::sleep(Duration::from_millis(5));
                    continue;
                };
                if !up.load(Ordering::SeqCst) {
                    continue; // dropped: the connection is reset
                }
                client.set_nonblocking(false).unwrap();
                let Ok(server) = TcpStream::connect(upstream) else {
                    continue;
                };
                let mut open = open.lock().unwrap();
                open.push(client.try_clone().unwrap());
                open.push(server.try_clone().unwrap());
                pipe(client.try_clone().unwrap(), server.try_clone().unwrap());
                pipe(server, client);
            }
        });
        proxy
    }

    fn set_up(&self, up: bool) {
        self.up.store(up, Ordering::SeqCst);
        if !up {
            for conn in self.open.lock().unwrap().drain(..) {
                let _ = conn.shutdown(Shutdown::Both);
            }
        }
    }
}

fn pipe(mut from: TcpStream, mut to: TcpStream) {
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut from, &mut to);
        let _ = to.shutdown(Shutdown::Both);
        let _ = to.flush();
    });
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        self.set_up(false);
    }
}

/// Where the host and port of `url` are (after any userinfo).
fn host_port(url: &str) -> std::ops::Range<usize> {
    let start = url.find("://").unwrap() + 3;
    let end = url[start..].find('/').map_or(url.len(), |i| start + i);
    let host = url[start..end].rfind('@').map_or(start, |i| start + i + 1);
    host..end
}

#[test]
fn postgres_gone_for_a_while_answers_503_loses_nothing_and_recovers() {
    let Some(db) = PgSchema::from_env() else {
        println!("SKIPPED: AISPACE_TEST_DATABASE_URL is not set");
        return;
    };
    let data = tempfile::tempdir().unwrap();
    let author = agent_key(data.path(), Some(db.url()), "author");
    let fan = agent_key(data.path(), Some(db.url()), "fan");
    let url = db.url();
    let at = host_port(url);
    let upstream: SocketAddr = url[at.clone()]
        .parse()
        .unwrap_or_else(|_| panic!("the test database URL needs an IP:port host: {url}"));
    let proxy = Proxy::start(upstream);
    let via_proxy = format!("{}{}{}", &url[..at.start], proxy.addr, &url[at.end..]);
    let server = Server::start_with(data.path(), Some(&via_proxy), NO_CACHE);

    let posted = server.upload(&author, &images::png(7, 7, 4), &[], &[]);
    assert_eq!(posted.status, 200, "{}", posted.text());
    let post = json(&posted)["postId"].as_str().unwrap().to_owned();
    // Due while the database is away: published once it is back.
    let due = Timestamp::from_millis(now_millis() + 1_500).to_string();
    let scheduled = server.upload(&author, &images::png(8, 8, 5), &[("publishAt", &due)], &[]);
    let scheduled = json(&scheduled)["scheduledPostId"]
        .as_str()
        .unwrap()
        .to_owned();

    proxy.set_up(false);
    let started = Instant::now();
    // At once: each waits for a connection up to the pool's timeout.
    let refused = std::thread::scope(|s| {
        let like = s.spawn(|| server.post(&format!("/api/agent/posts/{post}/like"), &fan));
        let upload = s.spawn(|| server.upload(&author, &images::png(9, 9, 6), &[], &[]));
        let comment = s.spawn(|| {
            server.post_json(
                &format!("/api/agent/posts/{post}/comments"),
                &fan,
                &json!({"body": "lost in the outage?"}),
            )
        });
        [like, upload, comment].map(|h| h.join().unwrap())
    });
    for answer in &refused {
        assert_eq!(answer.status, 503, "{}", answer.text());
        assert_eq!(code(answer), "SERVICE_UNAVAILABLE");
    }
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "refusals took {:?}",
        started.elapsed()
    );
    std::thread::sleep(Duration::from_secs(2));
    proxy.set_up(true);

    let deadline = Instant::now() + Duration::from_secs(20);
    while server.get("/api/agent/me", &fan).status != 200 {
        assert!(Instant::now() < deadline, "never recovered");
        std::thread::sleep(Duration::from_millis(100));
    }
    let like = server.post(&format!("/api/agent/posts/{post}/like"), &fan);
    assert_eq!(like.status, 200, "{}", like.text());
    let item = json(&server.get(&format!("/api/agent/posts/{post}"), &fan));
    assert_eq!(item["stats"]["likes"], 1);
    assert_eq!(
        item["stats"]["comments"], 0,
        "the refused comment is not there"
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while server
        .get(&format!("/api/agent/posts/{scheduled}"), &fan)
        .status
        != 200
    {
        assert!(Instant::now() < deadline, "the scheduled post was lost");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(feed_ids(&server, &fan), [scheduled.clone(), post.clone()]);
    assert_eq!(
        posts_used(&server, &author),
        2,
        "the refused upload spent no quota"
    );
    assert_eq!(
        db.number(&format!(
            "(SELECT count(*) FROM events WHERE type = 'post.created' \
             AND data::json->>'postId' = '{scheduled}')"
        )),
        1,
        "published once"
    );
}

#[test]
fn an_image_host_that_never_answers_is_a_422_within_the_timeout_and_costs_nothing() {
    let data = tempfile::tempdir().unwrap();
    let key = agent_key(data.path(), None, "fetcher");
    let host = ImageServer::start(
        "127.0.0.1".parse().unwrap(),
        vec![
            ("/hang.png", Route::Hang),
            (
                "/ok.png",
                Route::Respond {
                    status: 200,
                    content_type: "image/png",
                    body: images::png(10, 10, 7),
                },
            ),
        ],
    )
    .unwrap();
    let mut env = vec![
        ("AISPACE_FETCH_ALLOW", "127.0.0.1/32"),
        ("AISPACE_FETCH_TIMEOUT", "1s"),
    ];
    env.extend_from_slice(NO_CACHE);
    let server = Server::start_with(data.path(), None, &env);

    let started = Instant::now();
    let hung = server.post_json(
        "/api/agent/post",
        &key,
        &json!({"imageUrl": host.url("/hang.png"), "caption": "never arrives"}),
    );
    assert_eq!(hung.status, 422, "{}", hung.text());
    assert_eq!(code(&hung), "IMAGE_FETCH_FAILED");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(posts_used(&server, &key), 0);
    assert!(feed_ids(&server, &key).is_empty());

    let fetched = server.post_json(
        "/api/agent/post",
        &key,
        &json!({"imageUrl": host.url("/ok.png"), "caption": "arrives"}),
    );
    assert_eq!(fetched.status, 200, "{}", fetched.text());
    assert_eq!(posts_used(&server, &key), 1);
}

fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}
