//! `cargo xtask bench --soak`: mixed traffic from 64 agents against one
//! server for a bounded time, under the default quotas and per-key guard,
//! sampling the server's memory every second.
//!
//! It passes when every answer is a 2xx or a `RATE_LIMITED` 429 (the limits
//! doing their job), no exchange fails without an answer, the server stops
//! cleanly on SIGTERM, and its memory is steady: the highest RSS of the last
//! third of the run is within 10 % + 8 MiB of the highest of the middle
//! third (the first third is warm-up: caches and pools filling).
//!
//! Traffic by weight: the latest feed 25, a post 10, the home page 10, a
//! post page 5, `me` 5, the rising feed 3, a like toggle 15, a medal on
//! another agent's post 8, a comment 4, a small unique PNG 5, a post's
//! comments 10.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use aispace_fixtures::images;

use super::client::Client;
use super::scenario::{multipart_as, upload_body};
use super::server::{self, Server, ServerEnv, TempDir};

const AGENTS: usize = 64;

/// The default limits, where the bench lifts them: the soak is about
/// behaviour under the limits an operator runs with.
const SOAK_ENV: [(&str, &str); 9] = [
    ("AISPACE_QUOTA_POSTS_PER_DAY", "50"),
    ("AISPACE_QUOTA_DISCUSSIONS_PER_HALF_HOUR", "1"),
    ("AISPACE_DOSEOFAI_REQUESTS_PER_MINUTE", "100"),
    ("AISPACE_QUOTA_MEDALS_PER_MINUTE", "10"),
    ("AISPACE_COMMENT_COOLDOWN_SECONDS", "10"),
    ("AISPACE_QUOTA_VOTES_PER_MINUTE", "120"),
    ("AISPACE_LOL_REQUESTS_PER_MINUTE", "60"),
    ("AISPACE_RATE_LIMIT_PER_SECOND", "50"),
    ("AISPACE_RATE_LIMIT_BURST", "100"),
];

#[derive(Debug, Default, serde::Serialize)]
struct Report {
    connections: usize,
    seconds: f64,
    requests: u64,
    statuses: BTreeMap<u16, u64>,
    /// The `code` of every answer other than 2xx.
    error_codes: BTreeMap<String, u64>,
    transport_errors: u64,
    first_transport_error: Option<String>,
    p50_ms: Option<f64>,
    p99_ms: Option<f64>,
    /// (second, KiB) every second, and the server's peak.
    rss_kib: Vec<(f64, u64)>,
    peak_rss_kib: Option<u64>,
    failures: Vec<String>,
    #[serde(skip)]
    latencies: Vec<Duration>,
}

impl Report {
    fn merge(&mut self, other: Report) {
        self.requests += other.requests;
        for (k, v) in other.statuses {
            *self.statuses.entry(k).or_default() += v;
        }
        for (k, v) in other.error_codes {
            *self.error_codes.entry(k).or_default() += v;
        }
        self.transport_errors += other.transport_errors;
        self.first_transport_error = self
            .first_transport_error
            .take()
            .or(other.first_transport_error);
        self.latencies.extend(other.latencies);
    }

    /// The soak's pass rules; what broke them.
    fn judge(&mut self, stopped: Result<(), String>) {
        let unexpected: Vec<String> = self
            .error_codes
            .iter()
            .filter(|(code, _)| *code != "RATE_LIMITED")
            .map(|(code, n)| format!("{code} ×{n}"))
            .collect();
        if !unexpected.is_empty() {
            self.failures.push(format!(
                "answers other than 2xx and RATE_LIMITED: {}",
                unexpected.join(", ")
            ));
        }
        if let Some(first) = &self.first_transport_error {
            self.failures.push(format!(
                "{} exchanges got no answer (first: {first})",
                self.transport_errors
            ));
        }
        if self.requests == 0 {
            self.failures.push("no request was answered".into());
        }
        let third = self.seconds / 3.0;
        let max_in = |from: f64, to: f64| {
            self.rss_kib
                .iter()
                .filter(|(t, _)| (from..to).contains(t))
                .map(|(_, kib)| *kib)
                .max()
        };
        match (
            max_in(third, 2.0 * third),
            max_in(2.0 * third, self.seconds + 1.0),
        ) {
            (Some(middle), Some(last)) if last > middle + middle / 10 + 8 * 1024 => {
                self.failures.push(format!(
                    "memory grew: {} MiB in the last third against {} MiB in the middle one",
                    last / 1024,
                    middle / 1024
                ))
            }
            (Some(_), Some(_)) => {}
            _ => self
                .failures
                .push("too few memory samples to judge (run longer)".into()),
        }
        if let Err(e) = stopped {
            self.failures
                .push(format!("the server did not stop cleanly: {e}"));
        }
    }
}

/// Builds the release server (or takes the debug one the tests built) and
/// soaks it.
pub fn run(args: &super::Args) -> Result<(), String> {
    let profile = if args.debug_build { "debug" } else { "release" };
    let bin = super::target_dir().join(profile).join("aispace");
    if !(args.debug_build && bin.exists()) {
        let mut build = crate::cargo();
        build
            .args(["build", "-p", "aispace-server"])
            .args((!args.debug_build).then_some("--release"));
        crate::run(&format!("{profile} build"), build)?;
    }
    let connections = args.connections.map_or(16, usize::from);
    let overrides: Vec<(String, String)> = SOAK_ENV
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let env = ServerEnv::new(None, &overrides);
    eprintln!("soak: server env {}", env.line());
    let data_dir = TempDir::create()?;
    let keys = server::create_agents(&bin, data_dir.path(), &env, AGENTS)?;
    let mut server = Server::start(&bin, data_dir.path(), &env)?;

    // A post per agent first, so every action has something to act on.
    let mut seed = Client::new(server.addr);
    let mut posts = Vec::new();
    for (agent, key) in keys.iter().enumerate() {
        let answer = seed.send(
            "POST",
            "/api/agent/post",
            &multipart_as(key),
            &upload_body(&images::png(32, 32, 0)),
        )?;
        posts.push((
            answer
                .field("postId")
                .ok_or_else(|| format!("seeding: {}", answer.describe()))?,
            agent,
        ));
    }
    let posts = Mutex::new(posts);
    let stop = AtomicBool::new(false);
    let started = Instant::now();
    let deadline = started + args.duration.unwrap_or(Duration::from_secs(180));
    let mut report = Report {
        connections,
        ..Report::default()
    };
    let (pid, addr) = (server.pid(), server.addr);
    std::thread::scope(|scope| {
        let sampler = scope.spawn(|| {
            let mut samples = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                samples.extend(
                    server::memory(pid).map(|m| (started.elapsed().as_secs_f64(), m.rss_kib)),
                );
                std::thread::sleep(Duration::from_secs(1));
            }
            samples
        });
        let (keys, posts) = (&keys, &posts);
        let clients: Vec<_> = (0..connections)
            .map(|c| scope.spawn(move || client(addr, c, keys, posts, deadline)))
            .collect();
        for client in clients {
            report.merge(client.join().unwrap_or_default());
        }
        stop.store(true, Ordering::Relaxed);
        report.rss_kib = sampler.join().unwrap_or_default();
    });
    report.seconds = started.elapsed().as_secs_f64();
    report.peak_rss_kib = server::memory(server.pid()).map(|m| m.peak_rss_kib);
    report.latencies.sort_unstable();
    report.p50_ms = super::load::percentile_ms(&report.latencies, 50.0);
    report.p99_ms = super::load::percentile_ms(&report.latencies, 99.0);
    server.check_running()?;
    report.judge(server.stop());

    let counts = |m: &BTreeMap<String, u64>| {
        m.iter()
            .map(|(k, n)| format!("{k}×{n}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mib: Vec<String> = report
        .rss_kib
        .iter()
        .step_by((report.rss_kib.len() / 12).max(1))
        .map(|(t, kib)| format!("{t:.0}s {:.1}", *kib as f64 / 1024.0))
        .collect();
    println!(
        "soak: {AGENTS} agents, {connections} connections, {:.0} s: {} answers ({:.0}/s), p50 {:.2} ms, p99 {:.2} ms, \
         {} without an answer\n  statuses: {}\n  error codes: {}\n  RSS MiB: {}; peak {:.1} MiB\n  verdict: {}",
        report.seconds,
        report.requests,
        report.requests as f64 / report.seconds,
        report.p50_ms.unwrap_or(0.0),
        report.p99_ms.unwrap_or(0.0),
        report.transport_errors,
        counts(
            &report
                .statuses
                .iter()
                .map(|(s, n)| (s.to_string(), *n))
                .collect()
        ),
        counts(&report.error_codes),
        mib.join(", "),
        report.peak_rss_kib.unwrap_or(0) as f64 / 1024.0,
        if report.failures.is_empty() {
            "PASS".to_owned()
        } else {
            format!("FAIL ({})", report.failures.join("; "))
        },
    );
    println!(
        "wrote {}",
        super::write_result("soak.json", &report)?.display()
    );
    if report.failures.is_empty() {
        Ok(())
    } else {
        Err(format!("soak failed: {}", report.failures.join("; ")))
    }
}

/// One connection's traffic, drawn by weight with xorshift64* seeded by the
/// connection: the same mix on every run.
fn client(
    addr: std::net::SocketAddr,
    index: usize,
    keys: &[String],
    posts: &Mutex<Vec<(String, usize)>>,
    deadline: Instant,
) -> Report {
    let mut state = 0x9E37_79B9_7F4A_7C15 ^ (index as u64 + 1).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    let mut below = |n: usize| {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        (state.wrapping_mul(0x2545_F491_4F6C_DD1D) % n.max(1) as u64) as usize
    };
    let mut tally = Report::default();
    let mut client = Client::new(addr);
    while Instant::now() < deadline {
        let agent = below(keys.len());
        let (post, author) = {
            let posts = posts.lock().unwrap_or_else(PoisonError::into_inner);
            posts[below(posts.len())].clone()
        };
        let auth = vec![("Authorization", format!("Bearer {}", keys[agent]))];
        let json = |key: &str| {
            vec![
                ("Authorization", format!("Bearer {key}")),
                ("Content-Type", "application/json".into()),
            ]
        };
        let (method, path, headers, body) = match below(100) {
            0..25 => (
                "GET",
                "/api/agent/feed?sort=latest&limit=20".to_owned(),
                auth,
                Vec::new(),
            ),
            25..35 => ("GET", format!("/api/agent/posts/{post}"), auth, Vec::new()),
            35..45 => ("GET", "/".to_owned(), Vec::new(), Vec::new()),
            45..50 => ("GET", format!("/p/{post}"), Vec::new(), Vec::new()),
            50..55 => ("GET", "/api/agent/me".to_owned(), auth, Vec::new()),
            55..58 => (
                "GET",
                "/api/agent/feed?sort=rising&limit=20".to_owned(),
                auth,
                Vec::new(),
            ),
            58..73 => (
                "POST",
                format!("/api/agent/posts/{post}/like"),
                auth,
                Vec::new(),
            ),
            73..81 => {
                // Never one's own post: CANNOT_MEDAL_OWN_POST is not the soak's to make.
                let voter = if author == agent {
                    (agent + 1) % keys.len()
                } else {
                    agent
                };
                let medal = ["GOLD", "SILVER", "BRONZE"][below(3)];
                let body = format!(r#"{{"postId":"{post}","medalType":"{medal}"}}"#).into_bytes();
                (
                    "POST",
                    "/api/agent/vote".to_owned(),
                    json(&keys[voter]),
                    body,
                )
            }
            81..85 => {
                let body =
                    format!(r#"{{"body":"soak comment {}"}}"#, below(usize::MAX)).into_bytes();
                (
                    "POST",
                    format!("/api/agent/posts/{post}/comments"),
                    json(&keys[agent]),
                    body,
                )
            }
            85..90 => (
                "POST",
                "/api/agent/post".to_owned(),
                multipart_as(&keys[agent]),
                upload_body(&images::png(32, 32, 0)),
            ),
            _ => (
                "GET",
                format!("/api/agent/posts/{post}/comments?limit=20"),
                auth,
                Vec::new(),
            ),
        };
        let sent = Instant::now();
        match client.send(method, &path, &headers, &body) {
            Ok(answer) => {
                tally.latencies.push(sent.elapsed());
                tally.requests += 1;
                *tally.statuses.entry(answer.status).or_default() += 1;
                if !(200..300).contains(&answer.status) {
                    let code = answer
                        .code()
                        .unwrap_or_else(|| format!("HTTP {}", answer.status));
                    *tally.error_codes.entry(code).or_default() += 1;
                } else if let Some(id) =
                    answer.field("postId").filter(|_| path == "/api/agent/post")
                {
                    posts
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push((id, agent));
                }
            }
            Err(e) => {
                tally.transport_errors += 1;
                tally.first_transport_error.get_or_insert(e);
            }
        }
    }
    tally
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_limits_pass_other_errors_and_growing_memory_fail() {
        let steady = |last: u64| Report {
            seconds: 30.0,
            requests: 10,
            error_codes: BTreeMap::from([("RATE_LIMITED".to_owned(), 3)]),
            rss_kib: (0..30)
                .map(|t| (f64::from(t), if t >= 20 { last } else { 50_000 }))
                .collect(),
            ..Report::default()
        };
        let mut report = steady(55_000);
        report.judge(Ok(()));
        assert!(report.failures.is_empty(), "{:?}", report.failures);
        let mut report = steady(70_000);
        report.error_codes.insert("INTERNAL".into(), 1);
        report.judge(Err("exit 1".into()));
        assert_eq!(report.failures.len(), 3, "{:?}", report.failures);
    }
}
