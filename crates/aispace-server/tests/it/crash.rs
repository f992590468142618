//! SIGKILL under load: nothing acknowledged is lost.
//!
//! Fans (one thread and one agent each) post distinct images, like,
//! comment and delete some of their own posts on a real `aispace serve`,
//! whose blob sweeper runs every second, while the test SIGKILLs it at
//! random moments and starts it again on the same data and port.
//! Afterwards every request that got a 2xx must be there: the post with
//! its exact bytes behind its media URL, the like, the comment; every
//! acknowledged deletion stays deleted; and every post a reader can find
//! points at a blob that exists. A request cut by a kill may or may not
//! have happened, so only bounds are checked for those.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use aispace_domain::model::{BlobKey, ImageType};
use aispace_storage_diesel::pg_schema::PgSchema;
use aispace_testkit::http::{self, HttpError};
use aispace_testkit::images;
use serde_json::{Value, json};

use crate::process::{Server, agent_key, aispace_json, upload_body};

const FANS: usize = 6;
const KILLS: usize = 5;

/// Quotas and the request guard would refuse this much traffic; only the
/// line saying where the server listens is logged.
const ENV: [(&str, &str); 7] = [
    // The sweeper runs all along, with a grace short enough to delete the
    // images of deleted posts during the test.
    ("AISPACE_HOUSEKEEPING_INTERVAL", "1s"),
    ("AISPACE_BLOB_GRACE", "2s"),
    ("AISPACE_QUOTA_POSTS_PER_DAY", "100000000"),
    ("AISPACE_QUOTA_MEDALS_PER_MINUTE", "100000000"),
    ("AISPACE_COMMENT_COOLDOWN_SECONDS", "0"),
    ("AISPACE_RATE_LIMIT_PER_SECOND", "0"),
    ("RUST_LOG", "warn,aispace::serve=info"),
];

/// xorshift64*: the test's choices, repeatable from the seed it prints.
struct Rng(u64);

impl Rng {
    fn from_env_or_clock() -> Rng {
        let seed = std::env::var("AISPACE_CRASH_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(1, |d| d.as_nanos() as u64)
            })
            .max(1);
        eprintln!("crash seed {seed} (AISPACE_CRASH_SEED={seed} repeats its choices)");
        Rng(seed)
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

enum Outcome {
    /// A 2xx with a JSON body: the server says it happened.
    Done(Value),
    /// The connection was refused (the server was down): it did not happen.
    NotSent,
    /// Cut by a kill: it may or may not have happened.
    Unknown,
    /// Any other answer: it did not happen.
    Refused(u16, String),
}

fn send(
    addr: SocketAddr,
    path: &str,
    key: &str,
    content_type: Option<&str>,
    body: &[u8],
) -> Outcome {
    send_as("POST", addr, path, key, content_type, body)
}

fn send_as(
    method: &str,
    addr: SocketAddr,
    path: &str,
    key: &str,
    content_type: Option<&str>,
    body: &[u8],
) -> Outcome {
    let auth = format!("Bearer {key}");
    let mut headers = vec![("Authorization", auth.as_str())];
    if let Some(content_type) = content_type {
        headers.push(("Content-Type", content_type));
    }
    match http::request(addr, method, path, &headers, body) {
        Err(HttpError::Io(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
            Outcome::NotSent
        }
        Err(_) => Outcome::Unknown,
        // A 2xx cut short is as good as no answer.
        Ok(r) if (200..300).contains(&r.status) => {
            serde_json::from_slice(&r.body).map_or(Outcome::Unknown, Outcome::Done)
        }
        Ok(r) => Outcome::Refused(r.status, format!("{method} {path}: {}", r.text())),
    }
}

/// What one fan was told.
#[derive(Default)]
struct Ledger {
    /// Acknowledged posts and the bytes uploaded for each.
    posts: Vec<(String, Vec<u8>)>,
    likes: HashSet<String>,
    maybe_likes: HashSet<String>,
    /// Acknowledged comments: post, comment id, body.
    comments: Vec<(String, String, String)>,
    maybe_comments: Vec<String>,
    /// Own posts whose deletion was acknowledged, or cut by a kill.
    deleted: HashSet<String>,
    maybe_deleted: HashSet<String>,
    /// Posts a like or comment found gone (another fan deleted them).
    found_gone: HashSet<String>,
    unknown: usize,
    not_sent: usize,
    refused: Vec<(u16, String)>,
}

/// One fan's load until `stop`: uploads (each image distinct), likes of
/// posts on the `board` (each post at most once, so no toggle can undo an
/// acknowledged like), comments.
fn fan(
    n: usize,
    key: &str,
    addr: SocketAddr,
    board: &Mutex<Vec<String>>,
    stop: &AtomicBool,
    mut rng: Rng,
) -> Ledger {
    let mut ledger = Ledger::default();
    let mut tried = HashSet::new();
    let mut images = 0u32;
    while !stop.load(Ordering::SeqCst) {
        let target = {
            let board = board.lock().unwrap();
            (!board.is_empty()).then(|| board[rng.below(board.len())].clone())
        };
        let roll = rng.below(100);
        let own_live: Vec<&String> = ledger
            .posts
            .iter()
            .map(|(id, _)| id)
            .filter(|id| !ledger.deleted.contains(*id) && !ledger.maybe_deleted.contains(*id))
            .collect();
        let outcome = match target {
            _ if (35..42).contains(&roll) && !own_live.is_empty() => {
                let post = own_live[rng.below(own_live.len())].clone();
                let outcome = send_as(
                    "DELETE",
                    addr,
                    &format!("/api/agent/posts/{post}"),
                    key,
                    None,
                    b"",
                );
                match &outcome {
                    Outcome::Done(_) => {
                        ledger.deleted.insert(post);
                    }
                    Outcome::NotSent => {}
                    _ => {
                        ledger.maybe_deleted.insert(post);
                    }
                }
                outcome
            }
            Some(post) if roll < 35 && !tried.contains(&post) => {
                let outcome = send(
                    addr,
                    &format!("/api/agent/posts/{post}/like"),
                    key,
                    None,
                    b"",
                );
                match &outcome {
                    Outcome::Done(answer) => {
                        assert_eq!(answer["liked"], true, "fan{n}'s first like: {answer}");
                        ledger.likes.insert(post.clone());
                    }
                    Outcome::NotSent => {}
                    Outcome::Refused(404, _) => {
                        ledger.found_gone.insert(post.clone());
                    }
                    _ => {
                        ledger.maybe_likes.insert(post.clone());
                    }
                }
                if !matches!(outcome, Outcome::NotSent) {
                    tried.insert(post);
                }
                outcome
            }
            Some(post) if roll >= 70 => {
                let body = format!("fan{n} says {}", rng.next());
                let json = json!({ "body": body }).to_string();
                let path = format!("/api/agent/posts/{post}/comments");
                let outcome = send(addr, &path, key, Some("application/json"), json.as_bytes());
                match &outcome {
                    Outcome::Done(answer) => {
                        let id = answer["comment"]["id"].as_str().unwrap().to_owned();
                        ledger.comments.push((post, id, body));
                    }
                    Outcome::NotSent => {}
                    Outcome::Refused(404, _) => {
                        ledger.found_gone.insert(post);
                    }
                    _ => ledger.maybe_comments.push(post),
                }
                outcome
            }
            _ => {
                images += 1;
                let png = images::png(8 + n as u32, 8 + images / 256, (images % 256) as u8);
                let caption = format!("fan{n} image {images}");
                let (content_type, body) = upload_body(&png, &[("caption", &caption)]);
                let outcome = send(addr, "/api/agent/post", key, Some(&content_type), &body);
                if let Outcome::Done(answer) = &outcome {
                    let id = answer["postId"].as_str().unwrap().to_owned();
                    board.lock().unwrap().push(id.clone());
                    ledger.posts.push((id, png));
                }
                outcome
            }
        };
        // While the server is down, knocking less often is enough.
        let pause = Duration::from_millis(20);
        match outcome {
            Outcome::Done(_) => {}
            Outcome::NotSent => {
                ledger.not_sent += 1;
                std::thread::sleep(pause);
            }
            Outcome::Unknown => {
                ledger.unknown += 1;
                std::thread::sleep(pause);
            }
            // A like or comment of a post another fan deleted: checked
            // against the deletions at the end.
            Outcome::Refused(404, _) => {}
            Outcome::Refused(status, what) => ledger.refused.push((status, what)),
        }
    }
    ledger
}

/// Every item of the latest feed as `key` sees it, by id.
fn whole_feed(server: &Server, key: &str) -> HashMap<String, Value> {
    let mut items = HashMap::new();
    let mut cursor = String::new();
    loop {
        let page = server.get(&format!("/api/agent/feed?limit=50{cursor}"), key);
        assert_eq!(page.status, 200, "{}", page.text());
        let page = crate::process::json(&page);
        for item in page["items"].as_array().unwrap() {
            items.insert(item["id"].as_str().unwrap().to_owned(), item.clone());
        }
        match page["nextCursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => return items,
        }
    }
}

/// Every comment on `post`: id → body.
fn all_comments(server: &Server, post: &str, key: &str) -> HashMap<String, String> {
    let mut comments = HashMap::new();
    let mut cursor = String::new();
    loop {
        let page = server.get(
            &format!("/api/agent/posts/{post}/comments?limit=50{cursor}"),
            key,
        );
        assert_eq!(page.status, 200, "{}", page.text());
        let page = crate::process::json(&page);
        for c in page["comments"].as_array().unwrap() {
            comments.insert(
                c["id"].as_str().unwrap().to_owned(),
                c["body"].as_str().unwrap().to_owned(),
            );
        }
        match page["nextCursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => return comments,
        }
    }
}

struct StopOnDrop<'a>(&'a AtomicBool);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

fn sigkill_under_load(data: &Path, database_url: Option<&str>) {
    let started = Instant::now();
    let mut rng = Rng::from_env_or_clock();
    let keys: Vec<String> = (0..FANS)
        .map(|n| agent_key(data, database_url, &format!("fan{n}")))
        .collect();
    let mut server = Server::start_with(data, database_url, &ENV);
    let addr = server.addr;
    let bind = addr.to_string();
    let mut same_port = ENV.to_vec();
    same_port.push(("AISPACE_BIND", &bind));

    let board = Mutex::new(Vec::new());
    let stop = AtomicBool::new(false);
    let (ledgers, server): (Vec<Ledger>, Server) = std::thread::scope(|s| {
        let fans: Vec<_> = keys
            .iter()
            .enumerate()
            .map(|(n, key)| {
                let rng = Rng(rng.next().max(1));
                let (board, stop) = (&board, &stop);
                s.spawn(move || fan(n, key, addr, board, stop, rng))
            })
            .collect();
        // Should a restart fail, the fans must still stop, or the scope
        // would wait for them forever.
        let stopper = StopOnDrop(&stop);
        for _ in 0..KILLS {
            std::thread::sleep(Duration::from_millis(300 + rng.below(900) as u64));
            server.kill();
            server = Server::start_with(data, database_url, &same_port);
        }
        // The last server takes load too before the books are closed.
        std::thread::sleep(Duration::from_millis(300));
        drop(stopper);
        let ledgers = fans.into_iter().map(|f| f.join().unwrap()).collect();
        (ledgers, server)
    });
    let load_time = started.elapsed();

    // Storage busy past its timeout (a stalled disk) is a documented,
    // retryable 503; any other refusal is a bug.
    let refused: Vec<&(u16, String)> = ledgers.iter().flat_map(|l| &l.refused).collect();
    let unexpected: Vec<_> = refused
        .iter()
        .filter(|(status, _)| *status != 503)
        .collect();
    assert!(unexpected.is_empty(), "unexpected answers: {unexpected:#?}");
    let acknowledged_posts: usize = ledgers.iter().map(|l| l.posts.len()).sum();
    assert!(
        acknowledged_posts >= FANS,
        "too little load to mean anything: {acknowledged_posts} posts"
    );

    // Each fan's view of everything that is there.
    let views: Vec<HashMap<String, Value>> =
        keys.iter().map(|key| whole_feed(&server, key)).collect();
    let feed = &views[0];

    // Every post a reader can find, acknowledged or not, points at a blob
    // that is there, on disk and over HTTP, with the bytes its name hashes.
    let mut blobs = HashMap::new();
    for (id, item) in feed {
        let url = item["media"][0]["url"].as_str().unwrap();
        let path = &url[url.find("/raw/").unwrap()..];
        let raw = http::request(server.addr, "GET", path, &[], b"").unwrap();
        assert_eq!(raw.status, 200, "post {id} points at a missing blob {path}");
        let named = BlobKey::for_content(&raw.body, ImageType::Png);
        assert_eq!(&path[1..], named.as_str(), "{path} holds other bytes");
        assert!(
            data.join("blobs").join(&path[1..]).is_file(),
            "{path} is not on disk"
        );
        blobs.insert(id.clone(), raw.body);
    }

    // Deletions: what was acknowledged stays deleted after the kills, a
    // post a reaction found gone was deleted, and a deleted post's image
    // goes with the sweep while every image a post shows stays.
    let deleted: HashSet<&String> = ledgers.iter().flat_map(|l| &l.deleted).collect();
    let maybe_deleted: HashSet<&String> = ledgers.iter().flat_map(|l| &l.maybe_deleted).collect();
    for (n, ledger) in ledgers.iter().enumerate() {
        for id in &ledger.deleted {
            let item = server.get(&format!("/api/agent/posts/{id}"), &keys[n]);
            assert_eq!(item.status, 404, "deleted post {id} came back");
            assert!(!feed.contains_key(id), "deleted post {id} is in the feed");
        }
        for id in &ledger.found_gone {
            assert!(
                deleted.contains(id) || maybe_deleted.contains(id),
                "post {id} was found gone but nobody deleted it"
            );
        }
    }
    let gone_images: Vec<(String, Vec<u8>)> = ledgers
        .iter()
        .flat_map(|l| &l.posts)
        .filter(|(id, _)| deleted.contains(id))
        .cloned()
        .collect();

    // Every acknowledged post: readable, by its author, its exact bytes.
    for (n, ledger) in ledgers.iter().enumerate() {
        for (id, png) in &ledger.posts {
            if deleted.contains(id) || maybe_deleted.contains(id) {
                continue;
            }
            let item = server.get(&format!("/api/agent/posts/{id}"), &keys[n]);
            assert_eq!(
                item.status,
                200,
                "acknowledged post {id} lost: {}",
                item.text()
            );
            let item = crate::process::json(&item);
            assert_eq!(item["author"]["handle"], format!("fan{n}"));
            assert!(
                blobs.get(id).is_some_and(|bytes| bytes == png),
                "post {id}: its media is not the image that was uploaded"
            );
        }
    }

    // Likes: each acknowledged one stands; no fan likes what it never
    // asked to; each count is exactly the fans who like the post.
    for (n, ledger) in ledgers.iter().enumerate() {
        assert_eq!(views[n].len(), feed.len(), "fan{n} sees another feed");
        for (id, item) in &views[n] {
            let liked = item["agentLiked"] == true;
            if ledger.likes.contains(id) {
                assert!(liked, "fan{n}'s acknowledged like of {id} was lost");
            } else if !ledger.maybe_likes.contains(id) {
                assert!(!liked, "fan{n} likes {id} without having asked to");
            }
        }
    }
    for (id, item) in feed {
        let likes = item["stats"]["likes"].as_u64().unwrap() as usize;
        let likers = views.iter().filter(|v| v[id]["agentLiked"] == true).count();
        assert_eq!(likes, likers, "post {id}: the count is not the likes");
        let acknowledged = ledgers.iter().filter(|l| l.likes.contains(id)).count();
        let maybe = ledgers
            .iter()
            .filter(|l| l.maybe_likes.contains(id))
            .count();
        assert!(
            (acknowledged..=acknowledged + maybe).contains(&likes),
            "post {id}: {likes} likes, {acknowledged} acknowledged, {maybe} cut"
        );
    }

    // Comments: each acknowledged one listed with its body; the count is
    // what is listed.
    let mut acknowledged_comments: BTreeMap<&str, Vec<(&str, &str)>> = BTreeMap::new();
    for ledger in &ledgers {
        for (post, id, body) in &ledger.comments {
            acknowledged_comments
                .entry(post)
                .or_default()
                .push((id, body));
        }
    }
    for (post, expected) in &acknowledged_comments {
        if !feed.contains_key(*post) {
            // Deleted with its comments (checked above).
            continue;
        }
        let listed = all_comments(&server, post, &keys[0]);
        for (id, body) in expected {
            assert_eq!(
                listed.get(*id).map(String::as_str),
                Some(*body),
                "acknowledged comment {id} on {post} was lost"
            );
        }
        let maybe = ledgers
            .iter()
            .flat_map(|l| &l.maybe_comments)
            .filter(|p| p == post)
            .count();
        assert!((expected.len()..=expected.len() + maybe).contains(&listed.len()));
        assert_eq!(feed[*post]["stats"]["comments"], listed.len());
    }

    // One more sweep with no grace, the server stopped: the images of the
    // deleted posts go, every image a post shows stays.
    server.kill();
    let swept = aispace_json(
        data,
        database_url,
        &["--blob-grace", "0s", "housekeeping", "--json"],
    );
    for (id, png) in &gone_images {
        let key = BlobKey::for_content(png, ImageType::Png);
        assert!(
            !data.join("blobs").join(key.as_str()).exists(),
            "the image of deleted post {id} was not swept ({swept})"
        );
    }
    for id in feed.keys() {
        let key = BlobKey::for_content(&blobs[id], ImageType::Png);
        assert!(
            data.join("blobs").join(key.as_str()).is_file(),
            "the sweep deleted the image of live post {id}"
        );
    }

    let count = |f: fn(&Ledger) -> usize| ledgers.iter().map(f).sum::<usize>();
    eprintln!(
        "{KILLS} kills survived in {load_time:?}: acknowledged {acknowledged_posts} posts, {} likes, {} comments, {} deletions, all as acknowledged; \
         {} requests cut by a kill, {} refused connections, {} answered 503; {} posts found in all",
        count(|l| l.likes.len()),
        count(|l| l.comments.len()),
        count(|l| l.deleted.len()),
        count(|l| l.unknown),
        count(|l| l.not_sent),
        refused.len(),
        feed.len(),
    );
}

#[test]
fn sigkill_under_load_loses_nothing_acknowledged_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    sigkill_under_load(dir.path(), None);
}

#[test]
fn sigkill_under_load_loses_nothing_acknowledged_on_postgres() {
    let Some(schema) = PgSchema::from_env() else {
        eprintln!("SKIPPED: AISPACE_TEST_DATABASE_URL is not set");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    sigkill_under_load(dir.path(), Some(schema.url()));
}
