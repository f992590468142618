//! `cargo xtask bench --soak`: mixed traffic from many agents against one
//! server for a bounded time, with the seed's quotas and the default
//! per-key guard on, sampling the server's memory every second.
//!
//! Passes when every answer is a 2xx or a `RATE_LIMITED` 429 (the quotas
//! and the guard doing their job), no exchange fails at the transport
//! level, the server stops cleanly on SIGTERM, and its memory is steady:
//! the highest RSS of the last third of the run is within 10 % + 8 MiB of
//! the highest of the middle third (the first third is warm-up: caches and
//! pools filling).
//!
//! Traffic, per exchange, by weight: the latest feed (25), a post (10), the
//! home page (10), a post page (5), `me` (5), the rising feed (3), a like
//! toggle (15), a medal on another agent's post (8), a comment (4), an
//! upload of a small unique PNG (5), and a read of the comments (10).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::database::Database;
use super::http::{Connection, Request, Response};
use super::json::{self, Json};
use super::png::Png;
use super::server::{self, Server, ServerEnv, TempDir};

const IO_TIMEOUT: Duration = Duration::from_secs(30);
const BOUNDARY: &str = "aispace-soak-4c1e9b";

/// Three minutes: long enough for a leak to show against the warm-up.
const DEFAULT_DURATION: Duration = Duration::from_secs(180);
const DEFAULT_CONNECTIONS: usize = 16;
const AGENTS: usize = 64;

/// `cargo xtask bench --soak …`: builds the release binary and soaks it;
/// `--debug-build` soaks the debug binary (built only when missing).
pub fn run(options: &super::options::Options) -> Result<(), String> {
    let profile = if options.debug_build {
        "debug"
    } else {
        "release"
    };
    let bin = super::target_dir()
        .join(profile)
        .join(format!("aispace{}", std::env::consts::EXE_SUFFIX));
    // `cargo xtask ci` soaks the binary its tests just built: building it
    // again alone would unify other features and recompile the S3 stack.
    if !(options.debug_build && bin.exists()) {
        let mut build = crate::cargo();
        build.args(["build", "-p", "aispace-server"]);
        if !options.debug_build {
            build.arg("--release");
        }
        crate::run(&format!("{profile} build"), build)?;
    }
    soak(
        &bin,
        SoakPlan {
            duration: options.explicit_duration().unwrap_or(DEFAULT_DURATION),
            connections: options.connections.unwrap_or(DEFAULT_CONNECTIONS),
            agents: AGENTS,
        },
    )
}

#[derive(Debug, Clone, Copy)]
pub struct SoakPlan {
    pub duration: Duration,
    pub connections: usize,
    pub agents: usize,
}

/// The seed's quotas and the default guard, not the bench's raised ones:
/// the soak is about behaviour under the limits an operator runs with.
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

#[derive(Debug, Default)]
struct Tally {
    requests: u64,
    statuses: BTreeMap<u16, u64>,
    /// Error codes of non-2xx answers.
    codes: BTreeMap<String, u64>,
    transport_errors: u64,
    first_transport_error: Option<String>,
    latencies: Vec<Duration>,
}

impl Tally {
    fn merge(&mut self, other: Tally) {
        self.requests += other.requests;
        for (k, v) in other.statuses {
            *self.statuses.entry(k).or_default() += v;
        }
        for (k, v) in other.codes {
            *self.codes.entry(k).or_default() += v;
        }
        self.transport_errors += other.transport_errors;
        self.first_transport_error = self
            .first_transport_error
            .take()
            .or(other.first_transport_error);
        self.latencies.extend(other.latencies);
    }
}

/// Posts known to the clients: (id, index of the author's key).
type Posts = Mutex<Vec<(String, usize)>>;

pub fn soak(bin: &Path, plan: SoakPlan) -> Result<(), String> {
    let data_dir = TempDir::create()?;
    let overrides: Vec<(String, String)> = SOAK_ENV
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let env = ServerEnv::new(Database::Sqlite, None, &overrides);
    eprintln!("soak: server env {}", env.line());
    let keys = server::create_agents(bin, data_dir.path(), &env, plan.agents)?;
    let mut server = Server::start(bin, data_dir.path(), &env)?;
    let addr = server.addr;

    // One post per agent first, so that every action has something to act on.
    let posts: Posts = Mutex::new(Vec::new());
    let mut seed = Connection::open(addr, IO_TIMEOUT).map_err(|e| e.to_string())?;
    for (i, key) in keys.iter().enumerate() {
        let answer = upload(&mut seed, key).map_err(|e| format!("seeding: {e}"))?;
        let id = json::string_field(&String::from_utf8_lossy(&answer.body), "postId")
            .ok_or_else(|| format!("seeding: no postId in a {} answer", answer.status))?;
        lock(&posts).push((id, i));
    }
    drop(seed);

    let stop = AtomicBool::new(false);
    let samples: Mutex<Vec<(Duration, u64)>> = Mutex::new(Vec::new());
    let started = Instant::now();
    let deadline = started + plan.duration;
    let pid = server.pid();
    let tally = std::thread::scope(|scope| {
        let sampler = scope.spawn(|| {
            while !stop.load(Ordering::Relaxed) {
                if let Some(memory) = server::memory(pid) {
                    lock(&samples).push((started.elapsed(), memory.rss_kib));
                }
                std::thread::sleep(Duration::from_secs(1));
            }
        });
        let clients: Vec<_> = (0..plan.connections)
            .map(|c| {
                let (keys, posts) = (&keys, &posts);
                scope.spawn(move || client(addr, c, keys, posts, deadline))
            })
            .collect();
        let mut tally = Tally::default();
        for client in clients {
            if let Ok(t) = client.join() {
                tally.merge(t);
            }
        }
        stop.store(true, Ordering::Relaxed);
        let _ = sampler.join();
        tally
    });
    let elapsed = started.elapsed();
    let peak = server::memory(pid).map(|m| m.peak_rss_kib);
    server.check_running()?;
    let stopped = server.stop();

    let samples = samples.into_inner().unwrap_or_else(PoisonError::into_inner);
    let report = Report::new(tally, elapsed, samples, peak, stopped.err());
    println!("{}", report.text(plan));
    let path = super::target_dir().join("bench").join("soak.json");
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    }
    std::fs::write(&path, report.json(plan).pretty())
        .map_err(|e| format!("writing {}: {e}", path.display()))?;
    println!("wrote {}", path.display());
    match report.failures() {
        failures if failures.is_empty() => Ok(()),
        failures => Err(format!("soak failed: {}", failures.join("; "))),
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A small PNG unique to this process's `n`-th upload (images are stored
/// once per content hash).
fn upload_body() -> Vec<u8> {
    static PNG: std::sync::OnceLock<Png> = std::sync::OnceLock::new();
    static UPLOADS: AtomicU64 = AtomicU64::new(0);
    let n = UPLOADS.fetch_add(1, Ordering::Relaxed);
    let png = PNG.get_or_init(|| Png::rgb(32, 32));
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"caption\"\r\n\r\n\
         soak upload {n} #soak\r\n--{BOUNDARY}\r\n\
         Content-Disposition: form-data; name=\"file\"; filename=\"soak.png\"\r\n\
         Content-Type: image/png\r\n\r\n"
    )
    .into_bytes();
    png.write_with_text("Comment", &format!("soak {n}"), &mut body);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

fn upload(conn: &mut Connection, key: &str) -> Result<Response, String> {
    let body = upload_body();
    let headers = [
        ("Authorization", format!("Bearer {key}")),
        (
            "Content-Type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        ),
    ];
    conn.send(&Request {
        method: "POST",
        path: "/api/agent/post",
        headers: &headers,
        body: &body,
    })
    .map_err(|e| e.to_string())
}

/// xorshift64*: reproducible per client, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n.max(1) as u64).unwrap_or(0)
    }
}

fn client(
    addr: SocketAddr,
    index: usize,
    keys: &[String],
    posts: &Posts,
    deadline: Instant,
) -> Tally {
    let mut rng =
        Rng(0x9E37_79B9_7F4A_7C15 ^ (index as u64 + 1).wrapping_mul(0xBF58_476D_1CE4_E5B9));
    let mut tally = Tally::default();
    let mut conn: Option<Connection> = None;
    while Instant::now() < deadline {
        let agent = rng.below(keys.len());
        let key = &keys[agent];
        let (post, author) = {
            let posts = lock(posts);
            posts[rng.below(posts.len())].clone()
        };
        let auth = ("Authorization", format!("Bearer {key}"));
        let json_type = ("Content-Type", "application/json".to_owned());
        let roll = rng.below(100);
        let (method, path, body, headers): (&str, String, Vec<u8>, Vec<(&'static str, String)>) =
            match roll {
                0..25 => (
                    "GET",
                    "/api/agent/feed?sort=latest&limit=20".into(),
                    Vec::new(),
                    vec![auth],
                ),
                25..35 => (
                    "GET",
                    format!("/api/agent/posts/{post}"),
                    Vec::new(),
                    vec![auth],
                ),
                35..45 => ("GET", "/".into(), Vec::new(), Vec::new()),
                45..50 => ("GET", format!("/p/{post}"), Vec::new(), Vec::new()),
                50..55 => ("GET", "/api/agent/me".into(), Vec::new(), vec![auth]),
                55..58 => (
                    "GET",
                    "/api/agent/feed?sort=rising&limit=20".into(),
                    Vec::new(),
                    vec![auth],
                ),
                58..73 => (
                    "POST",
                    format!("/api/agent/posts/{post}/like"),
                    Vec::new(),
                    vec![auth],
                ),
                73..81 => {
                    // Never one's own post: that is CANNOT_MEDAL_OWN_POST,
                    // a client error the soak does not mean to make.
                    let voter = if author == agent {
                        (agent + 1) % keys.len()
                    } else {
                        agent
                    };
                    let medal = ["GOLD", "SILVER", "BRONZE"][rng.below(3)];
                    (
                        "POST",
                        "/api/agent/vote".into(),
                        format!(r#"{{"postId":"{post}","medalType":"{medal}"}}"#).into_bytes(),
                        vec![
                            ("Authorization", format!("Bearer {}", keys[voter])),
                            json_type,
                        ],
                    )
                }
                81..85 => (
                    "POST",
                    format!("/api/agent/posts/{post}/comments"),
                    format!(r#"{{"body":"soak comment {}"}}"#, rng.next()).into_bytes(),
                    vec![auth, json_type],
                ),
                85..90 => (
                    "POST",
                    "/api/agent/post".into(),
                    upload_body(),
                    vec![
                        auth,
                        (
                            "Content-Type",
                            format!("multipart/form-data; boundary={BOUNDARY}"),
                        ),
                    ],
                ),
                _ => (
                    "GET",
                    format!("/api/agent/posts/{post}/comments?limit=20"),
                    Vec::new(),
                    vec![auth],
                ),
            };
        let request = Request {
            method,
            path: &path,
            headers: &headers,
            body: &body,
        };
        let connection = match conn.take() {
            Some(c) => c,
            None => match Connection::open(addr, IO_TIMEOUT) {
                Ok(c) => c,
                Err(e) => {
                    tally.transport_errors += 1;
                    tally.first_transport_error.get_or_insert(e.to_string());
                    continue;
                }
            },
        };
        let mut connection = connection;
        let sent = Instant::now();
        match connection.send(&request) {
            Ok(response) => {
                tally.latencies.push(sent.elapsed());
                tally.requests += 1;
                *tally.statuses.entry(response.status).or_default() += 1;
                if !(200..300).contains(&response.status) {
                    let code = json::string_field(&String::from_utf8_lossy(&response.body), "code")
                        .unwrap_or_else(|| format!("HTTP {}", response.status));
                    *tally.codes.entry(code).or_default() += 1;
                } else if path == "/api/agent/post"
                    && let Some(id) =
                        json::string_field(&String::from_utf8_lossy(&response.body), "postId")
                {
                    lock(posts).push((id, agent));
                }
                if response.keep_alive {
                    conn = Some(connection);
                }
            }
            Err(e) => {
                tally.transport_errors += 1;
                tally.first_transport_error.get_or_insert(e.to_string());
            }
        }
    }
    tally
}

#[derive(Debug)]
struct Report {
    tally: Tally,
    elapsed: Duration,
    samples: Vec<(Duration, u64)>,
    peak_rss_kib: Option<u64>,
    stop_error: Option<String>,
}

impl Report {
    fn new(
        mut tally: Tally,
        elapsed: Duration,
        samples: Vec<(Duration, u64)>,
        peak_rss_kib: Option<u64>,
        stop_error: Option<String>,
    ) -> Report {
        tally.latencies.sort_unstable();
        Report {
            tally,
            elapsed,
            samples,
            peak_rss_kib,
            stop_error,
        }
    }

    fn percentile(&self, p: f64) -> Option<Duration> {
        let l = &self.tally.latencies;
        if l.is_empty() {
            return None;
        }
        let rank = ((p / 100.0) * l.len() as f64).ceil() as usize;
        l.get(rank.saturating_sub(1).min(l.len() - 1)).copied()
    }

    /// The highest RSS (KiB) in the middle and in the last third.
    fn thirds(&self) -> Option<(u64, u64)> {
        let third = self.elapsed / 3;
        let max_in = |from: Duration, to: Duration| {
            self.samples
                .iter()
                .filter(|(t, _)| *t >= from && *t < to)
                .map(|(_, rss)| *rss)
                .max()
        };
        Some((
            max_in(third, third * 2)?,
            max_in(third * 2, self.elapsed + Duration::from_secs(1))?,
        ))
    }

    fn failures(&self) -> Vec<String> {
        let mut failures = Vec::new();
        let unexpected: Vec<String> = self
            .tally
            .codes
            .iter()
            .filter(|(code, _)| code.as_str() != "RATE_LIMITED")
            .map(|(code, n)| format!("{code} ×{n}"))
            .collect();
        if !unexpected.is_empty() {
            failures.push(format!(
                "answers other than 2xx and RATE_LIMITED: {}",
                unexpected.join(", ")
            ));
        }
        if self.tally.transport_errors > 0 {
            failures.push(format!(
                "{} exchanges failed without an answer (first: {})",
                self.tally.transport_errors,
                self.tally.first_transport_error.as_deref().unwrap_or("?")
            ));
        }
        if self.tally.requests == 0 {
            failures.push("no request was answered".into());
        }
        match self.thirds() {
            Some((middle, last)) if last > middle + middle / 10 + 8 * 1024 => {
                failures.push(format!(
                    "memory grew: {} MiB in the last third against {} MiB in the middle one",
                    last / 1024,
                    middle / 1024
                ))
            }
            Some(_) => {}
            None => failures.push("too few memory samples to judge (run longer)".into()),
        }
        if let Some(e) = &self.stop_error {
            failures.push(format!("the server did not stop cleanly: {e}"));
        }
        failures
    }

    fn text(&self, plan: SoakPlan) -> String {
        let t = &self.tally;
        let secs = self.elapsed.as_secs_f64();
        let ms = |d: Option<Duration>| {
            d.map_or("-".into(), |d| format!("{:.2} ms", d.as_secs_f64() * 1e3))
        };
        let mut out = format!(
            "soak: {} agents, {} connections, {:.0} s\n  requests answered: {} ({:.0}/s), transport errors: {}\n  latency p50 {}, p99 {}, max {}\n  statuses: {}\n  error codes: {}\n",
            plan.agents,
            plan.connections,
            secs,
            t.requests,
            t.requests as f64 / secs.max(1e-9),
            t.transport_errors,
            ms(self.percentile(50.0)),
            ms(self.percentile(99.0)),
            ms(t.latencies.last().copied()),
            t.statuses
                .iter()
                .map(|(s, n)| format!("{s}×{n}"))
                .collect::<Vec<_>>()
                .join(" "),
            if t.codes.is_empty() {
                "none".to_owned()
            } else {
                t.codes
                    .iter()
                    .map(|(c, n)| format!("{c}×{n}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            },
        );
        let rss: Vec<String> = self
            .samples
            .iter()
            .step_by((self.samples.len() / 12).max(1))
            .map(|(t, kib)| format!("{:.0}s {:.1}", t.as_secs_f64(), *kib as f64 / 1024.0))
            .collect();
        out.push_str(&format!("  RSS MiB over time: {}\n", rss.join(", ")));
        if let Some((middle, last)) = self.thirds() {
            out.push_str(&format!(
                "  RSS max middle third {:.1} MiB, last third {:.1} MiB; peak {}\n",
                middle as f64 / 1024.0,
                last as f64 / 1024.0,
                self.peak_rss_kib
                    .map_or("-".into(), |p| format!("{:.1} MiB", p as f64 / 1024.0))
            ));
        }
        let failures = self.failures();
        out.push_str(&if failures.is_empty() {
            "  verdict: PASS".to_owned()
        } else {
            format!("  verdict: FAIL ({})", failures.join("; "))
        });
        out
    }

    fn json(&self, plan: SoakPlan) -> Json {
        let counts = |m: &BTreeMap<String, u64>| {
            Json::Obj(m.iter().map(|(k, v)| (k.clone(), Json::Int(*v))).collect())
        };
        let ms = |d: Option<Duration>| Json::opt(d, |d| Json::Num(d.as_secs_f64() * 1e3));
        Json::obj([
            ("agents", Json::Int(plan.agents as u64)),
            ("connections", Json::Int(plan.connections as u64)),
            ("seconds", Json::Num(self.elapsed.as_secs_f64())),
            ("requests", Json::Int(self.tally.requests)),
            ("transportErrors", Json::Int(self.tally.transport_errors)),
            (
                "statuses",
                counts(
                    &self
                        .tally
                        .statuses
                        .iter()
                        .map(|(s, n)| (s.to_string(), *n))
                        .collect(),
                ),
            ),
            ("errorCodes", counts(&self.tally.codes)),
            ("p50Ms", ms(self.percentile(50.0))),
            ("p99Ms", ms(self.percentile(99.0))),
            ("peakRssKib", Json::opt(self.peak_rss_kib, Json::Int)),
            (
                "rssKib",
                Json::Arr(
                    self.samples
                        .iter()
                        .map(|(t, kib)| {
                            Json::obj([
                                ("second", Json::Num(t.as_secs_f64())),
                                ("rssKib", Json::Int(*kib)),
                            ])
                        })
                        .collect(),
                ),
            ),
            ("pass", Json::Bool(self.failures().is_empty())),
        ])
    }
}
