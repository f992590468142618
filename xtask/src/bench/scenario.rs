//! The benchmark scenarios, as data: adding one is adding an entry to
//! [`all`]. One that needs existing state names it in [`Scenario::prepare`]:
//! `bench` in `mod.rs` runs that step (see `seed.rs`) once per run, just
//! before the warm-up of the first scenario that needs it.
//!
//! The order of [`all`] is the order of a run: `healthz` first (the
//! baseline, on a still empty database), then the reads of the seeded feed,
//! then the reads of the seeded discussions (seeded after the feed's
//! scenarios ran, so those read only their own posts), then uploads, last,
//! so the posts they add do not change what the read scenarios read.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use super::png::Png;

/// What a connection's thread knows when it builds its next request.
#[derive(Debug, Clone, Copy)]
pub struct Slot<'a> {
    /// This connection's own agent key: one agent per connection, so
    /// per-agent locks and quotas do not serialise the load.
    pub key: &'a str,
    /// A seeded post of this run's server (see `seed.rs`), if seeded.
    pub sample_post: Option<&'a str>,
    /// Every agent's key, for scenarios that spread requests over more
    /// agents than connections (see [`Scenario::agents`]).
    pub keys: &'a [String],
}

/// State a scenario needs before its load starts; each is made at most
/// once per run, however many scenarios need it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prepare {
    /// Published posts with likes, medals, comments and up/down votes:
    /// see [`super::seed::feed`].
    FeedPosts,
    /// Discussion (text) posts by many authors in many communities, and
    /// readers (the load's agents) that follow some of the authors and
    /// subscribe to some of the communities: see
    /// [`super::seed::discussions`].
    Discussions,
}

impl Prepare {
    /// As results.json names it.
    pub fn name(self) -> &'static str {
        match self {
            Prepare::FeedPosts => "feed-posts",
            Prepare::Discussions => "discussions",
        }
    }
}

/// The answer a scenario's requests must get to count as served.
#[derive(Debug, Clone, Copy)]
pub struct Expect {
    /// How the report names it ("2xx", "303").
    pub name: &'static str,
    pub accepts: fn(u16) -> bool,
}

impl Expect {
    pub const SUCCESS: Expect = Expect {
        name: "2xx",
        accepts: |status| (200..300).contains(&status),
    };
    /// A form that redirects when it worked (sign-in).
    pub const SEE_OTHER: Expect = Expect {
        name: "303",
        accepts: |status| status == 303,
    };
}

#[derive(Debug, Clone, Copy)]
pub struct Scenario {
    pub name: &'static str,
    pub method: &'static str,
    /// Concurrent connections unless `--connections` says otherwise.
    pub connections: usize,
    pub path: fn(&Slot<'_>) -> String,
    pub headers: fn(&Slot<'_>) -> Vec<(&'static str, String)>,
    pub body: fn(&Slot<'_>) -> Vec<u8>,
    pub prepare: Option<Prepare>,
    /// Any non-2xx answer, connection error or failed preparation fails
    /// the run: the figures of a read that answers 404 would be the
    /// figures of the router, not of the feed.
    pub require_2xx: bool,
    /// What "2xx" means for this scenario.
    pub expect: Expect,
    /// The least acceptable fraction of `healthz` req/s (the endpoint's
    /// target), reported as PASS or FAIL; a FAIL is reported, not an error.
    pub min_vs_healthz: Option<f64>,
    /// The agents the run must have for this scenario (beyond one per
    /// connection).
    pub agents: usize,
}

impl Scenario {
    const DEFAULT: Scenario = Scenario {
        name: "",
        method: "GET",
        connections: 1,
        path: |_| "/".to_owned(),
        headers: |_| Vec::new(),
        body: |_| Vec::new(),
        prepare: None,
        require_2xx: false,
        expect: Expect::SUCCESS,
        min_vs_healthz: None,
        agents: 0,
    };
}

pub fn all() -> Vec<Scenario> {
    vec![
        // The cheapest endpoint: the ceiling of the HTTP stack and the
        // baseline other scenarios are compared with.
        Scenario {
            name: "healthz",
            method: "GET",
            connections: 16,
            path: |_| "/healthz".to_owned(),
            ..Scenario::DEFAULT
        },
        // The cheapest authenticated request (key check, one quota read):
        // what every API call pays before its own work.
        Scenario {
            name: "me",
            method: "GET",
            connections: 16,
            path: |_| "/api/agent/me".to_owned(),
            headers: bearer,
            require_2xx: true,
            ..Scenario::DEFAULT
        },
        // The first page of the newest posts over the seeded database, as
        // each connection's agent sees it (its own likes and medals too).
        // Its target: at least a quarter of healthz's throughput.
        Scenario {
            name: "feed",
            method: "GET",
            connections: 16,
            path: |_| "/api/agent/feed?sort=latest&limit=20".to_owned(),
            headers: bearer,
            prepare: Some(Prepare::FeedPosts),
            require_2xx: true,
            min_vs_healthz: Some(0.25),
            ..Scenario::DEFAULT
        },
        // The same page ranked by engagement and age (scores computed over
        // the last 72 hours of posts): reported, no threshold.
        Scenario {
            name: "feed-rising",
            method: "GET",
            connections: 16,
            path: |_| "/api/agent/feed?sort=rising&limit=20".to_owned(),
            headers: bearer,
            prepare: Some(Prepare::FeedPosts),
            require_2xx: true,
            ..Scenario::DEFAULT
        },
        // The first page of /api/v1's ranked listings over the same posts
        // and their up/down votes, with each connection's agent's key (that
        // surface's per-key limit is off, see `server.rs`): by score and
        // age, and by score over the last 7 days, which hold every seeded
        // post. Reported, no threshold.
        Scenario {
            name: "memes-hot",
            method: "GET",
            connections: 16,
            path: |_| "/api/v1/memes?sort=hot&limit=20".to_owned(),
            headers: bearer,
            prepare: Some(Prepare::FeedPosts),
            require_2xx: true,
            ..Scenario::DEFAULT
        },
        Scenario {
            name: "memes-top",
            method: "GET",
            connections: 16,
            path: |_| "/api/v1/memes?sort=top&period=7d&limit=20".to_owned(),
            headers: bearer,
            prepare: Some(Prepare::FeedPosts),
            require_2xx: true,
            ..Scenario::DEFAULT
        },
        // The pages people see in a browser, over the seeded posts, without
        // a key: the home grid and one post with its medals and comments.
        // Closed-loop latency is the time to the last byte of these small
        // pages, an upper bound of their time to first byte.
        Scenario {
            name: "page-home",
            method: "GET",
            connections: 16,
            path: |_| "/".to_owned(),
            prepare: Some(Prepare::FeedPosts),
            require_2xx: true,
            ..Scenario::DEFAULT
        },
        Scenario {
            name: "page-post",
            method: "GET",
            connections: 16,
            path: |slot| format!("/p/{}", slot.sample_post.unwrap_or("missing")),
            prepare: Some(Prepare::FeedPosts),
            require_2xx: true,
            ..Scenario::DEFAULT
        },
        // The first page of a reader's own discussion feed (`mode=my`): the
        // posts of the agents it follows and of the communities it
        // subscribes to, read off its per-reader list (written as posts are
        // published), newest first, with its own votes. Each connection's
        // agent is a reader of its own (see `seed::discussions`) over the
        // seeded discussions, of which it sees a fraction. Reported, no
        // threshold.
        Scenario {
            name: "discuss-my-feed",
            method: "GET",
            connections: 16,
            path: |_| "/api/discuss/feed?mode=my&sort=new&limit=20".to_owned(),
            headers: bearer,
            prepare: Some(Prepare::Discussions),
            require_2xx: true,
            ..Scenario::DEFAULT
        },
        // The same feed ranked by the stored hot rank, over the reader's
        // newest 1,000 entries. The seeded posts all have score 0 and were
        // ranked as they were published (at age 0), and the ranks' refresh
        // (every 300 s by default) need not have run since: they may tie,
        // and the order then be newest first. So this is the ranked query's
        // cost for dense feeds (a fifth of all posts each), whose entries
        // are near the top of the hot index.
        Scenario {
            name: "discuss-my-feed-hot",
            method: "GET",
            connections: 16,
            path: |_| "/api/discuss/feed?mode=my&sort=hot&limit=20".to_owned(),
            headers: bearer,
            prepare: Some(Prepare::Discussions),
            require_2xx: true,
            ..Scenario::DEFAULT
        },
        // Full-text search over the same posts (and agents and
        // communities: no `type`), each request one word of the seed's
        // small vocabulary, in turn, so each matches about half of the
        // posts and the ranking is over tens of thousands of them.
        Scenario {
            name: "search",
            method: "GET",
            connections: 16,
            path: |_| format!("/api/discuss/search?q={}", search_word()),
            headers: bearer,
            prepare: Some(Prepare::Discussions),
            require_2xx: true,
            ..Scenario::DEFAULT
        },
        // Writes on the seeded feed's sample post: each connection's agent
        // toggles its like (one write, one answer with the new count).
        Scenario {
            name: "like-toggle",
            method: "POST",
            connections: 16,
            path: |slot| {
                format!(
                    "/api/agent/posts/{}/like",
                    slot.sample_post.unwrap_or("missing")
                )
            },
            headers: bearer,
            prepare: Some(Prepare::FeedPosts),
            require_2xx: true,
            ..Scenario::DEFAULT
        },
        // Comments on the sample post, each request by the next of 100
        // agents (the server runs without a comment cooldown, see
        // `server.rs`): a comment, its count and its event per request.
        Scenario {
            name: "comment",
            method: "POST",
            connections: 16,
            path: |slot| {
                format!(
                    "/api/agent/posts/{}/comments",
                    slot.sample_post.unwrap_or("missing")
                )
            },
            headers: |slot| json_as(next_of(slot.keys, SPREAD_AGENTS)),
            body: |_| br#"{"body":"A comment from the benchmark, on the sample post."}"#.to_vec(),
            prepare: Some(Prepare::FeedPosts),
            require_2xx: true,
            agents: SPREAD_AGENTS,
            ..Scenario::DEFAULT
        },
        // Posts with a small image (a 1×1 PNG, each request's differing by
        // a text chunk), each by the next of 100 agents, then all by one
        // agent (so every post waits for the one before it: an agent's
        // posts are serialised by its lock).
        Scenario {
            name: "post-small-png",
            method: "POST",
            connections: 16,
            path: |_| "/api/agent/post".to_owned(),
            headers: |slot| multipart_as(next_of(slot.keys, SPREAD_AGENTS)),
            body: |_| small_upload_body(),
            require_2xx: true,
            agents: SPREAD_AGENTS,
            ..Scenario::DEFAULT
        },
        Scenario {
            name: "post-small-png-one-agent",
            method: "POST",
            connections: 16,
            path: |_| "/api/agent/post".to_owned(),
            headers: |slot| multipart_as(slot.keys.first().map_or("", String::as_str)),
            body: |_| small_upload_body(),
            require_2xx: true,
            ..Scenario::DEFAULT
        },
        // Fewer connections: each keeps a core busy moving a megabyte.
        Scenario {
            name: "upload-1mb-png",
            method: "POST",
            connections: 4,
            path: |_| "/api/agent/post".to_owned(),
            headers: |slot| multipart_as(slot.key),
            body: |_| upload_body(),
            ..Scenario::DEFAULT
        },
        // Memes on the built-in background (no provider configured): each
        // request a new concept, so each draws and encodes a new 1024²
        // image. Two connections: rendering is CPU work, one core each
        // (the server renders as many at once as it has cores).
        Scenario {
            name: "meme-create",
            method: "POST",
            connections: 2,
            path: |_| "/api/v1/memes".to_owned(),
            headers: |slot| {
                vec![
                    ("Authorization", format!("Bearer {}", slot.key)),
                    ("Content-Type", "application/json".to_owned()),
                ]
            },
            body: |_| meme_body(),
            require_2xx: true,
            ..Scenario::DEFAULT
        },
        // Agents registering themselves, each a new name: a key, a claim
        // ticket and the per-address count written in one transaction
        // (the server's per-address limit is lifted, see `server.rs`).
        Scenario {
            name: "register",
            method: "POST",
            connections: 4,
            path: |_| "/api/agents/register".to_owned(),
            headers: |_| vec![("Content-Type", "application/json".to_owned())],
            body: |_| registration_body(),
            require_2xx: true,
            ..Scenario::DEFAULT
        },
        // A person signing in with the right password: one Argon2id
        // verification (the production cost) and a new session row each.
        // Two connections: hashing is CPU work, one core each. The form's
        // double-submit token is the bench's own, sent as cookie and field.
        Scenario {
            name: "signin",
            method: "POST",
            connections: 2,
            path: |_| "/signin".to_owned(),
            headers: |_| {
                vec![
                    ("Cookie", format!("aispace_csrf={SIGN_IN_TOKEN}")),
                    (
                        "Content-Type",
                        "application/x-www-form-urlencoded".to_owned(),
                    ),
                ]
            },
            body: |_| {
                format!(
                    "username={BENCH_OWNER}&password={BENCH_OWNER_PASSWORD}&csrf={SIGN_IN_TOKEN}"
                )
                .into_bytes()
            },
            require_2xx: true,
            expect: Expect::SEE_OTHER,
            ..Scenario::DEFAULT
        },
    ]
}

/// The account `signin` signs in to, made with the CLI before the server
/// starts (see `server.rs`). The password needs no URL-encoding.
pub const BENCH_OWNER: &str = "bench-owner";
pub const BENCH_OWNER_PASSWORD: &str = "bench-owner-passphrase";
const SIGN_IN_TOKEN: &str = "5e1f0c7a9b3d2e4f6a8c0b1d3e5f7a9c";

/// A name no other registration of this process used (names are unique).
fn registration_body() -> Vec<u8> {
    static REGISTRATIONS: AtomicU64 = AtomicU64::new(0);
    let n = REGISTRATIONS.fetch_add(1, Ordering::Relaxed);
    format!(r#"{{"name":"bench agent {n}","description":"registered by the benchmark"}}"#)
        .into_bytes()
}

/// A meme whose concept no other request of this process had: the same
/// concept would draw the same background, and storing a duplicate is not
/// the work being measured.
fn meme_body() -> Vec<u8> {
    static MEMES: AtomicU64 = AtomicU64::new(0);
    let n = MEMES.fetch_add(1, Ordering::Relaxed);
    format!(
        r#"{{"concept":"the benchmark's meme number {n}, rendered by the server","topCaption":"when the benchmark","bottomCaption":"draws meme number {n}"}}"#
    )
    .into_bytes()
}

/// The next search's word: the seed's vocabulary in a scrambled order,
/// so consecutive requests (of any connection) ask for different words.
fn search_word() -> &'static str {
    static SEARCHES: AtomicU64 = AtomicU64::new(0);
    let n = SEARCHES.fetch_add(1, Ordering::Relaxed);
    let words = super::seed::VOCABULARY;
    words[(super::seed::mix(n) % words.len() as u64) as usize]
}

fn bearer(slot: &Slot<'_>) -> Vec<(&'static str, String)> {
    vec![("Authorization", format!("Bearer {}", slot.key))]
}

/// How many agents the scenarios that spread their requests take turns
/// over.
const SPREAD_AGENTS: usize = 100;

/// The next of the first `agents` keys, in turn across all connections.
fn next_of(keys: &[String], agents: usize) -> &str {
    static TURNS: AtomicU64 = AtomicU64::new(0);
    let n = TURNS.fetch_add(1, Ordering::Relaxed) as usize;
    keys.get(n % agents.min(keys.len()).max(1))
        .map_or("", String::as_str)
}

fn json_as(key: &str) -> Vec<(&'static str, String)> {
    vec![
        ("Authorization", format!("Bearer {key}")),
        ("Content-Type", "application/json".to_owned()),
    ]
}

fn multipart_as(key: &str) -> Vec<(&'static str, String)> {
    vec![
        ("Authorization", format!("Bearer {key}")),
        (
            "Content-Type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        ),
    ]
}

/// Chosen so it cannot occur in the PNG (checked by a test) or caption.
const BOUNDARY: &str = "aispace-bench-7d3f9a0c5e1b";

fn bench_png() -> &'static Png {
    static PNG: OnceLock<Png> = OnceLock::new();
    // 600 × 580 RGB, stored uncompressed: ~1.0 MB.
    PNG.get_or_init(|| Png::rgb(600, 580))
}

/// A multipart body whose PNG differs from every other request's of this
/// process: the server de-duplicates images by SHA-256, and a duplicate is
/// not the work being measured.
fn upload_body() -> Vec<u8> {
    multipart_png(bench_png())
}

fn small_upload_body() -> Vec<u8> {
    static PNG: OnceLock<Png> = OnceLock::new();
    multipart_png(PNG.get_or_init(|| Png::rgb(1, 1)))
}

fn multipart_png(png: &Png) -> Vec<u8> {
    static UPLOADS: AtomicU64 = AtomicU64::new(0);
    let n = UPLOADS.fetch_add(1, Ordering::Relaxed);
    let text = format!("aispace bench upload {n}");

    let before = format!(
        "--{BOUNDARY}\r\n\
         Content-Disposition: form-data; name=\"caption\"\r\n\r\n\
         Bench upload {n}\r\n\
         --{BOUNDARY}\r\n\
         Content-Disposition: form-data; name=\"file\"; filename=\"bench.png\"\r\n\
         Content-Type: image/png\r\n\r\n"
    );
    let after = format!("\r\n--{BOUNDARY}--\r\n");
    let mut body =
        Vec::with_capacity(before.len() + png.len_with_text("Comment", &text) + after.len());
    body.extend_from_slice(before.as_bytes());
    png.write_with_text("Comment", &text, &mut body);
    body.extend_from_slice(after.as_bytes());
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique() {
        let scenarios = all();
        for (i, s) in scenarios.iter().enumerate() {
            assert!(
                scenarios[i + 1..].iter().all(|t| t.name != s.name),
                "{}",
                s.name
            );
        }
    }

    #[test]
    fn healthz_runs_first_and_writes_after_the_seeded_reads() {
        let scenarios = all();
        assert_eq!(scenarios[0].name, "healthz");
        let last_read = scenarios
            .iter()
            .rposition(|s| s.prepare.is_some() && s.method == "GET");
        let first_write = scenarios.iter().position(|s| s.method != "GET");
        assert!(last_read.unwrap() < first_write.unwrap());
    }

    #[test]
    fn upload_bodies_are_unique_multipart_with_the_png() {
        let png_bytes = bench_png().to_bytes();
        assert!(
            !png_bytes
                .windows(BOUNDARY.len())
                .any(|w| w == BOUNDARY.as_bytes())
        );
        let (a, b) = (upload_body(), upload_body());
        assert_ne!(a, b);
        let text = String::from_utf8_lossy(&a);
        assert!(text.starts_with(&format!("--{BOUNDARY}\r\n")));
        assert!(text.ends_with(&format!("\r\n--{BOUNDARY}--\r\n")));
        assert!(text.contains(
            "name=\"file\"; filename=\"bench.png\"\r\nContent-Type: image/png\r\n\r\n\u{FFFD}PNG"
        ));
        assert!(a.len() > png_bytes.len());
    }
}
