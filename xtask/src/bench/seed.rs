//! State a scenario reads, made over HTTP like any client would make it,
//! before the scenario's warm-up: the feed pages over thousands of
//! published posts with reactions, not over an empty table.
//!
//! Requests go out on several keep-alive connections at once, each request
//! with the key of the agent acting (author, liker, voter, commenter), so
//! the work is spread like the load's and per-agent locks do not serialise
//! it. Seeding stops at the first answer that is not 2xx and reports it.

use std::net::SocketAddr;
use std::sync::Mutex;
use std::sync::PoisonError;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::database::PgSchema;
use super::http::{Connection, Request, Response};
use super::json::{self, Json};
use super::load::{describe, exchange};

/// Posts the feed scenarios read, and with `--quick` (seeding 10,000 takes
/// a while; fewer still makes the first page cost the same, though the
/// rising window holds fewer candidates).
pub const FEED_POSTS: usize = 10_000;
pub const QUICK_FEED_POSTS: usize = 2_000;

/// Concurrent seeding connections.
pub const CONNECTIONS: usize = 8;

/// A medal needs a voter other than the author.
pub const MIN_AGENTS: usize = 2;

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
    pub requests: usize,
    pub elapsed: Duration,
    /// Time spent in `ANALYZE` (PostgreSQL), part of `elapsed`.
    pub analyzed: Option<Duration>,
    /// The first request answered other than 2xx (or not at all), where
    /// seeding stopped; or a first feed page that shows no posts.
    pub failure: Option<String>,
    /// A seeded post's id, for the scenarios that read one post's page:
    /// the most recent with a like, a medal and a comment (see [`Self::MIX`]).
    pub sample_post: Option<String>,
}

impl Seeded {
    /// How the posts and reactions are spread, in words.
    pub const MIX: &'static str = "post i by agent i mod A; a like on every post (by agent i+1), \
         a medal on every 2nd (GOLD, SILVER, BRONZE in turn, by agent i+1, never the author), \
         a comment on every 3rd (by agent i+2); all published at once, just before";

    pub fn summary(&self) -> String {
        let seconds = self.elapsed.as_secs_f64();
        let mut out = format!(
            "seeded for {} (before the warm-up of {}): {} posts by {} agents, {} likes, \
             {} medals, {} comments: {} requests on {} connections in {seconds:.1}s \
             ({:.0} req/s)\n  mix: {}",
            self.for_scenarios,
            self.before,
            self.posts,
            self.agents,
            self.likes,
            self.medals,
            self.comments,
            self.requests,
            self.connections,
            self.requests as f64 / seconds.max(f64::MIN_POSITIVE),
            Self::MIX,
        );
        if let Some(analyzed) = self.analyzed {
            out.push_str(&format!(
                "\n  PostgreSQL: ANALYZE of the run's schema after the posts and at the end (as \
                 autovacuum would): {:.1}s of the above",
                analyzed.as_secs_f64()
            ));
        }
        if let Some(failure) = &self.failure {
            out.push_str(&format!("\n  SEEDING FAILED: {failure}"));
        }
        out
    }

    pub fn json(&self) -> Json {
        let count = |n: usize| Json::Int(n as u64);
        Json::obj([
            ("for_scenarios", Json::str(self.for_scenarios.clone())),
            ("before", Json::str(self.before)),
            ("agents", count(self.agents)),
            ("connections", count(self.connections)),
            ("posts", count(self.posts)),
            ("likes", count(self.likes)),
            ("medals", count(self.medals)),
            ("comments", count(self.comments)),
            ("requests", count(self.requests)),
            ("seconds", Json::Num(self.elapsed.as_secs_f64())),
            (
                "analyze_seconds",
                Json::opt(self.analyzed, |d| Json::Num(d.as_secs_f64())),
            ),
            ("mix", Json::str(Self::MIX)),
            ("failure", Json::opt(self.failure.clone(), Json::Str)),
        ])
    }
}

/// Posts for the feed scenarios (`plan.posts` of them, spread over the
/// agents), then reactions on them as [`Seeded::MIX`] says, then one
/// request of the first feed page to check that it shows them.
pub fn feed(plan: &Plan<'_>, for_scenarios: String, before: &'static str) -> Seeded {
    let started = Instant::now();
    let agents = plan.keys.len();
    let mut seeded = Seeded {
        for_scenarios,
        before,
        agents,
        connections: plan.connections,
        posts: 0,
        likes: 0,
        medals: 0,
        comments: 0,
        requests: 0,
        elapsed: Duration::ZERO,
        analyzed: None,
        failure: None,
        sample_post: None,
    };
    if agents < MIN_AGENTS {
        seeded.failure = Some(format!(
            "{agents} agents; medals need at least {MIN_AGENTS}"
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
        let answer = client.post("/api/agent/posts", i % agents, &body)?;
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

    if !run.aborted() {
        eprintln!(
            "    {} posts in {:.1}s",
            seeded.posts,
            started.elapsed().as_secs_f64()
        );
        analyze(plan, &mut seeded);
    }
    if !run.aborted() && seeded.failure.is_none() {
        eprintln!("    seeding likes, medals and comments…");
        let (likes, medals, comments) = (
            AtomicUsize::new(0),
            AtomicUsize::new(0),
            AtomicUsize::new(0),
        );
        run.each(ids.len(), |client, i| {
            let id = ids[i].as_deref().unwrap_or_default();
            let liked =
                client.post(&format!("/api/agent/posts/{id}/like"), (i + 1) % agents, "")?;
            // A toggle sent twice (say, retried) would leave the post unliked.
            if String::from_utf8_lossy(&liked.body).contains(r#""liked":false"#) {
                return Err(format!("liking post {id} unliked it: {}", describe(&liked)));
            }
            likes.fetch_add(1, Ordering::Relaxed);
            if i % 2 == 0 {
                let medal = MEDALS[i / 2 % MEDALS.len()];
                let body = format!(r#"{{"postId":"{id}","medalType":"{medal}"}}"#);
                client.post("/api/agent/vote", (i + 1) % agents, &body)?;
                medals.fetch_add(1, Ordering::Relaxed);
            }
            if i % 3 == 0 {
                let body = format!(r#"{{"body":"Bench comment on post {i}"}}"#);
                client.post(
                    &format!("/api/agent/posts/{id}/comments"),
                    (i + 2) % agents,
                    &body,
                )?;
                comments.fetch_add(1, Ordering::Relaxed);
            }
            Ok(())
        });
        seeded.likes = likes.into_inner();
        seeded.medals = medals.into_inner();
        seeded.comments = comments.into_inner();
    }

    if !run.aborted() && seeded.failure.is_none() {
        analyze(plan, &mut seeded);
    }
    if !run.aborted() && seeded.failure.is_none() {
        run.each(1, |client, _| {
            let page = client.get("/api/agent/feed?sort=latest&limit=20", 0)?;
            let text = String::from_utf8_lossy(&page.body);
            let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
            if !compact.contains(r#""items":[{"#) {
                return Err(format!(
                    "the first feed page shows no posts: {}",
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

/// `plan.analyze`'s `ANALYZE`, timed into `seeded`; a failure ends seeding.
fn analyze(plan: &Plan<'_>, seeded: &mut Seeded) {
    let Some(schema) = plan.analyze else { return };
    match schema.analyze() {
        Ok(took) => {
            eprintln!(
                "    ANALYZE of schema {} in {:.2}s",
                schema.name(),
                took.as_secs_f64()
            );
            *seeded.analyzed.get_or_insert(Duration::ZERO) += took;
        }
        Err(e) => seeded.failure = Some(format!("ANALYZE: {e}")),
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
        let mut headers = self.auth(agent);
        if !json.is_empty() {
            headers.push(("Content-Type", "application/json".to_owned()));
        }
        self.send("POST", path, agent, &headers, json.as_bytes())
    }

    fn get(&mut self, path: &str, agent: usize) -> Result<Response, String> {
        let headers = self.auth(agent);
        self.send("GET", path, agent, &headers, b"")
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
        agent: usize,
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
        let who = format!("{method} {path} as bench-{}", agent + 1);
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
