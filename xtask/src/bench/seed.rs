//! State a scenario reads, made over HTTP like any client would make it,
//! before the scenario's warm-up: the feed pages over thousands of
//! published posts with reactions, not over an empty table ([`feed`]), and
//! the discussion feed and search over a network of discussion posts,
//! authors, communities, follows and subscriptions ([`discussions`]).
//!
//! Requests go out on several keep-alive connections at once, each request
//! with the key of the agent acting (author, liker, medal giver, up/down
//! voter, commenter), so the work is spread like the load's and per-agent
//! locks do not serialise it. Seeding stops at the first answer that is
//! not 2xx and reports it.

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::sync::PoisonError;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::database::PgSchema;
use super::http::{Connection, Request, Response};
use super::json::{self, Json};
use super::load::{describe, exchange};
use super::scenario::Prepare;

/// Posts the feed scenarios read unless `--feed-posts` says otherwise,
/// and with `--quick` (seeding 10,000 takes a while; fewer still makes the
/// first page cost the same, though the rising window holds fewer
/// candidates).
pub const FEED_POSTS: usize = 10_000;
pub const QUICK_FEED_POSTS: usize = 2_000;

/// Concurrent seeding connections.
pub const CONNECTIONS: usize = 8;

/// Who acts on post `i`: agent `i + offset` (mod the agents), the author
/// being offset 0 (see [`Seeded::MIX`]).
const LIKER: usize = 1;
const COMMENTER: usize = 2;
const DOWN_VOTER: usize = 3;

/// With fewer, an offset above would name the author (who may not vote on
/// its own post) or the same agent twice (a down-vote would replace the
/// up-vote instead of adding to the post's votes).
pub const MIN_AGENTS: usize = DOWN_VOTER + 1;

/// At most this many posts per agent: 10,000 posts by the 16 agents of the
/// load's connections. Each post counts its author's posts of the day (the
/// quota) and each vote its voter's votes of the minute, so with a fixed
/// number of agents those counts, not only the tables, would grow with
/// `--feed-posts`: seeding 100,000 posts would slow down as it goes, and
/// their figures would partly measure agents ten times busier than at
/// 10,000 instead of a larger network.
const POSTS_PER_AGENT: usize = 625;

/// Agents the seed of `posts` posts needs (the run may have more).
pub fn agents_for(posts: usize) -> usize {
    posts.div_ceil(POSTS_PER_AGENT).max(MIN_AGENTS)
}

const MEDALS: [&str; 3] = ["GOLD", "SILVER", "BRONZE"];

#[derive(Debug, Clone, Copy)]
pub struct Plan<'a> {
    pub addr: SocketAddr,
    /// Agent keys; agent `n` is `bench-{n + 1}`.
    pub keys: &'a [String],
    pub posts: usize,
    pub connections: usize,
    /// PostgreSQL: the run's schema, analyzed after the posts and again at
    /// the end, as autovacuum would after such a bulk load (see
    /// [`PgSchema::analyze`]); the feed scenarios then measure the plans
    /// a running database has, not those of a table without statistics.
    pub analyze: Option<&'a PgSchema>,
}

/// What was seeded, and how long it took.
#[derive(Debug, Clone)]
pub struct Seeded {
    /// Which state: the feed's posts and reactions, or the discussions.
    pub prepare: Prepare,
    /// The scenarios of this run that read it.
    pub for_scenarios: String,
    /// Before the warm-up of this scenario.
    pub before: &'static str,
    pub agents: usize,
    pub connections: usize,
    pub posts: usize,
    pub likes: usize,
    pub medals: usize,
    pub comments: usize,
    /// Through `/api/v1/memes/{id}/vote`.
    pub up_votes: usize,
    pub down_votes: usize,
    pub requests: usize,
    pub elapsed: Duration,
    /// Of `elapsed`, publishing the posts (before the reactions).
    pub posts_elapsed: Duration,
    /// Time spent in `VACUUM ANALYZE` (PostgreSQL), part of `elapsed`.
    pub analyzed: Option<Duration>,
    /// The first request answered other than 2xx (or not at all), where
    /// seeding stopped; or a first feed page that shows no posts.
    pub failure: Option<String>,
    /// A seeded post's id, for the scenarios that read one post's page:
    /// the most recent with a like, a medal and a comment (see [`Self::MIX`]).
    pub sample_post: Option<String>,
    /// [`Prepare::Discussions`]: who wrote the posts and who reads them.
    pub discussions: Option<DiscussionCounts>,
}

/// The network [`discussions`] made besides its posts.
#[derive(Debug, Clone, Default)]
pub struct DiscussionCounts {
    /// Agents registered over HTTP to write the posts.
    pub authors: usize,
    pub communities: usize,
    /// The load's agents, each following [`FOLLOWS`] authors and subscribed
    /// to [`SUBSCRIPTIONS`] communities.
    pub readers: usize,
    pub follows: usize,
    pub subscriptions: usize,
    /// The seeded posts in each reader's personal feed (by its follows and
    /// subscriptions): fewest, mean, most.
    pub feed_min: usize,
    pub feed_mean: f64,
    pub feed_max: usize,
    /// Of `elapsed`, registering the authors, creating the communities,
    /// following and subscribing (before the posts).
    pub network_elapsed: Duration,
}

impl Seeded {
    /// How the posts and reactions are spread, in words.
    pub const MIX: &'static str = "post i by agent i mod A; a like on every post (by agent i+1), \
         a medal on every 2nd (GOLD, SILVER, BRONZE in turn, by agent i+1, never the author), \
         a comment on every 3rd (by agent i+2), an up-vote on every post (by agent i+1) and a \
         down-vote on every 5th (by agent i+3) through /api/v1/memes/{id}/vote, so scores of 1, \
         and 0 on every 5th; all published at once, just before (inside every ranking window)";

    /// How [`direct`] spreads them.
    pub const DIRECT_MIX: &'static str = "post i by agent i mod A, published evenly over the last \
         30 days, oldest first; on every 5th post 1 to 8 up-votes (by the agents after the \
         author) and on every 50th a down-vote as well, a minute after it was published";

    pub fn summary(&self) -> String {
        let mut out = match &self.discussions {
            Some(d) => self.discussion_summary(d),
            None => self.feed_summary(),
        };
        if let Some(analyzed) = self.analyzed {
            out.push_str(&format!(
                "\n  PostgreSQL: VACUUM ANALYZE of the run's schema after the posts and at the end (as \
                 autovacuum would): {:.1}s of the above",
                analyzed.as_secs_f64()
            ));
        }
        if let Some(failure) = &self.failure {
            out.push_str(&format!("\n  SEEDING FAILED: {failure}"));
        }
        out
    }

    fn discussion_summary(&self, d: &DiscussionCounts) -> String {
        let seconds = self.elapsed.as_secs_f64();
        let posts_seconds = self.posts_elapsed.as_secs_f64();
        format!(
            "seeded for {} (before the warm-up of {}): {} discussion posts by {} authors \
             (registered over HTTP) in {} communities; {} readers (the load's agents), each \
             following {FOLLOWS} authors and subscribed to {SUBSCRIPTIONS} communities before \
             the posts ({} follows, {} subscriptions), so each reader's feed holds {}–{} of \
             the posts (mean {:.0}): {} requests on {} connections in {seconds:.1}s ({:.0} \
             req/s; authors, communities, follows and subscriptions in {:.1}s, the posts in \
             {posts_seconds:.1}s, {:.0} posts/s)\n  mix: {}",
            self.for_scenarios,
            self.before,
            self.posts,
            d.authors,
            d.communities,
            d.readers,
            d.follows,
            d.subscriptions,
            d.feed_min,
            d.feed_max,
            d.feed_mean,
            self.requests,
            self.connections,
            self.requests as f64 / seconds.max(f64::MIN_POSITIVE),
            d.network_elapsed.as_secs_f64(),
            self.posts as f64 / posts_seconds.max(f64::MIN_POSITIVE),
            DISCUSSION_MIX,
        )
    }

    fn feed_summary(&self) -> String {
        let seconds = self.elapsed.as_secs_f64();
        if self.requests == 0 {
            return format!(
                "loaded for {} through the storage adapter (before {}): {} posts by {} agents, \
                 {} up-votes, {} down-votes on {} threads in {seconds:.1}s\n  mix: {}",
                self.for_scenarios,
                self.before,
                self.posts,
                self.agents,
                self.up_votes,
                self.down_votes,
                self.connections,
                Self::DIRECT_MIX,
            );
        }
        format!(
            "seeded for {} (before the warm-up of {}): {} posts by {} agents, {} likes, \
             {} medals, {} comments, {} up-votes, {} down-votes: {} requests on {} connections \
             in {seconds:.1}s ({:.0} req/s; the posts in {:.1}s)\n  mix: {}",
            self.for_scenarios,
            self.before,
            self.posts,
            self.agents,
            self.likes,
            self.medals,
            self.comments,
            self.up_votes,
            self.down_votes,
            self.requests,
            self.connections,
            self.requests as f64 / seconds.max(f64::MIN_POSITIVE),
            self.posts_elapsed.as_secs_f64(),
            Self::MIX,
        )
    }

    pub fn json(&self) -> Json {
        let count = |n: usize| Json::Int(n as u64);
        let mut json = Json::obj([
            ("prepare", Json::str(self.prepare.name())),
            ("for_scenarios", Json::str(self.for_scenarios.clone())),
            ("before", Json::str(self.before)),
            ("agents", count(self.agents)),
            ("connections", count(self.connections)),
            ("posts", count(self.posts)),
            ("likes", count(self.likes)),
            ("medals", count(self.medals)),
            ("comments", count(self.comments)),
            ("up_votes", count(self.up_votes)),
            ("down_votes", count(self.down_votes)),
            ("requests", count(self.requests)),
            ("seconds", Json::Num(self.elapsed.as_secs_f64())),
            ("posts_seconds", Json::Num(self.posts_elapsed.as_secs_f64())),
            (
                "analyze_seconds",
                Json::opt(self.analyzed, |d| Json::Num(d.as_secs_f64())),
            ),
            (
                "mix",
                Json::str(if self.discussions.is_some() {
                    DISCUSSION_MIX
                } else {
                    Self::MIX
                }),
            ),
            ("failure", Json::opt(self.failure.clone(), Json::Str)),
        ]);
        if let (Some(d), Json::Obj(fields)) = (&self.discussions, &mut json) {
            fields.extend(
                [
                    ("authors", count(d.authors)),
                    ("communities", count(d.communities)),
                    ("readers", count(d.readers)),
                    ("follows_per_reader", count(FOLLOWS)),
                    ("subscriptions_per_reader", count(SUBSCRIPTIONS)),
                    ("follows", count(d.follows)),
                    ("subscriptions", count(d.subscriptions)),
                    ("feed_posts_per_reader_min", count(d.feed_min)),
                    ("feed_posts_per_reader_mean", Json::Num(d.feed_mean)),
                    ("feed_posts_per_reader_max", count(d.feed_max)),
                    (
                        "network_seconds",
                        Json::Num(d.network_elapsed.as_secs_f64()),
                    ),
                ]
                .map(|(k, v)| (k.to_owned(), v)),
            );
        }
        json
    }
}

/// The seeded feed as `seeder` (the storage adapter's `seed_posts`
/// example) loads it into `url` before the server starts: `posts` posts by
/// agents `bench-1` … `bench-{agents}` spread over 30 days, up-votes on
/// every fifth. No likes, medals or comments: the scale series reads the
/// ranked lists, which these do not change.
pub fn direct(seeder: &Path, url: &str, posts: usize, agents: usize) -> Result<Seeded, String> {
    eprintln!("==> loading {posts} posts through the storage adapter");
    let started = Instant::now();
    // A bulk load: PostgreSQL need not flush each post's commit to disk.
    let url = if url.starts_with("postgres") && url.contains("options=") {
        format!("{url}%20-csynchronous_commit%3Doff")
    } else {
        url.to_owned()
    };
    let out = Command::new(seeder)
        .args([&url, &posts.to_string(), &agents.to_string()])
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("running {}: {e}", seeder.display()))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(format!(
            "seed_posts failed ({}): {}",
            out.status,
            stdout.trim()
        ));
    }
    let field = |name: &str| {
        stdout
            .split_whitespace()
            .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
    };
    let count = |name: &str| field(name).and_then(|v| v.parse::<usize>().ok());
    let elapsed = started.elapsed();
    eprintln!("    {stdout}", stdout = stdout.trim());
    Ok(Seeded {
        prepare: Prepare::FeedPosts,
        for_scenarios: "the scale series".to_owned(),
        before: "the server's start",
        agents,
        connections: THREADS_OF_SEED_POSTS,
        posts: count("posts").ok_or_else(|| format!("no posts= in {stdout:?}"))?,
        likes: 0,
        medals: 0,
        comments: 0,
        up_votes: count("up").unwrap_or(0),
        down_votes: count("down").unwrap_or(0),
        requests: 0,
        elapsed,
        posts_elapsed: elapsed,
        analyzed: None,
        failure: None,
        sample_post: field("newest").map(str::to_owned),
        discussions: None,
    })
}

/// The threads `seed_posts` writes with.
const THREADS_OF_SEED_POSTS: usize = 4;

/// Posts for the feed scenarios (`plan.posts` of them, spread over the
/// agents), then reactions on them as [`Seeded::MIX`] says, then one
/// request each of the first feed page and of the first hot page of
/// `/api/v1/memes`, to check that they show them.
pub fn feed(plan: &Plan<'_>, for_scenarios: String, before: &'static str) -> Seeded {
    let started = Instant::now();
    let agents = plan.keys.len();
    let mut seeded = Seeded {
        prepare: Prepare::FeedPosts,
        for_scenarios,
        before,
        agents,
        connections: plan.connections,
        posts: 0,
        likes: 0,
        medals: 0,
        comments: 0,
        up_votes: 0,
        down_votes: 0,
        requests: 0,
        elapsed: Duration::ZERO,
        posts_elapsed: Duration::ZERO,
        analyzed: None,
        failure: None,
        sample_post: None,
        discussions: None,
    };
    if agents < MIN_AGENTS {
        seeded.failure = Some(format!(
            "{agents} agents; the reactions need at least {MIN_AGENTS}"
        ));
        return seeded;
    }
    let run = Run::new(plan);

    eprintln!(
        "    seeding {} posts by {agents} agents on {} connections…",
        plan.posts, plan.connections
    );
    let ids = run.each(plan.posts, |client, i| {
        let body = format!(
            r#"{{"imageUrl":"https://img.example/bench/{i}.png","caption":"Bench post {i}","tags":["bench"]}}"#
        );
        let answer = client.post("/api/agent/posts", by(i, 0, agents), &body)?;
        let text = String::from_utf8_lossy(&answer.body);
        json::string_field(&text, "postId")
            .ok_or_else(|| format!("no \"postId\" in the answer to a post: {}", excerpt(&text)))
    });
    seeded.posts = ids.iter().flatten().count();
    seeded.sample_post = ids
        .iter()
        .enumerate()
        .rev()
        .find_map(|(i, id)| id.clone().filter(|_| i % 6 == 0));

    seeded.posts_elapsed = started.elapsed();
    if !run.aborted() {
        eprintln!(
            "    {} posts in {:.1}s",
            seeded.posts,
            seeded.posts_elapsed.as_secs_f64()
        );
        analyze(plan, &mut seeded);
    }
    if !run.aborted() && seeded.failure.is_none() {
        eprintln!("    seeding likes, medals, comments and votes…");
        let (likes, medals, comments) = (
            AtomicUsize::new(0),
            AtomicUsize::new(0),
            AtomicUsize::new(0),
        );
        let (up_votes, down_votes) = (AtomicUsize::new(0), AtomicUsize::new(0));
        run.each(ids.len(), |client, i| {
            let id = ids[i].as_deref().unwrap_or_default();
            let liker = by(i, LIKER, agents);
            let liked = client.post(&format!("/api/agent/posts/{id}/like"), liker, "")?;
            // A toggle sent twice (say, retried) would leave the post unliked.
            if String::from_utf8_lossy(&liked.body).contains(r#""liked":false"#) {
                return Err(format!("liking post {id} unliked it: {}", describe(&liked)));
            }
            likes.fetch_add(1, Ordering::Relaxed);
            if i % 2 == 0 {
                let medal = MEDALS[i / 2 % MEDALS.len()];
                let body = format!(r#"{{"postId":"{id}","medalType":"{medal}"}}"#);
                client.post("/api/agent/vote", liker, &body)?;
                medals.fetch_add(1, Ordering::Relaxed);
            }
            if i % 3 == 0 {
                let body = format!(r#"{{"body":"Bench comment on post {i}"}}"#);
                client.post(
                    &format!("/api/agent/posts/{id}/comments"),
                    by(i, COMMENTER, agents),
                    &body,
                )?;
                comments.fetch_add(1, Ordering::Relaxed);
            }
            client.vote(id, liker, 1)?;
            up_votes.fetch_add(1, Ordering::Relaxed);
            if i % 5 == 0 {
                client.vote(id, by(i, DOWN_VOTER, agents), -1)?;
                down_votes.fetch_add(1, Ordering::Relaxed);
            }
            Ok(())
        });
        seeded.likes = likes.into_inner();
        seeded.medals = medals.into_inner();
        seeded.comments = comments.into_inner();
        seeded.up_votes = up_votes.into_inner();
        seeded.down_votes = down_votes.into_inner();
    }

    if !run.aborted() && seeded.failure.is_none() {
        analyze(plan, &mut seeded);
    }
    if !run.aborted() && seeded.failure.is_none() {
        // The memes scenarios would otherwise measure an empty list as
        // readily as one over the seeded posts.
        let pages = [
            ("/api/agent/feed?sort=latest&limit=20", "items", "feed"),
            ("/api/v1/memes?sort=hot&limit=20", "memes", "hot memes"),
        ];
        run.each(pages.len(), |client, i| {
            let (path, list, what) = pages[i];
            let page = client.get(path, 0)?;
            let text = String::from_utf8_lossy(&page.body);
            let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
            if !compact.contains(&format!(r#""{list}":[{{"#)) {
                return Err(format!(
                    "the first {what} page shows no posts: {}",
                    describe(&page)
                ));
            }
            Ok(())
        });
    }

    seeded.requests = run.requests();
    seeded.failure = run.failure().or(seeded.failure);
    seeded.elapsed = started.elapsed();
    seeded
}

/// Discussion posts the discussion scenarios read unless `--discuss-posts`
/// says otherwise, and with `--quick` (a quick run keeps the network, with
/// fewer posts in it).
pub const DISCUSS_POSTS: usize = 100_000;
pub const QUICK_DISCUSS_POSTS: usize = 5_000;

/// Authors of the discussion posts, registered over HTTP by the seed, and
/// the communities the posts go to: many, so that a reader's follows and
/// subscriptions bring it a fraction of the posts (a tenth of the authors,
/// a tenth of the communities: about a fifth of the posts).
pub const DISCUSS_AUTHORS: usize = 2_000;
pub const COMMUNITIES: usize = 200;

/// Authors each reader follows and communities it subscribes to.
pub const FOLLOWS: usize = 200;
pub const SUBSCRIPTIONS: usize = 20;

/// Words of a discussion post's title and of its body, each drawn from
/// [`VOCABULARY`].
const TITLE_WORDS: usize = 6;
const BODY_WORDS: usize = 40;

/// Every word of every discussion post's title and body: so few that each
/// is in about half of the posts (1 − (63/64)^46), and a search for one
/// (the `search` scenario's queries) matches tens of thousands of them, a
/// worst case for ranking. None is a prefix of another (the last word of
/// a query also matches as a prefix), and none is in the names of the
/// agents and communities, which the search looks through too.
pub const VOCABULARY: [&str; 64] = [
    "alpine", "amber", "atoll", "basalt", "bramble", "breeze", "canyon", "cedar", "cobalt",
    "delta", "drizzle", "dune", "egret", "ember", "estuary", "falcon", "fern", "fjord", "geyser",
    "glacier", "granite", "harbor", "heron", "hollow", "iris", "island", "ivy", "jasper", "jungle",
    "juniper", "kelp", "kestrel", "knoll", "lagoon", "lichen", "lotus", "marsh", "meadow",
    "mistral", "nebula", "nimbus", "oasis", "orchid", "pebble", "prairie", "quartz", "quill",
    "reef", "river", "savanna", "sequoia", "thicket", "tundra", "umber", "upland", "valley",
    "vortex", "walrus", "willow", "xenon", "yarrow", "yonder", "zephyr", "zinnia",
];

/// How the discussions are laid out, in words.
pub const DISCUSSION_MIX: &str = "authors disc_author_0…, registered over HTTP (unclaimed); \
     communities bench_c0… created by the first agent after the readers (a member of each, so \
     every post reaches its feed too); reader r (the agent of load connection r) follows 200 \
     authors and subscribes to 20 communities, both chosen by a fixed shuffle seeded with r, \
     before any post; post i is a text post by author i mod A in community h(i) mod C (h a \
     fixed hash), a 6-word title and a 40-word Markdown body of words drawn by a fixed hash \
     from a 64-word vocabulary; all published just before the scenarios";

/// A fixed scrambling of `n` (SplitMix64's finaliser): the seed's (and the
/// search scenario's) stand-in for randomness, the same on every run.
pub fn mix(n: u64) -> u64 {
    let mut z = n.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Word `j` of discussion post `i` (`j < 255`).
fn word(i: usize, j: usize) -> &'static str {
    let n = mix(((i as u64) << 8) | j as u64);
    VOCABULARY[(n % VOCABULARY.len() as u64) as usize]
}

/// The community (an index) of discussion post `i`.
fn community_of(i: usize, communities: usize) -> usize {
    (mix(((i as u64) << 8) | 0xFF) % communities as u64) as usize
}

/// `take` of `0..of`, chosen by a shuffle seeded with `seed`.
fn chosen(seed: u64, of: usize, take: usize) -> Vec<usize> {
    let mut all: Vec<usize> = (0..of).collect();
    let take = take.min(of);
    for k in 0..take {
        let pick = k + (mix((seed << 32) | k as u64) % (of - k) as u64) as usize;
        all.swap(k, pick);
    }
    all.truncate(take);
    all
}

/// Reader `r`'s followed authors and subscribed communities (indexes).
fn reader_sources(r: usize, authors: usize, communities: usize) -> (Vec<usize>, Vec<usize>) {
    let r = r as u64;
    (
        chosen(2 * r + 1, authors, FOLLOWS),
        chosen(2 * r + 2, communities, SUBSCRIPTIONS),
    )
}

/// Discussion post `i`'s request body in `community`.
fn discussion_body(i: usize, community: &str) -> String {
    let mut title: String = (0..TITLE_WORDS)
        .map(|j| word(i, j))
        .collect::<Vec<_>>()
        .join(" ");
    if let Some(first) = title.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    // Sentences of eight words; a paragraph of three, then one of two.
    let mut body = String::new();
    for j in 0..BODY_WORDS {
        let w = word(i, TITLE_WORDS + j);
        match j {
            0 => body.push_str(w),
            _ if j % 8 == 0 => {
                body.push_str(if j == 24 { ".\\n\\n" } else { ". " });
                body.push_str(w);
            }
            _ => {
                body.push(' ');
                body.push_str(w);
            }
        }
    }
    body.push('.');
    format!(
        r#"{{"communitySlug":"{community}","type":"text","title":"{title} {i}","bodyMd":"{body}"}}"#
    )
}

/// The discussion scenarios' state, on the doseofai API: authors registered
/// over HTTP, communities, then `readers` readers (agents `0..readers`,
/// those of the load's connections) following [`FOLLOWS`] authors and
/// subscribed to [`SUBSCRIPTIONS`] communities each, then `plan.posts`
/// text posts, as [`DISCUSSION_MIX`] says. The follows and subscriptions
/// come first: a reader's feed is a list written as posts are published,
/// which a later follow would fill with only the source's newest 1,000
/// posts. Then one request each of reader 0's feed and of a search, to
/// check that they show posts.
pub fn discussions(
    plan: &Plan<'_>,
    readers: usize,
    for_scenarios: String,
    before: &'static str,
) -> Seeded {
    let started = Instant::now();
    let authors = DISCUSS_AUTHORS;
    let communities = COMMUNITIES;
    let founder = readers;
    let mut seeded = Seeded {
        prepare: Prepare::Discussions,
        for_scenarios,
        before,
        agents: authors + readers + 1,
        connections: plan.connections,
        posts: 0,
        likes: 0,
        medals: 0,
        comments: 0,
        up_votes: 0,
        down_votes: 0,
        requests: 0,
        elapsed: Duration::ZERO,
        posts_elapsed: Duration::ZERO,
        analyzed: None,
        failure: None,
        sample_post: None,
        discussions: None,
    };
    if plan.keys.len() <= founder || readers == 0 {
        seeded.failure = Some(format!(
            "{} agents; {readers} readers and a community founder need {}",
            plan.keys.len(),
            readers + 1
        ));
        return seeded;
    }
    let mut counts = DiscussionCounts {
        readers,
        ..DiscussionCounts::default()
    };
    let run = Run::new(plan);

    eprintln!(
        "    registering {authors} authors, creating {communities} communities, {readers} \
         readers following {FOLLOWS} and subscribing to {SUBSCRIPTIONS} each…"
    );
    let registered: Vec<Option<(String, String)>> = run.each(authors, |client, a| {
        let name = format!("disc author {a}");
        let answer = client.post_as(
            "/api/agents/register",
            None,
            &name,
            &format!(r#"{{"name":"{name}"}}"#),
        )?;
        let text = String::from_utf8_lossy(&answer.body);
        match (
            json::string_field(&text, "api_key"),
            json::string_field(&text, "slug"),
        ) {
            (Some(key), Some(slug)) => Ok((key, slug)),
            _ => Err(format!(
                "no \"api_key\" and \"slug\" in the answer to a registration: {}",
                excerpt(&text)
            )),
        }
    });
    counts.authors = registered.iter().flatten().count();
    let slugs: Vec<String> = (0..communities).map(|c| format!("bench_c{c}")).collect();
    if !run.aborted() {
        let made = run.each(communities, |client, c| {
            let body = format!(r#"{{"slug":"{}","name":"Bench community {c}"}}"#, slugs[c]);
            client.post("/api/discuss/communities", founder, &body)?;
            Ok(())
        });
        counts.communities = made.iter().flatten().count();
    }
    let sources: Vec<(Vec<usize>, Vec<usize>)> = (0..readers)
        .map(|r| reader_sources(r, authors, communities))
        .collect();
    if !run.aborted() {
        let (follows, subscriptions) = (AtomicUsize::new(0), AtomicUsize::new(0));
        // Reader by reader in turn, so concurrent requests are different
        // readers'.
        run.each(readers * (FOLLOWS + SUBSCRIPTIONS), |client, j| {
            let (r, t) = (j % readers, j / readers);
            let (followed, subscribed) = &sources[r];
            if let Some(&a) = followed.get(t) {
                let (_, slug) = registered[a].as_ref().ok_or("an author is missing")?;
                client.post(&format!("/api/agents/{slug}/follow"), r, "")?;
                follows.fetch_add(1, Ordering::Relaxed);
            } else {
                let c = subscribed[t - followed.len()];
                let body = format!(
                    r#"{{"targetType":"community","communitySlug":"{}","subscribe":true}}"#,
                    slugs[c]
                );
                let answer = client.post("/api/discuss/subscribe", r, &body)?;
                let text = String::from_utf8_lossy(&answer.body);
                if !text.contains(r#""subscribed":true"#) {
                    return Err(format!(
                        "subscribing bench-{} to {}: {}",
                        r + 1,
                        slugs[c],
                        describe(&answer)
                    ));
                }
                subscriptions.fetch_add(1, Ordering::Relaxed);
            }
            Ok(())
        });
        counts.follows = follows.into_inner();
        counts.subscriptions = subscriptions.into_inner();
    }
    counts.network_elapsed = started.elapsed();

    if !run.aborted() {
        eprintln!(
            "    network in {:.1}s; seeding {} discussion posts by {authors} authors on {} \
             connections…",
            counts.network_elapsed.as_secs_f64(),
            plan.posts,
            plan.connections
        );
        let posts_started = Instant::now();
        // Post i by author i mod A: with A a multiple of the connections,
        // each author posts from one connection only, so posts do not wait
        // for their author's previous one.
        let made = run.each(plan.posts, |client, i| {
            let a = i % authors;
            let (key, slug) = registered[a].as_ref().ok_or("an author is missing")?;
            let body = discussion_body(i, &slugs[community_of(i, communities)]);
            client.post_as("/api/discuss/posts", Some(key), slug, &body)?;
            Ok(())
        });
        seeded.posts_elapsed = posts_started.elapsed();
        seeded.posts = made.iter().flatten().count();
        // What each reader's feed holds, by the layout: the posts made
        // (all of them, unless seeding stopped) by an author it follows or
        // in a community it subscribes to.
        let sizes: Vec<usize> = sources
            .iter()
            .map(|(followed, subscribed)| {
                let mut follows = vec![false; authors];
                followed.iter().for_each(|&a| follows[a] = true);
                let mut subscribes = vec![false; communities];
                subscribed.iter().for_each(|&c| subscribes[c] = true);
                made.iter()
                    .enumerate()
                    .filter(|(i, made)| {
                        made.is_some()
                            && (follows[i % authors] || subscribes[community_of(*i, communities)])
                    })
                    .count()
            })
            .collect();
        counts.feed_min = sizes.iter().copied().min().unwrap_or(0);
        counts.feed_max = sizes.iter().copied().max().unwrap_or(0);
        counts.feed_mean = sizes.iter().sum::<usize>() as f64 / sizes.len().max(1) as f64;
        if !run.aborted() {
            eprintln!(
                "    {} posts in {:.1}s",
                seeded.posts,
                seeded.posts_elapsed.as_secs_f64()
            );
            analyze(plan, &mut seeded);
        }
    }

    if !run.aborted() && seeded.failure.is_none() {
        // The scenarios would otherwise measure an empty page as readily.
        let search = format!("/api/discuss/search?q={}", VOCABULARY[0]);
        let pages = [
            (
                "/api/discuss/feed?mode=my&sort=new&limit=20",
                "personal feed",
            ),
            (
                "/api/discuss/feed?mode=my&sort=hot&limit=20",
                "hot personal feed",
            ),
            (search.as_str(), "search"),
        ];
        run.each(pages.len(), |client, i| {
            let (path, what) = pages[i];
            let page = client.get(path, 0)?;
            let text = String::from_utf8_lossy(&page.body);
            let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
            if !compact.contains(r#""posts":[{"#) {
                return Err(format!(
                    "the first {what} page of bench-1 shows no posts: {}",
                    describe(&page)
                ));
            }
            Ok(())
        });
    }

    seeded.discussions = Some(counts);
    seeded.requests = run.requests();
    seeded.failure = run.failure().or(seeded.failure);
    seeded.elapsed = started.elapsed();
    seeded
}

/// The agent at `offset` from post `i`'s author (offset 0).
fn by(i: usize, offset: usize, agents: usize) -> usize {
    (i + offset) % agents
}

/// `plan.analyze`'s `VACUUM ANALYZE`, timed into `seeded`; a failure ends seeding.
fn analyze(plan: &Plan<'_>, seeded: &mut Seeded) {
    let Some(schema) = plan.analyze else { return };
    match schema.analyze() {
        Ok(took) => {
            eprintln!(
                "    VACUUM ANALYZE of schema {} in {:.2}s",
                schema.name(),
                took.as_secs_f64()
            );
            *seeded.analyzed.get_or_insert(Duration::ZERO) += took;
        }
        Err(e) => seeded.failure = Some(format!("VACUUM ANALYZE: {e}")),
    }
}

/// One seeding step over many items, shared by its connections (also
/// what `webhooks.rs` sends its posts and likes with).
pub(super) struct Run<'a> {
    plan: &'a Plan<'a>,
    abort: AtomicBool,
    failure: Mutex<Option<String>>,
    requests: AtomicUsize,
}

impl<'a> Run<'a> {
    pub(super) fn new(plan: &'a Plan<'a>) -> Run<'a> {
        Run {
            plan,
            abort: AtomicBool::new(false),
            failure: Mutex::new(None),
            requests: AtomicUsize::new(0),
        }
    }

    /// Requests sent so far.
    pub(super) fn requests(&self) -> usize {
        self.requests.load(Ordering::Relaxed)
    }

    /// The first step that failed, if one did.
    pub(super) fn failure(&self) -> Option<String> {
        self.failure
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub(super) fn aborted(&self) -> bool {
        self.abort.load(Ordering::Relaxed)
    }

    /// `step(client, i)` for every `i < count`, connection `c` taking
    /// `c, c + connections, …`; results by `i`, `None` where not reached.
    /// The first error stops every connection.
    pub(super) fn each<T: Send>(
        &self,
        count: usize,
        step: impl Fn(&mut Client<'_>, usize) -> Result<T, String> + Sync,
    ) -> Vec<Option<T>> {
        let connections = self.plan.connections.clamp(1, count.max(1));
        let step = &step;
        let done: Vec<Vec<(usize, T)>> = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..connections)
                .map(|first| {
                    scope.spawn(move || {
                        let mut client = Client {
                            run: self,
                            conn: None,
                        };
                        let mut done = Vec::new();
                        for i in (first..count).step_by(connections) {
                            if self.aborted() {
                                break;
                            }
                            match step(&mut client, i) {
                                Ok(value) => done.push((i, value)),
                                Err(e) => {
                                    self.fail(e);
                                    break;
                                }
                            }
                        }
                        done
                    })
                })
                .collect();
            workers
                .into_iter()
                .map(|w| {
                    w.join().unwrap_or_else(|_| {
                        self.fail("a seeding thread panicked".into());
                        Vec::new()
                    })
                })
                .collect()
        });
        let mut by_index: Vec<Option<T>> = (0..count).map(|_| None).collect();
        for (i, value) in done.into_iter().flatten() {
            by_index[i] = Some(value);
        }
        by_index
    }

    fn fail(&self, failure: String) {
        self.abort.store(true, Ordering::Relaxed);
        self.failure
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get_or_insert(failure);
    }
}

/// One keep-alive connection of a seeding step.
pub(super) struct Client<'a> {
    run: &'a Run<'a>,
    conn: Option<Connection>,
}

impl Client<'_> {
    /// `json` as agent `agent` (an index into the plan's keys); the answer
    /// if it is 2xx.
    pub(super) fn post(
        &mut self,
        path: &str,
        agent: usize,
        json: &str,
    ) -> Result<Response, String> {
        let key = &self.run.plan.keys[agent];
        self.post_as(path, Some(key), &format!("bench-{}", agent + 1), json)
    }

    /// [`Self::post`] with `key` (or none), an agent the plan's keys do not
    /// hold (one the seed registered), named `who` in an error.
    fn post_as(
        &mut self,
        path: &str,
        key: Option<&str>,
        who: &str,
        json: &str,
    ) -> Result<Response, String> {
        let mut headers = Vec::new();
        if let Some(key) = key {
            headers.push(("Authorization", format!("Bearer {key}")));
        }
        if !json.is_empty() {
            headers.push(("Content-Type", "application/json".to_owned()));
        }
        self.send("POST", path, who, &headers, json.as_bytes())
    }

    /// An up (1) or down (-1) vote on `post` as `agent`, through
    /// `/api/v1`; an error unless the answer shows it standing: the same
    /// direction sent twice (say, retried) takes the vote back.
    fn vote(&mut self, post: &str, agent: usize, direction: i64) -> Result<(), String> {
        let path = format!("/api/v1/memes/{post}/vote");
        let answer = self.post(&path, agent, &format!(r#"{{"direction":{direction}}}"#))?;
        let text = String::from_utf8_lossy(&answer.body);
        if json::int_field(&text, "agentVote") != Some(direction) {
            return Err(format!(
                "POST {path} as bench-{} with direction {direction}: no \"agentVote\":{direction} \
                 in the answer: {}",
                agent + 1,
                describe(&answer)
            ));
        }
        Ok(())
    }

    fn get(&mut self, path: &str, agent: usize) -> Result<Response, String> {
        let headers = self.auth(agent);
        self.send("GET", path, &format!("bench-{}", agent + 1), &headers, b"")
    }

    fn auth(&self, agent: usize) -> Vec<(&'static str, String)> {
        vec![(
            "Authorization",
            format!("Bearer {}", self.run.plan.keys[agent]),
        )]
    }

    /// The answer if it is 2xx, else what went wrong, with the request.
    fn send(
        &mut self,
        method: &str,
        path: &str,
        agent: &str,
        headers: &[(&'static str, String)],
        body: &[u8],
    ) -> Result<Response, String> {
        let request = Request {
            method,
            path,
            headers,
            body,
        };
        self.run.requests.fetch_add(1, Ordering::Relaxed);
        let who = format!("{method} {path} as {agent}");
        match exchange(&mut self.conn, self.run.plan.addr, &request) {
            Ok(answer) if (200..300).contains(&answer.status) => Ok(answer),
            Ok(answer) => Err(format!("{who}: {}", describe(&answer))),
            Err(e) => Err(format!("{who}: {e}")),
        }
    }
}

pub(super) fn excerpt(text: &str) -> String {
    let mut out: String = text.chars().take(200).collect();
    if out.len() < text.len() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_agent_reacts_to_its_own_post_or_twice_in_one_role() {
        for agents in MIN_AGENTS..=40 {
            for i in 0..200 {
                let author = by(i, 0, agents);
                let actors = [LIKER, COMMENTER, DOWN_VOTER].map(|o| by(i, o, agents));
                assert!(!actors.contains(&author), "{agents} agents, post {i}");
                // The down-voter is not the up-voter (the liker).
                assert_ne!(actors[0], actors[2], "{agents} agents, post {i}");
            }
        }
    }

    #[test]
    fn the_vocabulary_is_plain_words_none_a_prefix_of_another() {
        for (i, w) in VOCABULARY.iter().enumerate() {
            assert!(
                w.len() >= 3 && w.bytes().all(|b| b.is_ascii_lowercase()),
                "{w}"
            );
            for (j, v) in VOCABULARY.iter().enumerate() {
                assert!(i == j || !v.starts_with(w), "{w} {v}");
            }
            // Not in the names of the agents and communities searched too.
            for name in ["disc", "author", "bench", "community", "c0"] {
                assert!(!name.starts_with(w) && !w.starts_with(name), "{w}");
            }
        }
    }

    #[test]
    fn readers_follow_and_subscribe_to_distinct_sources() {
        for r in 0..40 {
            let (followed, subscribed) = reader_sources(r, DISCUSS_AUTHORS, COMMUNITIES);
            for (chosen, of, take) in [
                (followed, DISCUSS_AUTHORS, FOLLOWS),
                (subscribed, COMMUNITIES, SUBSCRIPTIONS),
            ] {
                let mut unique = chosen.clone();
                unique.sort_unstable();
                unique.dedup();
                assert_eq!(unique.len(), take);
                assert!(chosen.iter().all(|&x| x < of));
            }
        }
        assert_ne!(
            reader_sources(0, DISCUSS_AUTHORS, COMMUNITIES),
            reader_sources(1, DISCUSS_AUTHORS, COMMUNITIES)
        );
        assert_eq!(chosen(3, 5, 10).len(), 5);
    }

    #[test]
    fn a_reader_sees_about_a_fifth_of_the_posts() {
        let (followed, subscribed) = reader_sources(0, DISCUSS_AUTHORS, COMMUNITIES);
        let posts = 20_000;
        let seen = (0..posts)
            .filter(|&i| {
                followed.contains(&(i % DISCUSS_AUTHORS))
                    || subscribed.contains(&community_of(i, COMMUNITIES))
            })
            .count();
        // 1 − 0.9 × 0.9 = 0.19.
        assert!(
            (0.17..0.21).contains(&(seen as f64 / posts as f64)),
            "{seen}"
        );
        let mut per_community = vec![0; COMMUNITIES];
        (0..posts).for_each(|i| per_community[community_of(i, COMMUNITIES)] += 1);
        assert!(per_community.iter().all(|&n| (50..150).contains(&n)));
    }

    #[test]
    fn discussion_bodies_are_json_of_vocabulary_words() {
        let body = discussion_body(42, "bench_c7");
        assert!(body.starts_with(r#"{"communitySlug":"bench_c7","type":"text","title":""#));
        assert!(body.ends_with(r#"."}"#));
        assert_eq!(body.matches('"').count(), 16, "{body}");
        assert!(body.contains(r".\n\n"));
        let title = json::string_field(&body, "title").unwrap();
        assert!(title.ends_with(" 42") && title.starts_with(|c: char| c.is_ascii_uppercase()));
        let text = json::string_field(&body, "bodyMd").unwrap();
        let words: Vec<&str> = text
            .split(|c: char| !c.is_ascii_alphabetic())
            .filter(|w| !w.is_empty())
            .collect();
        assert_eq!(words.len(), BODY_WORDS);
        assert!(words.iter().all(|w| VOCABULARY.contains(w)));
        // About half the posts hold a given word.
        let holding = (0..2_000)
            .filter(|&i| (0..TITLE_WORDS + BODY_WORDS).any(|j| word(i, j) == "marsh"))
            .count();
        assert!((800..1_200).contains(&holding), "{holding}");
    }

    #[test]
    fn agents_grow_with_the_posts() {
        // 10,000 posts: the 16 agents the load has anyway.
        assert_eq!(agents_for(FEED_POSTS), 16);
        assert_eq!(agents_for(QUICK_FEED_POSTS), 4);
        assert_eq!(agents_for(100_000), 160);
        assert_eq!(agents_for(100_001), 161);
        assert_eq!(agents_for(1), MIN_AGENTS);
    }
}
