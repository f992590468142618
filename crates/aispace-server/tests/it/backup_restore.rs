//! `aispace backup` of a serving installation under a steady stream of
//! writes, and `aispace restore` of it into an empty data directory.
//!
//! Writers (one thread and one agent each) upload distinct images and
//! comment, recording every acknowledged write. The test notes which
//! writes were acknowledged, backs up while the writers go on, stops the
//! server, restores into a new data directory and serves that. Every write
//! acknowledged before the backup started must be there, each image's
//! exact bytes behind its media URL; every write sent after the backup
//! finished must not (the backup is one instant, not a later copy); each
//! post's comment count must be its comments (one instant of every table).
//! Backups that must not be restored, and targets that must not be
//! written, are refused.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use aispace_storage_diesel::backup::integrity_check;
use aispace_testkit::http;
use aispace_testkit::images;
use serde_json::{Value, json};

use crate::process::{Server, agent_key, aispace, aispace_overriding, stderr, stdout, upload_body};

const WRITERS: usize = 2;

/// Posts acknowledged before the backup starts.
const POSTS_BEFORE: usize = 40;

/// Quotas, the comment cooldown and the request guard would refuse this
/// much traffic.
const ENV: [(&str, &str); 4] = [
    ("AISPACE_QUOTA_POSTS_PER_DAY", "100000000"),
    ("AISPACE_COMMENT_COOLDOWN_SECONDS", "0"),
    ("AISPACE_RATE_LIMIT_PER_SECOND", "0"),
    ("RUST_LOG", "warn,aispace::serve=info"),
];

enum Write {
    /// A post and the image uploaded with it.
    Post { id: String, png: Vec<u8> },
    /// A comment: its post, its id and body.
    Comment {
        post: String,
        id: String,
        body: String,
    },
}

/// An acknowledged write: who made it, when it was sent and answered.
struct Acked {
    writer: usize,
    sent: Instant,
    answered: Instant,
    write: Write,
}

fn send(addr: SocketAddr, path: &str, key: &str, content_type: &str, body: &[u8]) -> Value {
    let auth = format!("Bearer {key}");
    let headers = [
        ("Authorization", auth.as_str()),
        ("Content-Type", content_type),
    ];
    let answer = http::request(addr, "POST", path, &headers, body).unwrap();
    assert!(
        (200..300).contains(&answer.status),
        "POST {path}: {} {}",
        answer.status,
        answer.text()
    );
    crate::process::json(&answer)
}

/// Writer `n` until `stop`: an image post, then a comment on it, again and
/// again; every answer is recorded in `ledger` as it arrives.
fn writer(n: usize, key: &str, addr: SocketAddr, ledger: &Mutex<Vec<Acked>>, stop: &AtomicBool) {
    let mut round = 0u32;
    while !stop.load(Ordering::SeqCst) {
        round += 1;
        // Distinct bytes per writer and round: each post its own image.
        let png = images::png(24 + n as u32, 24 + round / 256, (round % 256) as u8);
        let caption = format!("writer{n} image {round}");
        let (content_type, body) = upload_body(&png, &[("caption", &caption)]);
        let sent = Instant::now();
        let answer = send(addr, "/api/agent/post", key, &content_type, &body);
        let post = answer["postId"].as_str().unwrap().to_owned();
        ledger.lock().unwrap().push(Acked {
            writer: n,
            sent,
            answered: Instant::now(),
            write: Write::Post {
                id: post.clone(),
                png,
            },
        });

        let body = format!("writer{n} on round {round}");
        let json = json!({ "body": body }).to_string();
        let path = format!("/api/agent/posts/{post}/comments");
        let sent = Instant::now();
        let answer = send(addr, &path, key, "application/json", json.as_bytes());
        ledger.lock().unwrap().push(Acked {
            writer: n,
            sent,
            answered: Instant::now(),
            write: Write::Comment {
                post,
                id: answer["comment"]["id"].as_str().unwrap().to_owned(),
                body,
            },
        });
    }
}

/// Every comment on `post`: id → body; `None` when there is no such post.
fn comments(server: &Server, post: &str, key: &str) -> Option<HashMap<String, String>> {
    let mut all = HashMap::new();
    let mut cursor = String::new();
    loop {
        let page = server.get(
            &format!("/api/agent/posts/{post}/comments?limit=100{cursor}"),
            key,
        );
        if page.status == 404 {
            return None;
        }
        assert_eq!(page.status, 200, "{}", page.text());
        let page = crate::process::json(&page);
        for c in page["comments"].as_array().unwrap() {
            all.insert(
                c["id"].as_str().unwrap().to_owned(),
                c["body"].as_str().unwrap().to_owned(),
            );
        }
        match page["nextCursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => return Some(all),
        }
    }
}

struct StopOnDrop<'a>(&'a AtomicBool);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// `aispace restore` from `backup` into `data`, which must fail saying
/// `expected` and leave `data` as it was.
fn restore_is_refused(data: &Path, backup: &Path, expected: &str) {
    let before: Vec<_> = std::fs::read_dir(data)
        .map(|d| d.map(|e| e.unwrap().file_name()).collect())
        .unwrap_or_default();
    let out = aispace(data, None, &["restore", backup.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stderr(&out).contains(expected), "{}", stderr(&out));
    let after: Vec<_> = std::fs::read_dir(data)
        .map(|d| d.map(|e| e.unwrap().file_name()).collect())
        .unwrap_or_default();
    assert_eq!(
        before,
        after,
        "a refused restore wrote into {}",
        data.display()
    );
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn a_backup_taken_while_writing_restores_every_write_acknowledged_before_it() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    // A new installation, as `migrate` makes one.
    assert!(aispace(&data, None, &["migrate"]).status.success());
    let backup_dir = tmp.path().join("backup");
    let keys: Vec<String> = (0..WRITERS)
        .map(|n| agent_key(&data, None, &format!("writer{n}")))
        .collect();
    let server = Server::start_with(&data, None, &ENV);
    let addr = server.addr;

    let ledger = Mutex::new(Vec::new());
    let stop = AtomicBool::new(false);
    let (noted, backup_started, backup_finished, out) = std::thread::scope(|s| {
        let writers: Vec<_> = keys
            .iter()
            .enumerate()
            .map(|(n, key)| {
                let (ledger, stop) = (&ledger, &stop);
                s.spawn(move || writer(n, key, addr, ledger, stop))
            })
            .collect();
        // A failed assertion here must still stop the writers, or the
        // scope would wait for them forever.
        let stopper = StopOnDrop(&stop);
        let deadline = Instant::now() + Duration::from_secs(60);
        while ledger.lock().unwrap().len() < 2 * POSTS_BEFORE {
            assert!(Instant::now() < deadline, "the writers are stuck");
            std::thread::sleep(Duration::from_millis(10));
        }
        let noted = ledger.lock().unwrap().len();
        let backup_started = Instant::now();
        let out = aispace(&data, None, &["backup", backup_dir.to_str().unwrap()]);
        let backup_finished = Instant::now();
        // Writes sent after the backup, which it must not hold.
        std::thread::sleep(Duration::from_millis(300));
        drop(stopper);
        for w in writers {
            w.join().unwrap();
        }
        (noted, backup_started, backup_finished, out)
    });
    let (status, _) = server.terminate();
    assert!(status.success());
    assert!(out.status.success(), "backup failed: {}", stderr(&out));
    eprintln!("{}", stdout(&out).trim());

    let ledger = ledger.into_inner().unwrap();
    let during = ledger
        .iter()
        .filter(|a| a.answered > backup_started && a.sent < backup_finished)
        .collect::<Vec<_>>();
    let slowest = during
        .iter()
        .map(|a| a.answered - a.sent)
        .max()
        .unwrap_or_default();
    assert!(
        !during.is_empty(),
        "no write was answered while the backup ran: it held the writers up"
    );
    let after: Vec<&Acked> = ledger.iter().filter(|a| a.sent > backup_finished).collect();
    assert!(!after.is_empty(), "no write was sent after the backup");
    eprintln!(
        "backup took {:?} while {} writes were answered (slowest {slowest:?}); {noted} \
         writes acknowledged before it, {} sent after it",
        backup_finished - backup_started,
        during.len(),
        after.len()
    );

    // The snapshot, the images, the secret and the manifest; nothing of
    // SQLite's own (a `-wal` beside the copy would hold part of it).
    let mut names: Vec<String> = std::fs::read_dir(&backup_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["MANIFEST", "aispace.db", "images", "secret.key"]);

    // The backup is finished: another one into it is refused.
    let again = aispace(&data, None, &["backup", backup_dir.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(1));
    assert!(stderr(&again).contains("not empty"), "{}", stderr(&again));

    // Storage with backup tools of its own is sent to them.
    for (name, value) in [
        ("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test"),
        ("AISPACE_BLOB_URL", "s3://aispace-media/prod"),
    ] {
        let target = tmp.path().join("elsewhere");
        let out = aispace_overriding(
            &data,
            None,
            &[(name, value)],
            &["backup", target.to_str().unwrap()],
        );
        assert_eq!(out.status.code(), Some(1));
        assert!(
            stderr(&out).contains("docs/deployment.md") && stderr(&out).contains(name),
            "{}",
            stderr(&out)
        );
        assert!(!target.exists());
    }

    // Only an empty data directory is restored into.
    restore_is_refused(&data, &backup_dir, "not empty");

    // A backup without its manifest did not finish.
    let unfinished = tmp.path().join("unfinished");
    copy_dir(&backup_dir, &unfinished);
    std::fs::remove_file(unfinished.join("MANIFEST")).unwrap();
    restore_is_refused(&tmp.path().join("r1"), &unfinished, "did not finish");

    // One byte changed in one image.
    let damaged = tmp.path().join("damaged");
    copy_dir(&backup_dir, &damaged);
    let raw = damaged.join("images/raw");
    let image = std::fs::read_dir(&raw)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let mut bytes = std::fs::read(&image).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x40;
    std::fs::write(&image, bytes).unwrap();
    restore_is_refused(&tmp.path().join("r2"), &damaged, "damaged");

    // Restored into a new data directory, the database is intact.
    let restored = tmp.path().join("restored");
    let out = aispace(&restored, None, &["restore", backup_dir.to_str().unwrap()]);
    assert!(out.status.success(), "restore failed: {}", stderr(&out));
    eprintln!("{}", stdout(&out).trim());
    integrity_check(&restored.join("aispace.db")).unwrap();
    assert_eq!(
        std::fs::read(restored.join("secret.key")).unwrap(),
        std::fs::read(data.join("secret.key")).unwrap(),
        "the server secret came along"
    );

    let server = Server::start_with(&restored, None, &ENV);
    let mut listed: HashMap<String, Option<HashMap<String, String>>> = HashMap::new();
    let mut comments_of = |post: &str, key: &str| {
        listed
            .entry(post.to_owned())
            .or_insert_with(|| comments(&server, post, key))
            .clone()
    };

    // Every write acknowledged before the backup started is there.
    for acked in &ledger[..noted] {
        let key = &keys[acked.writer];
        match &acked.write {
            Write::Post { id, png } => {
                let item = server.get(&format!("/api/agent/posts/{id}"), key);
                assert_eq!(item.status, 200, "post {id} lost: {}", item.text());
                let item = crate::process::json(&item);
                let url = item["media"][0]["url"].as_str().unwrap();
                let image = server.get_published(url);
                assert_eq!(image.status, 200, "{url}");
                assert!(image.body == *png, "post {id}: {url} is not its image");
            }
            Write::Comment { post, id, body } => {
                let found = comments_of(post, key).unwrap_or_default();
                assert_eq!(found.get(id), Some(body), "comment {id} on {post} was lost");
            }
        }
    }

    // Nothing sent after the backup finished is there.
    for acked in &after {
        let key = &keys[acked.writer];
        match &acked.write {
            Write::Post { id, .. } => {
                let item = server.get(&format!("/api/agent/posts/{id}"), key);
                assert_eq!(item.status, 404, "post {id} is from after the backup");
            }
            Write::Comment { post, id, .. } => {
                assert!(
                    !comments_of(post, key).is_some_and(|c| c.contains_key(id)),
                    "comment {id} is from after the backup"
                );
            }
        }
    }

    // One instant of every table: each post's count is its comments.
    let posts: Vec<&String> = ledger
        .iter()
        .filter_map(|a| match &a.write {
            Write::Post { id, .. } => Some(id),
            Write::Comment { .. } => None,
        })
        .collect();
    let mut restored_posts = 0;
    for id in posts {
        let item = server.get(&format!("/api/agent/posts/{id}"), &keys[0]);
        if item.status == 404 {
            continue;
        }
        restored_posts += 1;
        let item = crate::process::json(&item);
        let count = comments_of(id, &keys[0]).unwrap_or_default().len();
        assert_eq!(item["stats"]["comments"], count, "post {id}");
    }
    assert!(restored_posts >= POSTS_BEFORE);
    eprintln!(
        "restored {restored_posts} of {} posts; every acknowledged one of before the backup",
        ledger
            .iter()
            .filter(|a| matches!(a.write, Write::Post { .. }))
            .count()
    );
    let (status, _) = server.terminate();
    assert!(status.success());
}
