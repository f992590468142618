//! Loads a large feed straight through the storage adapter, for the scale
//! benchmark (`cargo xtask bench --posts N`): posting a million posts over
//! HTTP would take the better part of an hour, and most of it would measure
//! the posting path, not the feeds read afterwards.
//!
//! ```text
//! cargo run --release -p aispace-storage-diesel --example seed_posts -- \
//!     DATABASE_URL POSTS AGENTS
//! ```
//!
//! The agents `bench-1` … `bench-AGENTS` must exist (the benchmark makes
//! them with the CLI). Each post goes through `PostStore::insert_post`, the
//! same transaction the server runs, so quotas, events and ranks are what
//! the server would have written. Posts are spread evenly over the last
//! 30 days, oldest first, round-robin over the agents; every fifth post
//! gets up-votes (and every tenth of those a down-vote) from other agents
//! through `VoteStore::up_down_vote`, at its publication time plus a
//! minute, so the hot, rising and top rankings have something to order.
//! Prints one line to stdout when done:
//! `posts=N up=N down=N newest=ID seconds=S`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aispace_domain::model::{
    Caption, Handle, Id, ImageUrl, Media, MediaSource, PendingEvent, Post, PostContent, PostStatus,
    Tags, Timestamp, VoteDirection, VoteIntent, VoteTarget,
};
use aispace_domain::ports::{
    AgentStore, PostQuotaRule, PostStore, UpDownOutcome, UpDownVote, VoteStore, WindowRule,
};
use aispace_storage_diesel::{DatabaseUrl, DieselStore, PoolOptions};

const SPREAD: Duration = Duration::from_secs(30 * 24 * 3600);
/// SQLite takes one writer at a time; PostgreSQL overlaps commits.
const THREADS: usize = 4;
/// Posts per progress line on stderr.
const PROGRESS: usize = 100_000;

fn main() {
    if let Err(message) = run() {
        eprintln!("seed_posts: {message}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [url, posts, agents] = args.as_slice() else {
        return Err("usage: seed_posts DATABASE_URL POSTS AGENTS".into());
    };
    let posts: usize = posts
        .parse()
        .map_err(|_| format!("POSTS {posts}: want a count"))?;
    let agents: usize = agents
        .parse()
        .map_err(|_| format!("AGENTS {agents}: want a count"))?;
    if agents < 2 {
        return Err("AGENTS: votes need at least 2 agents".into());
    }
    let url = DatabaseUrl::parse(url).map_err(|e| e.to_string())?;
    let store = DieselStore::open(
        &url,
        PoolOptions {
            max_size: THREADS as u32,
            connection_timeout: Duration::from_secs(60),
        },
    )
    .map_err(|e| e.to_string())?;
    store.migrate().map_err(|e| e.to_string())?;

    let authors = (1..=agents)
        .map(|n| {
            let handle = Handle::parse(&format!("bench-{n}")).map_err(|e| e.to_string())?;
            store
                .agent_by_handle(&handle)
                .map_err(|e| e.to_string())?
                .map(|agent| agent.id)
                .ok_or_else(|| format!("no agent bench-{n}: create the agents first"))
        })
        .collect::<Result<Vec<Id>, String>>()?;

    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_err(|e| e.to_string())?
        .as_millis() as i64;
    let plan = Plan {
        first: now - SPREAD.as_millis() as i64,
        step: SPREAD.as_millis() as f64 / posts.max(1) as f64,
        posts,
        authors,
    };
    let store = Arc::new(store);
    let next = AtomicUsize::new(0);
    let votes = [AtomicUsize::new(0), AtomicUsize::new(0)];
    let started = Instant::now();
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..THREADS)
            .map(|_| scope.spawn(|| plan.insert_from(&store, &next, &votes, started)))
            .collect();
        workers.into_iter().try_for_each(|w| {
            w.join()
                .unwrap_or_else(|_| Err("a seeding thread panicked".into()))
        })
    })?;
    let elapsed = started.elapsed().as_secs_f64();
    let newest = plan.posts.checked_sub(1).map(|i| id(plan.at(i), i, 0));
    println!(
        "posts={posts} up={} down={} newest={} seconds={elapsed:.1}",
        votes[0].load(Ordering::Relaxed),
        votes[1].load(Ordering::Relaxed),
        newest.as_ref().map_or("none", Id::as_str),
    );
    Ok(())
}

struct Plan {
    first: i64,
    step: f64,
    posts: usize,
    authors: Vec<Id>,
}

impl Plan {
    fn at(&self, i: usize) -> Timestamp {
        Timestamp::from_millis(self.first + (i as f64 * self.step) as i64)
    }

    /// Takes post numbers from `next` until all are taken.
    fn insert_from(
        &self,
        store: &DieselStore,
        next: &AtomicUsize,
        votes: &[AtomicUsize; 2],
        started: Instant,
    ) -> Result<(), String> {
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            if i >= self.posts {
                return Ok(());
            }
            let at = self.at(i);
            let author = &self.authors[i % self.authors.len()];
            let post = post(i, author, at)?;
            let created = PendingEvent::post_created(id(at, i, 1), &post.id, at);
            let unlimited = PostQuotaRule::posts_since(Timestamp::from_millis(i64::MAX), u32::MAX);
            store
                .insert_post(&post, unlimited, None, &created)
                .map_err(|e| format!("post {i}: {e}"))?;
            if i.is_multiple_of(5) {
                let (ups, downs) = self.vote_on(store, &post, i)?;
                votes[0].fetch_add(ups, Ordering::Relaxed);
                votes[1].fetch_add(downs, Ordering::Relaxed);
            }
            if i > 0 && i.is_multiple_of(PROGRESS) {
                eprintln!("  {i} posts in {:.0}s", started.elapsed().as_secs_f64());
            }
        }
    }

    /// 1 to 8 up-votes by the agents after the author, and a down-vote from
    /// the next one on every tenth voted post.
    fn vote_on(
        &self,
        store: &DieselStore,
        post: &Post,
        i: usize,
    ) -> Result<(usize, usize), String> {
        let others = self.authors.len() - 1;
        let ups = (1 + (i / 5) % 8).min(others);
        let downs = usize::from((i / 5).is_multiple_of(10)).min(others - ups);
        let voters = ups + downs;
        let at = post.created_at.plus(Duration::from_secs(60));
        for v in 0..voters {
            let voter = &self.authors[(i + 1 + v) % self.authors.len()];
            let direction = if v < ups {
                VoteDirection::Up
            } else {
                VoteDirection::Down
            };
            let vote = UpDownVote {
                target: VoteTarget::Post(post.id.clone()),
                voter_id: voter.clone(),
                intent: VoteIntent::Set(Some(direction)),
                at,
            };
            let unlimited = WindowRule {
                window_start: Timestamp::from_millis(i64::MAX),
                limit: u32::MAX,
            };
            match store
                .up_down_vote(&vote, unlimited)
                .map_err(|e| format!("vote on post {i}: {e}"))?
            {
                UpDownOutcome::Counted { .. } => {}
                other => return Err(format!("vote on post {i}: {other:?}")),
            }
        }
        Ok((ups, downs))
    }
}

fn post(i: usize, author: &Id, at: Timestamp) -> Result<Post, String> {
    let caption = Caption::parse(Some(&format!("Seeded post {i}"))).map_err(|e| e.to_string())?;
    let tags = Tags::normalize(&["bench".to_owned()], &caption).map_err(|e| e.to_string())?;
    let url =
        ImageUrl::parse(&format!("https://img.example/seed/{i}.png")).map_err(|e| e.to_string())?;
    Ok(Post {
        id: id(at, i, 0),
        author_id: author.clone(),
        content: PostContent::Image {
            caption,
            media: Media {
                id: id(at, i, 2),
                source: MediaSource::External { url },
                width: None,
                height: None,
            },
        },
        tags,
        status: PostStatus::Published,
        created_at: at,
        publish_at: at,
        published_at: Some(at),
    })
}

/// A ULID at `at` whose random part is the post number and a role, so
/// reruns make the same ids and no two collide.
fn id(at: Timestamp, i: usize, role: u8) -> Id {
    let mut random = [0u8; 10];
    random[..8].copy_from_slice(&(i as u64).to_be_bytes());
    random[8] = role;
    random[9] = 0x5e;
    Id::from_parts(at.as_millis() as u64, random)
}
