//! The `webhooks` measurement: how soon, and how fast, likes become webhook
//! deliveries at a receiver on loopback.
//!
//! A receiver in this process (`tiny_http` on 127.0.0.1:0, answering 204)
//! notes when each delivery arrives. Agent `bench-1` registers a webhook
//! for `post.liked` pointing at it and makes posts; the likers (`bench-2`…)
//! like each post once, so a delivery's `data.postId` names its like. Then:
//!
//! - delay: likes one at a time at a fixed pace, each timed from its `200`
//!   (which stands for its commit: the event is queued with the like) to
//!   its delivery's arrival; a delivery can even arrive first.
//! - throughput: a burst of likes on several connections, then the time
//!   from the first like sent to the last delivery arrived, and the rate at
//!   which the queue drained after the last like.
//!
//! The server sends one delivery per webhook at a time, so this is the rate
//! of one receiver's queue. Every wait is bounded; a delivery that did not
//! arrive fails the run.

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::client::Client;
use super::seed::{CONNECTIONS as SETUP_CONNECTIONS, Steps};

/// Selected like a scenario; a full run makes it after the scenarios.
pub const NAME: &str = "webhooks";
/// Connections (and likers) of the burst unless `--connections` says.
pub const CONNECTIONS: usize = 8;
const RECEIVER_THREADS: usize = 4;
/// The delay phase's likes at this pace, and the burst's (a post each).
const PACE_PER_SECOND: u32 = 20;
const PACED_LIKES: [usize; 2] = [100, 40];
const BURST_LIKES: [usize; 2] = [2_000, 500];
/// How long deliveries are waited for after the last like is answered.
const PACED_WAIT: Duration = Duration::from_secs(30);
const BURST_WAIT: Duration = Duration::from_secs(60);

/// The author and one liker per connection.
pub fn agents(connections: usize) -> usize {
    1 + connections.max(1)
}

/// Milliseconds: least, median, 99th percentile, most.
#[derive(Debug, Default, serde::Serialize)]
pub struct Spread {
    pub min: Option<f64>,
    pub p50: Option<f64>,
    pub p99: Option<f64>,
    pub max: Option<f64>,
}

impl Spread {
    fn of(mut values: Vec<f64>) -> Spread {
        values.sort_by(f64::total_cmp);
        let at = |p| super::load::percentile(&values, p);
        Spread {
            min: at(0.0),
            p50: at(50.0),
            p99: at(99.0),
            max: at(100.0),
        }
    }

    fn text(&self) -> String {
        let ms = |v: Option<f64>| v.map_or("-".into(), |v| format!("{v:.1}"));
        format!(
            "p50 {} ms, p99 {} ms, max {} ms (min {})",
            ms(self.p50),
            ms(self.p99),
            ms(self.max),
            ms(self.min)
        )
    }
}

#[derive(Debug, Default, serde::Serialize)]
pub struct Measured {
    pub receiver: Option<String>,
    pub posts: usize,
    pub likers: usize,
    pub connections: usize,
    pub paced_likes: usize,
    pub paced_delivered: usize,
    /// From each paced like's 200 to its delivery's arrival.
    pub delay_ms: Spread,
    pub like_round_trip_ms: Spread,
    pub burst_likes: usize,
    pub burst_delivered: usize,
    pub likes_per_second: Option<f64>,
    /// Delivered / (first like sent → last delivery arrived).
    pub deliveries_per_second: Option<f64>,
    /// Of the burst's deliveries, those after its last like was answered,
    /// and their rate.
    pub drained: usize,
    pub drain_per_second: Option<f64>,
    pub burst_delay_ms: Spread,
    /// The receiver's requests, repeated `webhook-id`s, requests that were
    /// no `post.liked` delivery, unreadable ones.
    pub requests: usize,
    pub duplicates: usize,
    pub other: usize,
    pub unreadable: usize,
    pub seconds: f64,
    pub failures: Vec<String>,
}

impl Measured {
    pub fn summary(&self) -> String {
        let rate = |r: Option<f64>| r.map_or("-".into(), |r| format!("{r:.0}"));
        let mut out = format!(
            "{NAME}: {} of {} burst likes delivered, {} deliveries/s ({} likes/s by {} agents on {} connections; \
             {} delivered after the last like at {}/s), like→delivery {}\n  \
             delay: {} of {} likes at {PACE_PER_SECOND}/s delivered, from the like's 200 to the delivery's arrival \
             {}; like round trip {}\n  \
             receiver {}: {} requests, {} repeated webhook-ids, {} other, {} unreadable; {:.1} s in all",
            self.burst_delivered,
            self.burst_likes,
            rate(self.deliveries_per_second),
            rate(self.likes_per_second),
            self.likers,
            self.connections,
            self.drained,
            rate(self.drain_per_second),
            self.burst_delay_ms.text(),
            self.paced_delivered,
            self.paced_likes,
            self.delay_ms.text(),
            self.like_round_trip_ms.text(),
            self.receiver.as_deref().unwrap_or("not started"),
            self.requests,
            self.duplicates,
            self.other,
            self.unreadable,
            self.seconds,
        );
        if !self.failures.is_empty() {
            out.push_str(&format!(
                "\n  WEBHOOKS FAILED: {}",
                self.failures.join("; ")
            ));
        }
        out
    }
}

/// Starts the receiver, runs both phases and stops it.
pub fn measure(addr: SocketAddr, keys: &[String], quick: bool, connections: usize) -> Measured {
    let started = Instant::now();
    let likers = connections.max(1).min(keys.len().saturating_sub(1));
    let mut m = Measured {
        likers,
        connections: connections.max(1),
        ..Measured::default()
    };
    let receiver = match Receiver::start() {
        Ok(receiver) if likers > 0 => receiver,
        Ok(_) => {
            m.failures.push("needs an author and a liker".into());
            return m;
        }
        Err(e) => {
            m.failures.push(e);
            return m;
        }
    };
    m.receiver = Some(format!("http://{}/hook", receiver.addr));
    let (paced, burst) = (
        PACED_LIKES[usize::from(quick)],
        BURST_LIKES[usize::from(quick)],
    );
    if let Err(e) = phases(addr, keys, &receiver, &mut m, paced, burst) {
        m.failures.push(e);
    }
    let log = receiver.stop();
    (m.requests, m.duplicates, m.other, m.unreadable) =
        (log.requests, log.duplicates, log.other, log.unreadable);
    m.seconds = started.elapsed().as_secs_f64();
    m
}

fn phases(
    addr: SocketAddr,
    keys: &[String],
    receiver: &Receiver,
    m: &mut Measured,
    paced: usize,
    burst: usize,
) -> Result<(), String> {
    let liker = |i: usize| keys[1 + i % m.likers].as_str();
    let like = |client: &mut Client, post: &str, key: &str| {
        let answer = client.call(
            "POST",
            &format!("/api/agent/posts/{post}/like"),
            Some(key),
            &Value::Null,
        )?;
        if answer.json()["liked"] == false {
            Err(format!("liking post {post} unliked it"))
        } else {
            Ok(Instant::now())
        }
    };
    let failed = |steps: &Steps, what: &str| {
        steps
            .failure()
            .map_or(Ok(()), |f| Err(format!("{what}: {f}")))
    };

    let setup = Steps::new(addr, SETUP_CONNECTIONS);
    let hook = json!({"url": m.receiver, "events": ["post.liked"]});
    setup.each(1, |client, _| {
        client
            .call("POST", "/api/agent/webhooks", Some(&keys[0]), &hook)
            .map(drop)
    });
    failed(&setup, "registering the webhook")?;
    let ids = setup.each(paced + burst, |client, i| {
        let post = json!({"imageUrl": format!("https://img.example/bench/hook-{i}.png"), "caption": format!("Webhook bench post {i}")});
        let answer = client.call("POST", "/api/agent/posts", Some(&keys[0]), &post)?;
        answer.field("postId").ok_or_else(|| format!("no postId in {}", answer.describe()))
    });
    failed(&setup, "posting")?;
    let ids: Vec<String> = ids.into_iter().map(Option::unwrap_or_default).collect();
    m.posts = ids.len();
    let (paced_ids, burst_ids) = ids.split_at(paced);

    eprintln!("    delay: {paced} likes at {PACE_PER_SECOND}/s…");
    let one = Steps::new(addr, 1);
    let start = Instant::now();
    let answered = one.each(paced, |client, i| {
        let due = start + Duration::from_secs(1) / PACE_PER_SECOND * i as u32;
        std::thread::sleep(due.saturating_duration_since(Instant::now()));
        let sent = Instant::now();
        Ok((sent, like(client, &paced_ids[i], liker(i))?))
    });
    m.paced_likes = answered.iter().flatten().count();
    failed(&one, "liking at a pace")?;
    let arrivals = receiver.wait_for(paced_ids, PACED_WAIT);
    m.paced_delivered = arrivals.iter().flatten().count();
    let pairs = || {
        answered
            .iter()
            .zip(&arrivals)
            .filter_map(|(a, at)| Some(((*a)?, (*at)?)))
    };
    m.delay_ms = Spread::of(pairs().map(|((_, done), at)| signed_ms(at, done)).collect());
    m.like_round_trip_ms = Spread::of(
        answered
            .iter()
            .flatten()
            .map(|(sent, done)| signed_ms(*done, *sent))
            .collect(),
    );
    if m.paced_delivered < paced {
        m.failures.push(format!(
            "{} of {paced} paced likes were not delivered within {PACED_WAIT:?}",
            paced - m.paced_delivered
        ));
    }

    eprintln!(
        "    throughput: {burst} likes by {} agents on {} connections…",
        m.likers, m.connections
    );
    let many = Steps::new(addr, m.connections);
    let first_sent = Instant::now();
    let answered = many.each(burst, |client, i| like(client, &burst_ids[i], liker(i)));
    m.burst_likes = answered.iter().flatten().count();
    let last_answer = answered.iter().flatten().max().copied();
    let per_second = |n: usize, from: Instant, to: Instant| {
        let seconds = to.saturating_duration_since(from).as_secs_f64();
        (n > 0 && seconds > 0.0).then(|| n as f64 / seconds)
    };
    m.likes_per_second = last_answer.and_then(|last| per_second(m.burst_likes, first_sent, last));
    failed(&many, "liking in a burst")?;
    let arrivals = receiver.wait_for(burst_ids, BURST_WAIT);
    let arrived: Vec<Instant> = arrivals.iter().flatten().copied().collect();
    m.burst_delivered = arrived.len();
    if let (Some(&last_arrival), Some(last_answer)) = (arrived.iter().max(), last_answer) {
        m.deliveries_per_second = per_second(m.burst_delivered, first_sent, last_arrival);
        m.drained = arrived.iter().filter(|at| **at > last_answer).count();
        m.drain_per_second = per_second(m.drained, last_answer, last_arrival);
    }
    let pairs = answered
        .iter()
        .zip(&arrivals)
        .filter_map(|(a, at)| Some(signed_ms((*at)?, (*a)?)));
    m.burst_delay_ms = Spread::of(pairs.collect());
    if m.burst_delivered < burst {
        m.failures.push(format!(
            "{} of {burst} burst likes were not delivered within {BURST_WAIT:?}",
            burst - m.burst_delivered
        ));
    }
    Ok(())
}

/// `later - earlier` in ms, negative if `later` is earlier.
fn signed_ms(later: Instant, earlier: Instant) -> f64 {
    match later.checked_duration_since(earlier) {
        Some(d) => d.as_secs_f64() * 1e3,
        None => -(earlier.duration_since(later).as_secs_f64() * 1e3),
    }
}

/// What the receiver saw: the first arrival of each post's `post.liked`
/// delivery, by `data.postId`.
#[derive(Debug, Default)]
struct Log {
    requests: usize,
    liked: HashMap<String, Instant>,
    ids: HashSet<String>,
    duplicates: usize,
    other: usize,
    unreadable: usize,
}

impl Log {
    fn record(&mut self, at: Instant, id: Option<String>, body: Option<Value>) {
        self.requests += 1;
        let (Some(id), Some(body)) = (id, body) else {
            self.unreadable += 1;
            return;
        };
        if !self.ids.insert(id) {
            self.duplicates += 1;
        } else if let ("post.liked", Some(post)) = (
            body["type"].as_str().unwrap_or(""),
            body["data"]["postId"].as_str(),
        ) {
            self.liked.entry(post.to_owned()).or_insert(at);
        } else {
            self.other += 1;
        }
    }
}

/// The in-process receiver; its threads stop with [`Receiver::stop`] or
/// on drop.
struct Receiver {
    addr: SocketAddr,
    server: Arc<tiny_http::Server>,
    stop: Arc<AtomicBool>,
    log: Arc<Mutex<Log>>,
    threads: Vec<JoinHandle<()>>,
}

impl Receiver {
    fn start() -> Result<Receiver, String> {
        let server =
            tiny_http::Server::http("127.0.0.1:0").map_err(|e| format!("webhook receiver: {e}"))?;
        let addr = server
            .server_addr()
            .to_ip()
            .ok_or("webhook receiver: no IP address")?;
        let (server, stop, log) = (
            Arc::new(server),
            Arc::new(AtomicBool::new(false)),
            Arc::new(Mutex::new(Log::default())),
        );
        let threads = (0..RECEIVER_THREADS)
            .map(|_| {
                let (server, stop, log) =
                    (Arc::clone(&server), Arc::clone(&stop), Arc::clone(&log));
                std::thread::spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        let Ok(Some(mut request)) = server.recv_timeout(Duration::from_millis(250))
                        else {
                            continue;
                        };
                        let at = Instant::now();
                        let id = request
                            .headers()
                            .iter()
                            .find(|h| h.field.equiv("webhook-id"))
                            .map(|h| h.value.to_string());
                        let mut body = Vec::new();
                        let read = request.as_reader().take(1 << 20).read_to_end(&mut body);
                        let json = read.ok().and_then(|_| serde_json::from_slice(&body).ok());
                        log.lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .record(at, id, json);
                        let _ = request.respond(tiny_http::Response::empty(204));
                    }
                })
            })
            .collect();
        Ok(Receiver {
            addr,
            server,
            stop,
            log,
            threads,
        })
    }

    /// The first arrival of each post's delivery, once all have arrived or
    /// `bound` has passed.
    fn wait_for(&self, posts: &[String], bound: Duration) -> Vec<Option<Instant>> {
        let deadline = Instant::now() + bound;
        loop {
            let arrivals: Vec<Option<Instant>> = {
                let log = self.log.lock().unwrap_or_else(PoisonError::into_inner);
                posts.iter().map(|p| log.liked.get(p).copied()).collect()
            };
            if arrivals.iter().all(Option::is_some) || Instant::now() >= deadline {
                return arrivals;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    fn stop(mut self) -> Log {
        self.shut_down();
        std::mem::take(&mut *self.log.lock().unwrap_or_else(PoisonError::into_inner))
    }

    fn shut_down(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        self.server.unblock();
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_receiver_keeps_first_arrivals_and_counts_repeats_and_strangers() {
        let receiver = Receiver::start().unwrap();
        let mut client = Client::new(receiver.addr);
        let deliver = |client: &mut Client, id: &str, body: &str| {
            let headers = [
                ("webhook-id", id.to_owned()),
                ("Content-Type", "application/json".to_owned()),
            ];
            client
                .send("POST", "/hook", &headers, body.as_bytes())
                .unwrap()
                .status
        };
        let liked = r#"{"type":"post.liked","data":{"postId":"p1"}}"#;
        assert_eq!(deliver(&mut client, "msg_1", liked), 204);
        assert_eq!(deliver(&mut client, "msg_1", liked), 204);
        assert_eq!(
            deliver(
                &mut client,
                "msg_2",
                r#"{"type":"comment.created","data":{}}"#
            ),
            204
        );
        assert_eq!(deliver(&mut client, "msg_3", "not json"), 204);
        assert!(receiver.wait_for(&["p1".to_owned()], Duration::from_secs(5))[0].is_some());
        let log = receiver.stop();
        assert_eq!(
            (log.requests, log.duplicates, log.other, log.unreadable),
            (4, 1, 1, 1)
        );
    }

    #[test]
    fn spreads_are_nearest_rank() {
        let spread = Spread::of((1..=100).rev().map(f64::from).collect());
        assert_eq!(
            (spread.min, spread.p50, spread.p99, spread.max),
            (Some(1.0), Some(50.0), Some(99.0), Some(100.0))
        );
        assert_eq!(Spread::of(Vec::new()).p50, None);
    }
}
