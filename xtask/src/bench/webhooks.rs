//! The `webhooks` measurement: how soon, and how fast, likes become webhook
//! deliveries at a receiver on loopback.
//!
//! A receiver in this process (a std `TcpListener` on 127.0.0.1:0, a few
//! threads, keep-alive HTTP/1.1, `204 No Content` to every request) records
//! when each delivery arrived. Agent `bench-1` registers one webhook for
//! `post.liked` pointing at it and makes posts; the likers (`bench-2`…)
//! like them, each post once, so a delivery's `data.postId` names the like
//! it reports. Then:
//!
//! - delay: likes one at a time at a modest pace, each timed from its `200`
//!   to the arrival of its delivery. The answer stands for the like's commit
//!   (the event is queued with the like), approximately: it is read a little
//!   after the commit, so a delivery can even arrive first (a negative
//!   delay).
//! - throughput: a burst of likes on several connections as fast as they
//!   are answered, then the time from the first like sent to the last
//!   delivery arrived, and the rate at which the queue drained after the
//!   last like.
//!
//! The server sends one delivery per webhook at a time (its delivery
//! workers never share a webhook), so this is the rate of one receiver's
//! queue. Every wait is bounded; a delivery that did not arrive is an error
//! of the run.

use std::collections::{HashMap, HashSet};
use std::io::{self, BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::http::{self, HttpError};
use super::json::{self, Json};
use super::load::describe;
use super::seed::{self, Client, Run};

/// Selected like a scenario, with `--scenario webhooks`; a full run makes
/// it after the throughput scenarios.
pub const NAME: &str = "webhooks";

/// Connections (and likers, one agent each) of the burst, unless
/// `--connections` says otherwise.
pub const CONNECTIONS: usize = 8;

/// Threads accepting and serving the receiver's connections (the server
/// opens one per delivery).
const RECEIVER_THREADS: usize = 4;

/// The delay phase's likes, one at a time at this pace: 5 s (2 s with
/// `--quick`).
const PACE_PER_SECOND: u32 = 20;
const PACED_LIKES: usize = 100;
const QUICK_PACED_LIKES: usize = 40;

/// The burst's likes, each on a post of its own.
const BURST_LIKES: usize = 2_000;
const QUICK_BURST_LIKES: usize = 500;

/// How long deliveries are waited for after the last like is answered.
const PACED_WAIT: Duration = Duration::from_secs(30);
const BURST_WAIT: Duration = Duration::from_secs(60);

/// How often the waits look at what arrived (arrival times are taken by the
/// receiver, so this does not change the figures).
const POLL: Duration = Duration::from_millis(5);

/// How often an idle receiver connection checks whether to stop, and how
/// long it stays open without a request.
const IDLE_CHECK: Duration = Duration::from_millis(250);
const KEEP_ALIVE: Duration = Duration::from_secs(30);

/// Bounds reading a request once it has begun, and every write.
const IO_TIMEOUT: Duration = Duration::from_secs(10);

/// Larger request bodies are refused (a delivery is well under 1 KiB).
const MAX_BODY: usize = 1024 * 1024;

/// Agents the measurement needs: the author and one liker per connection.
pub fn agents(connections: usize) -> usize {
    1 + connections.max(1)
}

#[derive(Debug, Clone, Copy)]
pub struct Plan<'a> {
    pub addr: SocketAddr,
    /// Agent keys; `keys[0]` (`bench-1`) is the author, the next
    /// `connections` the likers.
    pub keys: &'a [String],
    pub quick: bool,
    pub connections: usize,
}

/// The figures, and what went wrong on the way.
#[derive(Debug, Default)]
pub struct Measured {
    pub receiver: Option<SocketAddr>,
    pub posts: usize,
    pub likers: usize,
    pub connections: usize,
    /// Delay phase: likes answered, deliveries of them that arrived.
    pub paced_likes: usize,
    pub paced_delivered: usize,
    /// Arrival of each delivery minus its like's answer, ms, ascending.
    pub delays_ms: Vec<f64>,
    /// Round trips of the paced likes, ms, ascending.
    pub like_ms: Vec<f64>,
    /// Burst: likes answered, deliveries of them that arrived.
    pub burst_likes: usize,
    pub burst_delivered: usize,
    /// From the first like sent to the last like answered.
    pub likes_elapsed: Option<Duration>,
    /// From the first like sent to the last delivery arrived.
    pub burst_elapsed: Option<Duration>,
    /// Deliveries that arrived after the last like was answered, and the
    /// time from that answer to the last delivery.
    pub drained: usize,
    pub drain_elapsed: Option<Duration>,
    /// Burst: arrival of each delivery minus its like's answer, ms.
    pub burst_delays_ms: Vec<f64>,
    /// Receiver: requests, repeated `webhook-id`s, requests that were not
    /// a `post.liked` delivery with a `postId`, and unreadable requests.
    pub requests: usize,
    pub duplicates: usize,
    pub other: usize,
    pub bad_requests: usize,
    pub first_bad_request: Option<String>,
    pub elapsed: Duration,
    pub failures: Vec<String>,
}

impl Measured {
    pub const DELAY_NOTE: &'static str = "delay: from each like's 200 (≈ its commit; the event is \
         queued with the like) to its delivery's arrival at the receiver";

    pub fn deliveries_per_second(&self) -> Option<f64> {
        let seconds = self.burst_elapsed?.as_secs_f64();
        (seconds > 0.0).then(|| self.burst_delivered as f64 / seconds)
    }

    fn likes_per_second(&self) -> Option<f64> {
        let seconds = self.likes_elapsed?.as_secs_f64();
        (seconds > 0.0).then(|| self.burst_likes as f64 / seconds)
    }

    fn drain_per_second(&self) -> Option<f64> {
        let seconds = self.drain_elapsed?.as_secs_f64();
        (self.drained > 0 && seconds > 0.0).then(|| self.drained as f64 / seconds)
    }

    pub fn failure(&self) -> Option<String> {
        (!self.failures.is_empty()).then(|| self.failures.join("; "))
    }

    pub fn summary(&self) -> String {
        let ms = |values: &[f64], p: f64| {
            percentile(values, p).map_or_else(|| "-".into(), |v| format!("{v:.1}"))
        };
        let seconds = |d: Option<Duration>| {
            d.map_or_else(|| "-".into(), |d| format!("{:.2}", d.as_secs_f64()))
        };
        let rate = |r: Option<f64>| r.map_or_else(|| "-".into(), |r| format!("{r:.0}"));
        let mut out = format!(
            "{NAME}: {} deliveries in {} s = {} deliveries/s; delay p50 {} ms, p99 {} ms, \
             max {} ms ({} likes)",
            self.burst_delivered,
            seconds(self.burst_elapsed),
            rate(self.deliveries_per_second()),
            ms(&self.delays_ms, 50.0),
            ms(&self.delays_ms, 99.0),
            ms(&self.delays_ms, 100.0),
            self.delays_ms.len(),
        );
        out.push_str(&format!(
            "\n  burst: {} likes (each on a post of its own) by {} agents on {} connections, \
             answered in {} s ({} likes/s); {} deliveries arrived meanwhile, the other {} in \
             the {} s after the last like ({} deliveries/s); like→delivery p50 {} ms, \
             p99 {} ms, max {} ms",
            self.burst_likes,
            self.likers,
            self.connections,
            seconds(self.likes_elapsed),
            rate(self.likes_per_second()),
            self.burst_delivered - self.drained,
            self.drained,
            seconds(self.drain_elapsed),
            rate(self.drain_per_second()),
            ms(&self.burst_delays_ms, 50.0),
            ms(&self.burst_delays_ms, 99.0),
            ms(&self.burst_delays_ms, 100.0),
        ));
        out.push_str(&format!(
            "\n  {}; {} likes at {PACE_PER_SECOND}/s by {} agents on one connection \
             (like round trip p50 {} ms), min {} ms",
            Self::DELAY_NOTE,
            self.paced_likes,
            self.likers,
            ms(&self.like_ms, 50.0),
            ms(&self.delays_ms, 0.0),
        ));
        out.push_str(&format!(
            "\n  receiver: {}, {RECEIVER_THREADS} threads, 204 to all: {} requests, \
             {} repeated webhook-ids, {} other, {} unreadable; one webhook (post.liked) of \
             bench-1 over {} posts; {:.1} s in all",
            self.receiver
                .map_or_else(|| "not started".into(), |a| format!("http://{a}/hook")),
            self.requests,
            self.duplicates,
            self.other,
            self.bad_requests,
            self.posts,
            self.elapsed.as_secs_f64(),
        ));
        if let Some(first) = &self.first_bad_request {
            out.push_str(&format!("\n  first unreadable request: {first}"));
        }
        if let Some(failure) = self.failure() {
            out.push_str(&format!("\n  WEBHOOKS FAILED: {failure}"));
        }
        out
    }

    pub fn json(&self) -> Json {
        let count = |n: usize| Json::Int(n as u64);
        let seconds = |d: Option<Duration>| Json::opt(d, |d| Json::Num(d.as_secs_f64()));
        let ms = |values: &[f64]| {
            let at = |p| Json::opt(percentile(values, p), Json::Num);
            Json::obj([
                ("min", at(0.0)),
                ("p50", at(50.0)),
                ("p99", at(99.0)),
                ("max", at(100.0)),
            ])
        };
        Json::obj([
            (
                "receiver",
                Json::opt(self.receiver, |a| Json::str(format!("http://{a}/hook"))),
            ),
            ("receiver_threads", count(RECEIVER_THREADS)),
            ("events", Json::Arr(vec![Json::str("post.liked")])),
            ("posts", count(self.posts)),
            ("likers", count(self.likers)),
            (
                "delay",
                Json::obj([
                    ("likes", count(self.paced_likes)),
                    ("pace_per_second", Json::Int(u64::from(PACE_PER_SECOND))),
                    ("delivered", count(self.paced_delivered)),
                    ("delay_ms", ms(&self.delays_ms)),
                    ("like_round_trip_ms", ms(&self.like_ms)),
                    ("note", Json::str(Self::DELAY_NOTE)),
                ]),
            ),
            (
                "throughput",
                Json::obj([
                    ("likes", count(self.burst_likes)),
                    ("connections", count(self.connections)),
                    ("delivered", count(self.burst_delivered)),
                    ("seconds", seconds(self.burst_elapsed)),
                    (
                        "deliveries_per_second",
                        Json::opt(self.deliveries_per_second(), Json::Num),
                    ),
                    ("likes_seconds", seconds(self.likes_elapsed)),
                    (
                        "likes_per_second",
                        Json::opt(self.likes_per_second(), Json::Num),
                    ),
                    (
                        "delivered_during_likes",
                        count(self.burst_delivered - self.drained),
                    ),
                    ("drained_after_likes", count(self.drained)),
                    ("drain_seconds", seconds(self.drain_elapsed)),
                    (
                        "drain_deliveries_per_second",
                        Json::opt(self.drain_per_second(), Json::Num),
                    ),
                    ("like_to_delivery_ms", ms(&self.burst_delays_ms)),
                    (
                        "note",
                        Json::str(
                            "deliveries_per_second = delivered / (first like sent → last \
                             delivery arrived)",
                        ),
                    ),
                ]),
            ),
            ("receiver_requests", count(self.requests)),
            ("repeated_webhook_ids", count(self.duplicates)),
            ("other_requests", count(self.other)),
            ("unreadable_requests", count(self.bad_requests)),
            (
                "first_unreadable_request",
                Json::opt(self.first_bad_request.clone(), Json::Str),
            ),
            ("seconds", Json::Num(self.elapsed.as_secs_f64())),
            ("failure", Json::opt(self.failure(), Json::Str)),
        ])
    }
}

/// Starts the receiver, runs both phases and stops it: bounded in time,
/// all traffic on loopback.
pub fn measure(plan: &Plan<'_>) -> Measured {
    let started = Instant::now();
    let connections = plan.connections.max(1);
    let mut measured = Measured {
        likers: connections.min(plan.keys.len().saturating_sub(1)),
        connections,
        ..Measured::default()
    };
    if measured.likers == 0 {
        measured
            .failures
            .push("needs at least 2 agents (an author and a liker)".into());
        return measured;
    }
    let receiver = match Receiver::start(RECEIVER_THREADS) {
        Ok(receiver) => receiver,
        Err(e) => {
            measured.failures.push(e);
            return measured;
        }
    };
    measured.receiver = Some(receiver.addr);
    let (paced, burst) = if plan.quick {
        (QUICK_PACED_LIKES, QUICK_BURST_LIKES)
    } else {
        (PACED_LIKES, BURST_LIKES)
    };
    if let Err(e) = phases(plan, &receiver, &mut measured, paced, burst) {
        measured.failures.push(e);
    }
    let log = receiver.stop();
    measured.requests = log.requests;
    measured.duplicates = log.duplicates;
    measured.other = log.other;
    measured.bad_requests = log.bad;
    measured.first_bad_request = log.first_bad;
    measured.elapsed = started.elapsed();
    measured
}

fn phases(
    plan: &Plan<'_>,
    receiver: &Receiver,
    m: &mut Measured,
    paced: usize,
    burst: usize,
) -> Result<(), String> {
    const AUTHOR: usize = 0;
    let likers = m.likers;
    let liker = |i: usize| 1 + i % likers;
    let setup = seed::Plan {
        addr: plan.addr,
        keys: plan.keys,
        posts: paced + burst,
        connections: seed::CONNECTIONS,
        analyze: None,
    };

    let url = format!("http://{}/hook", receiver.addr);
    let run = Run::new(&setup);
    let register = format!(r#"{{"url":"{url}","events":["post.liked"]}}"#);
    run.each(1, |client, _| {
        let answer = client.post("/api/agent/webhooks", AUTHOR, &register)?;
        let text = String::from_utf8_lossy(&answer.body);
        json::string_field(&text, "id").ok_or_else(|| {
            format!(
                "no webhook id in the answer to its registration: {}",
                seed::excerpt(&text)
            )
        })
    });
    failed(&run, "registering the webhook")?;

    let posting = Instant::now();
    eprintln!(
        "    webhook of bench-1 → {url} (post.liked); {} posts by bench-1…",
        paced + burst
    );
    let ids = run.each(paced + burst, |client, i| {
        let body = format!(
            r#"{{"imageUrl":"https://img.example/bench/hook-{i}.png","caption":"Webhook bench post {i}"}}"#
        );
        let answer = client.post("/api/agent/posts", AUTHOR, &body)?;
        let text = String::from_utf8_lossy(&answer.body);
        json::string_field(&text, "postId").ok_or_else(|| {
            format!(
                "no \"postId\" in the answer to a post: {}",
                seed::excerpt(&text)
            )
        })
    });
    failed(&run, "posting")?;
    let ids: Vec<String> = ids.into_iter().map(Option::unwrap_or_default).collect();
    m.posts = ids.len();
    let (paced_ids, burst_ids) = ids.split_at(paced);

    // Delay: one like at a time, each at its own moment of a fixed pace.
    eprintln!(
        "    {} posts in {:.1}s; delay: {paced} likes at {PACE_PER_SECOND}/s…",
        m.posts,
        posting.elapsed().as_secs_f64()
    );
    let one = seed::Plan {
        connections: 1,
        ..setup
    };
    let run = Run::new(&one);
    let interval = Duration::from_secs(1) / PACE_PER_SECOND;
    let start = Instant::now();
    let answered = run.each(paced, |client, i| {
        let due = start + interval * u32::try_from(i).unwrap_or(u32::MAX);
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        let sent = Instant::now();
        like(client, &paced_ids[i], liker(i))?;
        Ok((sent, Instant::now()))
    });
    m.paced_likes = answered.iter().flatten().count();
    failed(&run, "liking at a pace")?;
    let arrivals = receiver.wait_for(paced_ids, PACED_WAIT);
    m.paced_delivered = arrivals.iter().flatten().count();
    m.delays_ms = ascending(
        answered
            .iter()
            .zip(&arrivals)
            .filter_map(|(answer, at)| Some(signed_ms(at.as_ref()?, &answer.as_ref()?.1))),
    );
    m.like_ms = ascending(
        answered
            .iter()
            .flatten()
            .map(|(sent, done)| signed_ms(done, sent)),
    );
    if m.paced_delivered < paced {
        m.failures.push(format!(
            "{} of {paced} paced likes were not delivered within {} s",
            paced - m.paced_delivered,
            PACED_WAIT.as_secs()
        ));
    }

    // Throughput: all the likes at once, then wait for their deliveries.
    eprintln!(
        "    throughput: {burst} likes by {likers} agents on {} connections…",
        m.connections
    );
    let many = seed::Plan {
        connections: m.connections,
        ..setup
    };
    let run = Run::new(&many);
    let first_sent = Instant::now();
    let answered = run.each(burst, |client, i| {
        like(client, &burst_ids[i], liker(i))?;
        Ok(Instant::now())
    });
    m.burst_likes = answered.iter().flatten().count();
    let last_answer = answered.iter().flatten().max().copied();
    m.likes_elapsed = last_answer.map(|at| at.saturating_duration_since(first_sent));
    failed(&run, "liking in a burst")?;

    let arrivals = receiver.wait_for(burst_ids, BURST_WAIT);
    let arrived: Vec<Instant> = arrivals.iter().flatten().copied().collect();
    m.burst_delivered = arrived.len();
    let last_arrival = arrived.iter().max().copied();
    m.burst_elapsed = last_arrival.map(|at| at.saturating_duration_since(first_sent));
    if let (Some(last_arrival), Some(last_answer)) = (last_arrival, last_answer) {
        m.drained = arrived.iter().filter(|at| **at > last_answer).count();
        m.drain_elapsed = Some(last_arrival.saturating_duration_since(last_answer));
    }
    m.burst_delays_ms = ascending(
        answered
            .iter()
            .zip(&arrivals)
            .filter_map(|(answer, at)| Some(signed_ms(at.as_ref()?, answer.as_ref()?))),
    );
    if m.burst_delivered < burst {
        m.failures.push(format!(
            "{} of {burst} burst likes were not delivered within {} s of the last like",
            burst - m.burst_delivered,
            BURST_WAIT.as_secs()
        ));
    }
    Ok(())
}

fn failed(run: &Run<'_>, what: &str) -> Result<(), String> {
    run.failure()
        .map_or(Ok(()), |f| Err(format!("{what}: {f}")))
}

/// Likes `post` as agent `agent`; a toggle that unliked it is an error.
fn like(client: &mut Client<'_>, post: &str, agent: usize) -> Result<(), String> {
    let answer = client.post(&format!("/api/agent/posts/{post}/like"), agent, "")?;
    if String::from_utf8_lossy(&answer.body).contains(r#""liked":false"#) {
        return Err(format!(
            "liking post {post} unliked it: {}",
            describe(&answer)
        ));
    }
    Ok(())
}

/// `later - earlier` in ms, negative if `later` is earlier.
fn signed_ms(later: &Instant, earlier: &Instant) -> f64 {
    match later.checked_duration_since(*earlier) {
        Some(d) => d.as_secs_f64() * 1e3,
        None => -(earlier.duration_since(*later).as_secs_f64() * 1e3),
    }
}

fn ascending(values: impl Iterator<Item = f64>) -> Vec<f64> {
    let mut values: Vec<f64> = values.collect();
    values.sort_by(f64::total_cmp);
    values
}

/// Nearest-rank percentile of ascending values; 0 is the least.
pub(super) fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.max(1) - 1).copied()
}

/// What the receiver saw.
#[derive(Debug, Default)]
struct Log {
    requests: usize,
    /// The first arrival of each `post.liked` delivery, by `data.postId`.
    liked: HashMap<String, Instant>,
    ids: HashSet<String>,
    duplicates: usize,
    other: usize,
    bad: usize,
    first_bad: Option<String>,
}

impl Log {
    fn record(&mut self, at: Instant, request: Delivery) {
        self.requests += 1;
        match &request.id {
            Some(id) if !self.ids.insert(id.clone()) => {
                self.duplicates += 1;
                return;
            }
            Some(_) => {}
            None => self.bad("a request without webhook-id".into()),
        }
        match (request.kind.as_deref(), request.post_id) {
            (Some("post.liked"), Some(post)) => {
                self.liked.entry(post).or_insert(at);
            }
            _ => self.other += 1,
        }
    }

    fn bad(&mut self, what: String) {
        self.bad += 1;
        self.first_bad.get_or_insert(what);
    }
}

#[derive(Debug)]
struct Shared {
    stop: AtomicBool,
    log: Mutex<Log>,
}

impl Shared {
    fn log(&self) -> std::sync::MutexGuard<'_, Log> {
        self.log.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The in-process webhook receiver; stopped (its threads joined) by
/// [`Receiver::stop`] or on drop.
#[derive(Debug)]
struct Receiver {
    addr: SocketAddr,
    shared: Arc<Shared>,
    threads: Vec<JoinHandle<()>>,
}

impl Receiver {
    fn start(threads: usize) -> Result<Receiver, String> {
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .map_err(|e| format!("webhook receiver: binding 127.0.0.1:0: {e}"))?;
        let addr = listener
            .local_addr()
            .map_err(|e| format!("webhook receiver: its address: {e}"))?;
        let mut receiver = Receiver {
            addr,
            shared: Arc::new(Shared {
                stop: AtomicBool::new(false),
                log: Mutex::new(Log::default()),
            }),
            threads: Vec::new(),
        };
        for i in 0..threads.max(1) {
            let listener = listener
                .try_clone()
                .map_err(|e| format!("webhook receiver: {e}"))?;
            let shared = Arc::clone(&receiver.shared);
            let thread = std::thread::Builder::new()
                .name(format!("bench-receiver-{i}"))
                .spawn(move || accept(&listener, &shared))
                .map_err(|e| format!("webhook receiver: starting a thread: {e}"))?;
            receiver.threads.push(thread);
        }
        Ok(receiver)
    }

    /// The first arrival of each post's `post.liked` delivery, once all
    /// have arrived or `bound` has passed.
    fn wait_for(&self, posts: &[String], bound: Duration) -> Vec<Option<Instant>> {
        let deadline = Instant::now() + bound;
        loop {
            let arrivals: Vec<Option<Instant>> = {
                let log = self.shared.log();
                posts.iter().map(|p| log.liked.get(p).copied()).collect()
            };
            if arrivals.iter().all(Option::is_some) || Instant::now() >= deadline {
                return arrivals;
            }
            std::thread::sleep(POLL);
        }
    }

    fn stop(mut self) -> Log {
        self.shut_down();
        std::mem::take(&mut *self.shared.log())
    }

    fn shut_down(&mut self) {
        if self.threads.is_empty() {
            return;
        }
        self.shared.stop.store(true, Ordering::SeqCst);
        // Each thread blocked in `accept` takes one of these and stops;
        // one serving a connection stops within `IDLE_CHECK` of its idling.
        for _ in 0..self.threads.len() {
            let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        }
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.shut_down();
    }
}

fn accept(listener: &TcpListener, shared: &Shared) {
    loop {
        let accepted = listener.accept();
        if shared.stop.load(Ordering::SeqCst) {
            return;
        }
        match accepted {
            Ok((stream, _)) => serve(stream, shared),
            // Out of file descriptors, say: don't spin.
            Err(_) => std::thread::sleep(Duration::from_millis(10)),
        }
    }
}

/// Requests of one connection, one after the other, until it closes, idles
/// for [`KEEP_ALIVE`], sends something unreadable or the receiver stops.
fn serve(stream: TcpStream, shared: &Shared) {
    if stream.set_nodelay(true).is_err() || stream.set_write_timeout(Some(IO_TIMEOUT)).is_err() {
        return;
    }
    let mut reader = BufReader::new(stream);
    while next_request_begins(&mut reader, shared) {
        if reader.get_ref().set_read_timeout(Some(IO_TIMEOUT)).is_err() {
            return;
        }
        let request = read_request(&mut reader);
        let at = Instant::now();
        match request {
            Ok(request) => {
                let close = request.close;
                shared.log().record(at, request);
                let answer: &[u8] = if close {
                    b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n"
                } else {
                    b"HTTP/1.1 204 No Content\r\n\r\n"
                };
                if reader.get_mut().write_all(answer).is_err() || close {
                    return;
                }
            }
            Err(e) => {
                {
                    let mut log = shared.log();
                    log.requests += 1;
                    log.bad(e.to_string());
                }
                let _ = reader.get_mut().write_all(
                    b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
                );
                return;
            }
        }
    }
}

/// Waits for the first byte of the next request; false at the end of the
/// connection, after [`KEEP_ALIVE`] without one, or when the receiver stops.
fn next_request_begins(reader: &mut BufReader<TcpStream>, shared: &Shared) -> bool {
    if reader.get_ref().set_read_timeout(Some(IDLE_CHECK)).is_err() {
        return false;
    }
    let idle_since = Instant::now();
    loop {
        match reader.fill_buf() {
            Ok(buffered) => return !buffered.is_empty(),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                if shared.stop.load(Ordering::SeqCst) || idle_since.elapsed() >= KEEP_ALIVE {
                    return false;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return false,
        }
    }
}

/// What the receiver keeps of a request.
#[derive(Debug, PartialEq)]
struct Delivery {
    /// The `webhook-id` header.
    id: Option<String>,
    /// The body's `type` and `data.postId`.
    kind: Option<String>,
    post_id: Option<String>,
    /// Whether the connection ends after the answer.
    close: bool,
}

/// Reads one request, body and all, leaving the reader at the next.
fn read_request<R: BufRead>(reader: &mut R) -> Result<Delivery, HttpError> {
    let line = http::read_line(reader, true)?;
    let mut parts = line.split(' ');
    let version = parts.nth(2).unwrap_or("");
    if !version.starts_with("HTTP/1.") {
        return Err(HttpError::Malformed(format!("request line {line:?}")));
    }
    let mut headers = Vec::new();
    loop {
        let line = http::read_line(reader, false)?;
        if line.is_empty() {
            break;
        }
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| HttpError::Malformed(format!("header line {line:?}")))?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    let connection = header("connection").unwrap_or("").to_ascii_lowercase();
    let close = if version == "HTTP/1.0" {
        !connection.contains("keep-alive")
    } else {
        connection.contains("close")
    };
    let body = if header("transfer-encoding")
        .is_some_and(|te| te.to_ascii_lowercase().contains("chunked"))
    {
        http::read_chunked(reader)?
    } else if let Some(length) = header("content-length") {
        let length: usize = length
            .parse()
            .ok()
            .filter(|n| *n <= MAX_BODY)
            .ok_or_else(|| HttpError::Malformed(format!("content-length {length:?}")))?;
        let mut body = vec![0; length];
        reader.read_exact(&mut body)?;
        body
    } else {
        Vec::new()
    };
    let text = String::from_utf8_lossy(&body);
    Ok(Delivery {
        id: header("webhook-id").map(str::to_owned),
        kind: json::string_field(&text, "type"),
        post_id: json::string_field(&text, "postId"),
        close,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str = r#"{"type":"post.liked","timestamp":"2026-11-23T12:00:00.000Z","data":{"postId":"c01p","agent":{"id":"c01a","handle":"fan"}}}"#;

    fn delivery(id: &str, extra: &str) -> String {
        format!(
            "POST /hook HTTP/1.1\r\nhost: 127.0.0.1\r\nwebhook-id: {id}\r\n\
             webhook-timestamp: 1\r\nwebhook-signature: v1,x\r\n{extra}\
             content-type: application/json\r\ncontent-length: {}\r\n\r\n{BODY}",
            BODY.len()
        )
    }

    #[test]
    fn reads_deliveries_one_after_the_other() {
        let raw = format!(
            "{}{}",
            delivery("evt_1", ""),
            delivery("evt_2", "Connection: close\r\n")
        );
        let mut reader = raw.as_bytes();
        let first = read_request(&mut reader).unwrap();
        assert_eq!(
            first,
            Delivery {
                id: Some("evt_1".into()),
                kind: Some("post.liked".into()),
                post_id: Some("c01p".into()),
                close: false,
            }
        );
        let second = read_request(&mut reader).unwrap();
        assert_eq!((second.id.as_deref(), second.close), (Some("evt_2"), true));
        assert!(matches!(read_request(&mut reader), Err(HttpError::Closed)));
    }

    #[test]
    fn chunked_bodies_and_bad_requests() {
        let raw = format!(
            "POST /hook HTTP/1.1\r\nTransfer-Encoding: chunked\r\nwebhook-id: e\r\n\r\n\
             {:x}\r\n{BODY}\r\n0\r\n\r\n",
            BODY.len()
        );
        let request = read_request(&mut raw.as_bytes()).unwrap();
        assert_eq!(request.post_id.as_deref(), Some("c01p"));
        for bad in [
            "POST /hook\r\n\r\n",
            "POST /hook HTTP/1.1\r\nno colon\r\n\r\n",
            "POST /hook HTTP/1.1\r\ncontent-length: 99999999\r\n\r\n",
            "POST /hook HTTP/1.1\r\ncontent-length: 5\r\n\r\nab",
        ] {
            assert!(read_request(&mut bad.as_bytes()).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_log_keeps_first_arrivals_and_counts_the_rest() {
        let mut log = Log::default();
        let parse = |raw: String| read_request(&mut raw.as_bytes()).unwrap();
        let t0 = Instant::now();
        let t1 = t0 + Duration::from_millis(5);
        log.record(t0, parse(delivery("evt_1", "")));
        log.record(t1, parse(delivery("evt_1", "")));
        log.record(t1, parse(delivery("evt_2", "")));
        let mut ping = parse(delivery("evt_3", ""));
        ping.kind = Some("webhook.test".into());
        log.record(t1, ping);
        assert_eq!(
            (log.requests, log.duplicates, log.other, log.bad),
            (4, 1, 1, 0)
        );
        assert_eq!(log.liked.get("c01p"), Some(&t0));
    }

    #[test]
    fn the_receiver_answers_keep_alive_requests_with_204() {
        let receiver = Receiver::start(2).unwrap();
        let stream = TcpStream::connect(receiver.addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut reader = BufReader::new(stream);
        for id in ["evt_1", "evt_2"] {
            reader
                .get_mut()
                .write_all(delivery(id, "").as_bytes())
                .unwrap();
            let answer = http::read_response(&mut reader, "POST").unwrap();
            assert_eq!((answer.status, answer.keep_alive), (204, true));
        }
        let arrivals = receiver.wait_for(&["c01p".to_owned()], Duration::from_secs(5));
        assert!(arrivals[0].is_some());
        drop(reader);
        let log = receiver.stop();
        assert_eq!((log.requests, log.duplicates, log.liked.len()), (2, 0, 1));
    }

    #[test]
    fn figures_and_percentiles() {
        let values = ascending([3.0, -1.0, 2.0, 1.0].into_iter());
        assert_eq!(values, [-1.0, 1.0, 2.0, 3.0]);
        assert_eq!(percentile(&values, 0.0), Some(-1.0));
        assert_eq!(percentile(&values, 50.0), Some(1.0));
        assert_eq!(percentile(&values, 100.0), Some(3.0));
        assert_eq!(percentile(&[], 50.0), None);
        let t = Instant::now();
        let later = t + Duration::from_millis(2);
        assert_eq!(signed_ms(&later, &t), 2.0);
        assert_eq!(signed_ms(&t, &later), -2.0);

        let measured = Measured {
            burst_delivered: 2000,
            burst_elapsed: Some(Duration::from_secs(4)),
            delays_ms: vec![1.0, 2.0, 9.0],
            ..Measured::default()
        };
        assert_eq!(measured.deliveries_per_second(), Some(500.0));
        assert!(measured.summary().starts_with(
            "webhooks: 2000 deliveries in 4.00 s = 500 deliveries/s; delay p50 2.0 ms, \
             p99 9.0 ms, max 9.0 ms (3 likes)"
        ));
        assert!(measured.failure().is_none());
    }
}
