//! State a scenario reads, made over HTTP as any client would make it:
//! thousands of published posts with reactions for the feeds ([`feed`]),
//! and a network of discussion posts, authors, communities, follows and
//! subscriptions for the discussion feed and search ([`discussions`]); or,
//! for the scale series, posts loaded through the storage adapter
//! ([`direct`]).
//!
//! Requests go out on several keep-alive connections at once, each with
//! the key of the agent acting, so per-agent locks do not serialise them.
//! Seeding stops at the first answer that is not 2xx and reports it.

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use serde_json::{Value, json};

use super::client::Client;
use super::database::PgSchema;
use super::scenario::Prepare;

/// Posts of the feed scenarios: `--feed-posts`, else these.
pub const FEED_POSTS: usize = 10_000;
pub const QUICK_FEED_POSTS: usize = 2_000;
/// Discussion posts: `--discuss-posts`, else these.
pub const DISCUSS_POSTS: usize = 100_000;
pub const QUICK_DISCUSS_POSTS: usize = 5_000;

/// Concurrent seeding connections.
pub const CONNECTIONS: usize = 8;

/// Who acts on post `i`: agent `i + offset` (mod the agents), its author
/// being offset 0. With fewer than four agents an offset would name the
/// author (who may not vote on its own post) or one agent twice.
const LIKER: usize = 1;
const COMMENTER: usize = 2;
const DOWN_VOTER: usize = 3;

/// At most this many posts per agent: each post counts its author's posts
/// of the day and each vote its voter's votes of the minute, so with a
/// fixed number of agents a larger seed would measure busier agents, not a
/// larger network.
const POSTS_PER_AGENT: usize = 625;

pub fn agents_for(posts: usize) -> usize {
    posts.div_ceil(POSTS_PER_AGENT).max(DOWN_VOTER + 1)
}

/// The discussions' network: authors registered over HTTP, communities,
/// and per reader (the agent of each load connection) the authors it
/// follows and the communities it subscribes to (about a fifth of the
/// posts reach it).
pub const DISCUSS_AUTHORS: usize = 2_000;
pub const COMMUNITIES: usize = 200;
pub const FOLLOWS: usize = 200;
pub const SUBSCRIPTIONS: usize = 20;

/// Every word of every discussion post: so few that each is in about half
/// of the posts, a worst case for ranking a search. None is a prefix of
/// another, nor in an agent's or community's name.
pub const VOCABULARY: [&str; 64] = [
    "alpine", "amber", "atoll", "basalt", "bramble", "breeze", "canyon", "cedar", "cobalt",
    "delta", "drizzle", "dune", "egret", "ember", "estuary", "falcon", "fern", "fjord", "geyser",
    "glacier", "granite", "harbor", "heron", "hollow", "iris", "island", "ivy", "jasper", "jungle",
    "juniper", "kelp", "kestrel", "knoll", "lagoon", "lichen", "lotus", "marsh", "meadow",
    "mistral", "nebula", "nimbus", "oasis", "orchid", "pebble", "prairie", "quartz", "quill",
    "reef", "river", "savanna", "sequoia", "thicket", "tundra", "umber", "upland", "valley",
    "vortex", "walrus", "willow", "xenon", "yarrow", "yonder", "zephyr", "zinnia",
];

/// What was seeded, and how long it took.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Seeded {
    pub prepare: Option<Prepare>,
    /// The scenarios of the run that read it.
    pub for_scenarios: String,
    pub agents: usize,
    pub posts: usize,
    pub likes: usize,
    pub medals: usize,
    pub comments: usize,
    pub up_votes: usize,
    pub down_votes: usize,
    pub requests: usize,
    pub seconds: f64,
    /// Of `seconds`, publishing the posts.
    pub posts_seconds: f64,
    /// Of `seconds`, PostgreSQL's `VACUUM ANALYZE`.
    pub analyze_seconds: Option<f64>,
    /// Where seeding stopped, or a first page that shows no posts.
    pub failure: Option<String>,
    /// The newest post with a like, a medal and a comment.
    pub sample_post: Option<String>,
    /// Discussions: authors and communities made, readers, their follows
    /// and subscriptions, and how many posts a reader's feed holds.
    pub network: Option<Network>,
}

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Network {
    pub authors: usize,
    pub communities: usize,
    pub readers: usize,
    pub follows: usize,
    pub subscriptions: usize,
    pub feed_posts_min: usize,
    pub feed_posts_mean: f64,
    pub feed_posts_max: usize,
}

impl Seeded {
    pub fn summary(&self) -> String {
        let mut line = format!(
            "seeded for {}: {} posts by {} agents, {} likes, {} medals, {} comments, {} up and {} down votes, \
             {} requests in {:.1}s (posts {:.1}s",
            self.for_scenarios,
            self.posts,
            self.agents,
            self.likes,
            self.medals,
            self.comments,
            self.up_votes,
            self.down_votes,
            self.requests,
            self.seconds,
            self.posts_seconds
        );
        if let Some(analyze) = self.analyze_seconds {
            line.push_str(&format!(", VACUUM ANALYZE {analyze:.1}s"));
        }
        line.push(')');
        if let Some(n) = &self.network {
            line.push_str(&format!(
                "; {} authors, {} communities, {} readers with {} follows and {} subscriptions, feeds of {}–{} posts \
                 (mean {:.0})",
                n.authors, n.communities, n.readers, n.follows, n.subscriptions, n.feed_posts_min, n.feed_posts_max,
                n.feed_posts_mean
            ));
        }
        if let Some(failure) = &self.failure {
            line.push_str(&format!("; FAILED: {failure}"));
        }
        line
    }
}

/// Where and how to seed.
#[derive(Debug, Clone, Copy)]
pub struct Plan<'a> {
    pub addr: SocketAddr,
    /// Agent `n` is `bench-{n + 1}`.
    pub keys: &'a [String],
    pub posts: usize,
    /// PostgreSQL: vacuumed and analysed after the posts and at the end.
    pub analyze: Option<&'a PgSchema>,
}

/// `plan.posts` posts by the agents in turn, then on each a like and an
/// up-vote, on every second a medal, every third a comment, every fifth a
/// down-vote; then a check that the first feed and hot pages show them.
pub fn feed(plan: &Plan<'_>, for_scenarios: String) -> Seeded {
    let started = Instant::now();
    let agents = plan.keys.len();
    let by = |i: usize, offset: usize| plan.keys[(i + offset) % agents].as_str();
    let mut seeded = Seeded {
        prepare: Some(Prepare::FeedPosts),
        for_scenarios,
        agents,
        ..Seeded::default()
    };
    let steps = Steps::new(plan.addr, CONNECTIONS);
    eprintln!("    seeding {} posts by {agents} agents…", plan.posts);
    let ids = steps.each(plan.posts, |client, i| {
        let post = json!({"imageUrl": format!("https://img.example/bench/{i}.png"), "caption": format!("Bench post {i}"), "tags": ["bench"]});
        let answer = client.call("POST", "/api/agent/posts", Some(by(i, 0)), &post)?;
        answer.field("postId").ok_or_else(|| format!("no postId in {}", answer.describe()))
    });
    seeded.posts = ids.iter().flatten().count();
    seeded.sample_post = ids
        .iter()
        .enumerate()
        .rev()
        .find_map(|(i, id)| id.clone().filter(|_| i % 6 == 0));
    seeded.posts_seconds = started.elapsed().as_secs_f64();
    analyze(plan, &steps, &mut seeded);

    let counts: [AtomicUsize; 5] = Default::default();
    steps.each(ids.len(), |client, i| {
        let id = ids[i].as_deref().unwrap_or_default();
        let liked = client.call(
            "POST",
            &format!("/api/agent/posts/{id}/like"),
            Some(by(i, LIKER)),
            &Value::Null,
        )?;
        // A toggle sent twice (say, retried) would leave the post unliked.
        if liked.json()["liked"] == false {
            return Err(format!("liking post {id} unliked it"));
        }
        counts[0].fetch_add(1, Ordering::Relaxed);
        if i % 2 == 0 {
            let medal = ["GOLD", "SILVER", "BRONZE"][i / 2 % 3];
            client.call(
                "POST",
                "/api/agent/vote",
                Some(by(i, LIKER)),
                &json!({"postId": id, "medalType": medal}),
            )?;
            counts[1].fetch_add(1, Ordering::Relaxed);
        }
        if i % 3 == 0 {
            let comment = json!({"body": format!("Bench comment on post {i}")});
            client.call(
                "POST",
                &format!("/api/agent/posts/{id}/comments"),
                Some(by(i, COMMENTER)),
                &comment,
            )?;
            counts[2].fetch_add(1, Ordering::Relaxed);
        }
        vote(client, id, by(i, LIKER), 1)?;
        counts[3].fetch_add(1, Ordering::Relaxed);
        if i % 5 == 0 {
            vote(client, id, by(i, DOWN_VOTER), -1)?;
            counts[4].fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    });
    let [likes, medals, comments, up, down] = counts.map(AtomicUsize::into_inner);
    (
        seeded.likes,
        seeded.medals,
        seeded.comments,
        seeded.up_votes,
        seeded.down_votes,
    ) = (likes, medals, comments, up, down);
    analyze(plan, &steps, &mut seeded);
    // The reads would otherwise measure an empty page as readily.
    let pages = [
        ("/api/agent/feed?sort=latest&limit=20", "items"),
        ("/api/v1/memes?sort=hot&limit=20", "memes"),
    ];
    check_pages(&steps, &pages, &plan.keys[0]);
    steps.finish(&mut seeded, started);
    seeded
}

/// An up (1) or down (-1) vote through `/api/v1`; an error unless the
/// answer shows it standing (the same direction twice takes it back).
fn vote(client: &mut Client, post: &str, key: &str, direction: i64) -> Result<(), String> {
    let path = format!("/api/v1/memes/{post}/vote");
    let answer = client.call("POST", &path, Some(key), &json!({"direction": direction}))?;
    match answer.json()["agentVote"].as_i64() {
        Some(vote) if vote == direction => Ok(()),
        _ => Err(format!(
            "POST {path} with {direction}: {}",
            answer.describe()
        )),
    }
}

/// A fixed scrambling of `n` (SplitMix64's finaliser): the seed's and the
/// search scenario's stand-in for randomness, the same on every run.
pub fn mix(n: u64) -> u64 {
    let mut z = n.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Word `j` of discussion post `i`, and post `i`'s community.
fn word(i: usize, j: usize) -> &'static str {
    VOCABULARY[(mix(((i as u64) << 8) | j as u64) % 64) as usize]
}

fn community_of(i: usize) -> usize {
    (mix(((i as u64) << 8) | 0xFF) % COMMUNITIES as u64) as usize
}

/// `take` of `0..of`, chosen by a shuffle seeded with `seed`.
fn chosen(seed: u64, of: usize, take: usize) -> Vec<usize> {
    let mut all: Vec<usize> = (0..of).collect();
    for k in 0..take.min(of) {
        all.swap(
            k,
            k + (mix((seed << 32) | k as u64) % (of - k) as u64) as usize,
        );
    }
    all.truncate(take.min(of));
    all
}

/// Discussion post `i`: a 6-word title and a 40-word body in sentences of
/// eight words, a paragraph of three and one of two.
fn discussion(i: usize) -> Value {
    let mut title = (0..6).map(|j| word(i, j)).collect::<Vec<_>>().join(" ");
    title[..1].make_ascii_uppercase();
    let mut body = String::new();
    for j in 0..40 {
        let separator = match j {
            0 => "",
            24 => ".\n\n",
            _ if j % 8 == 0 => ". ",
            _ => " ",
        };
        body.push_str(separator);
        body.push_str(word(i, 6 + j));
    }
    body.push('.');
    json!({"communitySlug": format!("bench_c{}", community_of(i)), "type": "text", "title": format!("{title} {i}"), "bodyMd": body})
}

/// The discussion scenarios' state: authors registered over HTTP, the
/// communities (made by agent `readers`, a member of each), each reader's
/// follows and subscriptions (before any post: a later follow would bring
/// only the source's newest 1,000), then the posts, post `i` by author
/// `i mod A` in community `h(i) mod C`; then a check that reader 0's feeds
/// and a search show posts.
pub fn discussions(plan: &Plan<'_>, readers: usize, for_scenarios: String) -> Seeded {
    let started = Instant::now();
    let founder = readers;
    let mut seeded = Seeded {
        prepare: Some(Prepare::Discussions),
        for_scenarios,
        agents: DISCUSS_AUTHORS + readers + 1,
        ..Seeded::default()
    };
    if plan.keys.len() <= founder {
        seeded.failure = Some(format!(
            "{} agents; {readers} readers and a founder need more",
            plan.keys.len()
        ));
        return seeded;
    }
    let steps = Steps::new(plan.addr, CONNECTIONS);
    let mut network = Network {
        readers,
        ..Network::default()
    };
    eprintln!(
        "    registering {DISCUSS_AUTHORS} authors, {COMMUNITIES} communities, {readers} readers…"
    );
    let authors = steps.each(DISCUSS_AUTHORS, |client, a| {
        let answer = client.call(
            "POST",
            "/api/agents/register",
            None,
            &json!({"name": format!("disc author {a}")}),
        )?;
        let agent = &answer.json()["agent"];
        match (agent["api_key"].as_str(), agent["slug"].as_str()) {
            (Some(key), Some(slug)) => Ok((key.to_owned(), slug.to_owned())),
            _ => Err(format!(
                "no agent.api_key and agent.slug in {}",
                answer.describe()
            )),
        }
    });
    network.authors = authors.iter().flatten().count();
    network.communities = steps
        .each(COMMUNITIES, |client, c| {
            let community =
                json!({"slug": format!("bench_c{c}"), "name": format!("Bench community {c}")});
            client
                .call(
                    "POST",
                    "/api/discuss/communities",
                    Some(&plan.keys[founder]),
                    &community,
                )
                .map(drop)
        })
        .iter()
        .flatten()
        .count();
    let sources: Vec<(Vec<usize>, Vec<usize>)> = (0..readers as u64)
        .map(|r| {
            (
                chosen(2 * r + 1, DISCUSS_AUTHORS, FOLLOWS),
                chosen(2 * r + 2, COMMUNITIES, SUBSCRIPTIONS),
            )
        })
        .collect();
    // Reader by reader in turn, so concurrent requests are different readers'.
    let (follows, subscriptions) = (AtomicUsize::new(0), AtomicUsize::new(0));
    steps.each(readers * (FOLLOWS + SUBSCRIPTIONS), |client, j| {
        let (r, t) = (j % readers, j / readers);
        let (followed, subscribed) = &sources[r];
        if let Some(&a) = followed.get(t) {
            let (_, slug) = authors[a].as_ref().ok_or("an author is missing")?;
            client.call(
                "POST",
                &format!("/api/agents/{slug}/follow"),
                Some(&plan.keys[r]),
                &Value::Null,
            )?;
            follows.fetch_add(1, Ordering::Relaxed);
        } else {
            let slug = format!("bench_c{}", subscribed[t - followed.len()]);
            let subscribe =
                json!({"targetType": "community", "communitySlug": slug, "subscribe": true});
            client.call(
                "POST",
                "/api/discuss/subscribe",
                Some(&plan.keys[r]),
                &subscribe,
            )?;
            subscriptions.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    });
    (network.follows, network.subscriptions) = (follows.into_inner(), subscriptions.into_inner());

    eprintln!(
        "    network in {:.1}s; {} discussion posts…",
        started.elapsed().as_secs_f64(),
        plan.posts
    );
    let posting = Instant::now();
    // With as many authors as a multiple of the connections, each author
    // posts from one connection, so no post waits for its author's last.
    let made = steps.each(plan.posts, |client, i| {
        let (key, _) = authors[i % DISCUSS_AUTHORS]
            .as_ref()
            .ok_or("an author is missing")?;
        client
            .call("POST", "/api/discuss/posts", Some(key), &discussion(i))
            .map(drop)
    });
    seeded.posts_seconds = posting.elapsed().as_secs_f64();
    seeded.posts = made.iter().flatten().count();
    let sizes: Vec<usize> = sources
        .iter()
        .map(|(followed, subscribed)| {
            let reaches = |i: usize| {
                followed.contains(&(i % DISCUSS_AUTHORS)) || subscribed.contains(&community_of(i))
            };
            (0..made.len())
                .filter(|&i| made[i].is_some() && reaches(i))
                .count()
        })
        .collect();
    network.feed_posts_min = sizes.iter().copied().min().unwrap_or(0);
    network.feed_posts_max = sizes.iter().copied().max().unwrap_or(0);
    network.feed_posts_mean = sizes.iter().sum::<usize>() as f64 / sizes.len().max(1) as f64;
    seeded.network = Some(network);
    analyze(plan, &steps, &mut seeded);
    let search = format!("/api/discuss/search?q={}", VOCABULARY[0]);
    let pages = [
        ("/api/discuss/feed?mode=my&sort=new&limit=20", "posts"),
        ("/api/discuss/feed?mode=my&sort=hot&limit=20", "posts"),
        (search.as_str(), "posts"),
    ];
    check_pages(&steps, &pages, &plan.keys[0]);
    steps.finish(&mut seeded, started);
    seeded
}

/// Each page, read as `key`, must list something in its field `list`.
fn check_pages(steps: &Steps, pages: &[(&str, &str)], key: &str) {
    steps.each(pages.len(), |client, i| {
        let (path, list) = pages[i];
        let page = client.call("GET", path, Some(key), &Value::Null)?;
        match page.json()[list].as_array() {
            Some(items) if !items.is_empty() => Ok(()),
            _ => Err(format!("GET {path} shows no posts: {}", page.describe())),
        }
    });
}

/// PostgreSQL's `VACUUM ANALYZE` of the run's schema, timed into `seeded`.
fn analyze(plan: &Plan<'_>, steps: &Steps, seeded: &mut Seeded) {
    if let Some(schema) = plan.analyze.filter(|_| !steps.aborted()) {
        match schema.analyze() {
            Ok(took) => *seeded.analyze_seconds.get_or_insert(0.0) += took.as_secs_f64(),
            Err(e) => steps.fail(format!("VACUUM ANALYZE: {e}")),
        }
    }
}

/// `posts` posts loaded by `aispace-storage-diesel`'s `seed_posts` example
/// straight into the database at `url` (before the server starts): by
/// `bench-1` … `bench-{agents}` over 30 days, up-votes on every fifth.
pub fn direct(seeder: &Path, url: &str, posts: usize, agents: usize) -> Result<Seeded, String> {
    eprintln!("==> loading {posts} posts through the storage adapter");
    let started = Instant::now();
    // A bulk load: PostgreSQL need not flush each commit to disk.
    let url = if url.contains("options=") {
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
    let count = |name: &str| field(name).and_then(|v| v.parse().ok()).unwrap_or(0);
    let seconds = started.elapsed().as_secs_f64();
    eprintln!("    {}", stdout.trim());
    Ok(Seeded {
        prepare: Some(Prepare::FeedPosts),
        for_scenarios: "the scale series".into(),
        agents,
        posts: count("posts"),
        up_votes: count("up"),
        down_votes: count("down"),
        seconds,
        posts_seconds: seconds,
        sample_post: field("newest").map(str::to_owned),
        ..Seeded::default()
    })
}

/// Steps over many items on several connections; the first failure stops
/// every connection and is the seed's failure.
pub struct Steps {
    addr: SocketAddr,
    connections: usize,
    abort: AtomicBool,
    failure: Mutex<Option<String>>,
    requests: AtomicUsize,
}

impl Steps {
    pub fn new(addr: SocketAddr, connections: usize) -> Steps {
        let (abort, failure, requests) = (
            AtomicBool::new(false),
            Mutex::new(None),
            AtomicUsize::new(0),
        );
        Steps {
            addr,
            connections,
            abort,
            failure,
            requests,
        }
    }

    pub fn aborted(&self) -> bool {
        self.abort.load(Ordering::Relaxed)
    }

    pub fn fail(&self, failure: String) {
        self.abort.store(true, Ordering::Relaxed);
        self.failure
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get_or_insert(failure);
    }

    pub fn failure(&self) -> Option<String> {
        self.failure
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn finish(&self, seeded: &mut Seeded, started: Instant) {
        seeded.requests = self.requests.load(Ordering::Relaxed);
        seeded.failure = self.failure().or(seeded.failure.take());
        seeded.seconds = started.elapsed().as_secs_f64();
    }

    /// `step(client, i)` for every `i < count`, connection `c` taking
    /// `c, c + connections, …`; results by `i`, `None` where not reached.
    /// Nothing runs once a step has failed.
    pub fn each<T: Send>(
        &self,
        count: usize,
        step: impl Fn(&mut Client, usize) -> Result<T, String> + Sync,
    ) -> Vec<Option<T>> {
        let connections = self.connections.clamp(1, count.max(1));
        let mut by_index: Vec<Option<T>> = (0..count).map(|_| None).collect();
        let step = &step;
        let done: Vec<(usize, T)> = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..connections)
                .map(|first| {
                    scope.spawn(move || {
                        let mut client = Client::new(self.addr);
                        let mut done = Vec::new();
                        for i in (first..count).step_by(connections) {
                            if self.aborted() {
                                break;
                            }
                            match step(&mut client, i) {
                                Ok(value) => done.push((i, value)),
                                Err(e) => self.fail(e),
                            }
                        }
                        self.requests.fetch_add(client.sent, Ordering::Relaxed);
                        done
                    })
                })
                .collect();
            workers
                .into_iter()
                .flat_map(|w| w.join().unwrap_or_default())
                .collect()
        });
        for (i, value) in done {
            by_index[i] = Some(value);
        }
        by_index
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_vocabulary_is_plain_words_none_a_prefix_of_another() {
        for (i, a) in VOCABULARY.iter().enumerate() {
            assert!(a.chars().all(|c| c.is_ascii_lowercase()));
            assert!(
                VOCABULARY
                    .iter()
                    .enumerate()
                    .all(|(j, b)| i == j || !b.starts_with(a)),
                "{a}"
            );
        }
    }

    #[test]
    fn readers_follow_distinct_authors_and_see_about_a_fifth_of_the_posts() {
        let followed = chosen(1, DISCUSS_AUTHORS, FOLLOWS);
        let mut unique = followed.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), FOLLOWS);
        let subscribed = chosen(2, COMMUNITIES, SUBSCRIPTIONS);
        let seen = (0..10_000)
            .filter(|&i| {
                followed.contains(&(i % DISCUSS_AUTHORS)) || subscribed.contains(&community_of(i))
            })
            .count();
        assert!((1_500..2_500).contains(&seen), "{seen}");
    }

    #[test]
    fn discussions_are_vocabulary_words_and_agents_grow_with_the_posts() {
        let post = discussion(7);
        let words = format!(
            "{} {}",
            post["title"].as_str().unwrap(),
            post["bodyMd"].as_str().unwrap()
        );
        let words = words
            .split(|c: char| !c.is_ascii_alphabetic())
            .filter(|w| !w.is_empty());
        assert!(
            words
                .map(str::to_ascii_lowercase)
                .all(|w| VOCABULARY.contains(&w.as_str()))
        );
        assert_eq!(
            (agents_for(100), agents_for(10_000), agents_for(10_001)),
            (4, 16, 17)
        );
    }
}
