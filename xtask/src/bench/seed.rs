//! State a scenario reads, made over HTTP like any client would make it,
//! before the scenario's warm-up: the feed pages over thousands of
//! published posts with reactions, not over an empty table.
//!
//! Requests go out on several keep-alive connections at once, each request
//! with the key of the agent acting (author, liker, medal giver, up/down
//! voter, commenter), so the work is spread like the load's and per-agent
//! locks do not serialise it. Seeding stops at the first answer that is
//! not 2xx and reports it.

use std::net::SocketAddr;
use std::sync::Mutex;
use std::sync::PoisonError;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::database::PgSchema;
use super::http::{Connection, Request, Response};
use super::json::{self, Json};
use super::load::{describe, exchange};

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
         a comment on every 3rd (by agent i+2), an up-vote on every post (by agent i+1) and a \
         down-vote on every 5th (by agent i+3) through /api/v1/memes/{id}/vote, so scores of 1, \
         and 0 on every 5th; all published at once, just before (inside every ranking window)";

    pub fn summary(&self) -> String {
        let seconds = self.elapsed.as_secs_f64();
        let mut out = format!(
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
            ("up_votes", count(self.up_votes)),
            ("down_votes", count(self.down_votes)),
            ("requests", count(self.requests)),
            ("seconds", Json::Num(self.elapsed.as_secs_f64())),
            ("posts_seconds", Json::Num(self.posts_elapsed.as_secs_f64())),
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
/// request each of the first feed page and of the first hot page of
/// `/api/v1/memes`, to check that they show them.
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
        up_votes: 0,
        down_votes: 0,
        requests: 0,
        elapsed: Duration::ZERO,
        posts_elapsed: Duration::ZERO,
        analyzed: None,
        failure: None,
        sample_post: None,
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

/// The agent at `offset` from post `i`'s author (offset 0).
fn by(i: usize, offset: usize, agents: usize) -> usize {
    (i + offset) % agents
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
    fn agents_grow_with_the_posts() {
        // 10,000 posts: the 16 agents the load has anyway.
        assert_eq!(agents_for(FEED_POSTS), 16);
        assert_eq!(agents_for(QUICK_FEED_POSTS), 4);
        assert_eq!(agents_for(100_000), 160);
        assert_eq!(agents_for(100_001), 161);
        assert_eq!(agents_for(1), MIN_AGENTS);
    }
}
