//! The benchmark scenarios, as data: adding one is adding an entry to
//! [`all`]. One that reads existing state names it in
//! [`Scenario::prepare`]; the run makes that state (`seed.rs`) once, just
//! before the warm-up of the first scenario that needs it.
//!
//! The order of [`all`] is the order of a run: `healthz` first (the
//! baseline, on an empty database), then the reads of the seeded feed,
//! then those of the seeded discussions, then the writes, so the posts
//! they add do not change what the reads read.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use aispace_fixtures::http::{MULTIPART_CONTENT_TYPE, Part, multipart_body};
use aispace_fixtures::images;
use base64::Engine;

/// What a connection's thread knows when it builds its next request.
#[derive(Debug, Clone, Copy)]
pub struct Slot<'a> {
    /// This connection's own agent: per-agent locks and quotas do not
    /// serialise the load.
    pub key: &'a str,
    /// A seeded post, for the scenarios that read or write one post.
    pub sample_post: Option<&'a str>,
    /// Every agent's key, for scenarios that take turns over more agents
    /// than connections.
    pub keys: &'a [String],
}

/// State a scenario needs before its load starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Prepare {
    /// Published posts with likes, medals, comments and up/down votes.
    FeedPosts,
    /// Discussion posts by many authors in many communities, read by the
    /// load's agents through follows and subscriptions.
    Discussions,
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
    /// Any other answer, a connection error or a failed preparation fails
    /// the run: the figures of a read answering 404 are the router's.
    pub require_2xx: bool,
    /// The status that counts as served: 2xx unless set (a form that
    /// redirects when it worked).
    pub expect_status: Option<u16>,
    /// In an answer with an accepted status, text that still marks a
    /// refusal: an MCP tool error is a `200` with `"isError":true`.
    pub refused_when_body_has: Option<&'static str>,
    /// The least acceptable fraction of `healthz` requests/s, reported as
    /// PASS or FAIL (a FAIL is reported, not an error).
    pub min_vs_healthz: Option<f64>,
    /// Agents the run must have beyond one per connection.
    pub agents: usize,
}

impl Scenario {
    pub fn accepts(&self, status: u16) -> bool {
        match self.expect_status {
            Some(expected) => status == expected,
            None => (200..300).contains(&status),
        }
    }

    /// Whether an answer is what the scenario measures.
    pub fn served(&self, status: u16, body: &[u8]) -> bool {
        self.accepts(status)
            && self.refused_when_body_has.is_none_or(|mark| {
                !body
                    .windows(mark.len())
                    .any(|window| window == mark.as_bytes())
            })
    }
}

/// A read of the seeded state with the connection's key, on 16
/// connections, answered 2xx.
const fn read(name: &'static str, path: fn(&Slot<'_>) -> String, prepare: Prepare) -> Scenario {
    Scenario {
        name,
        method: "GET",
        connections: 16,
        path,
        headers: bearer,
        body: |_| Vec::new(),
        prepare: Some(prepare),
        require_2xx: true,
        expect_status: None,
        refused_when_body_has: None,
        min_vs_healthz: None,
        agents: 0,
    }
}

/// A write on 16 connections, answered 2xx.
const fn write(
    name: &'static str,
    path: fn(&Slot<'_>) -> String,
    body: fn(&Slot<'_>) -> Vec<u8>,
) -> Scenario {
    Scenario {
        method: "POST",
        body,
        prepare: None,
        ..read(name, path, Prepare::FeedPosts)
    }
}

pub fn all() -> Vec<Scenario> {
    use Prepare::{Discussions, FeedPosts};
    vec![
        // The cheapest endpoint: the HTTP stack's ceiling, and the baseline.
        Scenario {
            headers: |_| Vec::new(),
            prepare: None,
            require_2xx: false,
            ..read("healthz", |_| "/healthz".into(), FeedPosts)
        },
        // The cheapest authenticated request: what every API call pays first.
        Scenario {
            prepare: None,
            ..read("me", |_| "/api/agent/me".into(), FeedPosts)
        },
        // The newest posts as each connection's agent sees them (its own
        // likes and medals too); target: a quarter of healthz.
        Scenario {
            min_vs_healthz: Some(0.25),
            ..read(
                "feed",
                |_| "/api/agent/feed?sort=latest&limit=20".into(),
                FeedPosts,
            )
        },
        read(
            "feed-rising",
            |_| "/api/agent/feed?sort=rising&limit=20".into(),
            FeedPosts,
        ),
        // /api/v1's ranked listings over the same posts and their votes
        // (that surface's per-key limit is off, see `server.rs`).
        read(
            "memes-hot",
            |_| "/api/v1/memes?sort=hot&limit=20".into(),
            FeedPosts,
        ),
        read(
            "memes-top",
            |_| "/api/v1/memes?sort=top&period=7d&limit=20".into(),
            FeedPosts,
        ),
        // The pages people see, without a key: time to the last byte of
        // small pages bounds their time to the first.
        Scenario {
            headers: |_| Vec::new(),
            ..read("page-home", |_| "/".into(), FeedPosts)
        },
        Scenario {
            headers: |_| Vec::new(),
            ..read(
                "page-post",
                |s| format!("/p/{}", s.sample_post.unwrap_or("missing")),
                FeedPosts,
            )
        },
        // A reader's own discussion feed (`mode=my`), newest first and by
        // the stored hot rank: each connection's agent is a reader that sees
        // about a fifth of the seeded discussions.
        read(
            "discuss-my-feed",
            |_| "/api/discuss/feed?mode=my&sort=new&limit=20".into(),
            Discussions,
        ),
        read(
            "discuss-my-feed-hot",
            |_| "/api/discuss/feed?mode=my&sort=hot&limit=20".into(),
            Discussions,
        ),
        // The newest posts of every kind, as doseofai's REST feed and as
        // MCP's `read_feed` tool call reads them: the same use case.
        read(
            "discuss-feed-new",
            |_| "/api/discuss/feed?sort=new&limit=20".into(),
            FeedPosts,
        ),
        // Full-text search, one word of the seed's small vocabulary per
        // request: each matches about half of the posts, a worst case.
        read(
            "search",
            |_| format!("/api/discuss/search?q={}", search_word()),
            Discussions,
        ),
        Scenario {
            headers: |s| mcp_as(s.key),
            prepare: Some(FeedPosts),
            refused_when_body_has: Some(MCP_TOOL_ERROR),
            ..write(
                "mcp-read-feed",
                |_| "/mcp".into(),
                |_| {
                    mcp_call(
                        "read_feed",
                        &serde_json::json!({"sort": "newest", "limit": 20}),
                    )
                },
            )
        },
        // Each connection's agent toggles its like of the sample post.
        Scenario {
            prepare: Some(FeedPosts),
            ..write(
                "like-toggle",
                |s| {
                    format!(
                        "/api/agent/posts/{}/like",
                        s.sample_post.unwrap_or("missing")
                    )
                },
                |_| Vec::new(),
            )
        },
        // Comments on the sample post by 100 agents in turn (the server runs
        // without a comment cooldown, see `server.rs`).
        Scenario {
            headers: |s| json_as(next_of(s.keys, SPREAD_AGENTS)),
            prepare: Some(FeedPosts),
            agents: SPREAD_AGENTS,
            ..write(
                "comment",
                |s| {
                    format!(
                        "/api/agent/posts/{}/comments",
                        s.sample_post.unwrap_or("missing")
                    )
                },
                |_| br#"{"body":"A comment from the benchmark, on the sample post."}"#.to_vec(),
            )
        },
        // A 1×1 PNG (each request's differs) by 100 agents in turn, then all
        // by one agent, whose posts wait for each other on its lock.
        Scenario {
            headers: |s| multipart_as(next_of(s.keys, SPREAD_AGENTS)),
            agents: SPREAD_AGENTS,
            ..write(
                "post-small-png",
                |_| "/api/agent/post".into(),
                |_| upload_body(small_png()),
            )
        },
        // The same posts as an MCP `create_post` with the image in base64.
        Scenario {
            headers: |s| mcp_as(next_of(s.keys, SPREAD_AGENTS)),
            agents: SPREAD_AGENTS,
            refused_when_body_has: Some(MCP_TOOL_ERROR),
            ..write(
                "mcp-create-post",
                |_| "/mcp".into(),
                |_| {
                    let image =
                        base64::engine::general_purpose::STANDARD.encode(unique_png(small_png()));
                    mcp_call("create_post", &serde_json::json!({"imageBase64": image}))
                },
            )
        },
        Scenario {
            headers: |s| multipart_as(s.keys.first().map_or("", String::as_str)),
            ..write(
                "post-small-png-one-agent",
                |_| "/api/agent/post".into(),
                |_| upload_body(small_png()),
            )
        },
        // A megabyte per request: four connections keep the cores busy.
        Scenario {
            connections: 4,
            headers: |s| multipart_as(s.key),
            require_2xx: false,
            ..write(
                "upload-1mb-png",
                |_| "/api/agent/post".into(),
                |_| upload_body(large_png()),
            )
        },
        // Memes on the built-in background, a new concept each, so each
        // draws and encodes a new 1024² image: CPU work, one core each.
        Scenario {
            connections: 2,
            headers: |s| json_as(s.key),
            ..write("meme-create", |_| "/api/v1/memes".into(), |_| meme_body())
        },
        // Agents registering themselves: a key, a claim ticket and the
        // per-address count in one transaction (that limit is lifted).
        Scenario {
            connections: 4,
            headers: |_| vec![("Content-Type", "application/json".to_owned())],
            ..write(
                "register",
                |_| "/api/agents/register".into(),
                |_| registration_body(),
            )
        },
        // A person signing in: one Argon2id verification at the production
        // cost and a session row. The double-submit token is the bench's own.
        Scenario {
            connections: 2,
            headers: |_| {
                vec![
                    ("Cookie", format!("aispace_csrf={SIGN_IN_TOKEN}")),
                    (
                        "Content-Type",
                        "application/x-www-form-urlencoded".to_owned(),
                    ),
                ]
            },
            expect_status: Some(303),
            ..write(
                "signin",
                |_| "/signin".into(),
                |_| {
                    format!("username={BENCH_OWNER}&password={BENCH_OWNER_PASSWORD}&csrf={SIGN_IN_TOKEN}")
                    .into_bytes()
                },
            )
        },
    ]
}

/// The account `signin` signs in to, made with the CLI before the server
/// starts. The password needs no URL-encoding.
pub const BENCH_OWNER: &str = "bench-owner";
pub const BENCH_OWNER_PASSWORD: &str = "bench-owner-passphrase";
const SIGN_IN_TOKEN: &str = "5e1f0c7a9b3d2e4f6a8c0b1d3e5f7a9c";

/// How many agents the scenarios that spread their requests take turns over.
const SPREAD_AGENTS: usize = 100;

/// A count shared by every connection of the process, so that names,
/// concepts and images never repeat (the server de-duplicates images by
/// hash and names are unique).
fn next() -> u64 {
    static COUNT: AtomicU64 = AtomicU64::new(0);
    COUNT.fetch_add(1, Ordering::Relaxed)
}

fn registration_body() -> Vec<u8> {
    let n = next();
    format!(r#"{{"name":"bench agent {n}","description":"registered by the benchmark"}}"#)
        .into_bytes()
}

fn meme_body() -> Vec<u8> {
    let n = next();
    format!(
        r#"{{"concept":"the benchmark's meme number {n}, rendered by the server","topCaption":"when the benchmark","bottomCaption":"draws meme number {n}"}}"#
    )
    .into_bytes()
}

/// The seed's vocabulary in a scrambled order.
fn search_word() -> &'static str {
    let words = super::seed::VOCABULARY;
    words[(super::seed::mix(next()) % words.len() as u64) as usize]
}

fn bearer(slot: &Slot<'_>) -> Vec<(&'static str, String)> {
    vec![("Authorization", format!("Bearer {}", slot.key))]
}

/// The next of the first `agents` keys, in turn across all connections.
fn next_of(keys: &[String], agents: usize) -> &str {
    // Its own turns: a scenario's body may count with `next` too.
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

pub fn multipart_as(key: &str) -> Vec<(&'static str, String)> {
    vec![
        ("Authorization", format!("Bearer {key}")),
        ("Content-Type", MULTIPART_CONTENT_TYPE.to_owned()),
    ]
}

/// How rmcp writes a tool error's flag.
const MCP_TOOL_ERROR: &str = "\"isError\":true";

/// A JSON-RPC `tools/call` of `tool`, one request standing alone as the
/// stateless transport takes it.
fn mcp_call(tool: &str, arguments: &serde_json::Value) -> Vec<u8> {
    let call = serde_json::json!({
        "jsonrpc": "2.0",
        "id": next(),
        "method": "tools/call",
        "params": {"name": tool, "arguments": arguments},
    });
    call.to_string().into_bytes()
}

fn mcp_as(key: &str) -> Vec<(&'static str, String)> {
    vec![
        ("Authorization", format!("Bearer {key}")),
        ("Content-Type", "application/json".to_owned()),
        ("Accept", "application/json, text/event-stream".to_owned()),
    ]
}

/// 600 × 580 RGB, stored uncompressed: about 1.0 MB.
fn large_png() -> &'static [u8] {
    static PNG: OnceLock<Vec<u8>> = OnceLock::new();
    PNG.get_or_init(|| images::png(600, 580, 0))
}

fn small_png() -> &'static [u8] {
    static PNG: OnceLock<Vec<u8>> = OnceLock::new();
    PNG.get_or_init(|| images::png(1, 1, 0))
}

/// `png` with a text chunk of its own, so the server stores it as a new
/// image.
fn unique_png(png: &[u8]) -> Vec<u8> {
    images::with_text(png, "Comment", &format!("aispace bench upload {}", next()))
}

/// A multipart upload of `png` with a caption, made unique
/// ([`unique_png`]).
pub fn upload_body(png: &[u8]) -> Vec<u8> {
    let caption = format!("Bench upload {}", next());
    let (_, body) = multipart_body(&[
        Part::text("caption", &caption),
        Part::file("file", &unique_png(png)),
    ]);
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_healthz_first_and_writes_after_the_reads() {
        let scenarios = all();
        for (i, s) in scenarios.iter().enumerate() {
            assert!(
                scenarios[i + 1..].iter().all(|t| t.name != s.name),
                "{}",
                s.name
            );
        }
        assert_eq!(scenarios[0].name, "healthz");
        let last_read = scenarios
            .iter()
            .rposition(|s| s.prepare.is_some() && s.method == "GET");
        let first_write = scenarios.iter().position(|s| s.method != "GET");
        assert!(last_read.unwrap() < first_write.unwrap());
    }

    #[test]
    fn uploads_are_unique_multipart_bodies_holding_the_png() {
        assert!(large_png().len() > 1_000_000);
        let (a, b) = (upload_body(small_png()), upload_body(small_png()));
        assert_ne!(a, b);
        let holds = |body: &[u8], part: &[u8]| body.windows(part.len()).any(|w| w == part);
        let png_without_iend = &small_png()[..small_png().len() - 12];
        assert!(holds(&a, png_without_iend) && holds(&a, b"tEXtComment\0"));
    }
}
