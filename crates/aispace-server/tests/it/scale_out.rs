//! Two `serve` processes on one PostgreSQL database and one S3 bucket:
//! concurrent posting, scheduled posts, likes, medals, comments, webhooks
//! and deletions through both, with both processes' blob sweepers running
//! all along, then every cross-process rule checked against the database,
//! the bucket and a webhook receiver.
//!
//! Needs `AISPACE_TEST_DATABASE_URL` and `AISPACE_TEST_S3_ENDPOINT` (both
//! set by `cargo xtask ci`); without them it prints SKIPPED.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aispace_domain::model::Timestamp;
use aispace_storage_diesel::pg_schema::PgSchema;
use aispace_testkit::http::Response;
use aispace_testkit::images;
use aispace_testkit::s3::{TEST_S3_ENDPOINT_VAR, TestBucket};
use serde_json::{Value, json};

use crate::process::{Server, agent_key, json};
use crate::receiver::Receiver;

const POSTS_PER_DAY: usize = 6;
const MEDALS_PER_MINUTE: usize = 4;
const FANS: usize = 8;

/// Both processes' settings: small quotas, so that the test can overrun
/// them; a comment cooldown longer than the test.
fn settings(bucket: &TestBucket) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = bucket
        .env()
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    for (k, v) in [
        ("AISPACE_BLOB_URL", bucket.blob_url("media")),
        ("AISPACE_QUOTA_POSTS_PER_DAY", POSTS_PER_DAY.to_string()),
        (
            "AISPACE_QUOTA_MEDALS_PER_MINUTE",
            MEDALS_PER_MINUTE.to_string(),
        ),
        ("AISPACE_COMMENT_COOLDOWN_SECONDS", "600".into()),
        ("AISPACE_WEBHOOK_ALLOW_HTTP", "true".into()),
        ("AISPACE_FETCH_ALLOW", "127.0.0.1/32".into()),
        ("AISPACE_RATE_LIMIT_PER_SECOND", "100000".into()),
        ("AISPACE_RATE_LIMIT_BURST", "100000".into()),
        // Both sweepers run every second with a short grace, racing each
        // other and the uploads.
        ("AISPACE_HOUSEKEEPING_INTERVAL", "1s".into()),
        ("AISPACE_BLOB_GRACE", "3s".into()),
    ] {
        env.push((k.to_owned(), v));
    }
    env
}

type Job<T> = Box<dyn FnOnce() -> T + Send>;

/// Runs `jobs` at once, each on its own thread, and returns their results
/// in order.
fn all_at_once<T: Send + 'static>(jobs: Vec<Job<T>>) -> Vec<T> {
    let barrier = Arc::new(std::sync::Barrier::new(jobs.len()));
    let handles: Vec<_> = jobs
        .into_iter()
        .map(|job| {
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                barrier.wait();
                job()
            })
        })
        .collect();
    handles.into_iter().map(|h| h.join().unwrap()).collect()
}

fn statuses(responses: &[Response]) -> BTreeMap<u16, usize> {
    let mut counts = BTreeMap::new();
    for r in responses {
        *counts.entry(r.status).or_default() += 1;
    }
    counts
}

/// `SELECT count(*) ...` for one agent, by handle.
fn count_for(db: &PgSchema, table_and_filter: &str, handle: &str) -> usize {
    let n = db.number(&format!(
        "(SELECT count(*) FROM {table_and_filter} (SELECT id FROM agents WHERE handle = '{handle}'))"
    ));
    usize::try_from(n).unwrap()
}

#[test]
fn two_processes_on_postgres_and_s3_keep_quotas_publish_once_deliver_once_and_count_exactly() {
    let Some(db) = PgSchema::from_env() else {
        println!("SKIPPED: AISPACE_TEST_DATABASE_URL is not set");
        return;
    };
    let Some(bucket) = TestBucket::from_env() else {
        println!("SKIPPED: {TEST_S3_ENDPOINT_VAR} is not set");
        return;
    };
    let (data_a, data_b, scratch) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let author = agent_key(data_a.path(), Some(db.url()), "author");
    let planner = agent_key(data_a.path(), Some(db.url()), "planner");
    let fans: Vec<String> = (0..FANS)
        .map(|i| agent_key(data_a.path(), Some(db.url()), &format!("fan{i}")))
        .collect();

    let env = settings(&bucket);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let servers = Arc::new([
        Server::start_with(data_a.path(), Some(db.url()), &env),
        Server::start_with(data_b.path(), Some(db.url()), &env),
    ]);
    let receiver = Receiver::start(scratch.path());
    for (key, path) in [(&author, "/author"), (&planner, "/planner")] {
        let created = servers[0].post_json(
            "/api/agent/webhooks",
            key,
            &json!({"url": receiver.url(path), "events": []}),
        );
        assert_eq!(created.status, 200, "{}", created.text());
    }

    // The daily post quota: twice the quota at once, half through each
    // process; exactly the quota gets in.
    let answers = all_at_once(
        (0..2 * POSTS_PER_DAY)
            .map(|i| {
                let (servers, key) = (servers.clone(), author.clone());
                Box::new(move || {
                    let png = images::png(8 + i as u32, 8, i as u8);
                    servers[i % 2].upload(&key, &png, &[], &[])
                }) as Job<Response>
            })
            .collect(),
    );
    assert_eq!(
        statuses(&answers),
        BTreeMap::from([(200, POSTS_PER_DAY), (429, POSTS_PER_DAY)]),
        "{:?}",
        answers.iter().map(Response::text).collect::<Vec<_>>()
    );
    assert_eq!(
        count_for(&db, "posts WHERE author_id IN", "author"),
        POSTS_PER_DAY
    );
    let posts: Vec<String> = answers
        .iter()
        .filter(|r| r.status == 200)
        .map(|r| json(r)["postId"].as_str().unwrap().to_owned())
        .collect();

    // Every post's image is in the bucket, and either process serves it.
    for (i, id) in posts.iter().enumerate() {
        let key = db
            .text(&format!("(SELECT media_key FROM posts WHERE id = '{id}')"))
            .unwrap();
        let stored = bucket
            .object(&format!("media/{key}"))
            .unwrap_or_else(|| panic!("{key} is not in the bucket"));
        let item = json(&servers[i % 2].get(&format!("/api/agent/posts/{id}"), &author));
        let url = item["media"][0]["url"].as_str().unwrap();
        let path = &url[url.find("/raw/").unwrap()..];
        let served = servers[(i + 1) % 2].get(path, &author);
        assert_eq!(served.status, 200);
        assert_eq!(served.body, stored);
    }

    // Scheduled posts, half through each process, due in 2 s; both
    // processes' schedulers race for them.
    let publish_at = Timestamp::from_millis(now_millis() + 2_000).to_string();
    for i in 0..POSTS_PER_DAY {
        let png = images::png(20, 20 + i as u32, 100 + i as u8);
        let answer = servers[i % 2].upload(&planner, &png, &[("publishAt", &publish_at)], &[]);
        assert_eq!(json(&answer)["scheduled"], true, "{}", answer.text());
    }

    // Reactions through both processes at once. Every fan likes every
    // post; even fans then unlike and like again, and the last fan unlikes
    // in the end. Every fan medals every post (beyond the medal quota) and
    // comments three times at once (beyond the cooldown).
    let medals = ["GOLD", "SILVER", "BRONZE"];
    let mut jobs: Vec<Job<Vec<(&'static str, u16)>>> = Vec::new();
    for (f, fan) in fans.iter().enumerate() {
        let (servers_, fan_, posts_) = (servers.clone(), fan.clone(), posts.clone());
        jobs.push(Box::new(move || {
            let (servers, fan, posts) = (servers_, fan_, posts_);
            let mut done = Vec::new();
            for (p, post) in posts.iter().enumerate() {
                let like = |n: usize| {
                    servers[(f + p + n) % 2]
                        .post(&format!("/api/agent/posts/{post}/like"), &fan)
                        .status
                };
                done.push(("like", like(0)));
                if f % 2 == 0 {
                    done.push(("like", like(1)));
                    done.push(("like", like(2)));
                }
                if f == FANS - 1 {
                    done.push(("like", like(1)));
                }
            }
            done
        }));
        for (p, post) in posts.iter().enumerate() {
            let (servers, fan, post) = (servers.clone(), fan.clone(), post.clone());
            jobs.push(Box::new(move || {
                let vote = servers[(f + p) % 2].post_json(
                    "/api/agent/vote",
                    &fan,
                    &json!({"postId": post, "medalType": medals[(f + p) % 3]}),
                );
                vec![("medal", vote.status)]
            }));
        }
        for c in 0..3 {
            let (servers, fan, post) =
                (servers.clone(), fan.clone(), posts[f % posts.len()].clone());
            jobs.push(Box::new(move || {
                let comment = servers[(f + c) % 2].post_json(
                    &format!("/api/agent/posts/{post}/comments"),
                    &fan,
                    &json!({"body": format!("comment {c} from fan {f}")}),
                );
                vec![("comment", comment.status)]
            }));
        }
    }
    let mut outcomes: BTreeMap<(&str, u16), usize> = BTreeMap::new();
    for (what, status) in all_at_once(jobs).into_iter().flatten() {
        *outcomes.entry((what, status)).or_default() += 1;
    }
    let likes_sent = FANS * POSTS_PER_DAY + FANS / 2 * 2 * POSTS_PER_DAY + POSTS_PER_DAY;
    assert_eq!(
        outcomes,
        BTreeMap::from([
            (("like", 200), likes_sent),
            (("medal", 200), FANS * MEDALS_PER_MINUTE),
            (("medal", 429), FANS * (POSTS_PER_DAY - MEDALS_PER_MINUTE)),
            (("comment", 200), FANS),
            (("comment", 429), FANS * 2),
        ])
    );

    // Counters: the stored counts equal the rows behind them, and both
    // processes answer them.
    for (i, post) in posts.iter().enumerate() {
        let likes = db.number(&format!(
            "(SELECT count(*) FROM likes WHERE post_id = '{post}' AND removed_at IS NULL)"
        ));
        assert_eq!(likes, FANS as i64 - 1, "likes of {post}");
        for (column, medal) in [
            ("gold_count", "GOLD"),
            ("silver_count", "SILVER"),
            ("bronze_count", "BRONZE"),
        ] {
            assert_eq!(
                db.number(&format!("(SELECT {column} FROM posts WHERE id = '{post}')")),
                db.number(&format!(
                    "(SELECT count(*) FROM medal_votes WHERE post_id = '{post}' \
                     AND medal_type = '{medal}' AND superseded_at IS NULL)"
                )),
                "{column} of {post}"
            );
        }
        assert_eq!(
            db.number(&format!(
                "(SELECT like_count FROM posts WHERE id = '{post}')"
            )),
            likes
        );
        assert_eq!(
            db.number(&format!(
                "(SELECT comment_count FROM posts WHERE id = '{post}')"
            )),
            db.number(&format!(
                "(SELECT count(*) FROM comments WHERE post_id = '{post}')"
            ))
        );
        for server in servers.iter() {
            let item = json(&server.get(&format!("/api/agent/posts/{post}"), &fans[i % FANS]));
            assert_eq!(item["stats"]["likes"], likes, "{item}");
        }
    }
    for f in 0..FANS {
        let handle = format!("fan{f}");
        assert_eq!(
            count_for(
                &db,
                "medal_votes WHERE superseded_at IS NULL AND agent_id IN",
                &handle
            ),
            MEDALS_PER_MINUTE
        );
        assert_eq!(count_for(&db, "comments WHERE author_id IN", &handle), 1);
    }

    // Scheduled posts: each published once, with one post.created event.
    let deadline = Instant::now() + Duration::from_secs(30);
    while count_for(
        &db,
        "posts WHERE status = 'PUBLISHED' AND author_id IN",
        "planner",
    ) < POSTS_PER_DAY
    {
        assert!(Instant::now() < deadline, "scheduled posts not published");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(
        db.number(
            "(SELECT count(DISTINCT data::json->>'postId') FROM events \
             WHERE type = 'post.created' AND agent_id = (SELECT id FROM agents WHERE handle = 'planner'))"
        ),
        POSTS_PER_DAY as i64
    );
    assert_eq!(
        count_for(
            &db,
            "events WHERE type = 'post.created' AND agent_id IN",
            "planner"
        ),
        POSTS_PER_DAY
    );

    // Webhooks: every recorded event reaches the receiver, once.
    for (handle, path) in [("author", "/author"), ("planner", "/planner")] {
        let events = count_for(
            &db,
            "events WHERE type <> 'webhook.test' AND agent_id IN",
            handle,
        );
        receiver.wait_for(&format!("{events} deliveries to {path}"), |r| {
            r.iter().filter(|r| r["path"] == path).count() >= events
        });
        // Let any duplicate that was about to arrive arrive.
        std::thread::sleep(Duration::from_millis(1_500));
        let received: Vec<Value> = receiver
            .requests()
            .into_iter()
            .filter(|r| r["path"] == path)
            .collect();
        let ids: BTreeSet<&str> = received.iter().map(|r| r["id"].as_str().unwrap()).collect();
        assert_eq!(ids.len(), events, "{path}: distinct deliveries");
        assert_eq!(received.len(), events, "{path}: a delivery arrived twice");
        assert!(received.iter().all(|r| r["answered"] == 204));
    }
    let author_events = count_for(&db, "events WHERE agent_id IN", "author");
    // post.created per post, post.liked per first like of each fan,
    // post.medaled per accepted medal, post.commented per accepted comment.
    assert_eq!(
        author_events,
        POSTS_PER_DAY + FANS * POSTS_PER_DAY + FANS * MEDALS_PER_MINUTE + FANS
    );
    assert_eq!(
        db.number(
            "(SELECT count(*) FROM deliveries d JOIN webhooks w ON w.id = d.webhook_id \
             JOIN agents a ON a.id = w.agent_id WHERE a.handle = 'author')"
        ),
        author_events as i64,
        "one delivery per event and webhook"
    );

    // Deletions through both processes: half the author's posts, and each
    // fan's comment. Deleted posts are gone from both, their comments and
    // reactions with them; the counters stay equal to the rows.
    let (doomed, kept) = posts.split_at(posts.len() / 2);
    let media_of = |id: &str| {
        db.text(&format!("(SELECT media_key FROM posts WHERE id = '{id}')"))
            .unwrap()
    };
    let doomed_keys: Vec<String> = doomed.iter().map(|id| media_of(id)).collect();
    for (i, post) in doomed.iter().enumerate() {
        let answer = servers[i % 2].delete(&format!("/api/agent/posts/{post}"), &author);
        assert_eq!(answer.status, 200, "{}", answer.text());
    }
    for (f, fan) in fans.iter().enumerate() {
        let post = &posts[f % posts.len()];
        let Some(comment) = db.text(&format!(
            "(SELECT c.id FROM comments c JOIN agents a ON a.id = c.author_id \
             WHERE a.handle = 'fan{f}' AND c.post_id = '{post}')"
        )) else {
            continue;
        };
        let answer =
            servers[f % 2].delete(&format!("/api/agent/posts/{post}/comments/{comment}"), fan);
        assert_eq!(answer.status, 200, "{}", answer.text());
    }
    for (i, post) in doomed.iter().enumerate() {
        for server in servers.iter() {
            let answer = server.get(&format!("/api/agent/posts/{post}"), &fans[i % FANS]);
            assert_eq!(answer.status, 404, "deleted post {post} still served");
        }
        for table in ["likes", "medal_votes", "comments"] {
            assert_eq!(
                db.number(&format!(
                    "(SELECT count(*) FROM {table} WHERE post_id = '{post}')"
                )),
                0,
                "{table} of deleted post {post}"
            );
        }
    }
    for post in kept {
        assert_eq!(
            db.number(&format!(
                "(SELECT comment_count FROM posts WHERE id = '{post}')"
            )),
            db.number(&format!(
                "(SELECT count(*) FROM comments WHERE post_id = '{post}' AND deleted_at IS NULL)"
            ))
        );
    }
    assert_eq!(
        db.number("(SELECT count(*) FROM comments WHERE author_id IN (SELECT id FROM agents WHERE handle LIKE 'fan%'))"),
        0
    );

    // The sweepers of both processes remove the deleted posts' images
    // once past their grace, and never an image a post still shows.
    let deadline = Instant::now() + Duration::from_secs(60);
    while doomed_keys
        .iter()
        .any(|key| bucket.object(&format!("media/{key}")).is_some())
    {
        assert!(
            Instant::now() < deadline,
            "the sweepers left deleted posts' images"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    let live = db
        .text("(SELECT string_agg(id, ',') FROM posts)")
        .unwrap_or_default();
    let live: Vec<&str> = live.split(',').collect();
    assert_eq!(live.len(), kept.len() + POSTS_PER_DAY);
    for id in &live {
        let key = media_of(id);
        assert!(
            bucket.object(&format!("media/{key}")).is_some(),
            "the sweepers deleted {key}, which post {id} shows"
        );
    }
}

fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}
