//! Migrations on databases that already hold data: a database in the shape
//! of the previous release, filled with raw SQL as that release wrote it,
//! upgraded by `migrate`, then read back through the ports (everything
//! there and unchanged, and the new features working on the old rows);
//! the newest migration's down.sql taking a database back; and several
//! processes starting at once on one PostgreSQL database. SQLite always,
//! PostgreSQL when `AISPACE_TEST_DATABASE_URL` is set.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

use std::path::Path;
use std::sync::Barrier;
use std::sync::atomic::{AtomicU64, Ordering};

use aispace_domain::model::{
    BlobKey, Caption, Comment, CommentBody, DeliveryStatus, EventType, Id, ImageType, ImageUrl,
    KeyPrefix, MAX_COMMENT_DEPTH, MedalCounts, MedalType, MediaSource, PendingEvent, Post,
    PostContent, PostKind, PostKinds, PostStats, PostStatus, QuotaWindows, Score, Tags,
    TextContent, VoteDirection, VoteIntent, VoteTarget,
};
use aispace_domain::ports::{
    CommentOutcome, FeedFilter, FeedStore, PostQuotaRule, PostStore, RankedOrder, RootPage,
    Storage, UpDownOutcome, UpDownVote, WindowRule,
};
use aispace_storage_diesel::pg_schema::PgSchema;
use aispace_storage_diesel::{DatabaseUrl, DieselStore, PoolOptions};
use diesel::connection::SimpleConnection;
use diesel::dsl::sql;
use diesel::migration::MigrationSource;
use diesel::pg::{Pg, PgConnection};
use diesel::sql_types::{BigInt, Text};
use diesel::sqlite::{Sqlite, SqliteConnection};
use diesel::{Connection, RunQueryDsl};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use common::{agent, at, id};

mod common;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");

/// The last migration of the release before the content model.
const BEFORE_CONTENT_MODEL: &str = "2026-11-23-000004_webhooks";
/// The content model's migration.
const CONTENT_MODEL: &str = "2026-12-03-000005_one_content_model";

/// How many migrations come after `name` (in each dialect alike).
fn migrations_after(name: &str) -> usize {
    let mut all: Vec<String> =
        MigrationSource::<diesel::sqlite::Sqlite>::migrations(&SQLITE_MIGRATIONS)
            .unwrap()
            .iter()
            .map(|m| m.name().to_string())
            .collect();
    all.sort();
    all.iter().filter(|m| m.as_str() > name).count()
}

fn digits(s: &str) -> String {
    s.chars()
        .take_while(|c| *c != '_')
        .filter(char::is_ascii_digit)
        .collect()
}

/// Reverts every migration after the content model, then the content
/// model; stops at the first that fails.
fn revert_content_model<DB, C>(conn: &mut C, source: fn() -> EmbeddedMigrations) -> bool
where
    DB: diesel::backend::Backend,
    C: MigrationHarness<DB>,
    EmbeddedMigrations: MigrationSource<DB>,
{
    loop {
        match conn.revert_last_migration(source()) {
            // A version is the name's leading date and number.
            Ok(reverted) if digits(CONTENT_MODEL).starts_with(&digits(&reverted.to_string())) => {
                return true;
            }
            Ok(_) => continue,
            Err(err) => {
                eprintln!("revert stopped: {err}");
                return false;
            }
        }
    }
}

/// Runs the migrations in order up to and including `last`.
fn migrate_until<DB, C>(conn: &mut C, source: EmbeddedMigrations, last: &str)
where
    DB: diesel::backend::Backend,
    C: MigrationHarness<DB>,
    EmbeddedMigrations: MigrationSource<DB>,
{
    // Creates Diesel's table of applied migrations, as `migrate` would.
    assert_eq!(conn.applied_migrations().unwrap(), []);
    let mut all = MigrationSource::<DB>::migrations(&source).unwrap();
    all.sort_by_key(|m| m.name().to_string());
    assert!(all.iter().any(|m| m.name().to_string() == last), "{last}");
    for migration in all {
        conn.run_migration(&*migration).unwrap();
        if migration.name().to_string() == last {
            break;
        }
    }
}

/// A SQLite connection as the store opens them: foreign keys enforced.
fn sqlite_connection(path: &Path) -> SqliteConnection {
    let mut conn = SqliteConnection::establish(&path.to_string_lossy()).unwrap();
    conn.batch_execute("PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;")
        .unwrap();
    conn
}

fn sqlite_store(path: &Path) -> DieselStore {
    DieselStore::open(
        &DatabaseUrl::Sqlite(path.to_owned()),
        PoolOptions::default(),
    )
    .unwrap()
}

fn pg_store(schema: &PgSchema) -> DieselStore {
    let options = PoolOptions {
        max_size: 2,
        ..PoolOptions::default()
    };
    DieselStore::open(&DatabaseUrl::parse(schema.url()).unwrap(), options).unwrap()
}

/// SQLite's `PRAGMA foreign_key_check` finds nothing and
/// `PRAGMA integrity_check` says ok.
fn assert_sqlite_sound(path: &Path) {
    let mut conn = sqlite_connection(path);
    let broken: i64 = diesel::select(sql::<BigInt>(
        "(SELECT COUNT(*) FROM pragma_foreign_key_check())",
    ))
    .get_result(&mut conn)
    .unwrap();
    assert_eq!(broken, 0, "rows whose parent is missing");
    let integrity: String = diesel::select(sql::<Text>(
        "(SELECT group_concat(integrity_check, '; ') FROM pragma_integrity_check())",
    ))
    .get_result(&mut conn)
    .unwrap();
    assert_eq!(integrity, "ok");
}

fn sqlite_number(path: &Path, expr: &str) -> i64 {
    let mut conn = sqlite_connection(path);
    diesel::select(sql::<BigInt>(expr))
        .get_result(&mut conn)
        .unwrap_or_else(|e| panic!("{expr}: {e}"))
}

// ---------------------------------------------------------------------------
// The previous release's rows

/// A byte string literal of `byte` repeated `n` times, in the dialect.
type BlobLiteral = fn(u8, usize) -> String;

fn sqlite_blob(byte: u8, n: usize) -> String {
    format!("x'{}'", format!("{byte:02x}").repeat(n))
}

fn pg_blob(byte: u8, n: usize) -> String {
    format!("decode('{}', 'hex')", format!("{byte:02x}").repeat(n))
}

fn ms(offset: i64) -> i64 {
    at(offset).as_millis()
}

/// The ids of the rows `old_rows` writes.
struct Old;

impl Old {
    fn author() -> Id {
        id(1)
    }
    fn judge() -> Id {
        id(2)
    }
    fn reader() -> Id {
        id(3)
    }
    fn blob_post() -> Id {
        id(101)
    }
    fn external_post() -> Id {
        id(102)
    }
    fn scheduled_post() -> Id {
        id(103)
    }
    fn first_comment() -> Id {
        id(201)
    }
    fn second_comment() -> Id {
        id(202)
    }
    fn webhook() -> Id {
        id(301)
    }
    fn disabled_webhook() -> Id {
        id(302)
    }
    fn liked_event() -> Id {
        id(401)
    }
    fn commented_event() -> Id {
        id(402)
    }
}

const BLOB_KEY: &str = "raw/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.png";

/// Agents, keys, quota entries, posts (stored, external, scheduled), tags,
/// an idempotency key, likes (one taken back), medal votes (one superseded,
/// one a judge's verdict), comments, webhooks, events, deliveries and an
/// attempt, as the previous release wrote them, counters included.
fn old_rows(blob: BlobLiteral) -> String {
    let (a1, a2, a3) = (Old::author(), Old::judge(), Old::reader());
    let (p1, p2, p3) = (
        Old::blob_post(),
        Old::external_post(),
        Old::scheduled_post(),
    );
    let (c1, c2) = (Old::first_comment(), Old::second_comment());
    let (w1, w2) = (Old::webhook(), Old::disabled_webhook());
    let (e1, e2) = (Old::liked_event(), Old::commented_event());
    format!(
        "
INSERT INTO agents (id, handle, name, bio, avatar_url, status, trust_tier, is_verified_judge,
                    judge_specialty, created_at, write_seq)
VALUES ('{a1}', 'author', 'The Author', 'I post', 'https://example.com/a.png', 'ACTIVE', 0,
        FALSE, NULL, {t0}, 3),
       ('{a2}', 'judge', 'The Judge', NULL, NULL, 'ACTIVE', 2, TRUE, 'composition', {t0}, 4),
       ('{a3}', 'reader', 'The Reader', NULL, NULL, 'SUSPENDED', 0, FALSE, NULL, {t0}, 5);
INSERT INTO agent_keys (prefix, agent_id, secret_hash, created_at, last_used_at, expires_at,
                        revoked_at)
VALUES ('asp_oldkey01', '{a1}', {h1}, {t0}, {t1}, NULL, NULL),
       ('asp_oldkey02', '{a2}', {h2}, {t0}, NULL, {t9}, NULL),
       ('asp_oldkey03', '{a3}', {h3}, {t0}, NULL, NULL, {t1});
INSERT INTO quota_events (agent_id, action, at)
VALUES ('{a1}', 'post', {t1}), ('{a1}', 'post', {t2}), ('{a1}', 'post', {t3}),
       ('{a2}', 'medal', {t5}), ('{a3}', 'medal', {t4}), ('{a3}', 'medal', {t5}),
       ('{a2}', 'comment', {t6}), ('{a3}', 'comment', {t7});
INSERT INTO posts (id, author_id, caption, tags, media_id, media_kind, media_key, media_url,
                   media_type, media_bytes, width, height, status, created_at, publish_at,
                   published_at, like_count, comment_count, gold_count, silver_count,
                   bronze_count, verdict_medal, verdict_reason, verdict_judge, verdict_at)
VALUES ('{p1}', '{a1}', 'first #cats', 'cats dogs', '{m1}', 'BLOB', '{key}', NULL, 'png', 1234,
        1024, 768, 'PUBLISHED', {t1}, {t1}, {t1}, 1, 2, 1, 0, 1, 'GOLD', 'crisp', 'judge-v1',
        {t5}),
       ('{p2}', '{a1}', '', '', '{m2}', 'EXTERNAL', NULL, 'https://example.com/old.png', NULL,
        NULL, NULL, NULL, 'PUBLISHED', {t2}, {t2}, {t2}, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL),
       ('{p3}', '{a1}', 'later', 'cats', '{m3}', 'BLOB', '{key}', NULL, 'png', 1234, 10, 20,
        'SCHEDULED', {t3}, {t8}, NULL, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL);
INSERT INTO post_tags (tag, post_id, published_at)
VALUES ('cats', '{p1}', {t1}), ('dogs', '{p1}', {t1}), ('cats', '{p3}', NULL);
INSERT INTO idempotency_keys (agent_id, key, fingerprint, post_id, created_at)
VALUES ('{a1}', 'retry-1', {fp}, '{p1}', {t1});
INSERT INTO likes (post_id, agent_id, created_at, removed_at)
VALUES ('{p1}', '{a3}', {t3}, {t4}), ('{p1}', '{a2}', {t4}, NULL);
INSERT INTO medal_votes (post_id, agent_id, medal_type, reason, created_at, superseded_at)
VALUES ('{p1}', '{a3}', 'SILVER', NULL, {t4}, {t5}),
       ('{p1}', '{a3}', 'BRONZE', NULL, {t5}, NULL),
       ('{p1}', '{a2}', 'GOLD', 'crisp', {t5}, NULL);
INSERT INTO comments (id, post_id, author_id, body, created_at)
VALUES ('{c1}', '{p1}', '{a2}', 'Lovely light.', {t6}),
       ('{c2}', '{p1}', '{a3}', 'Agreed', {t7});
INSERT INTO webhooks (id, agent_id, url, events, secret, previous_secret, previous_secret_until,
                      active, disabled_reason, created_at)
VALUES ('{w1}', '{a1}', 'https://hooks.example.com/a', '', 'whsec_new', 'whsec_old', {t9}, TRUE,
        NULL, {t1}),
       ('{w2}', '{a1}', 'https://hooks.example.com/b', 'post.liked post.created', 'whsec_b',
        NULL, NULL, FALSE, 'failed 10 attempts', {t2});
INSERT INTO events (id, agent_id, type, data, created_at)
VALUES ('{e1}', '{a1}', 'post.liked', '{{\"postId\":\"{p1}\"}}', {t4}),
       ('{e2}', '{a1}', 'post.commented', '{{\"postId\":\"{p1}\",\"n\":2}}', {t7});
INSERT INTO deliveries (event_id, webhook_id, status, attempts, next_attempt_at, lease_until,
                        created_at)
VALUES ('{e1}', '{w1}', 'DELIVERED', 1, {t4}, NULL, {t4}),
       ('{e2}', '{w1}', 'PENDING', 0, {t7}, NULL, {t7});
INSERT INTO delivery_attempts (delivery_id, at, status_code, latency_ms, error)
SELECT id, {t4}, 200, 12, NULL FROM deliveries WHERE event_id = '{e1}';
",
        m1 = id(501),
        m2 = id(502),
        m3 = id(503),
        key = BLOB_KEY,
        h1 = blob(1, 32),
        h2 = blob(2, 32),
        h3 = blob(3, 32),
        fp = blob(9, 32),
        t0 = ms(0),
        t1 = ms(1_000),
        t2 = ms(2_000),
        t3 = ms(3_000),
        t4 = ms(4_000),
        t5 = ms(5_000),
        t6 = ms(6_000),
        t7 = ms(7_000),
        t8 = ms(8_000),
        t9 = ms(90_000_000),
    )
}

/// An event to hand to an action, with an id never handed out before.
fn pending(kind: EventType) -> PendingEvent {
    static NEXT: AtomicU64 = AtomicU64::new(1 << 40);
    PendingEvent {
        id: Id::from_parts(NEXT.fetch_add(1, Ordering::SeqCst), [0xee; 10]),
        kind,
        data: "{}".into(),
    }
}

/// Everything `old_rows` wrote, read back through the ports, unchanged;
/// then the new features on those rows.
fn old_rows_read_back_unchanged(store: &dyn Storage) {
    let (a1, a2, a3) = (Old::author(), Old::judge(), Old::reader());

    let agents = store.list_agents().unwrap();
    assert_eq!(agents.len(), 3);
    let judge = store.agent_by_id(&a2).unwrap().unwrap();
    assert!(judge.is_verified_judge);
    assert_eq!(judge.trust_tier, 2);
    assert_eq!(judge.judge_specialty.unwrap().as_str(), "composition");
    let author = store.agent_by_id(&a1).unwrap().unwrap();
    assert_eq!(author.bio.unwrap().as_str(), "I post");
    assert_eq!(
        store.agent_by_id(&a3).unwrap().unwrap().status.as_str(),
        "SUSPENDED"
    );

    let key = store
        .credential(&KeyPrefix::parse("asp_oldkey01").unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(key.agent.id, a1);
    assert_eq!(key.key.secret_hash.as_bytes(), &[1u8; 32]);
    assert_eq!(key.key.last_used_at, Some(at(1_000)));
    let revoked = store
        .credential(&KeyPrefix::parse("asp_oldkey03").unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(revoked.key.revoked_at, Some(at(1_000)));
    assert_eq!(
        store.keys_of_agent(&a2).unwrap()[0].expires_at,
        Some(at(90_000_000))
    );

    let windows = QuotaWindows {
        day_start: at(0),
        medal_window_start: at(4_500),
        meme_window_start: at(4_500),
        discussion_window_start: at(4_500),
    };
    let usage = store.quota_usage(&a3, &windows).unwrap();
    assert_eq!(usage.medals_in_window, 1);
    assert_eq!(usage.last_comment_at, Some(at(7_000)));
    assert_eq!(store.quota_usage(&a1, &windows).unwrap().posts_today, 3);

    // Posts: IMAGE, with their captions, media and times.
    let blob = store.post_by_id(&Old::blob_post()).unwrap().unwrap();
    assert_eq!(blob.kind(), PostKind::Image);
    assert_eq!(blob.caption().unwrap().as_str(), "first #cats");
    assert_eq!(blob.tags.as_slice(), ["cats", "dogs"]);
    assert_eq!(blob.status, PostStatus::Published);
    assert_eq!(
        (blob.created_at, blob.publish_at, blob.published_at),
        (at(1_000), at(1_000), Some(at(1_000)))
    );
    let media = blob.media().unwrap();
    assert_eq!(media.id, id(501));
    assert_eq!((media.width, media.height), (Some(1024), Some(768)));
    assert_eq!(
        media.source,
        MediaSource::Blob {
            key: BlobKey::from_trusted(BLOB_KEY.into()),
            image_type: ImageType::Png,
            byte_size: 1234,
        }
    );
    let external = store.post_by_id(&Old::external_post()).unwrap().unwrap();
    assert_eq!(
        external.content,
        PostContent::Image {
            caption: Caption::default(),
            media: aispace_domain::model::Media {
                id: id(502),
                source: MediaSource::External {
                    url: ImageUrl::from_trusted("https://example.com/old.png".into()),
                },
                width: None,
                height: None,
            },
        }
    );
    assert!(external.tags.as_slice().is_empty());
    let scheduled = store.post_by_id(&Old::scheduled_post()).unwrap().unwrap();
    assert_eq!(scheduled.status, PostStatus::Scheduled);
    assert_eq!(scheduled.published_at, None);
    assert_eq!(scheduled.kind(), PostKind::Image);
    let record = store
        .idempotency_record(
            &a1,
            &aispace_domain::model::IdempotencyKey::from_trusted("retry-1".into()),
            at(0),
        )
        .unwrap()
        .unwrap();
    assert_eq!(record.post_id, Old::blob_post());
    assert_eq!(record.fingerprint.as_bytes(), &[9u8; 32]);

    // Counters, verdict and the reader's own reactions.
    let entries = store
        .entries(&[Old::blob_post(), Old::external_post()], &a2)
        .unwrap();
    assert_eq!(entries.len(), 2);
    let first = &entries[0];
    assert_eq!(
        first.stats,
        PostStats {
            likes: 1,
            comments: 2,
            medals: MedalCounts {
                gold: 1,
                silver: 0,
                bronze: 1
            },
        }
    );
    assert_eq!(first.score, Score::default());
    let verdict = first.verdict.clone().unwrap();
    assert_eq!(verdict.medal, MedalType::Gold);
    assert_eq!(verdict.reason.as_deref(), Some("crisp"));
    assert_eq!(verdict.judge_version, "judge-v1");
    assert_eq!(verdict.at, at(5_000));
    assert!(first.viewer_liked);
    assert_eq!(first.viewer_medal, Some(MedalType::Gold));
    assert_eq!(entries[1].stats, PostStats::default());
    let mine = store.viewer_reactions(&a3, &[Old::blob_post()]).unwrap();
    assert!(
        mine.liked.is_empty(),
        "the taken-back like stays taken back"
    );
    assert_eq!(mine.medals, [(Old::blob_post(), MedalType::Bronze)]);

    // Feeds: by time, by tag, by kind; the scheduled post nowhere yet.
    let ids = |entries: Vec<aispace_domain::model::FeedEntry>| {
        entries
            .into_iter()
            .map(|e| e.post.id.clone())
            .collect::<Vec<_>>()
    };
    let newest = [Old::external_post(), Old::blob_post()];
    assert_eq!(
        ids(store.latest(&FeedFilter::default(), None, 10, &a3).unwrap()),
        newest
    );
    let cats = FeedFilter {
        tag: Some("cats".into()),
        ..FeedFilter::default()
    };
    assert_eq!(
        ids(store.latest(&cats, None, 10, &a3).unwrap()),
        [Old::blob_post()]
    );
    let every_kind = FeedFilter {
        kinds: PostKinds::ALL,
        ..FeedFilter::default()
    };
    assert_eq!(
        ids(store
            .ranked(&every_kind, RankedOrder::New, 0, 10, &a3)
            .unwrap()),
        newest
    );

    // Comments: roots of their own threads, oldest first.
    let comments = store.comments(&Old::blob_post(), None, 10).unwrap();
    assert_eq!(comments.len(), 2);
    assert_eq!(comments[0].comment.id, Old::first_comment());
    assert_eq!(comments[0].comment.body.as_str(), "Lovely light.");
    assert_eq!(comments[0].comment.created_at, at(6_000));
    assert_eq!(comments[0].author.id, a2);
    for c in &comments {
        assert_eq!((c.comment.depth, &c.comment.parent_id), (0, &None));
        assert_eq!(c.score, Score::default());
    }
    let thread = store
        .comment_thread(
            &Old::blob_post(),
            RootPage {
                offset: 0,
                limit: 10,
            },
            &a1,
        )
        .unwrap();
    assert_eq!(
        thread
            .iter()
            .map(|c| c.comment.id.clone())
            .collect::<Vec<_>>(),
        [Old::first_comment(), Old::second_comment()]
    );

    // Webhooks, events, deliveries.
    let hooks = store.webhooks(&a1).unwrap();
    assert_eq!(hooks.len(), 2);
    assert_eq!(hooks[0].id, Old::webhook());
    assert!(hooks[0].active);
    assert_eq!(hooks[0].secret.as_str(), "whsec_new");
    assert_eq!(
        hooks[0]
            .previous_secret
            .as_ref()
            .map(|(s, until)| (s.as_str(), *until)),
        Some(("whsec_old", at(90_000_000)))
    );
    assert!(!hooks[1].active);
    assert_eq!(
        hooks[1].disabled_reason.as_deref(),
        Some("failed 10 attempts")
    );
    let events = store.events(&a1, None, 10).unwrap();
    assert_eq!(
        events.iter().map(|e| e.id.clone()).collect::<Vec<_>>(),
        [Old::liked_event(), Old::commented_event()]
    );
    assert_eq!(events[0].kind, EventType::PostLiked);
    assert_eq!(
        events[1].data,
        format!("{{\"postId\":\"{}\",\"n\":2}}", Old::blob_post())
    );
    let deliveries = store.deliveries(&a1, &Old::webhook(), 10).unwrap().unwrap();
    assert_eq!(deliveries.len(), 2);
    assert_eq!(deliveries[0].status, DeliveryStatus::Pending);
    assert_eq!(deliveries[1].status, DeliveryStatus::Delivered);
    let attempt = deliveries[1].last_attempt.clone().unwrap();
    assert_eq!(
        (attempt.status_code, attempt.latency),
        (Some(200), std::time::Duration::from_millis(12))
    );

    // The new features on the old rows: publishing, ranks, a reply under
    // an old comment, votes on an old post and comment, karma.
    let published = store
        .publish_due(at(9_000), 10, &|post, at| {
            PendingEvent::post_created(pending(EventType::PostCreated).id, post, at)
        })
        .unwrap();
    assert_eq!(published, [Old::scheduled_post()]);
    assert_eq!(
        ids(store.latest(&cats, None, 10, &a3).unwrap()),
        [Old::scheduled_post(), Old::blob_post()]
    );
    let refreshed = store.refresh_ranks(at(10_000), at(-1), None, 100).unwrap();
    assert_eq!(refreshed.updated, 3);
    let hot = ids(store
        .ranked(&FeedFilter::default(), RankedOrder::Hot, 0, 10, &a3)
        .unwrap());
    assert_eq!(hot.len(), 3);
    let reply = Comment {
        id: id(210),
        post_id: Old::blob_post(),
        author_id: a1.clone(),
        body: CommentBody::parse("Thanks!").unwrap(),
        created_at: at(11_000),
        parent_id: Some(Old::first_comment()),
        depth: 0,
    };
    assert_eq!(
        store
            .add_comment(
                &reply,
                MAX_COMMENT_DEPTH,
                at(10_000),
                &pending(EventType::PostCommented)
            )
            .unwrap(),
        CommentOutcome::Added { depth: 1 }
    );
    let thread = store
        .comment_thread(
            &Old::blob_post(),
            RootPage {
                offset: 0,
                limit: 1,
            },
            &a1,
        )
        .unwrap();
    assert_eq!(
        thread
            .iter()
            .map(|c| c.comment.id.clone())
            .collect::<Vec<_>>(),
        [Old::first_comment(), id(210)]
    );
    let rule = WindowRule {
        window_start: at(0),
        limit: 100,
    };
    let vote = |target: VoteTarget, voter: &Id, ms: i64| UpDownVote {
        target,
        voter_id: voter.clone(),
        intent: VoteIntent::Toggle(VoteDirection::Up),
        at: at(ms),
    };
    assert_eq!(
        store
            .up_down_vote(&vote(VoteTarget::Post(Old::blob_post()), &a2, 12_000), rule)
            .unwrap(),
        UpDownOutcome::Counted {
            score: Score { up: 1, down: 0 },
            current: Some(VoteDirection::Up),
        }
    );
    assert_eq!(
        store
            .up_down_vote(
                &vote(VoteTarget::Comment(Old::first_comment()), &a1, 12_001),
                rule
            )
            .unwrap(),
        UpDownOutcome::Counted {
            score: Score { up: 1, down: 0 },
            current: Some(VoteDirection::Up),
        }
    );
    assert_eq!(store.karma(&a1).unwrap(), 1);
    assert_eq!(store.karma(&a2).unwrap(), 1);
    assert_eq!(
        ids(store
            .ranked(
                &FeedFilter::default(),
                RankedOrder::Top { since: None },
                0,
                1,
                &a3
            )
            .unwrap()),
        [Old::blob_post()]
    );
}

#[test]
fn an_upgraded_sqlite_database_keeps_every_row() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("aispace.db");
    {
        let mut conn = sqlite_connection(&path);
        migrate_until::<Sqlite, _>(&mut conn, SQLITE_MIGRATIONS, BEFORE_CONTENT_MODEL);
        conn.batch_execute(&old_rows(sqlite_blob)).unwrap();
    }
    let store = sqlite_store(&path);
    assert_eq!(
        store.migrate().unwrap(),
        migrations_after(BEFORE_CONTENT_MODEL),
        "the content model and what came after"
    );
    assert_sqlite_sound(&path);
    assert_eq!(
        sqlite_number(
            &path,
            "(SELECT COUNT(*) FROM comments WHERE path = id AND depth = 0)"
        ),
        2
    );
    assert_eq!(
        sqlite_number(&path, "(SELECT COUNT(*) FROM posts WHERE kind = 'IMAGE')"),
        3
    );
    old_rows_read_back_unchanged(&store);
    assert_sqlite_sound(&path);
}

#[test]
fn an_upgraded_postgres_database_keeps_every_row() {
    let Some(schema) = PgSchema::from_env() else {
        println!("SKIPPED: AISPACE_TEST_DATABASE_URL is not set");
        return;
    };
    {
        let mut conn = PgConnection::establish(schema.url()).unwrap();
        migrate_until::<Pg, _>(&mut conn, POSTGRES_MIGRATIONS, BEFORE_CONTENT_MODEL);
        conn.batch_execute(&old_rows(pg_blob)).unwrap();
    }
    let store = pg_store(&schema);
    assert_eq!(
        store.migrate().unwrap(),
        migrations_after(BEFORE_CONTENT_MODEL),
        "the content model and what came after"
    );
    assert_eq!(
        schema.number("(SELECT COUNT(*) FROM comments WHERE path = id AND depth = 0)"),
        2
    );
    // Threads read in byte order whatever the database's collation.
    assert_eq!(
        schema
            .text(
                "(SELECT collation_name::text FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND table_name = 'comments' \
                 AND column_name = 'path')"
            )
            .as_deref(),
        Some("C")
    );
    old_rows_read_back_unchanged(&store);
}

// ---------------------------------------------------------------------------
// down.sql

fn image_post(n: u64, author: &Id, ms: i64) -> Post {
    Post {
        id: id(100 + n),
        author_id: author.clone(),
        content: common::image(n),
        tags: Tags::from_trusted(vec!["cats".into()]),
        status: PostStatus::Published,
        created_at: at(ms),
        publish_at: at(ms),
        published_at: Some(at(ms)),
    }
}

fn text_post(n: u64, author: &Id, ms: i64) -> Post {
    Post {
        content: PostContent::Text(TextContent {
            title: "A title".into(),
            body_md: None,
            body_html: None,
            link_url: None,
            community_id: None,
        }),
        ..image_post(n, author, ms)
    }
}

fn insert(store: &dyn Storage, post: &Post) {
    let quota = PostQuotaRule::posts_since(at(-1_000_000), 1_000);
    store
        .insert_post(post, quota, None, &pending(EventType::PostCreated))
        .unwrap();
}

/// Image posts with likes, a thread and votes: everything down.sql can
/// take back.
fn image_posts_with_reactions(store: &dyn Storage) {
    let author = agent(store, 1).id;
    let reader = agent(store, 2).id;
    insert(store, &image_post(1, &author, 1_000));
    insert(store, &image_post(2, &author, 2_000));
    store
        .toggle_like(&id(101), &reader, at(3_000), &pending(EventType::PostLiked))
        .unwrap();
    let comment = |n: u64, parent: Option<Id>, ms: i64| Comment {
        id: id(200 + n),
        post_id: id(101),
        author_id: reader.clone(),
        body: CommentBody::parse("hi").unwrap(),
        created_at: at(ms),
        parent_id: parent,
        depth: 0,
    };
    for c in [comment(1, None, 4_000), comment(2, Some(id(201)), 5_000)] {
        let outcome = store
            .add_comment(
                &c,
                MAX_COMMENT_DEPTH,
                c.created_at,
                &pending(EventType::PostCommented),
            )
            .unwrap();
        assert!(
            matches!(outcome, CommentOutcome::Added { .. }),
            "{outcome:?}"
        );
    }
    let rule = WindowRule {
        window_start: at(0),
        limit: 100,
    };
    for target in [VoteTarget::Post(id(101)), VoteTarget::Comment(id(201))] {
        let voter = if matches!(target, VoteTarget::Post(_)) {
            &reader
        } else {
            &author
        };
        let vote = UpDownVote {
            target,
            voter_id: voter.clone(),
            intent: VoteIntent::Set(Some(VoteDirection::Down)),
            at: at(6_000),
        };
        assert!(matches!(
            store.up_down_vote(&vote, rule).unwrap(),
            UpDownOutcome::Counted { .. }
        ));
    }
}

/// What a reverted database still holds, read as the store reads it after
/// migrating up again.
fn image_posts_survive(store: &dyn Storage) {
    let reader = id(2);
    let entries = store.entries(&[id(101), id(102)], &reader).unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0].post.kind(), PostKind::Image);
    assert_eq!(entries[0].stats.likes, 1);
    assert_eq!(entries[0].stats.comments, 2);
    assert!(entries[0].viewer_liked);
    assert_eq!(
        entries[0].score,
        Score::default(),
        "votes went with the votes table"
    );
    let comments = store.comments(&id(101), None, 10).unwrap();
    assert_eq!(comments.len(), 2);
    assert!(
        comments.iter().all(|c| c.comment.depth == 0),
        "replies come back as comments"
    );
}

#[test]
fn the_content_model_reverts_on_sqlite_while_posts_have_images() {
    let (store, dir) = common::fresh_sqlite().unwrap();
    let path = dir.path().join("aispace.db");
    image_posts_with_reactions(&store);
    assert!(revert_content_model(&mut sqlite_connection(&path), || {
        SQLITE_MIGRATIONS
    }));
    assert_sqlite_sound(&path);
    assert_eq!(
        sqlite_number(
            &path,
            "(SELECT COUNT(*) FROM pragma_table_info('posts') WHERE name IN ('kind', 'score'))"
        ),
        0
    );
    assert_eq!(
        sqlite_number(
            &path,
            "(SELECT COUNT(*) FROM sqlite_master WHERE name IN ('votes', 'communities'))"
        ),
        0
    );
    assert_eq!(sqlite_number(&path, "(SELECT COUNT(*) FROM comments)"), 2);
    assert_eq!(
        store.migrate().unwrap(),
        migrations_after(BEFORE_CONTENT_MODEL)
    );
    assert_sqlite_sound(&path);
    image_posts_survive(&store);
}

#[test]
fn the_content_model_reverts_on_postgres_while_posts_have_images() {
    let Some((store, schema)) = common::fresh_postgres(2) else {
        println!("SKIPPED: AISPACE_TEST_DATABASE_URL is not set");
        return;
    };
    image_posts_with_reactions(&store);
    assert!(revert_content_model(
        &mut PgConnection::establish(schema.url()).unwrap(),
        || POSTGRES_MIGRATIONS
    ));
    assert_eq!(
        schema.number(
            "(SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = \
             current_schema() AND table_name = 'posts' AND column_name IN ('kind', 'score'))"
        ),
        0
    );
    assert_eq!(schema.number("(SELECT COUNT(*) FROM comments)"), 2);
    assert_eq!(
        store.migrate().unwrap(),
        migrations_after(BEFORE_CONTENT_MODEL)
    );
    image_posts_survive(&store);
}

/// A text post cannot go back to the image-only shape: reverting fails
/// and leaves the database as it was.
fn a_text_post_stops_the_revert(store: &DieselStore, revert: impl FnOnce() -> bool) {
    let author = agent(store, 1).id;
    insert(store, &image_post(1, &author, 1_000));
    insert(store, &text_post(2, &author, 2_000));
    assert!(!revert(), "reverting with a text post failed");
    assert_eq!(
        store.migrate().unwrap(),
        migrations_after(CONTENT_MODEL),
        "the content model stayed; what came after it is applied again"
    );
    let text = store.post_by_id(&id(102)).unwrap().unwrap();
    assert_eq!(text.kind(), PostKind::Text);
    let all = FeedFilter {
        kinds: PostKinds::ALL,
        ..FeedFilter::default()
    };
    assert_eq!(store.latest(&all, None, 10, &author).unwrap().len(), 2);
}

#[test]
fn a_text_post_stops_the_revert_on_sqlite() {
    let (store, dir) = common::fresh_sqlite().unwrap();
    let path = dir.path().join("aispace.db");
    a_text_post_stops_the_revert(&store, || {
        revert_content_model(&mut sqlite_connection(&path), || SQLITE_MIGRATIONS)
    });
    assert_sqlite_sound(&path);
}

#[test]
fn a_text_post_stops_the_revert_on_postgres() {
    let Some((store, schema)) = common::fresh_postgres(2) else {
        println!("SKIPPED: AISPACE_TEST_DATABASE_URL is not set");
        return;
    };
    a_text_post_stops_the_revert(&store, || {
        revert_content_model(&mut PgConnection::establish(schema.url()).unwrap(), || {
            POSTGRES_MIGRATIONS
        })
    });
}

// ---------------------------------------------------------------------------
// Concurrent starts

#[test]
fn concurrent_migrations_on_postgres_apply_each_migration_once() {
    let Some(schema) = PgSchema::from_env() else {
        println!("SKIPPED: AISPACE_TEST_DATABASE_URL is not set");
        return;
    };
    const STARTING: usize = 6;
    let url = DatabaseUrl::parse(schema.url()).unwrap();
    let stores: Vec<DieselStore> = (0..STARTING)
        .map(|_| {
            DieselStore::open(
                &url,
                PoolOptions {
                    max_size: 1,
                    ..PoolOptions::default()
                },
            )
            .unwrap()
        })
        .collect();
    let barrier = Barrier::new(STARTING);
    let applied: Vec<usize> = std::thread::scope(|scope| {
        let runs: Vec<_> = stores
            .iter()
            .map(|store| {
                let barrier = &barrier;
                scope.spawn(move || {
                    barrier.wait();
                    store.migrate().expect("every process starts")
                })
            })
            .collect();
        runs.into_iter().map(|r| r.join().unwrap()).collect()
    });
    let total: usize = applied.iter().sum();
    assert!(total > 0);
    assert_eq!(
        applied.iter().filter(|&&n| n == total).count(),
        1,
        "one process applied every migration, the others none: {applied:?}"
    );
    assert_eq!(stores[0].migrate().unwrap(), 0);
}

/// A database loaded before `serve` starts (a restore, a bulk import) and
/// never analysed is analysed at start: without statistics PostgreSQL
/// sorted every post for a feed page instead of walking `posts_feed`.
#[test]
fn postgres_tables_loaded_but_never_analysed_are_analysed_at_start() {
    let Some(schema) = PgSchema::from_env() else {
        println!("SKIPPED: AISPACE_TEST_DATABASE_URL is not set");
        return;
    };
    let store = pg_store(&schema);
    store.migrate().unwrap();
    let mut conn = PgConnection::establish(schema.url()).unwrap();
    conn.batch_execute(
        "INSERT INTO agents (id, handle, name, status, created_at) \
           SELECT 'a' || g, 'agent' || g, 'Agent', 'ACTIVE', 0 FROM generate_series(1, 100) g; \
         INSERT INTO posts (id, author_id, caption, tags, media_id, media_kind, media_key, \
             status, created_at, publish_at, published_at, kind) \
           SELECT 'p' || lpad(g::text, 8, '0'), 'a' || (1 + g % 100), 'c', '', 'm' || g, 'BLOB', \
             'raw/x' || g || '.png', 'PUBLISHED', g, g, g, 'IMAGE' \
           FROM generate_series(1, 20000) g;",
    )
    .unwrap();
    let plan = |conn: &mut PgConnection| -> String {
        diesel::sql_query(
            "EXPLAIN SELECT posts.id FROM posts JOIN agents ON agents.id = posts.author_id \
             WHERE posts.status = 'PUBLISHED' AND agents.status = 'ACTIVE' \
             ORDER BY posts.published_at DESC, posts.id DESC LIMIT 21",
        )
        .load::<Plan>(conn)
        .unwrap()
        .into_iter()
        .map(|row| row.line)
        .collect::<Vec<_>>()
        .join("\n")
    };
    // Never analysed: the feed's plan sorts instead of walking the index
    // (what this guards against; if a later PostgreSQL plans it well
    // anyway, the second half still holds).
    let cold = plan(&mut conn);
    // A restart runs the migrations, which find nothing to apply.
    assert_eq!(store.migrate().unwrap(), 0);
    let analysed: i64 = diesel::sql_query(
        "SELECT count(*) AS n FROM pg_stat_user_tables WHERE schemaname = current_schema() \
         AND relname IN ('posts', 'agents') AND last_analyze IS NOT NULL",
    )
    .get_result::<Count>(&mut conn)
    .unwrap()
    .n;
    assert_eq!(analysed, 2);
    let warm = plan(&mut conn);
    assert!(
        warm.contains("Index Scan Backward using posts_feed") && !warm.contains("Sort"),
        "cold:\n{cold}\nafter start:\n{warm}"
    );
}

#[derive(diesel::QueryableByName)]
struct Plan {
    #[diesel(sql_type = Text, column_name = "QUERY PLAN")]
    line: String,
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}
