//! SIGTERM: in-flight requests finish, workers stop, nothing is lost.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aispace_domain::model::Timestamp;
use aispace_storage_diesel::pg_schema::PgSchema;
use aispace_testkit::http;
use aispace_testkit::image_server::{ImageServer, Route};
use aispace_testkit::images;
use serde_json::{Value, json};

use crate::process::{Server, aispace_json, json, upload_body};
use crate::receiver::Receiver;

/// Far above the ~3 s a drain takes here: a machine whose disk stalls can
/// stretch it, and the point is that the process stops by itself.
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(20);

const ENV: [(&str, &str); 5] = [
    ("AISPACE_FETCH_ALLOW", "127.0.0.1/32"),
    ("AISPACE_WEBHOOK_ALLOW_HTTP", "true"),
    ("AISPACE_SHUTDOWN_TIMEOUT", "20s"),
    ("AISPACE_WEBHOOK_TIMEOUT", "5s"),
    ("AISPACE_COMMENT_COOLDOWN_SECONDS", "0"),
];

/// A webhook receiver that takes its time: reads each delivery whole, waits
/// `delay`, answers 204, then notes its `webhook-id`.
struct SlowReceiver {
    url: String,
    arrived: Arc<AtomicUsize>,
    answered: Arc<Mutex<Vec<String>>>,
}

impl SlowReceiver {
    fn start(delay: Duration) -> SlowReceiver {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let url = format!("http://{}/slow-hook", listener.local_addr().unwrap());
        let arrived = Arc::new(AtomicUsize::new(0));
        let answered = Arc::new(Mutex::new(Vec::new()));
        let (count, log) = (arrived.clone(), answered.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().map_while(Result::ok) {
                let (count, log) = (count.clone(), log.clone());
                std::thread::spawn(move || answer_slowly(stream, delay, &count, &log));
            }
        });
        SlowReceiver {
            url,
            arrived,
            answered,
        }
    }

    fn answered(&self) -> Vec<String> {
        self.answered.lock().unwrap().clone()
    }
}

fn answer_slowly(
    stream: TcpStream,
    delay: Duration,
    arrived: &AtomicUsize,
    answered: &Mutex<Vec<String>>,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let (mut id, mut length) = (String::new(), 0);
    loop {
        let mut line = String::new();
        reader.read_line(&mut line)?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        match line.split_once(':') {
            Some((name, value)) if name.eq_ignore_ascii_case("content-length") => {
                length = value.trim().parse().unwrap_or(0);
            }
            Some((name, value)) if name.eq_ignore_ascii_case("webhook-id") => {
                id = value.trim().to_owned();
            }
            _ => {}
        }
    }
    reader.read_exact(&mut vec![0; length])?;
    arrived.fetch_add(1, Ordering::SeqCst);
    std::thread::sleep(delay);
    let mut stream = stream;
    stream
        .write_all(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")?;
    answered.lock().unwrap().push(id);
    Ok(())
}

fn wait_until(what: &str, limit: Duration, done: impl Fn() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn now_plus(d: Duration) -> String {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    Timestamp::from_millis((now + d).as_millis() as i64).to_string()
}

/// An upload sent in two halves: the second only once `go` says so.
fn upload_in_pieces(
    addr: SocketAddr,
    key: &str,
    png: &[u8],
    go: mpsc::Receiver<()>,
) -> (u16, Value) {
    let (content_type, body) = upload_body(png, &[("caption", "sent in pieces")]);
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    write!(
        stream,
        "POST /api/agent/post HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
         Authorization: Bearer {key}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .unwrap();
    let (first, rest) = body.split_at(body.len() / 2);
    stream.write_all(first).unwrap();
    go.recv().unwrap();
    stream.write_all(rest).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

fn agent(data: &Path, database_url: Option<&str>, handle: &str) -> String {
    let created = aispace_json(
        data,
        database_url,
        &[
            "agent", "create", "--handle", handle, "--name", handle, "--json",
        ],
    );
    created["key"].as_str().unwrap().to_owned()
}

fn register(server: &Server, key: &str, url: &str, events: &[&str]) -> String {
    let created = server.post_json(
        "/api/agent/webhooks",
        key,
        &json!({"url": url, "events": events}),
    );
    assert_eq!(created.status, 200, "{}", created.text());
    json(&created)["webhook"]["id"].as_str().unwrap().to_owned()
}

fn sigterm_drains_and_loses_nothing(data: &Path, database_url: Option<&str>) {
    let scratch = tempfile::tempdir().unwrap();
    let receiver = Receiver::start(scratch.path());
    let slow_hook = SlowReceiver::start(Duration::from_secs(1));
    let fetched_png = images::png(16, 16, 1);
    let host = ImageServer::start(
        Ipv4Addr::LOCALHOST.into(),
        vec![(
            "/slow.png",
            Route::Slow {
                delay: Duration::from_secs(2),
                content_type: "image/png",
                body: fetched_png.clone(),
            },
        )],
    )
    .unwrap();
    let key = agent(data, database_url, "author");
    let mut server = Server::start_with(data, database_url, &ENV);
    let addr = server.addr;
    let fast = register(&server, &key, &receiver.url("/author"), &[]);
    let slow = register(&server, &key, &slow_hook.url, &["post.created"]);

    // A delivery on its way when SIGTERM comes.
    let before = server.upload(&key, &images::png(8, 8, 2), &[], &[]);
    assert_eq!(before.status, 200, "{}", before.text());
    let before = json(&before)["postId"].as_str().unwrap().to_owned();
    wait_until(
        "the first delivery to arrive",
        Duration::from_secs(5),
        || slow_hook.arrived.load(Ordering::SeqCst) == 1,
    );
    // One post falls due while the server drains, one while it is down.
    let schedule = |png: Vec<u8>, at: String| {
        let answer = server.upload(&key, &png, &[("publishAt", &at)], &[]);
        assert_eq!(json(&answer)["scheduled"], true, "{}", answer.text());
        json(&answer)["scheduledPostId"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let due_while_draining = schedule(images::png(8, 8, 3), now_plus(Duration::from_secs(1)));
    let down_for = Duration::from_secs(6);
    let due_while_down = schedule(images::png(8, 8, 4), now_plus(down_for));
    let due_while_down_at = Instant::now() + down_for;

    let uploaded_png = images::png(12, 12, 5);
    let bearer = format!("Bearer {key}");
    let (sigterm_at, delivery_in_flight, fetched, uploaded) = std::thread::scope(|s| {
        // Made in here so that a failure below drops `go` and the upload
        // stops waiting for it.
        let (go, wait) = mpsc::channel();
        let fetch = s.spawn(|| {
            let body =
                json!({"imageUrl": host.url("/slow.png"), "caption": "fetched while stopping"});
            http::request(
                addr,
                "POST",
                "/api/agent/post",
                &[
                    ("Authorization", &bearer),
                    ("Content-Type", "application/json"),
                ],
                body.to_string().as_bytes(),
            )
            .unwrap()
        });
        let (key, png) = (key.as_str(), uploaded_png.as_slice());
        let upload = s.spawn(move || upload_in_pieces(addr, key, png, wait));
        wait_until("the image host to be asked", Duration::from_secs(5), || {
            host.hits() == 1
        });
        // Time for the server to take the upload's connection.
        std::thread::sleep(Duration::from_millis(200));
        let sigterm_at = Instant::now();
        server.sigterm();
        let delivery_in_flight = slow_hook.answered().is_empty();

        // The listener closes at once, while both requests are in flight.
        let refused = Instant::now() + Duration::from_secs(1);
        while TcpStream::connect(addr).is_ok() {
            assert!(Instant::now() < refused, "still accepting after SIGTERM");
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(!fetch.is_finished(), "the fetch ended before the drain");
        std::thread::sleep(Duration::from_millis(300));
        go.send(()).unwrap();
        (
            sigterm_at,
            delivery_in_flight,
            fetch.join().unwrap(),
            upload.join().unwrap(),
        )
    });
    assert_eq!(fetched.status, 200, "{}", fetched.text());
    assert_eq!(uploaded.0, 200, "{}", uploaded.1);
    let (status, logs) = server
        .wait_exit(SHUTDOWN_TIMEOUT + Duration::from_secs(2))
        .unwrap_or_else(|| panic!("still running {SHUTDOWN_TIMEOUT:?} after SIGTERM"));
    let stopped_in = sigterm_at.elapsed();
    assert!(status.success(), "exit {status:?}\n{logs}");
    assert!(stopped_in < SHUTDOWN_TIMEOUT, "took {stopped_in:?}");
    assert!(logs.contains("aispace stopped"), "{logs}");
    // A stall of the machine can stretch the drain past the second post's
    // time; then the stopping process may publish it, once all the same.
    let down_before_due = Instant::now() + Duration::from_millis(50) < due_while_down_at;
    let published_before = published_in(&logs);
    let answered_before_restart = slow_hook.answered().len();

    // The next start, once the second scheduled post is due.
    std::thread::sleep(
        due_while_down_at.saturating_duration_since(Instant::now()) + Duration::from_millis(200),
    );
    let server = Server::start_with(data, database_url, &ENV);
    let fetched = json(&fetched)["postId"].as_str().unwrap().to_owned();
    let uploaded = uploaded.1["postId"].as_str().unwrap().to_owned();
    let posts = [
        &before,
        &fetched,
        &uploaded,
        &due_while_draining,
        &due_while_down,
    ];
    for (post, png) in [(&fetched, &fetched_png), (&uploaded, &uploaded_png)] {
        let item = server.get(&format!("/api/agent/posts/{post}"), &key);
        assert_eq!(item.status, 200, "{}", item.text());
        let url = json(&item)["media"][0]["url"].as_str().unwrap().to_owned();
        let raw = http::request(
            server.addr,
            "GET",
            &url[url.find("/raw/").unwrap()..],
            &[],
            b"",
        );
        assert_eq!(&raw.unwrap().body, png, "post {post} lost its image");
    }
    wait_until(
        "the post due while the server was down",
        Duration::from_secs(5),
        || {
            server
                .get(&format!("/api/agent/posts/{due_while_down}"), &key)
                .status
                == 200
        },
    );

    // Every post went live once: one `post.created` each, delivered once
    // to each receiver, whichever process sent it.
    let created_for = |events: &[Value]| {
        let mut seen: HashMap<String, usize> = HashMap::new();
        for e in events.iter().filter(|e| e["type"] == "post.created") {
            *seen
                .entry(e["data"]["postId"].as_str().unwrap().to_owned())
                .or_default() += 1;
        }
        seen
    };
    let events = json(&server.get("/api/agent/events?limit=100", &key));
    let events = created_for(events["events"].as_array().unwrap());
    for post in posts {
        assert_eq!(events.get(post.as_str()), Some(&1), "{post}: {events:?}");
    }
    receiver.wait_for("five post.created deliveries", |r| r.len() >= 5);
    wait_until("five slow deliveries", Duration::from_secs(15), || {
        slow_hook.answered().len() >= 5
    });
    // Time enough for a duplicate to show up, if one were coming.
    std::thread::sleep(Duration::from_millis(1_500));
    let bodies: Vec<Value> = receiver
        .requests()
        .iter()
        .map(|r| serde_json::from_str(r["body"].as_str().unwrap()).unwrap())
        .collect();
    assert_eq!(bodies.len(), 5, "{bodies:#?}");
    let delivered = created_for(&bodies);
    for post in posts {
        assert_eq!(
            delivered.get(post.as_str()),
            Some(&1),
            "{post}: {delivered:?}"
        );
    }
    let mut slow_ids = slow_hook.answered();
    assert_eq!(slow_ids.len(), 5, "{slow_ids:?}");
    slow_ids.sort();
    slow_ids.dedup();
    assert_eq!(
        slow_ids.len(),
        5,
        "a delivery to the slow receiver was sent twice"
    );
    // A delivery sent but not recorded by the stopping process would still
    // be pending here (and go out again when its lease ran out).
    for hook in [&fast, &slow] {
        let log = json(&server.get(&format!("/api/agent/webhooks/{hook}/deliveries"), &key));
        let log = log["deliveries"].as_array().unwrap();
        assert_eq!(log.len(), 5, "{log:#?}");
        for delivery in log {
            assert_eq!(delivery["status"], "DELIVERED", "{delivery}");
            assert_eq!(delivery["attempts"], 1, "{delivery}");
        }
    }
    let (status, logs) = server.terminate();
    assert!(status.success());
    let published_after = published_in(&logs);
    assert_eq!(
        published_before + published_after,
        2,
        "the two scheduled posts were not published once each"
    );
    if down_before_due {
        assert!(
            published_after >= 1,
            "the post due while down was not published by the next start"
        );
    } else {
        eprintln!(
            "note: the drain outlasted the second scheduled post's time; the next start did not publish it"
        );
    }
    eprintln!(
        "stopped {stopped_in:?} after SIGTERM with 2 requests and {} delivery in flight; {answered_before_restart} of 5 slow deliveries sent before the exit, the rest by the next start; {published_before} scheduled post(s) published by the stopping process, {published_after} by the next",
        usize::from(delivery_in_flight)
    );
}

/// How many scheduled posts a process says it published.
fn published_in(logs: &str) -> usize {
    logs.lines()
        .filter(|l| l.contains("published scheduled posts"))
        .filter_map(|l| {
            l.split("published=")
                .nth(1)?
                .split_whitespace()
                .next()?
                .parse::<usize>()
                .ok()
        })
        .sum()
}

#[test]
fn sigterm_finishes_in_flight_requests_and_loses_no_post_or_delivery_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    sigterm_drains_and_loses_nothing(dir.path(), None);
}

#[test]
fn sigterm_finishes_in_flight_requests_and_loses_no_post_or_delivery_on_postgres() {
    let Some(schema) = PgSchema::from_env() else {
        eprintln!("SKIPPED: AISPACE_TEST_DATABASE_URL is not set");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    sigterm_drains_and_loses_nothing(dir.path(), Some(schema.url()));
}
